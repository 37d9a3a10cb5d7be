"""A lab in progress: start, apply, check, hint, reset, solve and watch.

The same `LabSession` serves the CLI, the app and `lint --prove`, on every backend. The
simulator keeps its own state (its API server saves it), so a new process, such as the next
`kube-tutor lab check`, sees the cluster as the last one left it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.checks.context import CheckContext
from tutor.checks.registry import run_check
from tutor.checks.verdict import Status, Verdict
from tutor.cluster.base import (
    LAB_LABEL,
    MANAGED_LABEL,
    MANAGED_VALUE,
    ApplyResult,
    Cluster,
    ClusterError,
    InvalidObjectError,
    Obj,
)
from tutor.content.loader import Lab, Problem
from tutor.labs.workspace import (
    ReadResult,
    SourcedObject,
    copy_manifests,
    locate_refusal,
    manifest_files,
    read_manifests,
    workspace_root,
)


@dataclass
class ApplyReport:
    """What an apply did, or why nothing was applied."""

    applied: list[ApplyResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None
    """A cluster-level failure (unreachable, forbidden) in plain words."""

    @property
    def ok(self) -> bool:
        """True when everything was applied."""
        return not self.problems and self.error is None


@dataclass
class LabResult:
    """One round of checks."""

    lab_id: str
    backend: str
    verdicts: list[Verdict]
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(v.status is Status.PASS for v in self.verdicts)

    @property
    def pending(self) -> bool:
        """True when no check failed and some are still converging."""
        return not any(v.status is Status.FAIL for v in self.verdicts) and any(
            v.status is Status.PENDING for v in self.verdicts
        )

    def to_json(self) -> dict[str, Any]:
        """The stable result document of `lab check --json`: every check with its `role`
        (`fix` or `guard`) and, while pending, its `deadline`."""
        return {
            "lab": self.lab_id,
            "backend": self.backend,
            "passed": self.passed,
            "guards_hold": all(v.passed for v in self.verdicts if v.role == "guard"),
            "checks": [v.to_json() for v in self.verdicts],
        }


@dataclass(frozen=True)
class Hint:
    """A hint shown to the learner."""

    check_id: str
    tier: int
    """1-based."""
    tiers: int
    text: str


def lab_namespaces(lab: Lab, prefix: str | None = None) -> tuple[str, dict[str, str]]:
    """The lab's main namespace and the mapping of names in its manifests to real names.

    Without a prefix, names are used as written and the main namespace is `kt-<lab id>`.
    In classroom mode every namespace gets the learner's prefix.
    """
    main = f"kt-{lab.id}"
    mapping = {name: name for name in lab.spec.namespaces}
    if prefix:
        mapping = {name: f"{prefix}-{name}" for name in lab.spec.namespaces}
        return f"{prefix}-{main}", mapping
    return main, mapping


_NAMESPACE_FIELDS = (
    ("HTTPRoute", ("spec", "parentRefs")),
    ("GRPCRoute", ("spec", "parentRefs")),
)


def localise(obj: Obj, mapping: dict[str, str]) -> Obj:
    """Rewrite the namespace names an object mentions (metadata, route parents and backends,
    ReferenceGrant sources, listener certificateRefs, listener and NetworkPolicy peer
    namespace selectors) through
    `mapping`."""
    if all(k == v for k, v in mapping.items()):
        return obj
    out: Obj = json.loads(json.dumps(obj))

    def swap(holder: dict[str, Any], key: str) -> None:
        value = holder.get(key)
        if isinstance(value, str) and value in mapping:
            holder[key] = mapping[value]

    swap(out.setdefault("metadata", {}), "namespace")
    spec = out.get("spec") or {}
    for ref in spec.get("parentRefs") or []:
        swap(ref, "namespace")
    for rule in spec.get("rules") or []:
        for ref in rule.get("backendRefs") or []:
            swap(ref, "namespace")
    for source in spec.get("from") or []:
        swap(source, "namespace")
    for rule in (spec.get("ingress") or []) + (spec.get("egress") or []):
        if not isinstance(rule, dict):
            continue
        for peer in (rule.get("from") or []) + (rule.get("to") or []):
            selector = (peer or {}).get("namespaceSelector") or {}
            swap(selector.get("matchLabels") or {}, "kubernetes.io/metadata.name")
    for listener in spec.get("listeners") or []:
        for ref in (listener.get("tls") or {}).get("certificateRefs") or []:
            swap(ref, "namespace")
        selector = ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get(
            "selector"
        ) or {}
        swap(selector.get("matchLabels") or {}, "kubernetes.io/metadata.name")
    return out


class LabSession:
    """A lab on one cluster: the learner's workspace, namespaces and check rounds."""

    def __init__(
        self,
        lab: Lab,
        cluster: Cluster,
        *,
        store: Any = None,
        prefix: str | None = None,
        workspace: Path | None = None,
    ) -> None:
        self.lab = lab
        self.cluster = cluster
        self.store = store
        """A `ProgressStore` (or None) where results and hints are recorded."""
        # A real cluster in context mode knows the learner's (cleaned) prefix; it wins.
        prefix = getattr(cluster, "namespace_prefix", "") or prefix
        self.namespace, self.namespaces = lab_namespaces(lab, prefix)
        self.workspace = workspace or workspace_root() / lab.id
        self._applied: list[Obj] = []
        self._intent: list[Obj] = []
        # When each pending check was first seen pending (kept beside the workspace so that
        # `lab check` run again from the shell keeps the same deadline).
        self._pending_file = self.workspace / ".kube-tutor-pending.json"

    # -- namespaces ---------------------------------------------------------

    @property
    def all_namespaces(self) -> list[str]:
        """Every namespace of the lab, the main one first."""
        return [self.namespace, *self.namespaces.values()]

    @property
    def renames(self) -> dict[str, str]:
        """Namespace names as the lab's files write them -> the names on the cluster: the main
        namespace (`kt-<lab id>`, which a ReferenceGrant's `from` names) and the extra ones.
        Identity unless a classroom prefix is in force."""
        return {f"kt-{self.lab.id}": self.namespace, **self.namespaces}

    def _read_workspace(self, folder: Path | None = None) -> ReadResult:
        """The workspace's manifests, with the namespaces they may name (as written or as
        on the cluster)."""
        allowed = set(self.all_namespaces) | set(self.renames)
        return read_manifests(folder or self.workspace, allowed)

    def _ensure_namespaces(self) -> None:
        labels = {LAB_LABEL: self.lab.id, MANAGED_LABEL: MANAGED_VALUE}
        for namespace in self.all_namespaces:
            self.cluster.ensure_namespace(namespace, labels)

    # -- lifecycle ----------------------------------------------------------------------

    def start(self, *, fresh: bool = False) -> ApplyReport:
        """Set up the workspace (kept if it exists, unless `fresh`) and apply it."""
        if fresh or not manifest_files(self.workspace):
            if not fresh:
                self._clear()  # a new workspace starts on clean namespaces, like reset
            copy_manifests(self.lab.start_dir, self.workspace)
        return self.apply()

    def apply(self, folder: Path | None = None) -> ApplyReport:
        """Apply the workspace (or `folder`). Any problem in any file: nothing is applied."""
        read = self._read_workspace(folder)
        if read.problems:
            return ApplyReport(problems=read.problems)
        objects = [localise(s.obj, self.renames) for s in read.objects]
        self._intent = objects  # what the learner asked for, even if the cluster refuses it
        try:
            self._ensure_namespaces()
            applied = self.cluster.apply(objects, self.namespace)
        except InvalidObjectError as exc:
            suspects = _refused_objects(exc, read.objects)
            return ApplyReport(
                problems=locate_refusal(exc, suspects)
                or [Problem(suspects[0].file, suspects[0].line, str(exc))]
            )
        except ClusterError as exc:
            return ApplyReport(problems=_conflict_problems(exc, read.objects), error=str(exc))
        self._applied = objects
        return ApplyReport(applied=applied)

    def _clear(self) -> None:
        """Delete the lab's namespaces."""
        for namespace in self.all_namespaces:
            self.cluster.delete_namespace(namespace)
        if self._pending_file.is_file():
            self._pending_file.unlink()
        self._applied = []

    def reset(self) -> ApplyReport:
        """Back to the start: delete the lab's namespaces, restore start/ and apply it; the
        hints start again from the first tier."""
        self._clear()
        if self.store is not None:
            self.store.reset_hints(self.lab.id)
        return self.start(fresh=True)

    def solve(self) -> ApplyReport:
        """Apply the reference solution on clean namespaces (so immutable fields such as
        clusterIP never block it); the workspace becomes a copy of the solution."""
        self._clear()
        copy_manifests(self.lab.solution_dir, self.workspace)
        return self.apply()

    # -- checks and hints ---------------------------------------------------------------

    def context(self) -> CheckContext:
        """A fresh view of the cluster for one round of checks."""
        if not self._intent and self.workspace.is_dir():
            # A new process (e.g. `lab check` after `lab apply`): the learner's intent is
            # what the workspace says, even where the cluster refused it.
            read = self._read_workspace()
            self._intent = [localise(s.obj, self.renames) for s in read.objects]
        return CheckContext(
            self.cluster, self.namespace, self.namespaces, tuple(self._intent or self._applied)
        )

    def check(self, *, wait: float = 0.0, record: bool = True) -> LabResult:
        """Run every check; while some are pending and `wait` allows, wait for the cluster."""
        started = time.perf_counter()
        deadline = time.monotonic() + wait
        since = self._pending_since()
        while True:
            ctx = self.context()
            now = time.time()
            verdicts = [
                run_check(spec, ctx, pending_since=since.get(spec.id), now=now)
                for spec in self.lab.spec.checks
            ]
            since = {
                v.check_id: since.get(v.check_id, now)
                for v in verdicts
                if v.status is Status.PENDING
            }
            result = LabResult(self.lab.id, self.cluster.backend, verdicts)
            remaining = deadline - time.monotonic()
            # The simulator converges at once: waiting would not change anything.
            if not result.pending or remaining <= 0 or self.cluster.backend == "sim":
                break
            self.cluster.wait_for_change(self.namespace, min(remaining, 5.0))
        result.seconds = time.perf_counter() - started
        self._keep_pending_since(since)
        if record and self.store is not None:
            self.store.record_lab(
                self.lab.id, self.cluster.backend, result.passed, result.to_json()
            )
            if self.cluster.backend == "context":  # a classroom's instructor sees it live
                from tutor.modes.classroom import publish_progress

                publish_progress(self.cluster, self.store)
        return result

    def _pending_since(self) -> dict[str, float]:
        try:
            data = json.loads(self._pending_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}

    def _keep_pending_since(self, since: dict[str, float]) -> None:
        if not since:
            if self._pending_file.is_file():
                self._pending_file.unlink()
            return
        if not self.workspace.is_dir():
            return
        self._pending_file.write_text(json.dumps(since), encoding="utf-8")

    def task(self) -> str:
        """The task text as the learner sees it, placeholders filled in."""
        return task_text(self.lab, self.namespace, self.namespaces)

    def hint(self, check_id: str | None = None, result: LabResult | None = None) -> Hint | None:
        """The next hint tier for a check (default: the first check that does not pass)."""
        if check_id is None:
            result = result or self.check(record=False)
            failing = [v.check_id for v in result.verdicts if v.status is not Status.PASS]
            with_hints = {h.check for h in self.lab.spec.hints}
            check_id = next((c for c in failing if c in with_hints), None)
            if check_id is None:
                return None
        hints = next((h for h in self.lab.spec.hints if h.check == check_id), None)
        if hints is None:
            return None
        used = self.store.hints_used(self.lab.id).get(check_id, 0) if self.store is not None else 0
        tier = min(used + 1, len(hints.tiers))
        if self.store is not None:
            self.store.record_hint(self.lab.id, check_id, tier)
        return Hint(check_id, tier, len(hints.tiers), hints.tiers[tier - 1])

    def watch(
        self, *, interval: float = 0.5, stop: Callable[[], bool] = lambda: False
    ) -> Iterator[tuple[ApplyReport | None, LabResult]]:
        """Re-apply when a workspace file is saved and re-check; yields after each round.

        Polls file modification times (portable, no extra dependency); between saves it
        re-checks when the cluster reports a change.
        """
        seen = self._mtimes()
        yield None, self.check()
        while not stop():
            now = self._mtimes()
            if now != seen:
                seen = now
                report = self.apply()
                yield report, self.check(wait=5.0)
            elif self.cluster.wait_for_change(self.namespace, interval):
                yield None, self.check()
            elif self.cluster.backend == "sim":
                time.sleep(interval)

    def _mtimes(self) -> dict[str, float]:
        return {p.name: p.stat().st_mtime for p in self.workspace.glob("*.y*ml")}


