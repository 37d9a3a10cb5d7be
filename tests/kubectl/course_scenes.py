"""Which lab a course command runs on, and the command with that lab's names filled in.

A lesson's examples use names of their own (`-n shop`, `web`, `probe`, `10.96.143.7`,
`web-5f7c9-abcde`). A command runs on the first lab that has every object it names: the
lesson's own labs first, then the rest of the course; lesson commands on a lab's solution/
(the lessons describe working setups), hint commands on their lab's start/ (what the learner
has when the hint is shown). Where a lesson's example names differ from its lab's, the
reviewed table `course_names.yaml` says which lab object a name stands for. The rest comes from
the live lab: its namespaces (`kt-<lab id>`, as `tutor.labs.session.lab_namespaces` computes),
the probe Pod, a Deployment's first Pod, ClusterIPs and Pod IPs.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.kubectl.course_commands import ROOT, CourseCommand

Obj = dict[str, Any]

SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
PROBE_POD = "kube-tutor-probe"
"""The probe Pod a lab check creates (`tutor.cluster.probes.PROBE_POD`); lessons call it `probe`."""

# kubectl resource words (singular, plural, short names as `kubectl api-resources` lists them)
# for the namespaced kinds a lab's manifests hold.
KIND_WORDS: dict[str, str] = {
    **dict.fromkeys(("service", "services", "svc"), "Service"),
    **dict.fromkeys(("deployment", "deployments", "deploy"), "Deployment"),
    **dict.fromkeys(("statefulset", "statefulsets", "sts"), "StatefulSet"),
    **dict.fromkeys(("pod", "pods", "po"), "Pod"),
    **dict.fromkeys(("endpointslice", "endpointslices"), "EndpointSlice"),
    **dict.fromkeys(("ingress", "ingresses", "ing"), "Ingress"),
    **dict.fromkeys(("httproute", "httproutes"), "HTTPRoute"),
    **dict.fromkeys(("gateway", "gateways", "gtw"), "Gateway"),
    **dict.fromkeys(("referencegrant", "referencegrants", "refgrant"), "ReferenceGrant"),
    **dict.fromkeys(("configmap", "configmaps", "cm"), "ConfigMap"),
}
_VALUE_FLAGS = frozenset(
    {"-n", "--namespace", "-l", "--selector", "-o", "--output", "-L", "--label-columns", "-f"}
    | {"--filename", "-c", "--container", "--field-selector", "--api-group", "--context"}
    | {"--request-timeout", "--timeout", "-p", "--patch", "--type", "--replicas"}
)
_DNS_SUFFIX = ".svc.cluster.local"
_POD_PLACEHOLDER = re.compile(r"([a-z][a-z0-9-]*?)-[a-z0-9]{4,10}(?:-[a-z0-9]{5})?")
CREATING_VERBS = frozenset({"create", "expose", "run"})
"""Verbs that make an object: the name they make must not exist yet, and each runs on a
freshly set-up lab (so one lesson line's object does not collide with the next)."""
CHANGING_VERBS = (
    CREATING_VERBS
    | {"delete", "label", "annotate", "scale", "patch", "edit"}
    | {
        "apply",
        "replace",
        "set",
        "debug",
    }
)


@dataclass(frozen=True)
class Scene:
    """A lab in one state: its start/ or its solution/ applied."""

    lab: str
    state: str  # "start" | "solution"

    @property
    def id(self) -> str:
        """`02-selector-mismatch/solution`."""
        return f"{self.lab}/{self.state}"


@dataclass
class Manifests:
    """What a scene's folder declares, by namespace role (`""` the lab's main namespace,
    `infra` for `kt-16-infra`)."""

    objects: dict[tuple[str, str, str], Obj] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)

    def has(self, kind: str, name: str, role: str = "") -> bool:
        """Is there such an object (Pods: a Deployment or StatefulSet makes it)?"""
        return (kind, role, name) in self.objects

    def roles(self) -> set[str]:
        """The namespace roles the lab uses."""
        return {role for _, role, _ in self.objects}


def _role(namespace: str | None, lab: str) -> str:
    if not namespace:
        return ""
    prefix = f"kt-{lab.split('-')[0]}-"
    return namespace[len(prefix) :] if namespace.startswith(prefix) else namespace


