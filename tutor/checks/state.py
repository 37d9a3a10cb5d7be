"""State checks: read objects from the API and compare typed fields. No output scraping."""

from __future__ import annotations

import json
from typing import Any

from pydantic import field_validator

from tutor.checks.context import CheckContext
from tutor.checks.expect import Count, ValueExpect, count_ok, count_words, validate_count
from tutor.checks.registry import Params, check_type
from tutor.checks.verdict import Outcome, Status
from tutor.cluster.base import Obj
from tutor.core.typedpath import MISSING, PathSyntaxError, parse_path, resolve

NODE_PORT_RANGE = (30000, 32767)


def _ref(kind: str, name: str, namespace: str | None) -> str:
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _show(value: Any) -> str:
    return "(not set)" if value is MISSING else json.dumps(value)


class ObjectParams(Params):
    """Parameters of checks about one named object."""

    kind: str
    name: str
    cluster_scoped: bool = False

    def locate(self, ctx: CheckContext) -> tuple[Obj | None, str]:
        """The object (or None) and how to name it in messages."""
        namespace = None if self.cluster_scoped else ctx.ns(self.namespace)
        return ctx.get(self.kind, self.name, namespace), _ref(self.kind, self.name, namespace)


class ServiceParams(Params):
    """Parameters of checks about one Service."""

    service: str

    def locate(self, ctx: CheckContext) -> tuple[Obj | None, str]:
        """The Service (or None) and its namespace."""
        namespace = ctx.ns(self.namespace)
        return ctx.get("Service", self.service, namespace), namespace

    def missing(self, namespace: str) -> Outcome:
        """The failure when the Service does not exist."""
        return Outcome.failed(f"Service {self.service} does not exist in {namespace}.")


# -- object_field -------------------------------------------------------------------------


class FieldParams(ObjectParams):
    """`object_field`: one field of one object meets an expectation."""

    path: str
    expect: ValueExpect

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        try:
            parse_path(value)
        except PathSyntaxError as exc:
            raise ValueError(str(exc)) from exc
        return value


@check_type(
    "object_field",
    "state",
    FieldParams,
    describe=lambda p: f"{p.kind} {p.name}: {p.path}",
)
def object_field(p: FieldParams, ctx: CheckContext) -> Outcome:
    """Compare one typed field of an object."""
    obj, ref = p.locate(ctx)
    if obj is None:
        return Outcome.failed(f"{ref} does not exist.")
    value = resolve(obj, p.path)
    problem = p.expect.check(value)
    if problem is None:
        return Outcome.passed(f"{ref}: {p.path} is {_show(value)}.")
    if value is MISSING:
        said = f"{ref}: {p.path} is not set" + (
            "" if problem == "is not set" else f"; it {problem}"
        )
        return Outcome.failed(f"{said}.", f"{p.path}: (not set)")
    return Outcome.failed(
        f"{ref}: {p.path} {problem}; it is {_show(value)}.", f"{p.path} = {_show(value)}"
    )


# -- object_exists ------------------------------------------------------------------------


class ExistsParams(ObjectParams):
    """`object_exists`: an object exists (or, with `present: false`, does not)."""

    present: bool = True


@check_type(
    "object_exists",
    "state",
    ExistsParams,
    describe=lambda p: f"{p.kind} {p.name} {'exists' if p.present else 'is gone'}",
)
def object_exists(p: ExistsParams, ctx: CheckContext) -> Outcome:
    """Whether an object is there."""
    obj, ref = p.locate(ctx)
    there = obj is not None
    if there == p.present:
        return Outcome.passed(f"{ref} {'exists' if there else 'does not exist'}.")
    return Outcome.failed(f"{ref} {'does not exist' if p.present else 'still exists'}.")


# -- selector_pods ------------------------------------------------------------------------


class SelectorParams(ServiceParams):
    """`selector_pods`: the Service's selector matches the expected number of ready Pods."""

    ready: Count = ">=1"

    _count = field_validator("ready")(validate_count)


def pod_ready(pod: Obj) -> bool:
    """True when the Pod's Ready condition is True."""
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return bool(condition.get("status") == "True")
    return False