_UNKNOWN_KIND = re.compile(r'no matches for kind "([^"]+)"')


def _refused_objects(exc: InvalidObjectError, objects: list[SourcedObject]) -> list[SourcedObject]:
    """The objects a refusal can be about: an unknown kind names no object, only its kind,
    so the refusal points at the file that holds that kind, not at the first file."""
    match = _UNKNOWN_KIND.search(exc.message)
    if exc.kind is None and match:
        same_kind = [s for s in objects if s.obj.get("kind") == match.group(1)]
        if same_kind:
            return same_kind
    return objects


def task_text(lab: Lab, namespace: str, namespaces: dict[str, str]) -> str:
    """The lab's task with `{ns}` and `{ns:NAME}` filled in (no placeholder is ever shown
    literally to the learner)."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return namespace if name is None else namespaces.get(name, name)

    return re.sub(r"\{ns(?::([a-z0-9-]+))?\}", fill, lab.spec.task)


def _conflict_problems(exc: ClusterError, objects: list[SourcedObject]) -> list[Problem]:
    """A 409 or other refusal, pointed at the first object it names, else the first file."""
    if not objects:
        return []
    message = str(exc)
    for source in objects:
        name = source.obj.get("metadata", {}).get("name", "")
        if name and name in message:
            return [Problem(source.file, source.line, message)]
    return [Problem(objects[0].file, objects[0].line, message)]
