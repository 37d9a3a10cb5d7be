"""Cross-object and collection checks: what an examiner compares, not one field at a time.

- `selector_matches_template`: a Service's selector is a subset of a workload's Pod
  template labels (so the next rollout still matches, unlike relabelled Pods).
- `template_port`: the Service's targetPort exists in the workload's template.
- `reference_exists`: the object a field names (an IngressClass, a Secret, a Gateway) exists.
- `object_count`: how many objects of a kind carry some labels.
- `list_item`: list items selected by several fields at once (`path` and `pathType`).
- `slice_entry`: a Service's EndpointSlices carry a port (name, number and protocol as one
  unit) and the addresses of the Pods a selector picks.
- `node_coverage`: every node (or every node in a set) has a ready endpoint.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tutor.checks.context import CheckContext
from tutor.checks.expect import Count, ValueExpect, count_ok, count_words, validate_count
from tutor.checks.registry import Params, check_type
from tutor.checks.state import ServiceParams, _show, endpoint_ready, pod_ready, slice_endpoints
from tutor.checks.verdict import Outcome
from tutor.cluster.base import Obj, matches_selector
from tutor.core.typedpath import MISSING, PathSyntaxError, item_field, parse_path, resolve


class WorkloadRef(BaseModel):
    """A workload in the lab namespace whose Pod template is compared."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "Deployment"
    name: str


def _template(ctx: CheckContext, ref: WorkloadRef, namespace: str) -> Obj | None:
    workload = ctx.get(ref.kind, ref.name, namespace)
    if workload is None:
        return None
    template = workload.get("spec", {}).get("template")
    return template if isinstance(template, dict) else None


def _valid_path(value: str) -> str:
    try:
        parse_path(value)
    except PathSyntaxError as exc:
        raise ValueError(str(exc)) from exc
    return value


