"""A map of a lab's cluster from its live state: zones and nodes with their Pods, Services
with the endpoints they really have, Ingress and Gateway routes, and the last traced path.

Built from what the API says now (EndpointSlices, not selectors, decide the arrows, so "the
Service selects nothing" shows as a Service with no arrow). Rendered as lines with a role each,
so the app can colour them and the CLI can print them; every role is also said in words.
No Textual here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tutor.cluster.base import ClusterError, Obj, ObjectSource

if TYPE_CHECKING:
    from tutor.labs.session import LabSession

ZONE_LABEL = "topology.kubernetes.io/zone"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"

Role = Literal["title", "heading", "text", "muted", "ok", "bad", "path", "broken"]
"""How a line is shown: `path` lies on the last traced request's path, `broken` is where it
broke; `ok` / `bad` are ready / not-ready things."""


# -- the last trace, kept between processes --------------------------------------------------

_REF = re.compile(r"\b(Service|Ingress|Gateway|HTTPRoute|Pod) (?:([\w.-]+)/)?([\w.-]+)")


@dataclass(frozen=True)
class TracedHop:
    """One hop of a traced request, reduced to what the map needs."""

    name: str
    summary: str
    ok: bool
    failure: str | None = None
    refs: tuple[tuple[str, str], ...] = ()
    """(kind, name) of the objects the hop went through."""


@dataclass(frozen=True)
class TracedPath:
    """The last traced request of a lab, hop by hop."""

    label: str
    ok: bool
    hops: tuple[TracedHop, ...]
    answered_by: str | None = None
    """The Pod that answered, when one did."""
    request: dict[str, Any] = field(default_factory=dict)
    """What was sent (`target`, `protocol`, `source`, `headers`, `record_type`), so the map
    can trace it again when the cluster changes."""

    @classmethod
    def from_report(cls, report: Any) -> TracedPath:
        """From a `tutor.labs.trace.TraceReport`."""
        hops = []
        for hop in report.trace.hops:
            refs = {(e.kind, e.name) for e in hop.evidence}
            refs |= {(m.group(1), m.group(3)) for m in _REF.finditer(hop.summary)}
            hops.append(TracedHop(hop.name, hop.summary, hop.ok, hop.failure, tuple(sorted(refs))))
        request = report.trace.request
        label = f"{request.protocol.upper()} {request.target} from {request.source}"
        sent = {
            "target": request.target,
            "protocol": request.protocol,
            "source": request.source,
            "headers": dict(request.headers or {}),
            "record_type": request.record_type,
        }
        return cls(label, report.ok, tuple(hops), report.trace.attempt.backend, sent)

    def on_path(self) -> set[tuple[str, str]]:
        """Every (kind, name) the request went through."""
        found = {ref for hop in self.hops for ref in hop.refs}
        if self.answered_by:
            found.add(("Pod", self.answered_by))
        return found

    @property
    def broken(self) -> TracedHop | None:
        """The hop where the request broke."""
        return next((hop for hop in self.hops if not hop.ok), None)

    def to_json(self) -> dict[str, Any]:
        """Plain data for the trace file."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TracedPath:
        """Read back what `to_json` wrote."""
        hops = tuple(
            TracedHop(
                str(h["name"]),
                str(h["summary"]),
                bool(h["ok"]),
                h.get("failure"),
                tuple((str(k), str(n)) for k, n in h.get("refs", ())),
            )
            for h in data["hops"]
        )
        return cls(
            str(data["label"]),
            bool(data["ok"]),
            hops,
            data.get("answered_by"),
            dict(data.get("request") or {}),
        )


def trace_file(lab_id: str) -> Path:
    """Where the last trace of a lab is kept (the app's and the CLI's map both read it)."""
    from tutor.core.dirs import data_dir

    return data_dir() / "traces" / f"{lab_id}.json"


def save_trace(lab_id: str, path: TracedPath) -> None:
    """Keep the last trace of a lab (written whole, then renamed: never half a file)."""
    target = trace_file(lab_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(path.to_json()), encoding="utf-8")
    temporary.replace(target)


