"""Server-side printing: objects -> a `meta.k8s.io/v1` Table, as kube-apiserver prints them.

Built-in kinds follow k8s.io/kubernetes pkg/printers/internalversion/printers.go (`AddHandlers`
column definitions and the `print<Kind>` functions); the server always generates them with
`Wide: true` (pkg/printers/storage `TableConvertor`), kubectl hides priority-1 columns unless
`-o wide`. Gateway API kinds use their CRDs' `additionalPrinterColumns`
(k8s.io/apiextensions-apiserver pkg/registry/customresource/tableconvertor). Kinds without a
printer get NAME and CREATED AT (k8s.io/apiserver pkg/registry/rest/table.go
`defaultTableConvertor`). Row objects follow k8s.io/apiserver endpoints/handlers/response.go
`asTable`: PartialObjectMetadata, the whole object, or none.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from tutor.cluster.sim.api import openapi
from tutor.cluster.sim.api.printers import (
    format_label_selector,
    human_duration,
    meta_of,
    parse_time,
    print_binding,
    print_daemonset,
    print_deployment,
    print_endpoints,
    print_endpointslice,
    print_event,
    print_ingress,
    print_ingressclass,
    print_ipaddress,
    print_node,
    print_pod,
    print_replicaset,
    print_service,
    print_statefulset,
    simple_printer,
    spec_of,
    status_of,
)

Obj = dict[str, Any]
Column = tuple[str, str, str, int, str]
"""(name, type, format, priority, description)"""


# Column descriptions come from the same Go doc comments as the OpenAPI descriptions
# (`SwaggerDoc()`), so they are read from the schema data: (model, field) pairs.
_D = "io.k8s.api.core.v1."
_NAME = ("Name", "string", "name", 0, "@" + openapi.META + "ObjectMeta:name")
_AGE = ("Age", "string", "", 0, "@" + openapi.META + "ObjectMeta:creationTimestamp")
_CONTAINERS = ("Containers", "string", "", 1, "Names of each container in the template.")
_IMAGES = ("Images", "string", "", 1, "Images referenced by each container in the template.")

_PRINTERS: dict[str, tuple[tuple[Column, ...], Callable[[Obj, datetime], list[Any]]]] = {
    "Pod": (
        (
            _NAME,
            (
                "Ready",
                "string",
                "",
                0,
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            ("Status", "string", "", 0, "The aggregate status of the containers in this pod."),
            (
                "Restarts",
                "string",
                "",
                0,
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            _AGE,
            ("IP", "string", "", 1, f"@{_D}PodStatus:podIP"),
            ("Node", "string", "", 1, f"@{_D}PodSpec:nodeName"),
            ("Nominated Node", "string", "", 1, f"@{_D}PodStatus:nominatedNodeName"),
            ("Readiness Gates", "string", "", 1, f"@{_D}PodSpec:readinessGates"),
        ),
        print_pod,
    ),
    "Service": (
        (
            _NAME,
            ("Type", "string", "", 0, f"@{_D}ServiceSpec:type"),
            ("Cluster-IP", "string", "", 0, f"@{_D}ServiceSpec:clusterIP"),
            ("External-IP", "string", "", 0, f"@{_D}ServiceSpec:externalIPs"),
            ("Port(s)", "string", "", 0, f"@{_D}ServiceSpec:ports"),
            _AGE,
            ("Selector", "string", "", 1, f"@{_D}ServiceSpec:selector"),
        ),
        print_service,
    ),
    "Endpoints": (
        (_NAME, ("Endpoints", "string", "", 0, f"@{_D}Endpoints:subsets"), _AGE),
        print_endpoints,
    ),
    "EndpointSlice": (
        (
            _NAME,
            ("AddressType", "string", "", 0, "@io.k8s.api.discovery.v1.EndpointSlice:addressType"),
            ("Ports", "string", "", 0, "@io.k8s.api.discovery.v1.EndpointSlice:ports"),
            ("Endpoints", "string", "", 0, "@io.k8s.api.discovery.v1.EndpointSlice:endpoints"),
            _AGE,
        ),
        print_endpointslice,
    ),
    "Ingress": (
        (
            _NAME,
            (
                "Class",
                "string",
                "",
                0,
                "The name of the IngressClass resource that should be used for additional configuration",
            ),
            (
                "Hosts",
                "string",
                "",
                0,
                "Hosts that incoming requests are matched against before the ingress rule",
            ),
            (
                "Address",
                "string",
                "",
                0,
                "Address is a list containing ingress points for the load-balancer",
            ),
            ("Ports", "string", "", 0, "Ports of TLS configurations that open"),
            _AGE,
        ),
        print_ingress,
    ),
    "IngressClass": (
        (
            _NAME,
            (
                "Controller",
                "string",
                "",
                0,
                "Controller that is responsible for handling this class",
            ),
            ("Parameters", "string", "", 0, "A reference to a resource with additional parameters"),
            _AGE,
        ),
        print_ingressclass,
    ),
    "Deployment": (
        (
            _NAME,
            ("Ready", "string", "", 0, "Number of the pod with ready state"),
            ("Up-to-date", "string", "", 0, "@io.k8s.api.apps.v1.DeploymentStatus:updatedReplicas"),
            (
                "Available",
                "string",
                "",
                0,
                "@io.k8s.api.apps.v1.DeploymentStatus:availableReplicas",
            ),
            _AGE,
            _CONTAINERS,
            _IMAGES,
            ("Selector", "string", "", 1, "@io.k8s.api.apps.v1.DeploymentSpec:selector"),
        ),
        print_deployment,
    ),
    "ReplicaSet": (
        (
            _NAME,
            ("Desired", "integer", "", 0, "@io.k8s.api.apps.v1.ReplicaSetSpec:replicas"),
            ("Current", "integer", "", 0, "@io.k8s.api.apps.v1.ReplicaSetStatus:replicas"),
            ("Ready", "integer", "", 0, "@io.k8s.api.apps.v1.ReplicaSetStatus:readyReplicas"),
            _AGE,
            _CONTAINERS,
            _IMAGES,
            ("Selector", "string", "", 1, "@io.k8s.api.apps.v1.ReplicaSetSpec:selector"),
        ),
        print_replicaset,
    ),
    "StatefulSet": (
        (
            _NAME,
            ("Ready", "string", "", 0, "Number of the pod with ready state"),
            _AGE,
            _CONTAINERS,
            _IMAGES,
        ),
        print_statefulset,
    ),
    "DaemonSet": (
        (
            _NAME,
            (
                "Desired",
                "integer",
                "",
                0,
                "@io.k8s.api.apps.v1.DaemonSetStatus:desiredNumberScheduled",
            ),
            (
                "Current",
                "integer",
                "",
                0,
                "@io.k8s.api.apps.v1.DaemonSetStatus:currentNumberScheduled",
            ),
            ("Ready", "integer", "", 0, "@io.k8s.api.apps.v1.DaemonSetStatus:numberReady"),
            (
                "Up-to-date",
                "integer",
                "",
                0,
                "@io.k8s.api.apps.v1.DaemonSetStatus:updatedNumberScheduled",
            ),
            ("Available", "integer", "", 0, "@io.k8s.api.apps.v1.DaemonSetStatus:numberAvailable"),
            ("Node Selector", "string", "", 0, f"@{_D}PodSpec:nodeSelector"),
            _AGE,
            _CONTAINERS,
            _IMAGES,
            ("Selector", "string", "", 1, "@io.k8s.api.apps.v1.DaemonSetSpec:selector"),
        ),
        print_daemonset,
    ),
    "Node": (
        (
            _NAME,
            ("Status", "string", "", 0, "The status of the node"),
            ("Roles", "string", "", 0, "The roles of the node"),
            _AGE,
            ("Version", "string", "", 0, f"@{_D}NodeSystemInfo:kubeletVersion"),
            ("Internal-IP", "string", "", 1, f"@{_D}NodeStatus:addresses"),
            ("External-IP", "string", "", 1, f"@{_D}NodeStatus:addresses"),
            ("OS-Image", "string", "", 1, f"@{_D}NodeSystemInfo:osImage"),
            ("Kernel-Version", "string", "", 1, f"@{_D}NodeSystemInfo:kernelVersion"),
            ("Container-Runtime", "string", "", 1, f"@{_D}NodeSystemInfo:containerRuntimeVersion"),
        ),
        print_node,
    ),
    "Event": (
        (
            ("Last Seen", "string", "", 0, f"@{_D}Event:lastTimestamp"),
            ("Type", "string", "", 0, f"@{_D}Event:type"),
            ("Reason", "string", "", 0, f"@{_D}Event:reason"),
            ("Object", "string", "", 0, f"@{_D}Event:involvedObject"),
            ("Subobject", "string", "", 1, f"@{_D}ObjectReference:fieldPath"),
            ("Source", "string", "", 1, f"@{_D}Event:source"),
            ("Message", "string", "", 0, f"@{_D}Event:message"),
            ("First Seen", "string", "", 1, f"@{_D}Event:firstTimestamp"),
            ("Count", "string", "", 1, f"@{_D}Event:count"),
            ("Name", "string", "name", 1, "@" + openapi.META + "ObjectMeta:name"),
        ),
        print_event,
    ),
    "Namespace": (
        (_NAME, ("Status", "string", "", 0, "The status of the namespace"), _AGE),
        simple_printer(lambda o: status_of(o).get("phase", "")),
    ),
    "Secret": (
        (
            _NAME,
            ("Type", "string", "", 0, f"@{_D}Secret:type"),
            ("Data", "string", "", 0, f"@{_D}Secret:data"),
            _AGE,
        ),
        simple_printer(lambda o: o.get("type", ""), lambda o: len(o.get("data") or {})),
    ),
    "ConfigMap": (
        (_NAME, ("Data", "string", "", 0, f"@{_D}ConfigMap:data"), _AGE),
        simple_printer(lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
    ),
    "ServiceAccount": (
        (_NAME, ("Secrets", "string", "", 0, f"@{_D}ServiceAccount:secrets"), _AGE),
        simple_printer(lambda o: len(o.get("secrets") or [])),
    ),
    "NetworkPolicy": (
        (
            _NAME,
            (
                "Pod-Selector",
                "string",
                "",
                0,
                "@io.k8s.api.networking.v1.NetworkPolicySpec:podSelector",
            ),
            _AGE,
        ),
        simple_printer(lambda o: format_label_selector(spec_of(o).get("podSelector") or {})),
    ),
    "ServiceCIDR": (
        (
            _NAME,
            ("CIDRs", "string", "", 0, "@io.k8s.api.networking.v1.ServiceCIDRSpec:cidrs"),
            _AGE,
        ),
        simple_printer(lambda o: ",".join(spec_of(o).get("cidrs") or [])),
    ),
    "IPAddress": (
        # Upstream declares only NAME and PARENTREF but prints the age as a third cell; the
        # column is named here so the row and the header have the same length.
        (
            _NAME,
            ("ParentRef", "string", "", 0, "@io.k8s.api.networking.v1.IPAddressSpec:parentRef"),
            _AGE,
        ),
        print_ipaddress,
    ),
}
_BINDING_COLUMNS: tuple[Column, ...] = (
    _NAME,
    ("Role", "string", "", 0, "@io.k8s.api.rbac.v1.RoleBinding:roleRef"),
    _AGE,
    ("Users", "string", "", 1, "Users in the roleBinding"),
    ("Groups", "string", "", 1, "Groups in the roleBinding"),
    ("ServiceAccounts", "string", "", 1, "ServiceAccounts in the roleBinding"),
)
_PRINTERS["RoleBinding"] = (_BINDING_COLUMNS, print_binding)
_PRINTERS["ClusterRoleBinding"] = (
    tuple(
        (
            n,
            t,
            f,
            p,
            d.replace("roleBinding", "clusterRoleBinding").replace(
                "RoleBinding:", "ClusterRoleBinding:"
            ),
        )
        for n, t, f, p, d in _BINDING_COLUMNS
    ),
    print_binding,
)


def _description(text: str) -> str:
    """A column description: literal, or `@model:field` read from the OpenAPI data."""
    if not text.startswith("@"):
        return text
    model, _, field = text[1:].partition(":")
    schema = openapi._definitions().get(model, {})
    prop = schema.get("properties", {}).get(field, {})
    return str(prop.get("description", ""))


def _columns(columns: Sequence[Column]) -> list[Obj]:
    return [
        {
            "name": name,
            "type": typ,
            "format": fmt,
            "description": _description(desc),
            "priority": priority,
        }
        for name, typ, fmt, priority, desc in columns
    ]


# -- CRD printer columns ---------------------------------------------------------------

_FILTER = re.compile(r'^\[\?\(@\.(?P<field>[A-Za-z0-9_]+)=="(?P<value>[^"]*)"\)\]')


def _jsonpath(obj: Any, path: str) -> list[Any]:
    """The subset of client-go's JSONPath the CRDs' printer columns use: `.a.b`, `[*]`,
    `[N]` and `[?(@.field=="value")]`; missing keys give no result (AllowMissingKeys)."""
    values = [obj]
    rest = path
    while rest:
        if rest.startswith("."):
            match = re.match(r"^\.([A-Za-z0-9_\-]+)", rest)
            if match is None:
                return []
            key = match.group(1)
            values = [v[key] for v in values if isinstance(v, dict) and key in v]
            rest = rest[match.end() :]
        elif rest.startswith("[*]"):
            values = [item for v in values if isinstance(v, list) for item in v]
            rest = rest[3:]
        elif (index := re.match(r"^\[(\d+)\]", rest)) is not None:
            i = int(index.group(1))
            values = [v[i] for v in values if isinstance(v, list) and len(v) > i]
            rest = rest[index.end() :]
        elif (flt := _FILTER.match(rest)) is not None:
            field, want = flt.group("field"), flt.group("value")
            values = [
                item
                for v in values
                if isinstance(v, list)
                for item in v
                if isinstance(item, dict) and item.get(field) == want
            ]
            rest = rest[flt.end() :]
        else:
            return []
    return values


def _crd_cell(column: Obj, obj: Obj, now: datetime) -> Any:
    """tableconvertor.go `ConvertToTable`/`cellForJSONValue`: the first result; strings print
    as text, lists and maps as compact JSON; dates as an age; a missing value is null."""
    results = _jsonpath(obj, column["jsonPath"])
    if not results:
        return None
    value = results[0]
    kind = column["type"]
    if kind == "string":
        if isinstance(value, dict | list):
            return json.dumps(value, separators=(",", ":"))
        if isinstance(value, bool):
            return "true" if value else "false"
        return "null" if value is None else str(value)
    if value is None:
        return None
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        when = parse_time(value)
        return "<invalid>" if when is None else human_duration((now - when).total_seconds())
    return None


def _crd_printer(
    kind: str, version: str
) -> tuple[list[Obj], Callable[[Obj, datetime], list[Any]]] | None:
    served = openapi.crd_version(kind, version)
    if served is None:
        return None
    crd_columns = served.get("additionalPrinterColumns") or [
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
    ]
    columns = [
        {
            "name": "Name",
            "type": "string",
            "format": "name",
            "description": _description(_NAME[4]),
            "priority": 0,
        }
    ]
    for col in crd_columns:
        columns.append(
            {
                "name": col["name"],
                "type": col["type"],
                "format": col.get("format", ""),
                "description": col.get("description")
                or f"Custom resource definition column (in JSONPath format): {col['jsonPath']}",
                "priority": col.get("priority", 0),
            }
        )

    def row(obj: Obj, now: datetime) -> list[Any]:
        return [meta_of(obj).get("name", ""), *(_crd_cell(c, obj, now) for c in crd_columns)]

    return columns, row


# -- the table -------------------------------------------------------------------------


def _default_row(obj: Obj, now: datetime) -> list[Any]:
    """rest/table.go: the name and the creation time in RFC 3339, UTC."""
    when = parse_time(meta_of(obj).get("creationTimestamp"))
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else "0001-01-01T00:00:00Z"
    return [meta_of(obj).get("name", ""), stamp]


_DEFAULT_COLUMNS: tuple[Column, ...] = (
    _NAME,
    ("Created At", "date", "", 0, "@" + openapi.META + "ObjectMeta:creationTimestamp"),
)


def _row_object(obj: Obj, include_object: str) -> Obj | None:
    if include_object == "Object":
        return obj
    if include_object == "None":
        return None
    return {
        "apiVersion": "meta.k8s.io/v1",
        "kind": "PartialObjectMetadata",
        "metadata": meta_of(obj),
    }


def to_table(
    kind: str,
    objects: Sequence[Obj],
    *,
    now: datetime,
    include_object: str = "Metadata",
    api_version: str | None = None,
    no_headers: bool = False,
    resource_version: str = "",
) -> Obj:
    """A `meta.k8s.io/v1` Table of some objects of one kind, with the columns and cells the
    real API server prints (all columns; kubectl shows priority 1 only with `-o wide`).

    `include_object` is the request's `includeObject`: `Metadata` (default; each row's object
    is a PartialObjectMetadata), `Object` (the object itself) or `None`. `api_version` picks
    the CRD version whose printer columns apply (default: the first object's, else the kind's
    first served version). Raises ValueError for another `include_object`, as the server
    answers 400 (`unrecognized includeObject value`).
    """
    if include_object not in ("Metadata", "Object", "None", ""):
        raise ValueError(f'unrecognized includeObject value: "{include_object}"')
    include_object = include_object or "Metadata"
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    version = api_version or next(
        (str(o["apiVersion"]) for o in objects if o.get("apiVersion")), ""
    )
    group, _, ver = version.rpartition("/")
    crd = None
    if group == openapi.CRD_GROUP or (not version and openapi.crd_names(kind)):
        ver = ver or next(
            s.version for s in openapi.SERVED if s.kind == kind and s.group == openapi.CRD_GROUP
        )
        crd = _crd_printer(kind, ver)
    if crd is not None:
        columns, printer = crd
    elif kind in _PRINTERS:
        column_specs, printer = _PRINTERS[kind]
        columns = _columns(column_specs)
    else:
        columns, printer = _columns(_DEFAULT_COLUMNS), _default_row
    rows = [
        {"cells": printer(obj, now), "object": _row_object(obj, include_object)} for obj in objects
    ]
    table: Obj = {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version} if resource_version else {},
        "columnDefinitions": [] if no_headers else columns,
        "rows": rows,
    }
    return table