def read_manifests(scene: Scene, root: Path = ROOT) -> Manifests:
    """The objects of a scene's folder, with the labels their Pods get."""
    found = Manifests()
    for path in sorted((root / "labs" / scene.lab / scene.state).glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not doc:
                continue
            meta = doc.get("metadata") or {}
            role = _role(meta.get("namespace"), scene.lab)
            found.objects[(doc["kind"], role, meta["name"])] = doc
            template = ((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}
            for key, value in (template.get("labels") or {}).items():
                found.labels.add(f"{key}={value}")
    return found


def load_names(path: Path | None = None) -> dict[tuple[str, str], dict[str, str]]:
    """`course_names.yaml`: for (lesson, lab), what the lesson's example names stand for."""
    data = yaml.safe_load((path or Path(__file__).with_name("course_names.yaml")).read_text())
    table: dict[tuple[str, str], dict[str, str]] = {}
    for entry in data.get("names") or []:
        table[(entry["lesson"], entry["lab"])] = {str(k): str(v) for k, v in entry["map"].items()}
    return table


def rename(text: str, names: dict[str, str]) -> str:
    """Replace whole names (longest first): `web` in `http://web/` and `app=web`, not in
    `webapp` or `web-5f7c9-abcde`."""
    for key in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w-])", names[key], text)
    return text


# -- parsing ---------------------------------------------------------------------------------


@dataclass
class Invocation:
    """One `kubectl ...` inside a shell line."""

    args: list[str]
    namespace: str | None = None
    selectors: list[str] = field(default_factory=list)
    positional: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)
    """`kubectl exec POD -- <remote>`."""

    @property
    def verb(self) -> str:
        """`get`, `describe`, `exec`, ..."""
        return self.positional[0] if self.positional else ""


def invocations(text: str) -> Iterator[Invocation]:
    """Each kubectl invocation of a shell line, parsed the way kubectl reads its flags."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";|&<>")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return
    current: list[str] | None = None
    groups: list[list[str]] = []
    for token in tokens:
        if token == "kubectl":
            current = []
            groups.append(current)
        elif current is not None and (token in {"|", ";", "&&", "||", "done"} or token[0] in "<>"):
            current = None
        elif current is not None:
            current.append(token)
    for args in groups:
        yield _parse(args)


def _parse(args: list[str]) -> Invocation:
    inv = Invocation(args)
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            inv.remote = args[index + 1 :]
            break
        name, _, inline = token.partition("=")
        if name in _VALUE_FLAGS:
            value = inline if inline else (args[index + 1] if index + 1 < len(args) else "")
            index += 1 if inline else 2
            if name in {"-n", "--namespace"}:
                inv.namespace = value
            elif name in {"-l", "--selector"}:
                inv.selectors += [part for part in value.split(",") if part]
            continue
        if not token.startswith("-"):
            inv.positional.append(token)
        index += 1
    return inv


def resources(inv: Invocation) -> list[tuple[str, str]]:
    """(word, name) pairs a get/describe/... names: `svc web`, `deploy/web`, `pod x y`."""
    words = inv.positional[1:]
    if inv.verb in {"exec", "debug"}:
        return [("pod", words[0])] if words else []
    if inv.verb in CREATING_VERBS:
        return []  # what they make is `created()`; `expose`'s source is `exposed()`
    if inv.verb in {"rollout", "set"}:
        words = words[1:]
    pairs: list[tuple[str, str]] = []
    kinds: list[str] = []
    for word in words:
        if "/" in word:
            kind, _, name = word.partition("/")
            pairs.append((kind, name))
        elif not kinds:
            kinds = word.split(",")
        elif len(kinds) == 1:
            pairs.append((kinds[0], word))
    return pairs


def dry_run(inv: Invocation) -> bool:
    """`--dry-run=client|server`: nothing is made."""
    return any(a.startswith("--dry-run") and a != "--dry-run=none" for a in inv.args)


def created(inv: Invocation) -> list[tuple[str, str]]:
    """(kind, name) a create/expose/run makes: `create service TYPE NAME`, `create KIND NAME`,
    `expose KIND NAME [--name=X]` (a Service), `run NAME` (a Pod)."""
    words = inv.positional[1:]
    named = [a.partition("=")[2] for a in inv.args if a.startswith("--name=")]
    if inv.verb == "create" and words[:1] == ["service"] and len(words) >= 3:
        return [("Service", words[2])]
    if inv.verb == "create" and len(words) >= 2 and KIND_WORDS.get(words[0]):
        return [(KIND_WORDS[words[0]], words[1])]
    if inv.verb == "expose" and len(words) >= 2:
        return [("Service", named[0] if named else words[1])]
    if inv.verb == "run" and words:
        return [("Pod", words[0])]
    return []


def exposed(inv: Invocation) -> list[tuple[str, str]]:
    """What `kubectl expose KIND NAME` reads (it must exist)."""
    words = inv.positional[1:]
    if inv.verb == "expose" and len(words) >= 2:
        return [(words[0], words[1])]
    return []


def changes(text: str) -> bool:
    """Does the line change the cluster (so it needs a lab of its own)?"""
    return any(inv.verb in CHANGING_VERBS and not dry_run(inv) for inv in invocations(text))


def hostnames(inv: Invocation) -> list[str]:
    """The names and addresses an exec'd client (curl, wget, dig, nslookup, nc) is pointed at."""
    remote = inv.remote
    if not remote:
        return []
    tool, rest = remote[0], remote[1:]
    if tool in {"curl", "wget"}:
        found = []
        for token in rest:
            match = re.match(r"https?://(\[[^\]]+\]|[^/:]+)", token)
            if match:
                found.append(match.group(1).strip("[]"))
        return found
    if tool in {"dig", "nslookup", "host"}:
        skip = {"A", "AAAA", "SRV", "CNAME", "PTR", "TXT", "SOA", "NS", "ANY", "-x"}
        return [t for t in rest if not t.startswith(("+", "-", "@")) and t not in skip]
    if tool in {"nc", "ncat"}:
        plain = [t for t in rest if not t.startswith("-")]
        # `-w 3` takes a value: the host is the first word that is not a number
        return [t for t in plain if not t.isdigit()][:1]
    return []