def pod_starting(pod: Obj) -> bool:
    """True when a Pod is still being created or started (not a failure yet)."""
    phase = pod.get("status", {}).get("phase")
    if phase == "Pending":
        return True
    statuses = pod.get("status", {}).get("containerStatuses") or []
    return any("waiting" in (s.get("state") or {}) and not s.get("restartCount") for s in statuses)


@check_type(
    "selector_pods",
    "state",
    SelectorParams,
    describe=lambda p: f"Service {p.service} selects {count_words(p.ready)} ready Pod(s)",
    diagnose=("selector-mismatch", "wrong-namespace", "readiness-failing"),
)
def selector_pods(p: SelectorParams, ctx: CheckContext) -> Outcome:
    """Count the ready Pods a Service's selector matches."""
    service, namespace = p.locate(ctx)
    if service is None:
        return p.missing(namespace)
    pods = ctx.pods_for(service)
    ready = [pod for pod in pods if pod_ready(pod)]
    evidence = tuple(
        f"Pod {pod['metadata']['name']}: {'Ready' if pod_ready(pod) else 'not Ready'}"
        for pod in pods
    )
    if count_ok(len(ready), p.ready):
        return Outcome(Status.PASS, f"The selector matches {len(ready)} ready Pod(s).", evidence)
    if any(pod_starting(pod) for pod in pods):
        return Outcome.pending("Pods are starting.", f"{len(ready)}/{len(pods)} ready", *evidence)
    return Outcome.failed(
        f"The selector matches {len(ready)} ready Pod(s) of {len(pods)}; expected {count_words(p.ready)}.",
        *evidence,
    )


# -- endpoints_ready ----------------------------------------------------------------------


class EndpointsParams(ServiceParams):
    """`endpoints_ready`: the Service's EndpointSlices list the expected endpoints."""

    ready: Count = ">=1"
    not_ready: Count | None = None
    port: int | str | None = None
    """A port (number or name) that the slices must carry."""
    hints: bool | None = None
    """True: every ready endpoint carries topology hints (`hints.forZones` or `forNodes`)."""

    _counts = field_validator("ready", "not_ready")(validate_count)


def slice_endpoints(slices: list[Obj]) -> list[tuple[Obj, Obj]]:
    """(slice, endpoint) pairs over all slices."""
    return [(s, e) for s in slices for e in s.get("endpoints") or []]


def endpoint_ready(endpoint: Obj) -> bool:
    """An endpoint is ready unless its `ready` condition is explicitly false (nil = true)."""
    return (endpoint.get("conditions") or {}).get("ready") is not False


@check_type(
    "endpoints_ready",
    "state",
    EndpointsParams,
    describe=lambda p: f"Service {p.service} has {count_words(p.ready)} ready endpoint(s)",
    diagnose=(
        "selector-mismatch",
        "wrong-namespace",
        "readiness-failing",
        "named-port-missing",
        "traffic-distribution",
        "slice-not-linked",
        "slice-port-name",
        "selectorless-no-slices",
    ),
)
def endpoints_ready(p: EndpointsParams, ctx: CheckContext) -> Outcome:
    """Count ready and not-ready endpoints in the Service's EndpointSlices."""
    service, namespace = p.locate(ctx)
    if service is None:
        return p.missing(namespace)
    slices = ctx.slices_for(p.service, namespace)
    pairs = slice_endpoints(slices)
    if p.port is not None:
        pairs = [(s, e) for s, e in pairs if _slice_has_port(s, p.port)]
    ready = [e for _, e in pairs if endpoint_ready(e)]
    not_ready = [e for _, e in pairs if not endpoint_ready(e)]
    evidence = tuple(
        f"{', '.join(e.get('addresses', []))} on {e.get('nodeName', '?')}: "
        f"{'ready' if endpoint_ready(e) else 'not ready'}"
        for _, e in pairs
    )
    where = f" on port {p.port}" if p.port is not None else ""
    problems = []
    if not count_ok(len(ready), p.ready):
        problems.append(f"{len(ready)} ready endpoint(s){where}, expected {count_words(p.ready)}")
    if p.not_ready is not None and not count_ok(len(not_ready), p.not_ready):
        problems.append(
            f"{len(not_ready)} not-ready endpoint(s), expected {count_words(p.not_ready)}"
        )
    if p.hints:
        unhinted = [e for e in ready if not (e.get("hints") or {})]
        if unhinted or not ready:
            problems.append(f"no topology hints on {len(unhinted)} ready endpoint(s)")
    if not problems:
        return Outcome(
            Status.PASS,
            f"{len(ready)} ready and {len(not_ready)} not-ready endpoint(s){where}.",
            evidence,
        )
    if _pods_starting(ctx, p.service, namespace):
        return Outcome.pending("Pods are still starting.", f"{len(ready)} ready", *evidence)
    return Outcome.failed(
        "The EndpointSlices are not as expected: " + "; ".join(problems) + ".", *evidence
    )


