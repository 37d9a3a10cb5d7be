"""The differential suite's machinery: endpoints, settling, normalising, diffing, the allow-list.

An `Endpoint` is one side of the comparison: a name and a `Cluster` (the protocol both the
kube backend and the simulator implement). The differential suite's simulator side is the
simulator's API server (`SimApiServer`) through `KubeCluster`, exactly like the real side;
`sim_endpoint()` (the in-process `SimCluster`) is the one-line alternative, and what the lab
comparisons use.
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tutor.cluster.base import Cluster, ClusterError, InvalidObjectError, Obj

ALLOW_LIST = Path(__file__).with_name("allowed_differences.yaml")


@dataclass
class Endpoint:
    """One side of the comparison."""

    name: str
    cluster: Cluster
    real: bool = False
    """The real control plane: it converges asynchronously and must be settled."""


def sim_endpoint() -> Endpoint:
    """The in-process simulator (what the lab comparisons use: `LabSession` on `SimCluster`)."""
    from tutor.cluster.sim.cluster import SimCluster

    return Endpoint("sim", SimCluster())


def sim_api_endpoint(kubeconfig: Path, context: str, prefix: str) -> Endpoint:
    """The simulator's Kubernetes API server (`SimApiServer`) through the same kube backend
    as the real side, so both answers travel the same client path."""
    from tutor.cluster.guard import resolve_target
    from tutor.cluster.kube import KubeCluster

    target = resolve_target(
        "context", context, namespace_prefix=prefix, env={"KUBECONFIG": str(kubeconfig)}
    )
    return Endpoint("sim", KubeCluster(target, request_timeout=20))


# -- outcomes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What an apply did: `ok`, or the error's class and its field problems."""

    result: str
    problems: tuple[tuple[str, str], ...] = ()
    message: str = field(default="", compare=False)
    """kube-tutor's own sentence around the API's answer: not compared."""

    def shown(self) -> str:
        """One line for reports."""
        if self.result == "ok":
            return "ok"
        fields = "; ".join(f"{p}: {m}" for p, m in self.problems)
        return f"{self.result} [{fields}]" if fields else f"{self.result}: {self.message}"


def apply_outcome(endpoint: Endpoint, objects: Sequence[Obj], namespace: str) -> Outcome:
    """Apply and say what happened, errors included."""
    try:
        endpoint.cluster.apply(objects, namespace)
    except InvalidObjectError as exc:
        return Outcome("invalid", tuple((p.path, p.message) for p in exc.problems), exc.message)
    except ClusterError as exc:
        return Outcome(type(exc).__name__, (), exc.message)
    return Outcome("ok")


# -- settling the real cluster -------------------------------------------------------------


def settle(endpoint: Endpoint, namespaces: Iterable[str], timeout: float = 45.0) -> bool:
    """Wait until the controllers and the fake kubelet are done with the namespaces: every Pod
    started (has an IP or a final phase), every Deployment observed and rolled out as far as it
    goes, and then nothing changes for a moment. The simulator converges at once."""
    if not endpoint.real:
        return True
    namespaces = list(namespaces)
    cluster = endpoint.cluster
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = False
        for namespace in namespaces:
            for pod in cluster.list("Pod", namespace):
                if not pod.get("status", {}).get("podIP") and pod["spec"].get("nodeName"):
                    busy = True
            for deploy in cluster.list("Deployment", namespace):
                status = deploy.get("status") or {}
                wanted = deploy["spec"].get("replicas", 1)
                observed = status.get("observedGeneration", 0)
                rolled = status.get("updatedReplicas", 0) == status.get("replicas", 0) == wanted
                if observed < deploy["metadata"].get("generation", 1) or not rolled:
                    busy = True
        if busy:
            time.sleep(0.2)
            continue
        if not cluster.wait_for_change(namespaces[0], 1.0):
            return True
    return False


# -- normalising -----------------------------------------------------------------------------

_GENERATED = re.compile(r"-[a-z0-9]{5}$")
_HASH = re.compile(r"-(?=[a-z]*\d)[bcdfghjklmnpqrstvwxz2456789]{6,10}\b")
"""A pod-template or controller-revision hash: FNV-32a of the template, printed with
`rand.SafeEncodeString`'s alphabet (k8s.io/apimachinery/pkg/util/rand); the simulator hashes
its own way, so hashes are normalised like generated names."""
_ALLOCATED_PORTS = frozenset({"nodePort", "healthCheckNodePort"})
_TIME_KEYS = frozenset(
    {
        "creationTimestamp",
        "lastTransitionTime",
        "lastHeartbeatTime",
        "lastProbeTime",
        "lastUpdateTime",
        "startedAt",
        "startTime",
        "time",
        "renewTime",
        "acquireTime",
    }
)
_DROPPED_META = ("uid", "resourceVersion", "generation", "selfLink")
IP_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