@dataclass(frozen=True)
class DnsName:
    """A cluster DNS name split into its parts."""

    service: str
    namespace: str | None
    port: str | None = None
    """`_http._tcp.web...`: the port name."""
    member: str | None = None
    """`db-1.db...`: the Pod's hostname."""


def dns_name(host: str) -> DnsName | None:
    """`web`, `web.shop`, `web.shop.svc.cluster.local`, `_http._tcp.web.shop.svc...`,
    `db-1.db.shop.svc...`; None for addresses and names outside the cluster."""
    if re.fullmatch(r"[\d.]+|[0-9a-f:]+", host):
        return None
    if host.endswith(_DNS_SUFFIX):
        parts = host[: -len(_DNS_SUFFIX)].split(".")
        port = None
        if len(parts) >= 4 and parts[0].startswith("_") and parts[1].startswith("_"):
            port, parts = parts[0][1:], parts[2:]
        if len(parts) == 2:
            return DnsName(parts[0], parts[1], port)
        if len(parts) == 3:
            return DnsName(parts[1], parts[2], port, member=parts[0])
        return None
    parts = host.split(".")
    if len(parts) == 1:
        return DnsName(parts[0], None)
    if len(parts) == 2 and "example" not in host:
        return DnsName(parts[0], parts[1])
    return None


# -- fitting a scene -------------------------------------------------------------------------


def role_of(namespace: str | None, roles: set[str]) -> str | None:
    """The lab namespace role a lesson's namespace name stands for: system namespaces stay
    (None), a lab's extra namespace by its suffix (`infra`), anything else the main one."""
    if namespace is None or namespace in roles:
        return "" if namespace is None else namespace
    if namespace in SYSTEM_NAMESPACES:
        return None
    return ""


