"""More diagnosers: hand-written EndpointSlices, the ports clients use, traffic policy and
topology, Ingress path syntax, Gateway attachment and LoadBalancer fields.

Each one is right or silent: it fires only when the state it names is present *and* it
explains the failure the check saw (the probe's answer, the live object), and it names the
hop and the evidence, leaving the exact fix to the last hint tier.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tutor.checks.context import CheckContext, Unresolved
from tutor.checks.diagnosers import (
    _admits,
    _ingresses,
    _labels,
    _name,
    _routes,
    services_in_question,
)
from tutor.checks.registry import CHECK_TYPE_KEY, diagnoser
from tutor.checks.state import endpoint_ready, slice_endpoints
from tutor.checks.verdict import Diagnosis
from tutor.cluster.base import Obj

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
SLICE_CONTROLLER = "endpointslice-controller.k8s.io"


def _selectorless(service: Obj) -> bool:
    spec = service.get("spec", {})
    return not spec.get("selector") and spec.get("type", "ClusterIP") != "ExternalName"


def _hand_slices(ctx: CheckContext, namespace: str) -> list[Obj]:
    """EndpointSlices in a namespace that no controller manages (written by someone)."""
    return [
        s
        for s in ctx.list("EndpointSlice", namespace)
        if _labels(s).get("endpointslice.kubernetes.io/managed-by") != SLICE_CONTROLLER
    ]


# -- EndpointSlices written by hand -------------------------------------------------------


@diagnoser("slice-not-linked")
def slice_not_linked(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """A selector-less Service has no slice, and a hand-written slice in its namespace is not
    linked to it: its `kubernetes.io/service-name` label is missing or names no Service."""
    for service in services_in_question(ctx, params):
        if not _selectorless(service):
            continue
        namespace = service["metadata"].get("namespace")
        if ctx.slices_for(_name(service), namespace):
            continue
        for slice_ in _hand_slices(ctx, namespace):
            linked_to = _labels(slice_).get(SERVICE_NAME_LABEL)
            if linked_to and ctx.get("Service", linked_to, namespace) is not None:
                continue  # it belongs to another Service that exists
            shown = f"{SERVICE_NAME_LABEL}={linked_to}" if linked_to else "no such label"
            return Diagnosis(
                "slice-not-linked",
                "Service -> EndpointSlice",
                f"Service {_name(service)} has no selector, so only slices labelled with its name "
                f"belong to it. EndpointSlice {_name(slice_)} has {shown}, so it belongs to no "
                "Service and its addresses are never used.",
                (
                    f"EndpointSlice {_name(slice_)} labels: {_fmt(_labels(slice_))}",
                    f"Service {_name(service)}: no selector",
                ),
                "04-headless-and-selectorless",
            )
    return None


@diagnoser("slice-port-name")
def slice_port_name(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """A hand-written slice is linked to its Service, but its port names match none of the
    Service's port names, so the port (and the endpoints for it) are not used."""
    for service in services_in_question(ctx, params):
        if not _selectorless(service):
            continue
        namespace = service["metadata"].get("namespace")
        wanted = {str(p.get("name", "")) for p in service.get("spec", {}).get("ports") or []}
        for slice_ in ctx.slices_for(_name(service), namespace):
            names = {str(p.get("name", "")) for p in slice_.get("ports") or []}
            if not names or names & wanted:
                continue
            return Diagnosis(
                "slice-port-name",
                "Service -> EndpointSlice",
                f"EndpointSlice {_name(slice_)} is linked to Service {_name(service)}, but a "
                "slice port belongs to the Service port with the same name, and its port names "
                f"({_fmt_names(names)}) match none of the Service's ({_fmt_names(wanted)}).",
                (
                    f"Service {_name(service)} port names: {_fmt_names(wanted)}",
                    f"EndpointSlice {_name(slice_)} port names: {_fmt_names(names)}",
                ),
                "04-headless-and-selectorless",
            )
    return None