def _slice_has_port(slice_: Obj, port: int | str) -> bool:
    for entry in slice_.get("ports") or []:
        if port in (entry.get("port"), entry.get("name")) or str(port) == str(entry.get("port")):
            return True
    return False


def _pods_starting(ctx: CheckContext, service_name: str, namespace: str) -> bool:
    service = ctx.get("Service", service_name, namespace)
    return service is not None and any(pod_starting(pod) for pod in ctx.pods_for(service))


# -- service_allocation -------------------------------------------------------------------


class AllocationParams(ServiceParams):
    """`service_allocation`: what the API server allocated for a Service."""

    service_type: str | None = None
    """The Service's `spec.type` (`type` names the check type, so it cannot be used here)."""
    cluster_ip_in: str | None = None
    headless: bool | None = None
    node_port: int | None = None
    node_port_in_range: bool | None = None
    port: int | str | None = None
    """Which Service port the nodePort expectations are about (default: the first)."""


@check_type(
    "service_allocation",
    "state",
    AllocationParams,
    describe=lambda p: f"Service {p.service} is allocated as asked",
    diagnose=("nodeport-invalid",),
)
def service_allocation(p: AllocationParams, ctx: CheckContext) -> Outcome:
    """Check type, ClusterIP range, headless-ness and nodePort of a Service."""
    service, namespace = p.locate(ctx)
    if service is None:
        return p.missing(namespace)
    spec = service.get("spec", {})
    problems: list[str] = []
    cluster_ip = spec.get("clusterIP")
    shown_ip = {None: "(not set)", "None": "None (headless)"}.get(cluster_ip, str(cluster_ip))
    evidence = [f"type {spec.get('type', 'ClusterIP')}", f"clusterIP {shown_ip}"]
    if p.service_type is not None and spec.get("type", "ClusterIP") != p.service_type:
        problems.append(f"its type is {spec.get('type', 'ClusterIP')}, not {p.service_type}")
    if p.headless is not None and (spec.get("clusterIP") == "None") != p.headless:
        problems.append(
            "it is headless" if not p.headless else "it is not headless (clusterIP: None)"
        )
    if p.cluster_ip_in is not None:
        problem = ValueExpect(in_cidr=p.cluster_ip_in).check(spec.get("clusterIP", MISSING))
        if problem:
            problems.append(f"its clusterIP {problem}")
    if p.node_port is not None or p.node_port_in_range:
        ports = spec.get("ports") or []
        chosen = next(
            (x for x in ports if p.port is None or p.port in (x.get("port"), x.get("name"))),
            None,
        )
        node_port = (chosen or {}).get("nodePort")
        evidence.append(f"nodePort {node_port}")
        if node_port is None:
            problems.append("it has no nodePort")
        elif p.node_port is not None and node_port != p.node_port:
            problems.append(f"its nodePort is {node_port}, not {p.node_port}")
        elif p.node_port_in_range and not NODE_PORT_RANGE[0] <= node_port <= NODE_PORT_RANGE[1]:
            problems.append(
                f"its nodePort {node_port} is outside {NODE_PORT_RANGE[0]}-{NODE_PORT_RANGE[1]}"
            )
    if problems:
        return Outcome.failed(f"Service {p.service}: " + "; ".join(problems) + ".", *evidence)
    return Outcome.passed(f"Service {p.service} is allocated as expected.", *evidence)