def missing(text: str, found: Manifests) -> list[str]:
    """What `text` names that the scene does not have (empty: the scene fits)."""
    problems: list[str] = []
    roles = found.roles()
    # an example ClusterIP (`dig -x 10.96.143.7`) or Pod IP stands for one of the lab's
    if re.search(r"(?<![\d.])10\.96\.\d+\.\d+", text) and not any(
        kind == "Service"
        and (obj.get("spec") or {}).get("clusterIP") != "None"
        and (obj.get("spec") or {}).get("type") != "ExternalName"
        for (kind, _, _), obj in found.objects.items()
    ):
        problems.append("Service with a ClusterIP")
    if re.search(r"(?<![\d.])10\.244\.\d+\.\d+", text) and not found.labels:
        problems.append("Pods")
    for inv in invocations(text):
        role = role_of(inv.namespace, roles)
        if role is None:
            continue  # the cluster's own objects (kube-system), not the lab's
        if not dry_run(inv):
            for kind, name in created(inv):
                if found.has(kind, name, role):
                    problems.append(f"room for a new {kind} {name}")
        for word, name in resources(inv) + exposed(inv):
            kind = KIND_WORDS.get(word.lower())
            if kind == "Pod":
                placeholder = _POD_PLACEHOLDER.fullmatch(name)
                if name == "probe" or name.startswith("<"):
                    continue
                if placeholder and (
                    found.has("Deployment", placeholder.group(1), role)
                    or found.has("StatefulSet", placeholder.group(1), role)
                ):
                    continue
                problems.append(f"Pod {name}")
            elif kind is not None and not name.startswith("<") and not found.has(kind, name, role):
                problems.append(f"{kind} {name}")
        for selector in inv.selectors:
            key, _, value = selector.partition("=")
            if not value or value.startswith("<"):
                continue
            if key == "kubernetes.io/service-name":
                if not found.has("Service", value, role):
                    problems.append(f"Service {value}")
            elif selector not in found.labels:
                problems.append(f"Pods labelled {selector}")
        for host in hostnames(inv):
            dns = dns_name(host)
            if dns is None:
                continue
            host_role = role_of(dns.namespace, roles) if dns.namespace else role
            if host_role is None:
                continue
            service = found.objects.get(("Service", host_role, dns.service))
            if service is None:
                problems.append(f"Service {dns.service} (DNS name {host})")
                continue
            ports = [p.get("name") for p in (service.get("spec") or {}).get("ports") or []]
            if dns.port and dns.port not in ports:
                problems.append(f"port {dns.port} of Service {dns.service}")
    return problems


def candidate_scenes(command: CourseCommand, labs: list[tuple[str, str]]) -> list[Scene]:
    """Scenes to try, in order: a hint's own lab at start/; a lesson's labs at solution/ and
    then at start/, then every other lab. `labs` is (lab id, lesson id) in course order."""
    if command.lab is not None:
        return [Scene(command.lab, "start")]
    own = [lab for lab, lesson in labs if lesson == command.lesson]
    rest = [lab for lab, _ in labs if lab not in own]
    return [Scene(lab, state) for lab in own + rest for state in ("solution", "start")]


@dataclass(frozen=True)
class Fit:
    """The scene a command runs on, the names the table maps, or why none fits."""

    scene: Scene | None
    names: dict[str, str]
    why_not: str = ""


def choose_scene(
    command: CourseCommand,
    labs: list[tuple[str, str]],
    names: dict[tuple[str, str], dict[str, str]],
) -> Fit:
    """The first scene that has every object the command names (after the name table)."""
    first_problems: list[str] = []
    for scene in candidate_scenes(command, labs):
        table = names.get((command.lesson, scene.lab), {})
        problems = missing(rename(command.text, table), read_manifests(scene))
        if not problems:
            return Fit(scene, table)
        if not first_problems:
            first_problems = [f"{scene.id} has no {', '.join(problems)}"]
    return Fit(None, {}, "; ".join(first_problems))


# -- filling in the live lab -----------------------------------------------------------------