def _fmt(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(none)"


# -- selector_matches_template ------------------------------------------------------------


class SelectorTemplateParams(ServiceParams):
    """`selector_matches_template`: the Service's selector is in the workload's template."""

    workload: WorkloadRef


@check_type(
    "selector_matches_template",
    "state",
    SelectorTemplateParams,
    describe=lambda p: (
        f"Service {p.service} selects the Pods of {p.workload.kind} {p.workload.name}"
    ),
)
def selector_matches_template(p: SelectorTemplateParams, ctx: CheckContext) -> Outcome:
    """Every pair of the selector appears in the Pod template's labels."""
    service, namespace = p.locate(ctx)
    if service is None:
        return p.missing(namespace)
    template = _template(ctx, p.workload, namespace)
    if template is None:
        return Outcome.failed(f"{p.workload.kind} {p.workload.name} does not exist in {namespace}.")
    selector = service.get("spec", {}).get("selector") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    evidence = (
        f"Service {p.service} selector: {_fmt(selector)}",
        f"{p.workload.kind} {p.workload.name} template labels: {_fmt(labels)}",
    )
    if not selector:
        return Outcome.failed(f"Service {p.service} has no selector.", *evidence)
    if matches_selector(labels, selector):
        return Outcome.passed("The selector matches the Pod template's labels.", *evidence)
    return Outcome.failed(
        f"Service {p.service}'s selector is not part of the Pod template's labels of "
        f"{p.workload.kind} {p.workload.name}, so Pods it creates are not selected.",
        *evidence,
    )


# -- template_port ------------------------------------------------------------------------


class TemplatePortParams(ServiceParams):
    """`template_port`: the Service port's targetPort exists in the workload's template."""

    workload: WorkloadRef
    port: int | str | None = None
    """The Service port (number or name); default: every port."""


@check_type(
    "template_port",
    "state",
    TemplatePortParams,
    describe=lambda p: f"Service {p.service}'s target port exists in {p.workload.name}'s Pods",
)
def template_port(p: TemplatePortParams, ctx: CheckContext) -> Outcome:
    """A named targetPort names a container port; a number is a declared containerPort."""
    service, namespace = p.locate(ctx)
    if service is None:
        return p.missing(namespace)
    template = _template(ctx, p.workload, namespace)
    if template is None:
        return Outcome.failed(f"{p.workload.kind} {p.workload.name} does not exist in {namespace}.")
    declared = [
        entry
        for c in (template.get("spec") or {}).get("containers") or []
        for entry in c.get("ports") or []
    ]
    names = {e.get("name") for e in declared if e.get("name")}
    numbers = {e.get("containerPort") for e in declared}
    ports = [
        x
        for x in service.get("spec", {}).get("ports") or []
        if p.port is None or p.port in (x.get("port"), x.get("name"))
    ]
    if not ports:
        return Outcome.failed(f"Service {p.service} has no port {p.port}.")
    evidence = (
        f"container ports: {sorted(str(n) for n in names) or '(no names)'} "
        f"{sorted(n for n in numbers if n is not None)}",
    )
    for entry in ports:
        target = entry.get("targetPort", entry.get("port"))
        found = target in names if isinstance(target, str) else target in numbers
        if not found:
            return Outcome.failed(
                f"Service {p.service} port {entry.get('port')} targets {target!r}, which the Pod "
                f"template of {p.workload.kind} {p.workload.name} does not declare.",
                *evidence,
            )
    return Outcome.passed("Every target port exists in the Pod template.", *evidence)


# -- reference_exists ---------------------------------------------------------------------


class ReferenceParams(Params):
    """`reference_exists`: the object a field of another object names exists."""

    kind: str
    name: str
    path: str
    """The field holding the name, e.g. `spec.ingressClassName`."""
    target_kind: str
    target_cluster_scoped: bool = False
    target_namespace: str | None = None
    """Logical namespace of the target (default: the referring object's)."""

    _path = field_validator("path")(_valid_path)


@check_type(
    "reference_exists",
    "state",
    ReferenceParams,
    describe=lambda p: f"The {p.target_kind} that {p.kind} {p.name} names exists",
)
def reference_exists(p: ReferenceParams, ctx: CheckContext) -> Outcome:
    """Resolve the referring field, then look the target up."""
    namespace = ctx.ns(p.namespace)
    obj = ctx.get(p.kind, p.name, namespace)
    if obj is None:
        return Outcome.failed(f"{p.kind} {namespace}/{p.name} does not exist.")
    target = resolve(obj, p.path)
    if target is MISSING or not isinstance(target, str) or not target:
        return Outcome.failed(f"{p.kind} {p.name}: {p.path} is not set.")
    where = None if p.target_cluster_scoped else ctx.ns(p.target_namespace or p.namespace)
    if ctx.get(p.target_kind, target, where) is None:
        shown = f"{where}/{target}" if where else target
        return Outcome.failed(
            f"{p.kind} {p.name} names {p.target_kind} {shown} in {p.path}, which does not exist.",
            f"{p.path} = {target}",
        )
    return Outcome.passed(f"{p.target_kind} {target} exists.", f"{p.path} = {target}")


# -- object_count -------------------------------------------------------------------------


class CountParams(Params):
    """`object_count`: how many objects of a kind carry these labels."""

    kind: str
    selector: dict[str, str] = Field(default_factory=dict)
    count: Count
    cluster_scoped: bool = False

    _count = field_validator("count")(validate_count)


@check_type(
    "object_count",
    "state",
    CountParams,
    describe=lambda p: f"{count_words(p.count)} {p.kind}(s) with {_fmt(p.selector)}",
)
def object_count(p: CountParams, ctx: CheckContext) -> Outcome:
    """Count objects by label selector."""
    namespace = None if p.cluster_scoped else ctx.ns(p.namespace)
    found = ctx.list(p.kind, namespace, p.selector)
    evidence = tuple(f"{p.kind} {o.get('metadata', {}).get('name')}" for o in found[:6])
    if count_ok(len(found), p.count):
        return Outcome.passed(f"{len(found)} {p.kind}(s) with {_fmt(p.selector)}.", *evidence)
    return Outcome.failed(
        f"{len(found)} {p.kind}(s) with {_fmt(p.selector)}; expected {count_words(p.count)}.",
        *evidence,
    )


# -- list_item ----------------------------------------------------------------------------


class ListItemParams(Params):
    """`list_item`: items of a list picked by several fields at once, e.g. the Ingress path
    with `path: /api` *and* `pathType: Prefix`."""

    kind: str
    name: str
    path: str
    """The list, e.g. `spec.rules[0].http.paths` (`[*]` steps flatten nested lists)."""
    where: dict[str, Any] = Field(min_length=1)
    """Item fields (dotted for nested ones) and the values they must all have."""
    count: Count = ">=1"
    field: str | None = None
    """With `expect`: the field of each picked item to judge."""
    expect: ValueExpect | None = None
    cluster_scoped: bool = False

    _path = field_validator("path")(_valid_path)
    _count = field_validator("count")(validate_count)


def _describe_where(where: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in where.items())


@check_type(
    "list_item",
    "state",
    ListItemParams,
    describe=lambda p: f"{p.kind} {p.name}: {p.path} has an item with {_describe_where(p.where)}",
)
def list_item(p: ListItemParams, ctx: CheckContext) -> Outcome:
    """Pick items matching every `where` field, count them, judge `field` on each."""
    namespace = None if p.cluster_scoped else ctx.ns(p.namespace)
    obj = ctx.get(p.kind, p.name, namespace)
    if obj is None:
        return Outcome.failed(f"{p.kind} {p.name} does not exist.")
    items = resolve(obj, p.path)
    if items is MISSING:
        items = []
    flat = _flatten(items)
    picked = [
        item
        for item in flat
        if isinstance(item, dict) and all(_same(item_field(item, k), v) for k, v in p.where.items())
    ]
    wanted = _describe_where(p.where)
    if not count_ok(len(picked), p.count):
        shown = [
            _describe_where({k: _show(item_field(i, k)) for k in p.where})
            for i in flat[:4]
            if isinstance(i, dict)
        ]
        return Outcome.failed(
            f"{p.kind} {p.name}: {len(picked)} item(s) of {p.path} with {wanted}; "
            f"expected {count_words(p.count)}.",
            *(f"item: {s}" for s in shown),
        )
    if p.expect is not None and p.field is not None:
        for item in picked:
            value = item_field(item, p.field)
            problem = p.expect.check(value)
            if problem is not None:
                return Outcome.failed(
                    f"{p.kind} {p.name}: the item with {wanted} has {p.field} {_show(value)}; "
                    f"it {problem}."
                )
    return Outcome.passed(f"{p.kind} {p.name}: {len(picked)} item(s) with {wanted}.")


def _flatten(items: Any) -> list[Any]:
    if not isinstance(items, list):
        return [items]
    out: list[Any] = []
    for item in items:
        out += _flatten(item) if isinstance(item, list) else [item]
    return out


def _same(actual: Any, wanted: Any) -> bool:
    if actual is MISSING:
        return False
    return actual == wanted or str(actual) == str(wanted)


# -- slice_entry --------------------------------------------------------------------------


class SlicePort(BaseModel):
    """One EndpointSlice port entry; every given field must match the same entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    port: int | None = None
    protocol: str | None = None


class SliceEntryParams(ServiceParams):
    """`slice_entry`: the Service's EndpointSlices carry a port entry as one unit, and
    (optionally) the addresses of the Pods a selector picks or given addresses."""

    port: SlicePort | None = None
    pod_ips_of: dict[str, str] | None = None
    """Labels of the Pods whose IPs must be among the slices' ready addresses."""
    addresses: list[str] | None = None
    """Addresses (placeholders allowed) that must be among the ready addresses."""


@check_type(
    "slice_entry",
    "state",
    SliceEntryParams,
    describe=lambda p: f"The EndpointSlices of {p.service} carry the expected entries",
    diagnose=("slice-not-linked", "slice-port-name", "selectorless-no-slices"),
)
def slice_entry(p: SliceEntryParams, ctx: CheckContext) -> Outcome:
    """Look for one port entry matching all given fields, and for the wanted addresses."""
    service, namespace = p.locate(ctx)
    if service is None:
        return p.missing(namespace)
    slices = ctx.slices_for(p.service, namespace)
    if not slices:
        return Outcome.failed(f"No EndpointSlice is linked to Service {p.service}.")
    problems = []
    evidence = []
    if p.port is not None:
        want = {k: v for k, v in p.port.model_dump().items() if v is not None}
        entries = [e for s in slices for e in s.get("ports") or []]
        evidence += [
            f"port entry: name={e.get('name', '')!r} port={e.get('port')} "
            f"protocol={e.get('protocol', 'TCP')}"
            for e in entries[:4]
        ]
        if not any(_port_matches(e, want) for e in entries):
            problems.append("no port entry " + " ".join(f"{k}={v}" for k, v in want.items()))
    ready = {
        a for _, e in slice_endpoints(slices) if endpoint_ready(e) for a in e.get("addresses", [])
    }
    wanted: list[str] = [ctx.expand(a) for a in p.addresses or []]
    if p.pod_ips_of is not None:
        pods = ctx.list("Pod", namespace, p.pod_ips_of)
        wanted += [str(x["status"].get("podIP")) for x in pods if pod_ready(x)]
        if not pods:
            problems.append(f"no Pod has {_fmt(p.pod_ips_of)}")
    missing = [a for a in wanted if a not in ready]
    if missing:
        problems.append(f"ready addresses lack {', '.join(missing)}")
    evidence.append(f"ready addresses: {', '.join(sorted(ready)) or '(none)'}")
    if problems:
        return Outcome.failed(
            f"EndpointSlices of {p.service}: " + "; ".join(problems) + ".", *evidence
        )
    return Outcome.passed(
        f"The EndpointSlices of {p.service} carry the expected entries.", *evidence
    )


def _port_matches(entry: Obj, want: dict[str, Any]) -> bool:
    actual = {
        "name": entry.get("name", ""),
        "port": entry.get("port"),
        "protocol": entry.get("protocol", "TCP"),
    }
    return all(actual[k] == v for k, v in want.items())


# -- node_coverage ------------------------------------------------------------------------


class CoverageParams(ServiceParams):
    """`node_coverage`: every node in a set has a ready endpoint of the Service (what
    `externalTrafficPolicy: Local` needs on every node that receives traffic)."""

    nodes: list[str] | None = None
    """Node names (default: every node that is not a control plane)."""
    node_selector: dict[str, str] | None = None
    """Or: the nodes with these labels (e.g. a zone)."""


@check_type(
    "node_coverage",
    "state",
    CoverageParams,
    describe=lambda p: f"Every node has a ready endpoint of {p.service}",
    diagnose=("local-no-endpoint",),
)
def node_coverage(p: CoverageParams, ctx: CheckContext) -> Outcome:
    """Compare the nodes of ready endpoints with the wanted nodes."""
    service, namespace = p.locate(ctx)
    if service is None:
        return p.missing(namespace)
    nodes = ctx.list("Node", None)
    if p.nodes is not None:
        wanted = sorted(p.nodes)
    elif p.node_selector is not None:
        wanted = sorted(
            n["metadata"]["name"]
            for n in nodes
            if matches_selector(n["metadata"].get("labels"), p.node_selector)
        )
    else:
        wanted = sorted(
            n["metadata"]["name"]
            for n in nodes
            if "node-role.kubernetes.io/control-plane" not in (n["metadata"].get("labels") or {})
        )
    covered = {
        str(e.get("nodeName"))
        for _, e in slice_endpoints(ctx.slices_for(p.service, namespace))
        if endpoint_ready(e)
    }
    bare = [n for n in wanted if n not in covered]
    evidence = (f"nodes with ready endpoints: {', '.join(sorted(covered)) or '(none)'}",)
    if not wanted:
        return Outcome.failed("No node matches the wanted set.", *evidence)
    if bare:
        return Outcome.failed(
            f"{len(bare)} of {len(wanted)} node(s) have no ready endpoint of {p.service}: "
            f"{', '.join(bare)}.",
            *evidence,
        )
    return Outcome.passed(f"All {len(wanted)} node(s) have a ready endpoint.", *evidence)
