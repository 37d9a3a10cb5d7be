"""The diagnoser library: named misconceptions, each found from cluster state.

A diagnoser looks at the objects around a failing check and, when its misconception is
present, says which hop of the path breaks and why, with the fields that show it. They work
on any backend: they only read objects.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tutor.checks.context import CheckContext, Unresolved
from tutor.checks.listeners import listening_ports, virtual_hosts
from tutor.checks.registry import diagnoser
from tutor.checks.state import NODE_PORT_RANGE, endpoint_ready, pod_ready, slice_endpoints
from tutor.checks.verdict import Diagnosis
from tutor.cluster.base import Obj, matches_selector

DEFAULT_INGRESS_CONTROLLERS = ("kind.sigs.k8s.io/ingress-controller",)
"""IngressClass controllers that run on kube-tutor's clusters (cloud-provider-kind)."""


# -- finding the objects a check is about -------------------------------------------------


def _name(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("name", "?"))


def _labels(obj: Obj) -> dict[str, str]:
    return dict(obj.get("metadata", {}).get("labels") or {})


def _fmt_labels(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(none)"


def services_in_question(ctx: CheckContext, params: dict[str, Any]) -> list[Obj]:
    """The Services a failing check is about: named in its parameters or its URL/target,
    else every Service in the lab's main namespace."""
    namespace = ctx.ns(params.get("namespace"))
    names: list[str] = []
    if isinstance(params.get("service"), str):
        names.append(params["service"])
    for key in ("url", "target", "name"):
        value = params.get(key)
        if isinstance(value, str):
            host = _host_of(value, ctx)
            if host:
                parts = host.split(".")
                names.append(parts[0])
                if len(parts) > 1 and parts[1] not in {"svc"}:
                    found = ctx.get("Service", parts[0], parts[1])
                    if found is not None:
                        return [found]
    found_services = [s for n in names if (s := ctx.get("Service", n, namespace)) is not None]
    return found_services or list(ctx.list("Service", namespace))


def _host_of(value: str, ctx: CheckContext) -> str | None:
    try:
        value = ctx.expand(value)
    except Unresolved:
        return None
    if "://" in value:
        return urlsplit(value).hostname
    host = value.rsplit(":", 1)[0] if ":" in value else value
    return host if re.match(r"^[a-z]", host) else None


def _selected_pods(ctx: CheckContext, service: Obj) -> list[Obj]:
    return ctx.pods_for(service)


def _resolve_target_port(port: dict[str, Any]) -> int | str:
    target: int | str = port.get("targetPort", port.get("port", 0))
    return target


def _container_ports(pod: Obj) -> list[dict[str, Any]]:
    return [p for c in pod.get("spec", {}).get("containers", []) for p in c.get("ports") or []]


# -- Service -> Pods ----------------------------------------------------------------------


@diagnoser("selector-mismatch")
def selector_mismatch(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """The Service's selector matches no Pod, though Pods exist in the namespace."""
    for service in services_in_question(ctx, params):
        selector = service.get("spec", {}).get("selector") or {}
        if not selector or service.get("spec", {}).get("type") == "ExternalName":
            continue
        namespace = service["metadata"].get("namespace")
        if _selected_pods(ctx, service):
            continue
        pods = [p for p in ctx.list("Pod", namespace) if not _is_probe(p)]
        if not pods:
            continue
        near = [p for p in pods if set(selector) & set(_labels(p))]
        shown = near or pods
        return Diagnosis(
            "selector-mismatch",
            "Service -> EndpointSlice",
            f"Service {_name(service)} selects Pods with {_fmt_labels(selector)}, but no Pod in "
            f"{namespace} has those labels, so it has no endpoints.",
            (
                f"Service {_name(service)} spec.selector: {_fmt_labels(selector)}",
                *(f"Pod {_name(p)} labels: {_fmt_labels(_labels(p))}" for p in shown[:3]),
            ),
            "01-services-and-clusterip",
        )
    return None


def _is_probe(pod: Obj) -> bool:
    return _labels(pod).get("app.kubernetes.io/name") == "kube-tutor-probe"


@diagnoser("wrong-namespace")
def wrong_namespace(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """The Pods the Service wants exist, but in another namespace (or vice versa)."""
    for service in services_in_question(ctx, params):
        selector = service.get("spec", {}).get("selector") or {}
        if not selector or _selected_pods(ctx, service):
            continue
        namespace = service["metadata"].get("namespace")
        elsewhere = [
            p
            for p in ctx.list("Pod", None)
            if p["metadata"].get("namespace") != namespace
            and matches_selector(_labels(p), selector)
            and not _is_probe(p)
        ]
        if elsewhere:
            where = sorted({p["metadata"]["namespace"] for p in elsewhere})
            return Diagnosis(
                "wrong-namespace",
                "Service -> EndpointSlice",
                f"Pods matching Service {_name(service)}'s selector run in {', '.join(where)}, but "
                f"the Service is in {namespace}: a selector only sees Pods of its own namespace.",
                tuple(f"Pod {p['metadata']['namespace']}/{_name(p)}" for p in elsewhere[:3]),
                "01-services-and-clusterip",
            )
    return None


@diagnoser("readiness-failing")
def readiness_failing(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """Pods are selected but not Ready, so their endpoints are `ready: false`."""
    for service in services_in_question(ctx, params):
        pods = _selected_pods(ctx, service)
        not_ready = [p for p in pods if not pod_ready(p)]
        if not pods or len(not_ready) < len(pods):
            continue
        evidence = [f"Pod {_name(p)}: not Ready" for p in not_ready[:3]]
        probe = _readiness_probe(not_ready[0])
        if probe:
            evidence.append(f"readinessProbe: {probe}")
        events = [
            e
            for e in ctx.cluster.events(service["metadata"].get("namespace", ctx.namespace))
            if e.get("reason") == "Unhealthy"
        ]
        evidence += [f"event: {e.get('message', '')}" for e in events[-2:]]
        if service.get("spec", {}).get("publishNotReadyAddresses"):
            # The Service publishes not-ready Pods anyway: traffic does reach them.
            consequence = (
                "but the Service sets publishNotReadyAddresses, so their endpoints are "
                "published as ready anyway and traffic does reach Pods that say they cannot "
                "serve yet"
            )
            evidence.append("publishNotReadyAddresses: true")
        else:
            consequence = "so their endpoints are not ready and no traffic is sent to them"
        return Diagnosis(
            "readiness-failing",
            "EndpointSlice -> Pod",
            f"All {len(pods)} Pod(s) behind Service {_name(service)} fail their readiness "
            f"probe, {consequence}.",
            tuple(evidence),
            "02-endpointslices",
        )
    return None


def _readiness_probe(pod: Obj) -> str | None:
    for container in pod.get("spec", {}).get("containers", []):
        probe = container.get("readinessProbe")
        if probe:
            if "httpGet" in probe:
                get = probe["httpGet"]
                return f"httpGet {get.get('path', '/')} on port {get.get('port')}"
            if "tcpSocket" in probe:
                return f"tcpSocket on port {probe['tcpSocket'].get('port')}"
            return "exec"
    return None


@diagnoser("targetport-mismatch")
def targetport_mismatch(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """The Service sends traffic to a Pod port where nothing listens. Judged by the port the
    container's process really opens (image catalogue), not by the declared `containerPort`;
    silent when the image is not known."""
    for service in services_in_question(ctx, params):
        pods = _selected_pods(ctx, service)
        for port in service.get("spec", {}).get("ports") or []:
            target = _resolve_target_port(port)
            for pod in pods:
                number = _target_number(pod, target)
                listening = listening_ports(pod)
                if number is None or listening is None or number in listening:
                    continue
                declared = sorted(
                    int(p["containerPort"]) for p in _container_ports(pod) if "containerPort" in p
                )
                really = ", ".join(str(n) for n in sorted(listening)) or "no port"
                evidence = [
                    f"Service {_name(service)} spec.ports: port {port.get('port')} -> "
                    f"targetPort {target}",
                    f"Pod {_name(pod)} listens on {really}",
                ]
                if declared and number in declared:
                    evidence.append(
                        f"Pod {_name(pod)} declares containerPort {number}, but the process "
                        "does not open it (a declaration does not open a port)"
                    )
                return Diagnosis(
                    "targetport-mismatch",
                    "EndpointSlice -> Pod",
                    f"Service {_name(service)} sends port {port.get('port')} to port {number} of "
                    f"its Pods, where nothing listens (they listen on {really}): the connection "
                    "reaches the Pod and is refused.",
                    tuple(evidence),
                    "01-services-and-clusterip",
                )
    return None


def _target_number(pod: Obj, target: int | str) -> int | None:
    """The Pod port a Service targetPort means for this Pod (a name is looked up in its
    container ports; None when the name is missing: that is `named-port-missing`)."""
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for entry in _container_ports(pod):
        if entry.get("name") == target and "containerPort" in entry:
            return int(entry["containerPort"])
    return None


@diagnoser("named-port-missing")
def named_port_missing(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """A named targetPort that the selected Pods do not declare."""
    for service in services_in_question(ctx, params):
        pods = _selected_pods(ctx, service)
        if not pods:
            continue
        names = {p.get("name") for pod in pods for p in _container_ports(pod)}
        for port in service.get("spec", {}).get("ports") or []:
            target = _resolve_target_port(port)
            if isinstance(target, str) and target not in names:
                return Diagnosis(
                    "named-port-missing",
                    "Service -> EndpointSlice",
                    f"Service {_name(service)} targets the port named {target!r}, but no container "
                    "port has that name, so the EndpointSlice lists the Pods without that port.",
                    (
                        f"Service {_name(service)} targetPort: {target}",
                        f"container port names: {sorted(n for n in names if n) or '(none)'}",
                    ),
                    "02-endpointslices",
                )
    return None


# -- NodePort and traffic policy ----------------------------------------------------------


@diagnoser("nodeport-invalid")
def nodeport_invalid(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """A nodePort in the learner's manifest is out of range or taken by another Service."""
    taken: dict[int, str] = {}
    for service in ctx.list("Service", None):
        for port in service.get("spec", {}).get("ports") or []:
            if port.get("nodePort"):
                taken[int(port["nodePort"])] = (
                    f"{service['metadata'].get('namespace')}/{_name(service)}"
                )
    low, high = NODE_PORT_RANGE
    for manifest in ctx.manifests:
        if manifest.get("kind") != "Service":
            continue
        mine = f"{manifest.get('metadata', {}).get('namespace', ctx.namespace)}/{_name(manifest)}"
        for port in manifest.get("spec", {}).get("ports") or []:
            wanted = port.get("nodePort")
            if not isinstance(wanted, int):
                continue
            if not low <= wanted <= high:
                return Diagnosis(
                    "nodeport-invalid",
                    "apply -> Service",
                    f"nodePort {wanted} is outside the cluster's NodePort range {low}-{high}, "
                    "so the API server rejects the Service.",
                    (f"Service {_name(manifest)} spec.ports nodePort: {wanted}",),
                    "06-nodeport",
                )
            owner = taken.get(wanted)
            if owner is not None and owner != mine:
                return Diagnosis(
                    "nodeport-invalid",
                    "apply -> Service",
                    f"nodePort {wanted} is already allocated to Service {owner}; two Services "
                    "cannot share a nodePort.",
                    (f"Service {owner} holds nodePort {wanted}",),
                    "06-nodeport",
                )
    return None


@diagnoser("local-no-endpoint")
def local_no_endpoint(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """externalTrafficPolicy (or internalTrafficPolicy) Local on a node without endpoints.
    Silent when the node in question (or, when none is named, every worker) has one."""
    node = _node_in_question(ctx, params)
    for service in services_in_question(ctx, params):
        spec = service.get("spec", {})
        external = spec.get("externalTrafficPolicy") == "Local"
        internal = spec.get("internalTrafficPolicy") == "Local"
        if not (external or internal):
            continue
        namespace = service["metadata"].get("namespace")
        slices = ctx.slices_for(_name(service), namespace)
        nodes_with = sorted(
            {str(e.get("nodeName")) for _, e in slice_endpoints(slices) if endpoint_ready(e)}
        )
        if node is not None and node in nodes_with:
            continue
        if node is None:
            workers = _worker_nodes(ctx)
            without = [n for n in workers if n not in nodes_with]
            if workers and not without:
                continue
            where = f"node {without[0]}" if len(without) == 1 else "some nodes"
        else:
            where = f"node {node}"
        field = "externalTrafficPolicy" if external else "internalTrafficPolicy"
        return Diagnosis(
            "local-no-endpoint",
            "node -> endpoint",
            f"Service {_name(service)} has {field}: Local, and {where} runs none of its ready "
            "Pods, so the node drops the traffic instead of forwarding it to another node.",
            (f"{field}: Local", f"nodes with ready endpoints: {', '.join(nodes_with) or '(none)'}"),
            "08-traffic-policies",
        )
    return None


def _worker_nodes(ctx: CheckContext) -> list[str]:
    return sorted(
        _name(n)
        for n in ctx.list("Node", None)
        if "node-role.kubernetes.io/control-plane" not in _labels(n)
    )


def _node_in_question(ctx: CheckContext, params: dict[str, Any]) -> str | None:
    source = str(params.get("from", ""))
    if source.startswith("node:"):
        return source.split(":", 1)[1]
    for key in ("url", "target"):
        value = params.get(key)
        if isinstance(value, str):
            match = re.search(r"\{node_ip:([a-z0-9.-]+)\}", value)
            if match:
                return match.group(1)
    return None


# -- ExternalName -------------------------------------------------------------------------


@diagnoser("externalname-host")
def externalname_host(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """An HTTP client uses an ExternalName alias against a backend that routes by Host.

    Right or silent: it fires only when the request was answered with a 4xx (the backend
    was reached and refused the host), and, where the backend's host names are known, the
    Host sent is not among them. A refused connection or a 200 with the wrong body is
    something else."""
    from tutor.checks.traffic import result_of

    result = result_of(ctx, params)
    if result is None or not result.attempts:
        return None
    statuses = {a.status for a in result.attempts if a.ok}
    if not statuses or not all(s is not None and 400 <= s < 500 for s in statuses):
        return None
    for service in services_in_question(ctx, params):
        spec = service.get("spec", {})
        if spec.get("type") != "ExternalName":
            continue
        namespace = service["metadata"].get("namespace")
        headers = {k.lower(): v for k, v in (params.get("headers") or {}).items()}
        host = headers.get("host") or _host_of(str(params.get("url", "")), ctx) or _name(service)
        known = _alias_target_hosts(ctx, str(spec.get("externalName", "")))
        if known is not None and any(_host_ok(pattern, host) for pattern in known):
            continue
        evidence = [
            f"Service {_name(service)} externalName: {spec.get('externalName')}",
            f"Host sent: {host}",
            f"HTTP {sorted(s for s in statuses if s is not None)[0]} from the backend",
        ]
        if known is not None:
            evidence.append(f"the backend answers for: {', '.join(known)}")
        return Diagnosis(
            "externalname-host",
            "DNS -> backend (HTTP Host)",
            f"Service {_name(service)} in {namespace} is an ExternalName alias: DNS answers with "
            "a CNAME, but the HTTP client still sends the name it was given in the Host "
            f"header ({host}), and the backend, which routes by Host, does not know that name.",
            tuple(evidence),
            "05-externalname",
        )
    return None


def _alias_target_hosts(ctx: CheckContext, external_name: str) -> tuple[str, ...] | None:
    """The host names the backend behind an in-cluster DNS name answers for, when known."""
    parts = external_name.rstrip(".").split(".")
    if len(parts) < 2 or parts[2:4] != ["svc", "cluster"]:
        return None
    target = ctx.get("Service", parts[0], parts[1])
    if target is None:
        return None
    for pod in ctx.pods_for(target):
        hosts = virtual_hosts(pod)
        if hosts is not None:
            return hosts
    return None


def _host_ok(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return pattern == host


# -- Ingress ------------------------------------------------------------------------------


@diagnoser("ingressclass-no-controller")
def ingressclass_no_controller(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """An Ingress names an IngressClass that does not exist or that no running controller serves."""
    classes = {_name(c): c for c in ctx.list("IngressClass", None)}
    for ingress in _ingresses(ctx, params):
        wanted = ingress.get("spec", {}).get("ingressClassName")
        if wanted is None:
            continue
        cls = classes.get(wanted)
        if cls is None:
            return Diagnosis(
                "ingressclass-no-controller",
                "Ingress -> controller",
                f"Ingress {_name(ingress)} asks for ingressClassName {wanted!r}, and no IngressClass "
                f"has that name, so no controller serves it. Classes here: {', '.join(sorted(classes)) or '(none)'}.",
                (f"spec.ingressClassName: {wanted}",),
                "12-ingress",
            )
        controller = cls.get("spec", {}).get("controller")
        if controller not in DEFAULT_INGRESS_CONTROLLERS:
            return Diagnosis(
                "ingressclass-no-controller",
                "Ingress -> controller",
                f"IngressClass {wanted!r} belongs to controller {controller!r}, which does not run "
                f"in this cluster, so Ingress {_name(ingress)} is never programmed.",
                (f"IngressClass {wanted} spec.controller: {controller}",),
                "12-ingress",
            )
    return None


def _ingresses(ctx: CheckContext, params: dict[str, Any]) -> list[Obj]:
    found: list[Obj] = []
    for namespace in {ctx.namespace, *ctx.namespaces.values()}:
        found += ctx.list("Ingress", namespace)
    return found


@diagnoser("wrong-pathtype")
def wrong_pathtype(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """An Ingress path would match the request with a Prefix pathType, but it is Exact
    (or a Prefix path does not end on a path-element boundary)."""
    url = params.get("url")
    if not isinstance(url, str):
        return None
    try:
        path = urlsplit(ctx.expand(url)).path or "/"
    except Unresolved:
        return None
    for ingress in _ingresses(ctx, params):
        for rule in ingress.get("spec", {}).get("rules") or []:
            for entry in (rule.get("http") or {}).get("paths") or []:
                declared = entry.get("path", "/")
                kind = entry.get("pathType")
                if (
                    kind == "Exact"
                    and path != declared
                    and path.startswith(declared.rstrip("/") + "/")
                ):
                    return Diagnosis(
                        "wrong-pathtype",
                        "Ingress rule -> backend",
                        f"Ingress {_name(ingress)} matches {declared!r} with pathType Exact, so "
                        f"{path!r} does not match it and falls through to another rule.",
                        (f"path: {declared}, pathType: Exact", f"request path: {path}"),
                        "12-ingress",
                    )
                if (
                    kind == "Prefix"
                    and path.startswith(declared)
                    and not _prefix_match(declared, path)
                ):
                    return Diagnosis(
                        "wrong-pathtype",
                        "Ingress rule -> backend",
                        f"Ingress {_name(ingress)} uses Prefix {declared!r}; Prefix compares whole "
                        f"path elements, so {path!r} does not match it.",
                        (f"path: {declared}, pathType: Prefix", f"request path: {path}"),
                        "12-ingress",
                    )
    return None


def _prefix_match(prefix: str, path: str) -> bool:
    wanted = [p for p in prefix.split("/") if p]
    given = [p for p in path.split("/") if p]
    return given[: len(wanted)] == wanted


# -- Gateway API --------------------------------------------------------------------------


def _routes(ctx: CheckContext) -> list[Obj]:
    found: list[Obj] = []
    for namespace in {ctx.namespace, *ctx.namespaces.values()}:
        found += ctx.list("HTTPRoute", namespace)
    return found


@diagnoser("route-not-attached")
def route_not_attached(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """An HTTPRoute is not attached: its parentRef names no Gateway, or the listener's
    `allowedRoutes` does not admit the route's namespace."""
    for route in _routes(ctx):
        route_ns = route["metadata"].get("namespace")
        for ref in route.get("spec", {}).get("parentRefs") or []:
            gw_ns = ref.get("namespace", route_ns)
            gateway = ctx.get("Gateway", ref.get("name", ""), gw_ns)
            if gateway is None:
                return Diagnosis(
                    "route-not-attached",
                    "HTTPRoute -> Gateway",
                    f"HTTPRoute {_name(route)} names parent Gateway {gw_ns}/{ref.get('name')}, which "
                    "does not exist. A parentRef without `namespace` means the route's own namespace.",
                    (
                        f"parentRefs: name={ref.get('name')} namespace={ref.get('namespace', '(route namespace)')}",
                    ),
                    "13-gateway-api",
                )
            listeners = gateway.get("spec", {}).get("listeners") or []
            section = ref.get("sectionName")
            if section is not None:
                listeners = [item for item in listeners if item.get("name") == section]
                if not listeners:
                    return Diagnosis(
                        "route-not-attached",
                        "HTTPRoute -> Gateway",
                        f"HTTPRoute {_name(route)} asks for listener {section!r}, which Gateway "
                        f"{_name(gateway)} does not have.",
                        (f"sectionName: {section}",),
                        "13-gateway-api",
                    )
            if route_ns != gw_ns and not any(_admits(ctx, item, route_ns) for item in listeners):
                froms = sorted(
                    {
                        ((item.get("allowedRoutes") or {}).get("namespaces") or {}).get(
                            "from", "Same"
                        )
                        for item in listeners
                    }
                )
                return Diagnosis(
                    "route-not-attached",
                    "HTTPRoute -> Gateway",
                    f"HTTPRoute {_name(route)} in {route_ns} targets Gateway {gw_ns}/{_name(gateway)}, "
                    f"whose listeners allow routes from: {', '.join(froms)}. 'Same' (the default) "
                    "admits only routes in the Gateway's own namespace.",
                    (f"allowedRoutes.namespaces.from: {', '.join(froms)}",),
                    "13-gateway-api",
                )
    return None


def _admits(ctx: CheckContext, listener: Obj, route_ns: str) -> bool:
    namespaces = (listener.get("allowedRoutes") or {}).get("namespaces") or {}
    rule = namespaces.get("from", "Same")
    if rule == "All":
        return True
    if rule == "Selector":
        ns = ctx.get("Namespace", route_ns, None)
        labels = _labels(ns) if ns else {"kubernetes.io/metadata.name": route_ns}
        labels.setdefault("kubernetes.io/metadata.name", route_ns)
        match = (namespaces.get("selector") or {}).get("matchLabels") or {}
        return matches_selector(labels, match)
    return False


@diagnoser("backend-not-permitted")
def backend_not_permitted(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """A route's backendRef points into another namespace without a ReferenceGrant there."""
    for route in _routes(ctx):
        route_ns = route["metadata"].get("namespace")
        for rule in route.get("spec", {}).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                target_ns = ref.get("namespace", route_ns)
                if target_ns == route_ns:
                    continue
                if not _granted(ctx, route_ns, target_ns, ref):
                    return Diagnosis(
                        "backend-not-permitted",
                        "HTTPRoute -> backend Service",
                        f"HTTPRoute {_name(route)} in {route_ns} sends traffic to Service "
                        f"{target_ns}/{ref.get('name')}; crossing namespaces needs a ReferenceGrant in "
                        f"{target_ns} that allows HTTPRoutes from {route_ns} (ResolvedRefs: RefNotPermitted).",
                        (f"backendRefs: {ref.get('name')} namespace={target_ns}",),
                        "13-gateway-api",
                    )
    return None


def _granted(ctx: CheckContext, from_ns: str, to_ns: str, ref: Obj) -> bool:
    for grant in ctx.list("ReferenceGrant", to_ns):
        spec = grant.get("spec", {})
        froms = spec.get("from") or []
        tos = spec.get("to") or []
        from_ok = any(
            f.get("kind") == "HTTPRoute"
            and f.get("namespace") == from_ns
            and f.get("group") == "gateway.networking.k8s.io"
            for f in froms
        )
        to_ok = any(
            t.get("kind", "") == ref.get("kind", "Service")
            and t.get("group", "") == ref.get("group", "")
            and t.get("name", ref.get("name")) == ref.get("name")
            for t in tos
        )
        if from_ok and to_ok:
            return True
    return False