@dataclass
class Live:
    """A running scene as the API server reports it."""

    namespaces: dict[str, str]
    """Role (`""`, `infra`) to the real namespace (`kt-16-gateway-cross-namespace`, `kt-16-infra`)."""
    services: list[Obj]
    pods: list[Obj]

    @property
    def main(self) -> str:
        """The lab's main namespace."""
        return self.namespaces[""]

    def real_namespace(self, namespace: str) -> str:
        """A lesson's namespace name to the lab's (system namespaces stay)."""
        role = role_of(namespace, set(self.namespaces) - {""})
        return namespace if role is None else self.namespaces[role]

    def service(self, name: str | None = None) -> Obj | None:
        """A Service by name, or the lab's first Service with a ClusterIP."""
        for svc in self.services:
            if name is None and (svc.get("spec") or {}).get("clusterIP") not in (None, "None"):
                return svc
            if svc["metadata"]["name"] == name:
                return svc
        return None

    def pods_of(self, svc: Obj | None) -> list[Obj]:
        """The lab's Pods a Service selects (all workload Pods without one), the probe left out."""
        selector = ((svc or {}).get("spec") or {}).get("selector") or {}
        return [
            pod
            for pod in sorted(self.pods, key=lambda p: str(p["metadata"]["name"]))
            if pod["metadata"]["name"] != PROBE_POD
            and all((pod["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
        ]


def _named_service(text: str, live: Live) -> Obj | None:
    """The first Service of the lab a command names (`svc web`, `service-name=web`, a DNS
    name), else the lab's first Service."""
    for inv in invocations(text):
        names = [n for w, n in resources(inv) if KIND_WORDS.get(w.lower()) == "Service"]
        names += [s.partition("=")[2] for s in inv.selectors if s.startswith("kubernetes.io/")]
        names += [d.service for d in map(dns_name, hostnames(inv)) if d is not None]
        for name in names:
            found = live.service(name)
            if found is not None:
                return found
    return live.service()


def fill(text: str, names: dict[str, str], live: Live) -> str:
    """The command with the lab's names: the table's names, namespaces, the probe Pod, a
    Deployment's first Pod for a made-up Pod name, ClusterIPs and Pod IPs, `<svc>`/`<pod>`."""
    text = rename(text, names)
    svc = _named_service(text, live)
    backends = live.pods_of(svc) or live.pods_of(None)

    live_pods = {p["metadata"]["name"] for p in live.pods}
    for inv in invocations(text):
        for word, name in resources(inv):
            made_up = _POD_PLACEHOLDER.fullmatch(name)
            if KIND_WORDS.get(word.lower()) != "Pod" or name in live_pods or not made_up:
                continue
            owned = [
                p for p in live.pods_of(None) if p["metadata"]["name"].startswith(made_up[1] + "-")
            ]
            if owned:
                real = str(owned[0]["metadata"]["name"])
                text = re.sub(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", real, text)
    text = re.sub(r"(\bexec\b(?:\s+-\S+)*\s+)probe(?=\s)", rf"\g<1>{PROBE_POD}", text)
    text = re.sub(
        r"(?<!\S)(-n|--namespace)(\s+|=)([\w-]+)",
        lambda m: f"{m[1]}{m[2]}{live.real_namespace(m[3])}",
        text,
    )
    for inv in invocations(text):
        for host in hostnames(inv):
            dns = dns_name(host)
            if dns is None or dns.namespace is None:
                continue
            real = live.real_namespace(dns.namespace)
            swapped = re.sub(rf"\.{re.escape(dns.namespace)}(\.svc\.|$)", rf".{real}\1", host)
            text = re.sub(rf"(?<![\w.-]){re.escape(host)}(?![\w-])", swapped, text)
    spec = (svc or {}).get("spec") or {}
    ips = spec.get("clusterIPs") or []
    if spec.get("clusterIP") not in (None, "None"):
        text = re.sub(r"(?<![\d.])10\.96\.\d+\.\d+(?![\d.])", spec["clusterIP"], text)
    six = [ip for ip in ips if ":" in ip]
    if six:
        text = re.sub(r"fd00:10:96:[0-9a-f:]*[0-9a-f]", six[0], text)
    pod_ips = [p["status"]["podIP"] for p in backends if (p.get("status") or {}).get("podIP")]
    if pod_ips:
        text = re.sub(r"(?<![\d.])10\.244\.\d+\.\d+(?![\d.])", pod_ips[0], text)
    if svc is not None:
        text = text.replace("<svc>", svc["metadata"]["name"])
    if backends:
        text = re.sub(r"<pod>|\bPOD\b", backends[0]["metadata"]["name"], text)
    return re.sub(r"<ns>|\{ns\}|<namespace>", live.main, text)


def runnable(text: str) -> str:
    """What a test can run unattended: `exec -it` without a terminal, watches bounded."""
    text = re.sub(
        r"(\bexec\b)((?:\s+-\S+)*?)\s+(?:-it|-ti|-i|-t|--stdin|--tty)(?=\s)", r"\1\2", text
    )
    head, dashes, tail = text.partition(" -- ")  # the remote command's own flags stay
    head = re.sub(r"(?<!\S)(-w|--watch)(?=\s|$)", r"\1 --request-timeout=2s", head)
    return head + dashes + tail