# -- loadbalancer_ip ----------------------------------------------------------------------


class LoadBalancerParams(ServiceParams):
    """`loadbalancer_ip`: a LoadBalancer Service got an external address."""


@check_type(
    "loadbalancer_ip",
    "state",
    LoadBalancerParams,
    describe=lambda p: f"Service {p.service} has a LoadBalancer address",
    diagnose=("externalips-not-lb",),
)
def loadbalancer_ip(p: LoadBalancerParams, ctx: CheckContext) -> Outcome:
    """status.loadBalancer.ingress has an IP or hostname."""
    service, namespace = p.locate(ctx)
    if service is None:
        return p.missing(namespace)
    spec = service.get("spec", {})
    if spec.get("type") != "LoadBalancer":
        return Outcome.failed(
            f"Service {p.service} is of type {spec.get('type', 'ClusterIP')}, not LoadBalancer."
        )
    for entry in service.get("status", {}).get("loadBalancer", {}).get("ingress") or []:
        address = entry.get("ip") or entry.get("hostname")
        if address:
            return Outcome.passed(
                f"LoadBalancer address {address} (ipMode {entry.get('ipMode', 'VIP')})."
            )
    if spec.get("loadBalancerClass"):
        return Outcome.failed(
            f"No address: loadBalancerClass {spec['loadBalancerClass']!r} asks for a controller "
            "that is not running here, so the cloud provider ignores this Service."
        )
    return Outcome.pending("Waiting for the LoadBalancer controller to assign an address.")


# -- condition ----------------------------------------------------------------------------


class ConditionParams(ObjectParams):
    """`condition`: a status condition of an object (Gateway, HTTPRoute, ...)."""

    condition: str
    """The condition type, e.g. `Accepted`, `Programmed`, `ResolvedRefs`."""
    status: str = "True"
    reason: str | None = None
    parent: str | None = None
    """HTTPRoute: the name of the parent (Gateway) whose status entry to read."""
    listener: str | None = None
    """Gateway: the listener whose conditions to read."""


@check_type(
    "condition",
    "state",
    ConditionParams,
    describe=lambda p: f"{p.kind} {p.name} is {p.condition}={p.status}",
    diagnose=("route-not-attached", "backend-not-permitted", "referencegrant-for-attachment"),
)
def condition(p: ConditionParams, ctx: CheckContext) -> Outcome:
    """Read a condition from status.conditions, a route's parent status or a listener."""
    obj, ref = p.locate(ctx)
    if obj is None:
        return Outcome.failed(f"{ref} does not exist.")
    conditions = _conditions(obj, p)
    if conditions is None:
        where = f"parent {p.parent}" if p.parent else f"listener {p.listener}"
        return Outcome.pending(f"{ref} has no status for {where} yet.")
    found = next((c for c in conditions if c.get("type") == p.condition), None)
    if found is None:
        return Outcome.pending(f"{ref} reports no {p.condition} condition yet.")
    shown = f"{p.condition}={found.get('status')} ({found.get('reason', 'no reason')}): {found.get('message', '')}".rstrip(
        ": "
    )
    ok = found.get("status") == p.status and (p.reason is None or found.get("reason") == p.reason)
    if ok:
        return Outcome.passed(f"{ref}: {shown}.")
    return Outcome.failed(f"{ref}: {shown}; expected {p.condition}={p.status}.", shown)


def _conditions(obj: Obj, p: ConditionParams) -> list[Obj] | None:
    status = obj.get("status") or {}
    if p.parent is not None:
        for parent in status.get("parents") or []:
            if (parent.get("parentRef") or {}).get("name") == p.parent:
                return list(parent.get("conditions") or [])
        return None
    if p.listener is not None:
        for listener in status.get("listeners") or []:
            if listener.get("name") == p.listener:
                return list(listener.get("conditions") or [])
        return None
    return list(status.get("conditions") or [])