def load_trace(lab_id: str) -> TracedPath | None:
    """The last trace of a lab, if one was kept and can be read."""
    try:
        return TracedPath.from_json(json.loads(trace_file(lab_id).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


# -- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PodMark:
    """A Pod of the lab on its node."""

    name: str
    namespace: str
    ip: str
    ready: bool
    phase: str


@dataclass
class NodeMark:
    """A node and the lab's Pods on it."""

    name: str
    zone: str
    ip: str
    control_plane: bool
    pods: list[PodMark] = field(default_factory=list)


@dataclass(frozen=True)
class EndpointMark:
    """One endpoint a Service really has (from its EndpointSlices)."""

    address: str
    ports: tuple[int, ...]
    ready: bool
    serving: bool
    terminating: bool
    pod: str
    node: str
    zone: str


@dataclass(frozen=True)
class ServiceMark:
    """A Service with its addresses and the endpoints its EndpointSlices list."""

    name: str
    namespace: str
    type: str
    cluster_ip: str
    ports: tuple[str, ...]
    """`80->8080`, `80->8080 node port 30080`."""
    load_balancer: tuple[str, ...]
    selector: dict[str, str]
    settings: tuple[str, ...]
    """Traffic settings worth seeing: `externalTrafficPolicy: Local`, ..."""
    endpoints: tuple[EndpointMark, ...]
    external_name: str = ""


@dataclass(frozen=True)
class RouteMark:
    """An Ingress or a Gateway with the routes attached to it, as lines of text."""

    kind: str
    name: str
    namespace: str
    entry: str
    """How it is reached: its address, class, listeners."""
    rules: tuple[tuple[str, tuple[str, ...]], ...]
    """(what matches, backend Services as `name:port`)."""
    refs: tuple[tuple[str, str], ...] = ()
    """(kind, name) of the objects drawn in this entry (for the trace highlight)."""


@dataclass
class ClusterMap:
    """Everything the map shows."""

    namespace: str
    backend: str
    zones: dict[str, list[NodeMark]]
    services: list[ServiceMark]
    routes: list[RouteMark]
    trace: TracedPath | None = None


def _meta(obj: Obj) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _node_ip(node: Obj) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address.get("address", ""))
    return ""


def _ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _service(obj: Obj, source: ObjectSource) -> ServiceMark:
    meta, spec = _meta(obj), obj.get("spec") or {}
    ports = []
    for port in spec.get("ports") or []:
        text = f"{port.get('port')}->{port.get('targetPort', port.get('port'))}"
        if port.get("protocol", "TCP") != "TCP":
            text += f"/{port['protocol']}"
        if port.get("nodePort"):
            text += f" node port {port['nodePort']}"
        ports.append(text)
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    settings = []
    for key in ("externalTrafficPolicy", "internalTrafficPolicy", "trafficDistribution"):
        value = spec.get(key)
        if value and not (key.endswith("TrafficPolicy") and value == "Cluster"):
            settings.append(f"{key}: {value}")
    if spec.get("sessionAffinity") == "ClientIP":
        settings.append("sessionAffinity: ClientIP")
    endpoints = []
    slices = source.list(
        "EndpointSlice", meta.get("namespace"), {SERVICE_NAME_LABEL: meta.get("name", "")}
    )
    for piece in slices:
        numbers = tuple(int(p["port"]) for p in piece.get("ports") or [] if p.get("port"))
        for endpoint in piece.get("endpoints") or []:
            conditions = endpoint.get("conditions") or {}
            ready = conditions.get("ready") is not False
            for address in endpoint.get("addresses") or []:
                endpoints.append(
                    EndpointMark(
                        str(address),
                        numbers,
                        ready,
                        conditions.get("serving", ready) is not False,
                        bool(conditions.get("terminating", False)),
                        str((endpoint.get("targetRef") or {}).get("name", "")),
                        str(endpoint.get("nodeName", "")),
                        str(endpoint.get("zone", "")),
                    )
                )
    return ServiceMark(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        type=str(spec.get("type", "ClusterIP")),
        cluster_ip=str(spec.get("clusterIP", "")),
        ports=tuple(ports),
        load_balancer=tuple(str(i.get("ip") or i.get("hostname") or "") for i in ingress),
        selector=dict(spec.get("selector") or {}),
        settings=tuple(settings),
        endpoints=tuple(sorted(endpoints, key=lambda e: (e.node, e.address))),
        external_name=str(spec.get("externalName", "")),
    )


def _backend(ref: dict[str, Any], namespace: str, home: str) -> str:
    name = str(ref.get("name", "?"))
    ns = ref.get("namespace") or namespace
    port = ref.get("port")
    if isinstance(port, dict):
        port = port.get("number") or port.get("name")
    shown = name if ns == home else f"{ns}/{name}"
    return f"{shown}:{port}" if port else shown


def _ingress(obj: Obj, home: str) -> RouteMark:
    meta, spec = _meta(obj), obj.get("spec") or {}
    ns = str(meta.get("namespace", ""))
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    address = ", ".join(str(i.get("ip") or i.get("hostname")) for i in ingress) or "no address yet"
    entry = f"class {spec.get('ingressClassName') or '(default)'}, at {address}"
    rules: list[tuple[str, tuple[str, ...]]] = []
    refs = [("Ingress", str(meta.get("name", "")))]
    for rule in spec.get("rules") or []:
        host = rule.get("host") or "any host"
        for path in (rule.get("http") or {}).get("paths") or []:
            service = ((path.get("backend") or {}).get("service")) or {}
            match = f"{host} {path.get('path', '/')} ({path.get('pathType', '?')})"
            rules.append((match, (_backend(service, ns, home),)))
            refs.append(("Service", str(service.get("name", ""))))
    default = (spec.get("defaultBackend") or {}).get("service")
    if default:
        rules.append(("default backend", (_backend(default, ns, home),)))
        refs.append(("Service", str(default.get("name", ""))))
    return RouteMark("Ingress", str(meta.get("name", "")), ns, entry, tuple(rules), tuple(refs))


def _gateway(obj: Obj, routes: Sequence[Obj], home: str) -> RouteMark:
    meta, spec = _meta(obj), obj.get("spec") or {}
    name, ns = str(meta.get("name", "")), str(meta.get("namespace", ""))
    addresses = [str(a.get("value")) for a in (obj.get("status") or {}).get("addresses") or []]
    listeners = ", ".join(
        f"{item.get('name')} {item.get('protocol')}:{item.get('port')}"
        + (f" {item['hostname']}" if item.get("hostname") else "")
        for item in spec.get("listeners") or []
    )
    entry = (
        f"class {spec.get('gatewayClassName', '?')}, at {', '.join(addresses) or 'no address yet'}; "
        f"listeners {listeners or 'none'}"
    )
    rules: list[tuple[str, tuple[str, ...]]] = []
    refs = [("Gateway", name)]
    for route in routes:
        rmeta, rspec = _meta(route), route.get("spec") or {}
        rns = str(rmeta.get("namespace", ""))
        parents = [
            p for p in rspec.get("parentRefs") or []
            if p.get("name") == name and (p.get("namespace") or rns) == ns
        ]  # fmt: skip
        if not parents:
            continue
        accepted = _route_accepted(route, name)
        hosts = ",".join(rspec.get("hostnames") or []) or "any host"
        label = f"{route.get('kind', 'HTTPRoute')} {rmeta.get('name')}"
        if rns != home:
            label = f"{route.get('kind', 'HTTPRoute')} {rns}/{rmeta.get('name')}"
        refs.append((str(route.get("kind", "HTTPRoute")), str(rmeta.get("name", ""))))
        for rule in rspec.get("rules") or [{}]:
            matches = rule.get("matches") or [{}]
            shown = " | ".join(
                f"{(m.get('path') or {}).get('type', 'PathPrefix')} {(m.get('path') or {}).get('value', '/')}"
                for m in matches
            )
            backends = tuple(_backend(ref, rns, home) for ref in rule.get("backendRefs") or [])
            refs.extend(
                ("Service", str(ref.get("name", ""))) for ref in rule.get("backendRefs") or []
            )
            state = "" if accepted else " [NOT ACCEPTED by the Gateway]"
            rules.append((f"{label}{state}: {hosts} {shown}", backends))
    return RouteMark("Gateway", name, ns, entry, tuple(rules), tuple(refs))


def _route_accepted(route: Obj, gateway: str) -> bool:
    for parent in (route.get("status") or {}).get("parents") or []:
        if (parent.get("parentRef") or {}).get("name") != gateway:
            continue
        conditions = parent.get("conditions") or []
        return any(c.get("type") == "Accepted" and c.get("status") == "True" for c in conditions)
    return True  # no status yet: say nothing rather than guess


def build_map(
    source: ObjectSource,
    namespaces: Sequence[str],
    *,
    backend: str = "",
    trace: TracedPath | None = None,
) -> ClusterMap:
    """Read the cluster now and lay out the map of the lab's namespaces (the main one first)."""
    home = namespaces[0]
    nodes: dict[str, NodeMark] = {}
    for node in sorted(source.list("Node"), key=lambda n: str(_meta(n).get("name", ""))):
        labels = _meta(node).get("labels") or {}
        name = str(_meta(node).get("name", ""))
        nodes[name] = NodeMark(
            name,
            str(labels.get(ZONE_LABEL, "no zone")),
            _node_ip(node),
            CONTROL_PLANE_LABEL in labels,
        )
    services: list[ServiceMark] = []
    ingresses: list[RouteMark] = []
    gateways: list[Obj] = []
    routes: list[Obj] = []
    for ns in namespaces:
        for pod in sorted(source.list("Pod", ns), key=lambda p: str(_meta(p).get("name", ""))):
            spec, status = pod.get("spec") or {}, pod.get("status") or {}
            mark = PodMark(
                str(_meta(pod).get("name", "")),
                ns,
                str(status.get("podIP", "")),
                _ready(pod),
                str(status.get("phase", "Pending")),
            )
            node_name = str(spec.get("nodeName", ""))
            target = nodes.setdefault(
                node_name or "(not scheduled)",
                NodeMark(node_name or "(not scheduled)", "no zone", "", False),
            )
            target.pods.append(mark)
        services.extend(_service(s, source) for s in source.list("Service", ns))
        ingresses.extend(_ingress(i, home) for i in _optional(source, "Ingress", ns))
        gateways.extend(_optional(source, "Gateway", ns))
        routes.extend(_with_kind(_optional(source, "HTTPRoute", ns), "HTTPRoute"))
    zones: dict[str, list[NodeMark]] = {}
    for node_mark in nodes.values():
        zones.setdefault(node_mark.zone, []).append(node_mark)
    marks = ingresses + [_gateway(g, routes, home) for g in gateways]
    return ClusterMap(home, backend, dict(sorted(zones.items())), services, marks, trace)


def _optional(source: ObjectSource, kind: str, namespace: str) -> list[Obj]:
    """Objects of a kind the cluster may not serve (no Gateway API CRDs): none then."""
    try:
        return source.list(kind, namespace)
    except ClusterError:
        return []


def live_map(session: LabSession) -> ClusterMap:
    """The map of a lab now, with its last traced request traced again on the cluster as it
    is (so a fixed Service no longer shows where the old request broke)."""
    trace = load_trace(session.lab.id)
    if trace is not None and trace.request:
        trace = _retrace(session, trace) or trace
    return build_map(
        session.cluster, session.all_namespaces, backend=session.cluster.backend, trace=trace
    )


def _retrace(session: LabSession, old: TracedPath) -> TracedPath | None:
    from tutor.checks.context import Unresolved
    from tutor.labs.trace import run_trace, target_request

    sent = old.request
    ctx = session.context()
    try:
        traced = target_request(
            ctx,
            str(sent["target"]),
            protocol=sent.get("protocol"),
            source=str(sent.get("source", "probe")),
            headers=sent.get("headers") or {},
            record_type=sent.get("record_type", "A"),
        )
        fresh = TracedPath.from_report(run_trace(ctx, traced))
    except (Unresolved, ClusterError, KeyError):
        return None
    save_trace(session.lab.id, fresh)
    return fresh


def _with_kind(objects: Iterable[Obj], kind: str) -> list[Obj]:
    return [{**obj, "kind": obj.get("kind") or kind} for obj in objects]


# -- text ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapLine:
    """One line of the map and how to show it."""

    text: str
    role: Role = "text"


@dataclass(frozen=True)
class _Marks:
    arrow: str
    none: str
    back: str
    ready: str
    not_ready: str
    on_path: str
    broke: str
    dot: str


FANCY = _Marks("──▶", "──✘", "◀──", "✔", "✘", "◀ traced", "✘ TRACE BROKE HERE", "·")
PLAIN = _Marks(
    "-->", "--x", "<--", "[ready]", "[NOT READY]", "<< traced", "<< TRACE BROKE HERE", "-"
)


def render_map(
    cmap: ClusterMap, *, plain: bool = False, folded: Collection[str] = ()
) -> list[MapLine]:
    """The map as lines: nodes by zone, Services and their endpoints, routes, the last trace.
    Nodes named in `folded` show one line counting their Pods instead of a line per Pod."""
    marks = PLAIN if plain else FANCY
    path = cmap.trace.on_path() if cmap.trace else set()
    broken = cmap.trace.broken if cmap.trace else None
    broken_refs = set(broken.refs) if broken else set()
    out: list[MapLine] = [
        MapLine(
            f"Cluster map of {cmap.namespace}" + (f" on {cmap.backend}" if cmap.backend else ""),
            "title",
        ),
        MapLine("Live: redrawn after every check and every change to the cluster.", "muted"),
    ]

    def tag(kind: str, name: str) -> tuple[str, Role | None]:
        if (kind, name) in broken_refs:
            return f"  {marks.broke}", "broken"
        if (kind, name) in path:
            return f"  {marks.on_path}", "path"
        return "", None

    out.append(MapLine(""))
    out.append(MapLine("Nodes by zone", "heading"))
    for zone, nodes in cmap.zones.items():
        out.append(MapLine(f" zone {zone}" if zone != "no zone" else " no zone label", "text"))
        for node in nodes:
            plane = " (control plane)" if node.control_plane else ""
            if node.name in folded:
                out.append(_folded_node(node, plane, tag))
                continue
            out.append(MapLine(f"  node {node.name} {node.ip}{plane}".rstrip(), "text"))
            if not node.pods:
                out.append(MapLine(f"    {marks.dot} no Pods of this lab", "muted"))
            for pod in node.pods:
                state = marks.ready if pod.ready else marks.not_ready
                words = "ready" if pod.ready else f"not ready ({pod.phase})"
                extra, highlight = tag("Pod", pod.name)
                answered = cmap.trace is not None and cmap.trace.answered_by == pod.name
                if answered:
                    extra += " (answered)"
                ns = "" if pod.namespace == cmap.namespace else f"{pod.namespace}/"
                line = f"    {state} Pod {ns}{pod.name} {pod.ip or 'no IP'} {words}{extra}"
                out.append(MapLine(line, highlight or ("ok" if pod.ready else "bad")))
    out.append(MapLine(""))
    out.append(MapLine("Services and the endpoints they really have", "heading"))
    if not cmap.services:
        out.append(MapLine("  no Services in the lab's namespaces", "muted"))
    for service in cmap.services:
        ns = "" if service.namespace == cmap.namespace else f"{service.namespace}/"
        address = (
            service.external_name
            and f"ExternalName {service.external_name}"
            or (
                f"{service.type} {service.cluster_ip}"
                if service.cluster_ip != "None"
                else f"{service.type} headless"
            )
        )
        lb = f", load balancer {', '.join(service.load_balancer)}" if service.load_balancer else ""
        ports = f" ports {', '.join(service.ports)}" if service.ports else ""
        extra, highlight = tag("Service", service.name)
        out.append(
            MapLine(
                f"  Service {ns}{service.name}: {address}{ports}{lb}{extra}", highlight or "text"
            )
        )
        if service.selector:
            chosen = ",".join(f"{k}={v}" for k, v in service.selector.items())
            out.append(MapLine(f"      selector {chosen}", "muted"))
        for setting in service.settings:
            out.append(MapLine(f"      {setting}", "muted"))
        if not service.endpoints and not service.external_name:
            why = (
                "no endpoints: the selector matches no Pod"
                if service.selector
                else "no endpoints (no selector: only EndpointSlices you write)"
            )
            out.append(MapLine(f"    {marks.none} {why}", "bad"))
        for endpoint in service.endpoints:
            # A slice with no ports: the targetPort (a name) matches no container port.
            port = f":{endpoint.ports[0]}" if len(endpoint.ports) == 1 else ""
            if not endpoint.ports and service.ports:
                port = " (NO PORT: the targetPort matches no container port)"
            where = ", ".join(x for x in (endpoint.node, endpoint.zone) if x)
            who = f" {endpoint.pod}" if endpoint.pod else ""
            role: Role
            if endpoint.ready:
                state, role = "ready", "ok"
            elif endpoint.terminating:
                state, role = "TERMINATING", "bad"
            else:
                state, role = "NOT READY (no traffic)", "bad"
            arrow = marks.arrow if endpoint.ready else marks.none
            extra, highlight = tag("Pod", endpoint.pod)
            line = f"    {arrow} {state} {endpoint.address}{port}{who}"
            out.append(MapLine(line + (f" ({where})" if where else "") + extra, highlight or role))
    if cmap.routes:
        out.append(MapLine(""))
        out.append(MapLine("Ingress and Gateway routes", "heading"))
    for route in cmap.routes:
        ns = "" if route.namespace == cmap.namespace else f"{route.namespace}/"
        extra, highlight = tag(route.kind, route.name)
        out.append(
            MapLine(f"  {route.kind} {ns}{route.name}: {route.entry}{extra}", highlight or "text")
        )
        if not route.rules:
            out.append(MapLine(f"    {marks.none} no routes attached", "bad"))
        for match, backends in route.rules:
            target = ", ".join(f"Service {b}" for b in backends) or "no backend"
            lead = marks.arrow if route.kind == "Ingress" else marks.back
            # A rule is on the path when the request went through this entry and on to
            # one of the rule's backend Services.
            routed = (route.kind, route.name) in path and any(
                ("Service", b.split(":")[0].split("/")[-1]) in path for b in backends
            )
            line = f"    {lead} {match} {marks.arrow} {target}"
            out.append(MapLine(line + f"  {marks.on_path}", "path") if routed else MapLine(line))
    out.append(MapLine(""))
    out.extend(_trace_lines(cmap.trace, marks))
    return out


def _folded_node(
    node: NodeMark,
    plane: str,
    tag: Callable[[str, str], tuple[str, Role | None]],
) -> MapLine:
    """One line for a folded node: its Pods counted, and the trace's mark if it passed one."""
    ready = sum(pod.ready for pod in node.pods)
    count = f"{len(node.pods)} Pod{'s' if len(node.pods) != 1 else ''}"
    pods = f"{count}, {ready} ready" if node.pods else "no Pods"
    if len(node.pods) > ready:
        pods += f", {len(node.pods) - ready} NOT READY"
    marked = [tag("Pod", pod.name) for pod in node.pods]
    highlight: Role | None
    extra, highlight = next(((e, h) for e, h in marked if h == "broken"), ("", None))
    if highlight is None:
        extra, highlight = next(((e, h) for e, h in marked if h == "path"), ("", None))
    role: Role = highlight or ("bad" if len(node.pods) > ready else "text")
    where = f"{node.ip}, control plane" if plane else node.ip
    return MapLine(f"  node {node.name} ({where}, folded): {pods}{extra}", role)


def _trace_lines(trace: TracedPath | None, marks: _Marks) -> list[MapLine]:
    if trace is None:
        return [
            MapLine("Last trace", "heading"),
            MapLine(
                "  none yet: trace a request (t in the lab, or `kube-tutor trace LAB`)", "muted"
            ),
        ]
    verdict = "got through" if trace.ok else "broke"
    lines = [MapLine(f"Last trace: {trace.label} ({verdict})", "heading")]
    steps = []
    for hop in trace.hops:
        steps.append(hop.name if hop.ok else f"{hop.name} [BROKE: {hop.failure or 'failed'}]")
    lines.append(MapLine("  " + f" {marks.arrow} ".join(steps), "path" if trace.ok else "broken"))
    broken = trace.broken
    if broken is not None:
        lines.append(MapLine(f"  broke at {broken.name}: {broken.summary}", "broken"))
    return lines


def render_text(cmap: ClusterMap, *, plain: bool = False) -> str:
    """The map as plain text (for `kube-tutor map`)."""
    return "\n".join(line.text for line in render_map(cmap, plain=plain))