@diagnoser("selectorless-no-slices")
def selectorless_no_slices(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """A Service without a selector and no EndpointSlice at all in its namespace that could
    be meant for it: nothing gives it endpoints."""
    for service in services_in_question(ctx, params):
        if not _selectorless(service):
            continue
        namespace = service["metadata"].get("namespace")
        if ctx.slices_for(_name(service), namespace):
            continue
        orphans = [
            s
            for s in _hand_slices(ctx, namespace)
            if ctx.get("Service", _labels(s).get(SERVICE_NAME_LABEL, ""), namespace) is None
        ]
        if orphans:
            continue  # that is slice-not-linked
        return Diagnosis(
            "selectorless-no-slices",
            "Service -> EndpointSlice",
            f"Service {_name(service)} has no selector, so no controller writes EndpointSlices "
            "for it, and no EndpointSlice names it: it has no endpoints at all.",
            (f"Service {_name(service)}: no selector", f"EndpointSlices for it in {namespace}: 0"),
            "04-headless-and-selectorless",
        )
    return None


# -- the port clients use -----------------------------------------------------------------


@diagnoser("port-not-exposed")
def port_not_exposed(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """The check's client connects to a Service by name on a port the Service does not (or
    no longer) expose, and the connection failed."""
    from tutor.checks.traffic import result_of

    wanted = _client_port(ctx, params)
    if wanted is None:
        return None
    host, port = wanted
    result = result_of(ctx, params)
    if result is None or result.ok_count == len(result.attempts):
        return None
    namespace = ctx.ns(params.get("namespace"))
    parts = host.split(".")
    service = ctx.get("Service", parts[0], parts[1] if len(parts) > 1 else namespace)
    if service is None or service.get("spec", {}).get("type") == "ExternalName":
        return None
    ports = [p.get("port") for p in service.get("spec", {}).get("ports") or []]
    if port in ports:
        return None
    return Diagnosis(
        "port-not-exposed",
        "client -> Service port",
        f"The client connects to {host} on port {port}, but Service {_name(service)} exposes "
        f"{', '.join(str(p) for p in ports) or 'no port'}: a Service answers only on the ports "
        "it lists, whatever the Pods listen on.",
        (f"Service {_name(service)} spec.ports[*].port: {ports}", f"client uses port {port}"),
        "01-services-and-clusterip",
    )


def _client_port(ctx: CheckContext, params: dict[str, Any]) -> tuple[str, int] | None:
    try:
        if isinstance(params.get("url"), str):
            url = urlsplit(ctx.expand(params["url"]))
            if url.hostname is None or not re.match(r"^[a-z]", url.hostname):
                return None
            return url.hostname, url.port or (443 if url.scheme == "https" else 80)
        if isinstance(params.get("target"), str):
            host, _, port = ctx.expand(params["target"]).rpartition(":")
            if port.isdigit() and re.match(r"^[a-z]", host):
                return host, int(port)
    except (Unresolved, ValueError):
        return None
    return None


# -- traffic policy and topology ----------------------------------------------------------


@diagnoser("cluster-policy-snat")
def cluster_policy_snat(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """The check wants the client's own IP, the backend saw another one, and the Service
    keeps `externalTrafficPolicy: Cluster`, under which a node may forward to another node
    and source-NATs the packet."""
    from tutor.checks.traffic import result_of

    if (params.get("expect") or {}).get("client_ip") != "preserved":
        return None
    result = result_of(ctx, params)
    if result is None:
        return None
    seen = {a.client_ip.rsplit(":", 1)[0] for a in result.attempts if a.ok and a.client_ip}
    source = next((a.source_ip for a in result.attempts if a.source_ip), None)
    if not seen or source is None or seen == {source}:
        return None
    for service in services_in_question(ctx, params):
        spec = service.get("spec", {})
        if spec.get("type") not in ("NodePort", "LoadBalancer"):
            continue
        policy = spec.get("externalTrafficPolicy", "Cluster")
        if policy != "Cluster":
            continue
        return Diagnosis(
            "cluster-policy-snat",
            "node -> endpoint (source NAT)",
            f"Service {_name(service)} has externalTrafficPolicy: Cluster: the node that "
            "receives the request may send it to a Pod on another node and replaces the "
            f"client's address with its own, so the Pod saw {', '.join(sorted(seen))} instead "
            f"of {source}.",
            (
                f"externalTrafficPolicy: {policy}",
                f"client {source}, seen {', '.join(sorted(seen))}",
            ),
            "08-traffic-policies",
        )
    return None


ZONE_DISTRIBUTIONS = ("PreferSameZone", "PreferClose")
"""`trafficDistribution` values for which the EndpointSlice controller writes zone hints."""


@diagnoser("traffic-distribution")
def traffic_distribution(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """The check needs zone-local routing, the Service's ready endpoints carry no zone hints,
    and `spec.trafficDistribution` is missing or a value that does not ask for zones."""
    wants_zone = params.get("hints") is True or (params.get("expect") or {}).get(
        "distinct_backends"
    ) in (1, "1", "==1")
    if not wants_zone:
        return None
    for service in services_in_question(ctx, params):
        spec = service.get("spec", {})
        namespace = service["metadata"].get("namespace")
        ready = [e for _, e in slice_endpoints(ctx.slices_for(_name(service), namespace))]
        ready = [e for e in ready if endpoint_ready(e)]
        if not ready or all((e.get("hints") or {}).get("forZones") for e in ready):
            continue
        value = spec.get("trafficDistribution")
        if value in ZONE_DISTRIBUTIONS:
            continue
        shown = f"trafficDistribution: {value}" if value else "no trafficDistribution"
        return Diagnosis(
            "traffic-distribution",
            "EndpointSlice hints -> kube-proxy",
            f"Service {_name(service)} has {shown}, so its endpoints carry no zone hints and "
            "kube-proxy spreads requests over every zone.",
            (shown, f"{len(ready)} ready endpoint(s) without hints.forZones"),
            "09-topology-aware-routing",
        )
    return None


# -- Ingress paths ------------------------------------------------------------------------

_REGEX = re.compile(r"\.[*+]|[*+?()\[\]{}|^$\\]")


@diagnoser("regex-path")
def regex_path(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """An Ingress path written as a regular expression (or with pathType
    ImplementationSpecific) that the request was meant to match: Prefix and Exact compare
    text literally, and what ImplementationSpecific means is up to the controller."""
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
                declared = str(entry.get("path", "/"))
                kind = entry.get("pathType")
                literal = _REGEX.split(declared, 1)[0].rstrip("/")
                if not _REGEX.search(declared) and kind != "ImplementationSpecific":
                    continue
                if literal and not path.startswith(literal):
                    continue  # the request is not one this path was written for
                if kind == "ImplementationSpecific" and not _REGEX.search(declared):
                    reason = (
                        "pathType ImplementationSpecific leaves matching to the controller; "
                        "this cluster's controller treats it as a Prefix of whole path elements"
                    )
                else:
                    reason = (
                        f"pathType {kind} compares the path as plain text, so the regular "
                        f"expression characters in {declared!r} match only themselves"
                    )
                return Diagnosis(
                    "regex-path",
                    "Ingress rule -> backend",
                    f"Ingress {_name(ingress)} path {declared!r}: {reason}, and {path!r} does "
                    "not match it.",
                    (f"path: {declared}, pathType: {kind}", f"request path: {path}"),
                    "12-ingress",
                )
    return None


# -- Gateway API --------------------------------------------------------------------------


@diagnoser("listener-all-namespaces")
def listener_all_namespaces(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """A Gateway listener admits routes from every namespace (`from: All`) where the task
    asked for one: any team's route can now take its traffic."""
    for namespace in {ctx.namespace, *ctx.namespaces.values()}:
        for gateway in ctx.list("Gateway", namespace):
            if params.get("kind") == "Gateway" and params.get("name") not in (None, _name(gateway)):
                continue
            for listener in gateway.get("spec", {}).get("listeners") or []:
                rule = ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("from")
                if rule != "All":
                    continue
                return Diagnosis(
                    "listener-all-namespaces",
                    "HTTPRoute -> Gateway",
                    f"Listener {listener.get('name')!r} of Gateway {_name(gateway)} admits routes "
                    "from all namespaces: the route attaches, but so can any other team's "
                    "route, for any host name the listener serves.",
                    (f"listener {listener.get('name')} allowedRoutes.namespaces.from: All",),
                    "13-gateway-api",
                )
    return None


@diagnoser("referencegrant-for-attachment")
def referencegrant_for_attachment(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """A route in another namespace is not admitted by the Gateway's listeners, and a
    ReferenceGrant in the Gateway's namespace tries to allow it: ReferenceGrant governs
    references to backends (and Secrets), never attachment to a Gateway."""
    for route in _routes(ctx):
        route_ns = route["metadata"].get("namespace")
        for ref in route.get("spec", {}).get("parentRefs") or []:
            gw_ns = ref.get("namespace", route_ns)
            gateway = ctx.get("Gateway", ref.get("name", ""), gw_ns)
            if gateway is None or gw_ns == route_ns:
                continue
            listeners = gateway.get("spec", {}).get("listeners") or []
            if any(_admits(ctx, item, route_ns) for item in listeners):
                continue
            for grant in ctx.list("ReferenceGrant", gw_ns):
                froms = grant.get("spec", {}).get("from") or []
                if not any(
                    f.get("kind") == "HTTPRoute" and f.get("namespace") == route_ns for f in froms
                ):
                    continue
                return Diagnosis(
                    "referencegrant-for-attachment",
                    "HTTPRoute -> Gateway",
                    f"ReferenceGrant {_name(grant)} in {gw_ns} lets HTTPRoutes from {route_ns} "
                    "refer to objects there, but attaching a route to a Gateway is decided by "
                    f"the listener's allowedRoutes, not by a ReferenceGrant: Gateway "
                    f"{_name(gateway)} still does not admit routes from {route_ns}.",
                    (
                        f"ReferenceGrant {gw_ns}/{_name(grant)} from HTTPRoute in {route_ns}",
                        f"HTTPRoute {_name(route)} parentRef {gw_ns}/{_name(gateway)}",
                    ),
                    "13-gateway-api",
                )
    return None


# -- LoadBalancer -------------------------------------------------------------------------


@diagnoser("loadbalancerclass-immutable")
def loadbalancerclass_immutable(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """The learner's manifest changes `loadBalancerClass` of a live LoadBalancer Service:
    the field may not change once the Service is a LoadBalancer, so the apply is refused."""
    for manifest in ctx.manifests:
        if manifest.get("kind") != "Service":
            continue
        wanted = manifest.get("spec", {}).get("loadBalancerClass")
        namespace = manifest.get("metadata", {}).get("namespace", ctx.namespace)
        live = ctx.get("Service", _name(manifest), namespace)
        if wanted is None or live is None or live.get("spec", {}).get("type") != "LoadBalancer":
            continue
        current = live.get("spec", {}).get("loadBalancerClass")
        if current == wanted:
            continue
        return Diagnosis(
            "loadbalancerclass-immutable",
            "apply -> Service",
            f"Service {_name(manifest)} is already a LoadBalancer with loadBalancerClass "
            f"{current or '(none)'}; the field cannot change on a live LoadBalancer Service, so "
            f"the API server refuses {wanted!r} and the old Service stays as it was.",
            (f"live loadBalancerClass: {current or '(not set)'}", f"manifest: {wanted}"),
            "07-loadbalancer",
        )
    return None


@diagnoser("externalips-not-lb")
def externalips_not_lb(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """The Service was given `spec.externalIPs` as if that made it a LoadBalancer: the
    cluster does not own or announce those addresses and no load balancer is provisioned."""
    about_lb = (
        "lb_ip" in str(params.get("url", "")) or params.get(CHECK_TYPE_KEY) == "loadbalancer_ip"
    )
    if not about_lb:
        return None
    for service in services_in_question(ctx, params):
        spec = service.get("spec", {})
        ips = spec.get("externalIPs") or []
        if not ips:
            continue
        has_lb = bool((service.get("status", {}).get("loadBalancer") or {}).get("ingress"))
        if spec.get("type") == "LoadBalancer" and has_lb:
            continue
        return Diagnosis(
            "externalips-not-lb",
            "client -> LoadBalancer",
            f"Service {_name(service)} lists externalIPs {', '.join(ips)}, but externalIPs are "
            "addresses you route to the nodes yourself: they do not ask for a load balancer, "
            "so no external address is assigned in status.loadBalancer.",
            (
                f"spec.type: {spec.get('type', 'ClusterIP')}",
                f"spec.externalIPs: {', '.join(ips)}",
                "status.loadBalancer.ingress: (none)",
            ),
            "07-loadbalancer",
        )
    return None


def _fmt(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(none)"


def _fmt_names(names: set[str]) -> str:
    return ", ".join(repr(n) for n in sorted(names)) or "(none)"