def normalise(obj: Any, *, namespaces: dict[str, str] | None = None) -> Any:
    """A copy with what legitimately differs replaced by placeholders: uids, resource versions,
    times (also inside managedFields), generated name suffixes, Pod and cluster IPs (different
    allocators) and the case's namespace names (`namespaces`: real name -> placeholder)."""
    namespaces = namespaces or {}

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k in _DROPPED_META and key == "metadata":
                    continue
                if k in ("uid",) and key in ("targetRef", "ownerReferences"):
                    continue
                if k in _TIME_KEYS and v is not None:
                    out[k] = "<time>"
                    continue
                if k in _ALLOCATED_PORTS and isinstance(v, int):
                    out[k] = "<port>"  # random picks of the allocator (portallocator)
                    continue
                out[k] = walk(v, k)
            return out
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, str):
            if value in namespaces:
                return namespaces[value]
            if IP_RE.match(value) and (value.startswith("10.") or key in ("ip", "podIP")):
                return "<ip>"
            if key in ("pod-template-hash", "controller-revision-hash"):
                return "<hash>"
            value = _HASH.sub("-<hash>", value)
            if key in ("name", "generateName"):
                return _GENERATED.sub("-<gen>", value)
            for real, placeholder in namespaces.items():
                if f"/{real}/" in value or value.startswith(f"{real}/"):
                    value = value.replace(real, placeholder)
            return value
        return value

    normal = walk(obj)
    meta = normal.get("metadata", {}) if isinstance(normal, dict) else {}
    for entry in meta.get("managedFields") or []:
        entry.pop("time", None)
    return normal


# -- diffing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One field where the two sides disagree."""

    case: str
    subject: str
    """`Kind name` (generated suffixes normalised), or `apply` for an apply outcome."""
    path: str
    """Dotted path with list indexes, e.g. `spec.ports[0].nodePort`."""
    real: Any
    sim: Any

    @property
    def key(self) -> str:
        """What the allow-list matches: `Kind path` with indexes as `[*]`."""
        kind = self.subject.split(" ", 1)[0]
        return f"{kind} {_INDEX.sub('[*]', self.path)}"

    def shown(self) -> str:
        """One line for reports."""
        return f"{self.case}: {self.subject} {self.path}: real={self.real!r} sim={self.sim!r}"


_MISSING = "<absent>"
_INDEX = re.compile(r"\[\d+\]")


def diff(case: str, subject: str, real: Any, sim: Any, path: str = "") -> Iterator[Difference]:
    """Every leaf where `real` and `sim` differ (a missing key on one side is `<absent>`)."""
    if isinstance(real, dict) and isinstance(sim, dict):
        for key in sorted(set(real) | set(sim)):
            sub = f"{path}.{key}" if path else str(key)
            yield from diff(case, subject, real.get(key, _MISSING), sim.get(key, _MISSING), sub)
        return
    if isinstance(real, list) and isinstance(sim, list) and len(real) == len(sim):
        for index, (a, b) in enumerate(zip(real, sim, strict=True)):
            yield from diff(case, subject, a, b, f"{path}[{index}]")
        return
    if real != sim:
        yield Difference(case, subject, path, _short(real), _short(sim))


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 160 else text[:157] + "..."


# -- the allow-list --------------------------------------------------------------------------


@dataclass
class Allowance:
    """One allow-list entry: differences whose key matches `match` (fnmatch), optionally only
    in cases matching `cases`, are accepted for `reason`."""

    match: str
    reason: str
    cases: str = "*"
    section: str = "objects"
    used: int = 0

    def allows(self, difference: Difference) -> bool:
        """True when this entry covers the difference."""
        return fnmatch.fnmatchcase(difference.key, self.match) and fnmatch.fnmatchcase(
            difference.case, self.cases
        )


@dataclass
class AllowList:
    """The one file that lists every accepted difference between Kubernetes and the
    simulator; an entry that matches nothing any more is an error (the list only shrinks)."""

    entries: list[Allowance] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path = ALLOW_LIST) -> AllowList:
        """Read the YAML file: `{section: [{match, reason, cases?}, ...]}`."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = []
        for section, items in data.items():
            for item in items or []:
                entries.append(
                    Allowance(
                        str(item["match"]),
                        str(item["reason"]),
                        str(item.get("cases", "*")),
                        str(section),
                    )
                )
        return cls(entries)

    def section(self, name: str) -> list[Allowance]:
        """The entries of one section."""
        return [e for e in self.entries if e.section == name]

    def judge(self, section: str, differences: Iterable[Difference]) -> list[Difference]:
        """The differences no entry of `section` allows (counting the uses of each entry)."""
        unexplained = []
        entries = self.section(section)
        for difference in differences:
            entry = next((e for e in entries if e.allows(difference)), None)
            if entry is None:
                unexplained.append(difference)
            else:
                entry.used += 1
        return unexplained

    def stale(self, section: str) -> list[Allowance]:
        """Entries of `section` that allowed nothing in this run."""
        return [e for e in self.section(section) if e.used == 0]
