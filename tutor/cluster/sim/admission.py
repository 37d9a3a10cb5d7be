"""Admission for the simulator: the API server's defaults, allocations and validation.

`Admission.admit` turns one manifest (plus the stored object, on update) into the object to
store, or collects `FieldProblem`s in the API server's words. Allocations (ClusterIPs,
nodePorts) go through an `Allocations` object that `apply` copies first, so a batch with one
invalid object changes nothing.
"""

from __future__ import annotations

import ipaddress
import json
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tutor.cluster.base import (
    FIELD_MANAGER,
    ConflictError,
    FieldProblem,
    InvalidObjectError,
    NotFoundError,
)
from tutor.cluster.sim.endpoints_mirror import admit_endpoints
from tutor.cluster.sim.service_strategy import (
    cluster_ips_change,
    drop_type_dependent_fields,
    port_name_errors,
)
from tutor.cluster.sim.store import Store, deep_copy, is_cluster_scoped
from tutor.cluster.sim.topology import (
    NODE_PORT_MAX,
    NODE_PORT_MIN,
    SERVICE_CIDR,
)

Obj = dict[str, Any]

GATEWAY_GROUP = "gateway.networking.k8s.io"

API_VERSIONS: dict[str, tuple[str, ...]] = {
    "Namespace": ("v1",),
    "Pod": ("v1",),
    "Service": ("v1",),
    "ConfigMap": ("v1",),
    "Secret": ("v1",),
    "ServiceAccount": ("v1",),
    "Deployment": ("apps/v1",),
    "ReplicaSet": ("apps/v1",),
    "StatefulSet": ("apps/v1",),
    "DaemonSet": ("apps/v1",),
    "EndpointSlice": ("discovery.k8s.io/v1",),
    "Endpoints": ("v1",),
    "Ingress": ("networking.k8s.io/v1",),
    "IngressClass": ("networking.k8s.io/v1",),
    "Gateway": (f"{GATEWAY_GROUP}/v1", f"{GATEWAY_GROUP}/v1beta1"),
    "GatewayClass": (f"{GATEWAY_GROUP}/v1", f"{GATEWAY_GROUP}/v1beta1"),
    "HTTPRoute": (f"{GATEWAY_GROUP}/v1", f"{GATEWAY_GROUP}/v1beta1"),
    "ReferenceGrant": (f"{GATEWAY_GROUP}/v1beta1", f"{GATEWAY_GROUP}/v1"),
}
"""Kinds the simulator accepts from manifests, with their served apiVersions."""

_NO_SPEC = frozenset(
    {"ConfigMap", "Secret", "Namespace", "EndpointSlice", "Endpoints", "ServiceAccount"}
)
"""Kinds without a `spec`."""
_NO_GENERATION = frozenset({"ConfigMap", "Secret", "Namespace", "Endpoints", "ServiceAccount"})
"""Kinds whose registry strategy never sets `metadata.generation`."""

SYSTEM_KINDS = frozenset({"Node", "Event", "ServiceCIDR", "IPAddress"})
"""Kinds the simulator has but only its own components write."""

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_IANA_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_WILDCARD_HOST = re.compile(
    r"^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)

DNS_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)

# The static/dynamic band split of KEP-3070 (ClusterIPs) and KEP-3668 (nodePorts).
_CIDR_SIZE = SERVICE_CIDR.num_addresses
CLUSTER_IP_STATIC_BAND = min(max(16, _CIDR_SIZE // 16), 256)
"""Addresses at the start of the range preferred for hand-picked ClusterIPs (256 for a /16)."""
_NODE_PORT_SIZE = NODE_PORT_MAX - NODE_PORT_MIN + 1
NODE_PORT_STATIC_BAND = min(max(16, _NODE_PORT_SIZE // 32), 128)
"""nodePorts at the start of the range preferred for hand-picked ports (86 by default)."""


def stable_hash(text: str) -> int:
    """A 32-bit hash that is the same in every run (unlike `hash()`): CRC-32."""
    return zlib.crc32(text.encode())


# -- allocations ------------------------------------------------------------------------------


class Allocations:
    """ClusterIPs and nodePorts in use. Dynamic picks are a hash of the owner's name probed
    through the upper (dynamic) band first, so one Service gets the same address every time."""

    def __init__(self) -> None:
        self.cluster_ips: dict[str, tuple[str, str]] = {}
        """IP -> (namespace, service name)"""
        self.node_ports: dict[int, tuple[str, str]] = {}
        """port -> (namespace, service name)"""

    def copy(self) -> Allocations:
        """An independent copy (a transaction to commit by replacing the original)."""
        other = Allocations()
        other.cluster_ips = dict(self.cluster_ips)
        other.node_ports = dict(self.node_ports)
        return other

    def allocate_ip(self, owner: tuple[str, str]) -> str | None:
        """A free ClusterIP for `owner`, preferring the dynamic band."""
        base = int(SERVICE_CIDR.network_address)
        first_dynamic = CLUSTER_IP_STATIC_BAND + 1
        last = _CIDR_SIZE - 2
        span = last - first_dynamic + 1
        start = stable_hash(f"{owner[0]}/{owner[1]}") % span
        for step in range(span):
            offset = first_dynamic + (start + step) % span
            ip = str(ipaddress.IPv4Address(base + offset))
            if ip not in self.cluster_ips:
                self.cluster_ips[ip] = owner
                return ip
        for offset in range(1, first_dynamic):
            ip = str(ipaddress.IPv4Address(base + offset))
            if ip not in self.cluster_ips:
                self.cluster_ips[ip] = owner
                return ip
        return None

    def allocate_port(self, owner: tuple[str, str], salt: str) -> int | None:
        """A free nodePort for `owner`, preferring the dynamic band."""
        first_dynamic = NODE_PORT_MIN + NODE_PORT_STATIC_BAND
        span = NODE_PORT_MAX - first_dynamic + 1
        start = stable_hash(f"{owner[0]}/{owner[1]}/{salt}") % span
        for step in range(span):
            port = first_dynamic + (start + step) % span
            if port not in self.node_ports:
                self.node_ports[port] = owner
                return port
        for port in range(NODE_PORT_MIN, first_dynamic):
            if port not in self.node_ports:
                self.node_ports[port] = owner
                return port
        return None

    def release_service(self, owner: tuple[str, str]) -> None:
        """Free everything a Service holds."""
        for ip in [ip for ip, o in self.cluster_ips.items() if o == owner]:
            del self.cluster_ips[ip]
        for port in [p for p, o in self.node_ports.items() if o == owner]:
            del self.node_ports[port]


# -- problems ---------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class Problems:
    """Collects field problems worded like the API server's."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, path: str, message: str) -> None:
        """Any problem."""
        self.items.append(FieldProblem(path, message))

    def invalid(self, path: str, value: Any, detail: str) -> None:
        """`Invalid value: <value>: <detail>`."""
        self.add(path, f"Invalid value: {_fmt(value)}: {detail}")

    def required(self, path: str, detail: str = "") -> None:
        """`Required value`."""
        self.add(path, "Required value" + (f": {detail}" if detail else ""))

    def unsupported(self, path: str, value: Any, allowed: Sequence[str]) -> None:
        """`Unsupported value: <value>: supported values: ...`."""
        values = ", ".join(_fmt(a) for a in allowed)
        self.add(path, f"Unsupported value: {_fmt(value)}: supported values: {values}")

    def duplicate(self, path: str, value: Any) -> None:
        """`Duplicate value`."""
        self.add(path, f"Duplicate value: {_fmt(value)}")

    def forbidden(self, path: str, detail: str) -> None:
        """`Forbidden: <detail>`."""
        self.add(path, f"Forbidden: {detail}")


def invalid_error(kind: str, name: str, problems: Sequence[FieldProblem]) -> InvalidObjectError:
    """An `InvalidObjectError` with kubectl's wording."""
    if len(problems) == 1:
        text = f"{problems[0].path}: {problems[0].message}"
    else:
        text = "[" + ", ".join(f"{p.path}: {p.message}" for p in problems) + "]"
    return InvalidObjectError(f'{kind} "{name}" is invalid: {text}', problems, kind=kind, name=name)


# -- small validators -------------------------------------------------------------------------


def _check_dns_label(problems: Problems, path: str, value: Any) -> None:
    if not isinstance(value, str) or len(value) > 63 or not _DNS_LABEL.match(value):
        detail = (
            "must be no more than 63 characters"
            if isinstance(value, str) and len(value) > 63
            else DNS_LABEL_MSG
        )
        problems.invalid(path, value, detail)


def _check_dns_subdomain(problems: Problems, path: str, value: Any) -> None:
    if not isinstance(value, str) or len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        problems.invalid(path, value, DNS_SUBDOMAIN_MSG)


def is_iana_svc_name(value: str) -> bool:
    """A port name: at most 15 characters, lowercase alphanumerics and '-', at least one
    letter, no leading/trailing/double '-'."""
    return (
        1 <= len(value) <= 15
        and bool(_IANA_SVC_NAME.match(value))
        and "--" not in value
        and any(c.isalpha() for c in value)
    )


def _check_labels(problems: Problems, path: str, labels: Any) -> None:
    if labels is None:
        return
    if not isinstance(labels, dict):
        problems.invalid(path, labels, "must be a map of strings")
        return
    for key, value in labels.items():
        name = key.rsplit("/", 1)[-1] if isinstance(key, str) else ""
        prefix = key.rsplit("/", 1)[0] if isinstance(key, str) and "/" in key else ""
        if not name or len(name) > 63 or not _LABEL_NAME.match(name):
            problems.invalid(
                f"{path}[{_fmt(key)}]" if path else key,
                key,
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                "start and end with an alphanumeric character",
            )
        elif prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
            problems.invalid(f"{path}[{_fmt(key)}]", key, "prefix part " + DNS_SUBDOMAIN_MSG)
        if not isinstance(value, str):
            problems.invalid(f"{path}[{_fmt(key)}]", value, "label values must be strings")
        elif len(value) > 63 or not _LABEL_VALUE.match(value):
            problems.invalid(
                f"{path}[{_fmt(key)}]",
                value,
                "a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character",
            )


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return None


def _check_port_number(
    problems: Problems, path: str, value: Any, *, allow_zero: bool = False
) -> None:
    number = _int(value)
    low = 0 if allow_zero else 1
    if number is None or not low <= number <= 65535:
        problems.invalid(path, value, f"must be between {low} and 65535, inclusive")


# -- label selectors --------------------------------------------------------------------------


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A `metav1.LabelSelector` (matchLabels + matchExpressions) against labels; an empty
    selector matches everything."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key = expr.get("key", "")
        op = expr.get("operator", "")
        values = expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _check_label_selector(problems: Problems, path: str, selector: Any) -> None:
    if not isinstance(selector, dict):
        problems.invalid(path, selector, "must be a label selector")
        return
    _check_labels(problems, f"{path}.matchLabels", selector.get("matchLabels"))
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        op = expr.get("operator")
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            problems.unsupported(
                f"{path}.matchExpressions[{i}].operator",
                op,
                ["In", "NotIn", "Exists", "DoesNotExist"],
            )
        elif op in ("In", "NotIn") and not expr.get("values"):
            problems.required(
                f"{path}.matchExpressions[{i}].values",
                "must be specified when `operator` is 'In' or 'NotIn'",
            )
        elif op in ("Exists", "DoesNotExist") and expr.get("values"):
            problems.forbidden(
                f"{path}.matchExpressions[{i}].values",
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )


# -- the admission chain ----------------------------------------------------------------------


@dataclass
class Admitted:
    """The outcome of admitting one manifest."""

    obj: Obj
    """What to store."""
    existing: Obj | None
    action: Literal["created", "configured", "unchanged"]
    """`created`, `configured` or `unchanged`."""
    manifest: Obj = field(default_factory=dict)
    """The manifest as given (normalised), remembered to detect `unchanged` next time."""


class Admission:
    """Defaults, allocates and validates manifests against the current store."""

    def __init__(self, store: Store, applied: Mapping[tuple[str, str, str], Obj]) -> None:
        self.store = store
        self.applied = applied
        """The last manifest applied per object (what kube-tutor's field manager owns)."""

    def admit(
        self,
        manifest: Obj,
        namespace: str,
        alloc: Allocations,
        new_namespaces: set[str],
    ) -> Admitted:
        """Admit one manifest into `namespace` (unless it names its own, or is
        cluster-scoped). Raises `InvalidObjectError`, `ConflictError` or `NotFoundError`."""
        if not isinstance(manifest, dict):
            raise InvalidObjectError(
                "object is not a mapping", [FieldProblem("", "Invalid value: not an object")]
            )
        kind = manifest.get("kind")
        api_version = manifest.get("apiVersion")
        if not isinstance(kind, str) or not kind:
            raise InvalidObjectError(
                "Object 'Kind' is missing in the manifest", [FieldProblem("kind", "Required value")]
            )
        if kind not in API_VERSIONS:
            supported = ", ".join(sorted(API_VERSIONS))
            raise InvalidObjectError(
                f'no matches for kind "{kind}" in version "{api_version}"',
                [FieldProblem("kind", f"Unsupported value: {_fmt(kind)}")],
                hint=f"The simulated cluster knows these kinds: {supported}.",
            )
        if api_version not in API_VERSIONS[kind]:
            raise InvalidObjectError(
                f'no matches for kind "{kind}" in version "{api_version}"',
                [
                    FieldProblem(
                        "apiVersion",
                        f"Unsupported value: {_fmt(api_version)}: supported values: "
                        + ", ".join(_fmt(v) for v in API_VERSIONS[kind]),
                    )
                ],
                hint=f"Use apiVersion {API_VERSIONS[kind][0]} for {kind}.",
            )
        manifest = deep_copy(manifest)
        meta = manifest.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise invalid_error(kind, "", [FieldProblem("metadata", "Invalid value: not a map")])
        for server_field in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
            meta.pop(server_field, None)
        name = meta.get("name")
        problems = Problems()
        if not name:
            problems.required("metadata.name", "name or generateName is required")
            raise invalid_error(kind, "", problems.items)
        if is_cluster_scoped(kind):
            meta.pop("namespace", None)
            ns = ""
        else:
            ns = meta.get("namespace") or namespace
            meta["namespace"] = ns
            if self.store.get("Namespace", "", ns) is None and ns not in new_namespaces:
                raise NotFoundError(
                    f'namespaces "{ns}" not found',
                    hint=f"Create the namespace {ns} first (or apply it in the same batch).",
                )
        if kind in ("Service", "Namespace"):
            _check_dns_label(problems, "metadata.name", name)
        else:
            _check_dns_subdomain(problems, "metadata.name", name)
        _check_labels(problems, "metadata.labels", meta.get("labels"))
        key = (kind, ns, str(name))
        existing = self.store.get(kind, ns, str(name))
        if existing is not None:
            self._check_ownership(kind, existing, manifest)
        previous = self.applied.get(key)
        if existing is not None and previous is not None and previous == manifest:
            return Admitted(existing, existing, "unchanged", manifest)
        obj = deep_copy(manifest)
        if kind not in _NO_SPEC:
            obj.setdefault("spec", {})
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, obj, existing, problems, alloc)
        if problems:
            raise invalid_error(kind, str(name), problems.items)
        meta = obj["metadata"]
        if existing is not None:
            old_meta = existing["metadata"]
            generation = old_meta.get("generation", 1)
            if existing.get("spec") != obj.get("spec"):
                generation += 1
            if "generation" in old_meta or kind not in _NO_GENERATION:
                meta["generation"] = generation
            if "status" in existing and "status" not in manifest:
                obj["status"] = existing["status"]
        elif kind not in _NO_GENERATION:
            meta["generation"] = 1
        meta["managedFields"] = [{"manager": FIELD_MANAGER, "operation": "Apply"}]
        if existing is None:
            return Admitted(obj, existing, "created", manifest)
        return Admitted(obj, existing, "configured", manifest)

    def _check_ownership(self, kind: str, existing: Obj, manifest: Obj) -> None:
        managers = [m.get("manager") for m in existing["metadata"].get("managedFields") or []]
        if managers and FIELD_MANAGER not in managers:
            owner = managers[0]
            name = existing["metadata"]["name"]
            raise ConflictError(
                f'Apply failed with 1 conflict: conflict with "{owner}": {kind} "{name}" is '
                f"managed by {owner}",
                hint=(
                    f"{kind} {name} was made by a controller, not by you: change the object "
                    "that owns it instead (or delete it and let the controller recreate it)."
                ),
            )

    # -- per-kind handlers -------------------------------------------------------------------

    def service(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Service defaults, allocation and validation."""
        spec = obj["spec"]
        meta = obj["metadata"]
        owner = (meta["namespace"], meta["name"])
        old_spec = (old or {}).get("spec") or {}
        obj.setdefault("status", {"loadBalancer": {}})
        svc_type = spec.setdefault("type", "ClusterIP")
        types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
        if svc_type not in types:
            problems.unsupported("spec.type", svc_type, types)
            return
        ports = spec.get("ports") or []
        if not isinstance(ports, list):
            problems.invalid("spec.ports", ports, "must be a list")
            return
        if old is not None:
            drop_type_dependent_fields(spec, old_spec, obj.get("status"))
        spec.setdefault("sessionAffinity", "None")
        _check_labels(problems, "spec.selector", spec.get("selector"))  # a map, never a string
        external = svc_type in ("NodePort", "LoadBalancer")
        headless = spec.get("clusterIP") == "None" or (
            not spec.get("clusterIP") and (spec.get("clusterIPs") or [None])[0] == "None"
        )
        if headless and external:
            # validation.go ValidateService: a headless Service has no ClusterIP to NAT to
            problems.invalid(
                "spec.clusterIPs[0]", "None", f"may not be set to 'None' for {svc_type} services"
            )

        if svc_type == "ExternalName":
            ext = spec.get("externalName")
            if not ext:
                problems.required("spec.externalName")
            elif (
                not isinstance(ext, str)
                or len(ext) > 253
                or not _DNS_SUBDOMAIN.match(ext.rstrip("."))
            ):
                problems.invalid("spec.externalName", ext, DNS_SUBDOMAIN_MSG)
            for bad in ("clusterIP", "clusterIPs"):
                value = spec.get(bad)
                if value and value != "None" and value != ["None"]:
                    problems.forbidden(f"spec.{bad}", "may not be set for ExternalName services")
            for f in ("ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"):
                spec.pop(f, None)
        elif not ports and not headless:
            problems.required("spec.ports")

        # ports
        names: set[str] = set()
        seen: set[tuple[int, str]] = set()
        for i, port in enumerate(ports):
            path = f"spec.ports[{i}]"
            if not isinstance(port, dict):
                problems.invalid(path, port, "must be an object")
                continue
            protocol = port.setdefault("protocol", "TCP")
            if protocol not in ("TCP", "UDP", "SCTP"):
                problems.unsupported(f"{path}.protocol", protocol, ["SCTP", "TCP", "UDP"])
            _check_port_number(problems, f"{path}.port", port.get("port"))
            pname = port.get("name")
            if len(ports) > 1 and not pname:
                problems.required(f"{path}.name")
            if pname:
                _check_dns_label(problems, f"{path}.name", pname)
                if pname in names:
                    problems.duplicate(f"{path}.name", pname)
                names.add(pname)
            number = _int(port.get("port"))
            if number is not None:
                if (number, protocol) in seen:
                    problems.duplicate(path, {"port": number, "protocol": protocol})
                seen.add((number, protocol))
            if ("targetPort" not in port or port.get("targetPort") in (0, "")) and (
                number is not None
            ):
                port["targetPort"] = number
            target = port.get("targetPort")
            if isinstance(target, str):
                # IntOrString: "8080" is a port *name* (ValidatePortNumOrName), and no valid one
                for message in port_name_errors(target):
                    problems.invalid(f"{path}.targetPort", target, message)
            if isinstance(port.get("targetPort"), int) and not isinstance(
                port.get("targetPort"), bool
            ):
                _check_port_number(problems, f"{path}.targetPort", port["targetPort"])
            if "nodePort" in port and not external:
                if port["nodePort"] not in (None, 0):
                    problems.forbidden(
                        f"{path}.nodePort", f"may not be used when `type` is '{svc_type}'"
                    )
                port.pop("nodePort", None)

        # traffic policies
        etp = spec.get("externalTrafficPolicy")
        externally_reachable = external or bool(spec.get("externalIPs"))
        if etp is not None and etp not in ("Cluster", "Local"):
            problems.unsupported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"])
        if externally_reachable:
            spec.setdefault("externalTrafficPolicy", "Cluster")
        elif etp is not None and svc_type != "ExternalName":
            problems.invalid(
                "spec.externalTrafficPolicy",
                etp,
                "may only be set for externally-accessible services",
            )
        if svc_type != "ExternalName":
            itp = spec.setdefault("internalTrafficPolicy", "Cluster")
            if itp not in ("Cluster", "Local"):
                problems.unsupported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"])
        td = spec.get("trafficDistribution")
        if td is not None and td not in ("PreferClose", "PreferSameZone", "PreferSameNode"):
            problems.unsupported(
                "spec.trafficDistribution", td, ["PreferClose", "PreferSameZone", "PreferSameNode"]
            )

        # session affinity
        affinity = spec["sessionAffinity"]
        if affinity not in ("None", "ClientIP"):
            problems.unsupported("spec.sessionAffinity", affinity, ["ClientIP", "None"])
        elif affinity == "ClientIP":
            cfg = spec.setdefault("sessionAffinityConfig", {}).setdefault("clientIP", {})
            timeout = cfg.setdefault("timeoutSeconds", 10800)
            if _int(timeout) is None or not 0 < timeout <= 86400:
                problems.invalid(
                    "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                    timeout,
                    "must be greater than 0 and less than 86400",
                )
        elif spec.get("sessionAffinityConfig"):
            problems.forbidden(
                "spec.sessionAffinityConfig", "must not be set when `sessionAffinity` is None"
            )

        # LoadBalancer-only fields (what a type change left behind is gone already)
        if svc_type == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
        else:
            for f in ("allocateLoadBalancerNodePorts", "loadBalancerClass"):
                if spec.get(f) is not None:
                    problems.forbidden(
                        f"spec.{f}", "may only be used when `type` is 'LoadBalancer'"
                    )
                spec.pop(f, None)
        if (
            old is not None
            and svc_type == "LoadBalancer"
            and old_spec.get("type") == "LoadBalancer"
            and old_spec.get("loadBalancerClass") != spec.get("loadBalancerClass")
        ):
            # validateLoadBalancerClassField: set, changed or removed, it may not change
            problems.invalid(
                "spec.loadBalancerClass", spec.get("loadBalancerClass"), "may not change once set"
            )

        if problems:
            return
        self._service_ips(obj, old_spec, owner, problems, alloc)
        if problems:
            return
        self._service_node_ports(obj, old_spec, owner, problems, alloc)

    def _service_ips(
        self,
        obj: Obj,
        old_spec: Obj,
        owner: tuple[str, str],
        problems: Problems,
        alloc: Allocations,
    ) -> None:
        spec = obj["spec"]
        svc_type = spec["type"]
        old_type = old_spec.get("type")
        old_ip = old_spec.get("clusterIP")
        if svc_type == "ExternalName":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
            if old_ip and old_ip != "None":
                alloc.cluster_ips.pop(old_ip, None)
            return
        if old_type is not None and old_type != "ExternalName" and old_ip:
            # storage normalizeClusterIPs runs before validation: compare with the old IPs
            changed = cluster_ips_change(spec, old_spec)
            if changed is not None:
                problems.invalid("spec.clusterIPs[0]", changed, "may not change once set")
                return
        requested = spec.get("clusterIP")
        requested_ips = spec.get("clusterIPs")
        if not requested and isinstance(requested_ips, list) and requested_ips:
            requested = requested_ips[0]
        if (
            isinstance(requested_ips, list)
            and requested
            and requested_ips
            and (requested_ips[0] != requested)
        ):
            problems.invalid("spec.clusterIPs", requested_ips, "element [0] must match clusterIP")
            return
        # ip families
        policy = spec.get("ipFamilyPolicy")
        families = spec.get("ipFamilies")
        headless = requested == "None"
        if policy is None:
            if headless and not spec.get("selector") and not old_spec:
                policy = "RequireDualStack"
            else:
                policy = old_spec.get("ipFamilyPolicy", "SingleStack")
        if policy not in ("SingleStack", "PreferDualStack", "RequireDualStack"):
            problems.unsupported(
                "spec.ipFamilyPolicy",
                policy,
                ["PreferDualStack", "RequireDualStack", "SingleStack"],
            )
            return
        if policy == "RequireDualStack" and not headless:
            problems.invalid(
                "spec.ipFamilyPolicy",
                policy,
                "this cluster is not configured for dual-stack services",
            )
            return
        if families:
            for i, family in enumerate(families):
                if family != "IPv4":
                    problems.invalid(
                        f"spec.ipFamilies[{i}]", family, "not configured on this cluster"
                    )
                    return
        spec["ipFamilyPolicy"] = policy
        spec["ipFamilies"] = ["IPv4"]

        had_ip = old_type is not None and old_type != "ExternalName" and bool(old_ip)
        if had_ip:
            spec["clusterIP"] = old_ip
            spec["clusterIPs"] = [old_ip]
            return
        if headless:
            spec["clusterIP"] = "None"
            spec["clusterIPs"] = ["None"]
            return
        if requested:
            try:
                address = ipaddress.ip_address(requested)
            except ValueError:
                problems.invalid(
                    "spec.clusterIPs[0]",
                    requested,
                    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                )
                return
            usable = (
                address.version == 4
                and address in SERVICE_CIDR
                and address != SERVICE_CIDR.network_address
                and address != SERVICE_CIDR.broadcast_address
            )
            if not usable:
                problems.invalid(
                    "spec.clusterIPs",
                    [requested],
                    f"failed to allocate IP {requested}: the provided IP ({requested}) is not "
                    f"in the valid range. The range of valid IPs is {SERVICE_CIDR}",
                )
                return
            holder = alloc.cluster_ips.get(str(address))
            if holder is not None and holder != owner:
                problems.invalid(
                    "spec.clusterIPs",
                    [requested],
                    f"failed to allocate IP {requested}: provided IP is already allocated",
                )
                return
            alloc.cluster_ips[str(address)] = owner
            spec["clusterIP"] = str(address)
            spec["clusterIPs"] = [str(address)]
            return
        ip = alloc.allocate_ip(owner)
        if ip is None:
            problems.invalid(
                "spec.clusterIPs", [], f"failed to allocate IP: range {SERVICE_CIDR} is full"
            )
            return
        spec["clusterIP"] = ip
        spec["clusterIPs"] = [ip]

    def _service_node_ports(
        self,
        obj: Obj,
        old_spec: Obj,
        owner: tuple[str, str],
        problems: Problems,
        alloc: Allocations,
    ) -> None:
        spec = obj["spec"]
        svc_type = spec["type"]
        wants = svc_type == "NodePort" or (
            svc_type == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts", True)
        )
        old_ports: dict[tuple[int, str], int] = {}
        for p in old_spec.get("ports") or []:
            if p.get("nodePort"):
                old_ports[(p.get("port"), p.get("protocol", "TCP"))] = p["nodePort"]
        old_hc = old_spec.get("healthCheckNodePort")
        kept: set[int] = set()
        used_here: set[int] = set()
        per_protocol: set[tuple[str, int]] = set()
        by_number = _shared_node_ports(spec.get("ports") or []) if wants else {}
        """service port number -> the nodePort its protocols share (alloc.go initNodePorts)"""
        if wants:
            for i, port in enumerate(spec.get("ports") or []):
                path = f"spec.ports[{i}].nodePort"
                key = (port.get("port"), port.get("protocol", "TCP"))
                requested = port.get("nodePort")
                shared = by_number.get(port.get("port"))
                if (
                    shared is not None
                    and (not requested or requested == shared[0])
                    and shared[1] is not None
                    and shared[1] != i
                ):
                    # a sibling protocol of this port number holds it already
                    port["nodePort"] = shared[0]
                    continue
                if not requested:
                    previous = old_ports.get(key)
                    if previous:
                        port["nodePort"] = previous
                        kept.add(previous)
                        used_here.add(previous)
                        by_number.setdefault(port.get("port"), (previous, i))
                        continue
                    allocated = alloc.allocate_port(owner, str(i))
                    if allocated is None:
                        problems.invalid(path, 0, "failed to allocate a nodePort: range is full")
                        return
                    port["nodePort"] = allocated
                    used_here.add(allocated)
                    by_number[port.get("port")] = (allocated, i)
                    continue
                number = _int(requested)
                if number is None or not NODE_PORT_MIN <= number <= NODE_PORT_MAX:
                    problems.invalid(
                        path,
                        requested,
                        "provided port is not in the valid range. The range of valid ports is "
                        f"{NODE_PORT_MIN}-{NODE_PORT_MAX}",
                    )
                    continue
                protocol = port.get("protocol", "TCP")
                if (protocol, number) in per_protocol:
                    # ValidateService: duplicate nodePorts count per (protocol, nodePort)
                    problems.duplicate(path, number)
                    continue
                per_protocol.add((protocol, number))
                holder = alloc.node_ports.get(number)
                if (holder is not None and holder != owner) or number in used_here:
                    problems.invalid(path, number, "provided port is already allocated")
                    continue
                alloc.node_ports[number] = owner
                kept.add(number)
                used_here.add(number)
                by_number[port.get("port")] = (number, i)
        else:
            for port in spec.get("ports") or []:
                port.pop("nodePort", None)
        # healthCheckNodePort: only LoadBalancer + externalTrafficPolicy Local
        hc_wanted = svc_type == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"
        requested_hc = spec.get("healthCheckNodePort")
        if not hc_wanted:
            if requested_hc:
                problems.invalid(
                    "spec.healthCheckNodePort",
                    requested_hc,
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` "
                    "is 'Local'",
                )
                return
            spec.pop("healthCheckNodePort", None)
        else:
            if not requested_hc and old_hc:
                spec["healthCheckNodePort"] = old_hc
                kept.add(old_hc)
            elif requested_hc:
                if old_hc and requested_hc != old_hc:
                    problems.invalid("spec.healthCheckNodePort", requested_hc, "field is immutable")
                    return
                number = _int(requested_hc)
                if number is None or not NODE_PORT_MIN <= number <= NODE_PORT_MAX:
                    problems.invalid(
                        "spec.healthCheckNodePort",
                        requested_hc,
                        "provided port is not in the valid range. The range of valid ports is "
                        f"{NODE_PORT_MIN}-{NODE_PORT_MAX}",
                    )
                    return
                holder = alloc.node_ports.get(number)
                if (holder is not None and holder != owner) or number in used_here:
                    problems.invalid(
                        "spec.healthCheckNodePort", number, "provided port is already allocated"
                    )
                    return
                alloc.node_ports[number] = owner
                kept.add(number)
            else:
                allocated = alloc.allocate_port(owner, "healthcheck")
                if allocated is not None:
                    spec["healthCheckNodePort"] = allocated
                    kept.add(allocated)
        kept |= used_here
        # free the ports this Service held before and no longer uses
        for port_number in [p for p, o in alloc.node_ports.items() if o == owner]:
            if port_number not in kept:
                del alloc.node_ports[port_number]

    def namespace(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Namespace defaults: the immutable `kubernetes.io/metadata.name` label."""
        labels = obj["metadata"].setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = {"phase": "Active"}

    def deployment(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Deployment defaults and validation."""
        spec = obj["spec"]
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxSurge", "25%")
            rolling.setdefault("maxUnavailable", "25%")
        elif strategy["type"] != "Recreate":
            problems.unsupported(
                "spec.strategy.type", strategy["type"], ["Recreate", "RollingUpdate"]
            )
        self._workload(obj, old, problems, restart_policies=("Always",))

    def replicaset(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """ReplicaSet defaults and validation."""
        obj["spec"].setdefault("replicas", 1)
        self._workload(obj, old, problems, restart_policies=("Always",))

    def statefulset(
        self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
    ) -> None:
        """StatefulSet defaults and validation (most of its spec cannot change)."""
        spec = obj["spec"]
        spec.setdefault("replicas", 1)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault(
            "updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        )
        if spec["podManagementPolicy"] not in ("OrderedReady", "Parallel"):
            problems.unsupported(
                "spec.podManagementPolicy",
                spec["podManagementPolicy"],
                ["OrderedReady", "Parallel"],
            )
        if spec.get("serviceName"):
            _check_dns_label(problems, "spec.serviceName", spec["serviceName"])
        self._workload(obj, old, problems, restart_policies=("Always",))
        if old is not None:
            mutable = {
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            }
            old_spec = old.get("spec") or {}
            changed = {
                k
                for k in set(spec) | set(old_spec)
                if k not in mutable and spec.get(k) != old_spec.get(k)
            }
            if changed:
                problems.forbidden(
                    "spec",
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                    "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                    "'minReadySeconds' are forbidden",
                )

    def daemonset(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """DaemonSet defaults (apps/v1 `SetDefaults_DaemonSet`) and validation."""
        spec = obj["spec"]
        spec.setdefault("revisionHistoryLimit", 10)
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", 1)
            rolling.setdefault("maxSurge", 0)
        elif strategy["type"] != "OnDelete":
            problems.unsupported(
                "spec.updateStrategy.type", strategy["type"], ["OnDelete", "RollingUpdate"]
            )
        self._workload(obj, old, problems, restart_policies=("Always",), replicas=False)

    def _workload(
        self,
        obj: Obj,
        old: Obj | None,
        problems: Problems,
        *,
        restart_policies: Sequence[str],
        replicas: bool = True,
    ) -> None:
        spec = obj["spec"]
        count = spec.get("replicas")
        if replicas and (_int(count) is None or count < 0):
            problems.invalid("spec.replicas", count, "must be greater than or equal to 0")
        selector = spec.get("selector")
        template = spec.get("template")
        if not isinstance(template, dict):
            problems.required("spec.template")
            return
        tmeta = template.setdefault("metadata", {})
        labels = tmeta.get("labels") or {}
        _check_labels(problems, "spec.template.metadata.labels", labels)
        if selector is None:
            problems.required("spec.selector")
        else:
            _check_label_selector(problems, "spec.selector", selector)
            if not selector.get("matchLabels") and not selector.get("matchExpressions"):
                problems.invalid(
                    "spec.selector",
                    selector,
                    f"empty selector is invalid for {obj['kind'].lower()}",
                )
            elif not selector_matches(selector, labels):
                problems.invalid(
                    "spec.template.metadata.labels",
                    labels,
                    "`selector` does not match template `labels`",
                )
            if old is not None:
                old_selector = (old.get("spec") or {}).get("selector")
                if old_selector is not None and old_selector != selector:
                    problems.invalid("spec.selector", selector, "field is immutable")
        pod_spec = template.setdefault("spec", {})
        _pod_spec(problems, "spec.template.spec", pod_spec, restart_policies)

    def pod(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Pod defaults and validation; a Pod's spec barely changes after creation."""
        spec = obj["spec"]
        _pod_spec(problems, "spec", spec, ("Always", "OnFailure", "Never"))
        for f in ("hostname", "subdomain"):
            if spec.get(f):
                _check_dns_label(problems, f"spec.{f}", spec[f])
        if old is not None:
            old_spec = old.get("spec") or {}
            # the scheduler owns nodeName once it has bound the Pod
            if "nodeName" not in spec and "nodeName" in old_spec:
                spec["nodeName"] = old_spec["nodeName"]
            new_spec = spec

            def strip(s: Obj) -> Obj:
                s = deep_copy(s)
                for c in s.get("containers") or []:
                    c.pop("image", None)
                for c in s.get("initContainers") or []:
                    c.pop("image", None)
                for k in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
                    s.pop(k, None)
                return s

            if strip(old_spec) != strip(new_spec):
                problems.forbidden(
                    "spec",
                    "pod updates may not change fields other than `spec.containers[*].image`,"
                    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
                    "`spec.tolerations` (only additions to existing tolerations),"
                    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                    "previously negative)",
                )

    def configmap(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """ConfigMap/Secret: data must be a map of strings."""
        for f in ("data", "binaryData", "stringData"):
            value = obj.get(f)
            if value is not None and not isinstance(value, dict):
                problems.invalid(f, value, "must be a map of strings")
        if obj["kind"] == "Secret":
            obj.setdefault("type", "Opaque")
            string_data = obj.pop("stringData", None)
            if isinstance(string_data, dict):
                import base64

                data = obj.setdefault("data", {})
                for k, v in string_data.items():
                    data[k] = base64.b64encode(str(v).encode()).decode()

    def endpointslice(
        self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
    ) -> None:
        """EndpointSlice validation (slices people write for selector-less Services)."""
        address_type = obj.get("addressType")
        if not address_type:
            problems.required("addressType")
        elif address_type not in ("IPv4", "IPv6", "FQDN"):
            problems.unsupported("addressType", address_type, ["FQDN", "IPv4", "IPv6"])
        if old is not None and old.get("addressType") != address_type:
            problems.invalid("addressType", address_type, "field is immutable")
        obj.pop("spec", None)
        for i, endpoint in enumerate(obj.get("endpoints") or []):
            path = f"endpoints[{i}]"
            addresses = endpoint.get("addresses") or []
            if not addresses:
                problems.required(f"{path}.addresses", "must contain at least 1 address")
            for j, address in enumerate(addresses):
                apath = f"{path}.addresses[{j}]"
                if address_type in ("IPv4", "IPv6"):
                    try:
                        ip = ipaddress.ip_address(address)
                    except ValueError:
                        problems.invalid(apath, address, f"must be a valid {address_type} address")
                        continue
                    if (ip.version == 4) != (address_type == "IPv4"):
                        problems.invalid(apath, address, f"must be a valid {address_type} address")
                    elif ip.is_loopback:
                        problems.invalid(
                            apath,
                            address,
                            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
                        )
                    elif ip.is_link_local:
                        problems.invalid(
                            apath,
                            address,
                            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
                        )
                    elif ip.is_unspecified:
                        problems.invalid(apath, address, "may not be unspecified")
            conditions = endpoint.get("conditions")
            if conditions is not None and not isinstance(conditions, dict):
                problems.invalid(f"{path}.conditions", conditions, "must be an object")
            if endpoint.get("hostname"):
                _check_dns_label(problems, f"{path}.hostname", endpoint["hostname"])
        names: set[str] = set()
        for i, port in enumerate(obj.get("ports") or []):
            path = f"ports[{i}]"
            pname = port.get("name", "")
            if pname:
                _check_dns_label(problems, f"{path}.name", pname)
            if pname in names:
                problems.duplicate(f"{path}.name", pname)
            names.add(pname)
            port.setdefault("protocol", "TCP")
            if port["protocol"] not in ("TCP", "UDP", "SCTP"):
                problems.unsupported(f"{path}.protocol", port["protocol"], ["SCTP", "TCP", "UDP"])
            if "port" in port and port["port"] is not None:
                _check_port_number(problems, f"{path}.port", port["port"], allow_zero=True)

    def ingress(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Ingress defaults (the default IngressClass) and validation."""
        spec = obj["spec"]
        if not spec.get("ingressClassName"):
            previous = ((old or {}).get("spec") or {}).get("ingressClassName")
            annotations = obj["metadata"].get("annotations") or {}
            if previous:
                spec["ingressClassName"] = previous
            elif old is None and "kubernetes.io/ingress.class" not in annotations:
                defaults = [
                    c["metadata"]["name"]
                    for c in self.store.list("IngressClass")
                    if (c["metadata"].get("annotations") or {}).get(
                        "ingressclass.kubernetes.io/is-default-class"
                    )
                    == "true"
                ]
                if len(defaults) == 1:
                    spec["ingressClassName"] = defaults[0]
        if not spec.get("rules") and not spec.get("defaultBackend"):
            problems.invalid("spec", "", "either `defaultBackend` or `rules` must be specified")
        if spec.get("defaultBackend"):
            _ingress_backend(problems, "spec.defaultBackend", spec["defaultBackend"])
        for i, rule in enumerate(spec.get("rules") or []):
            path = f"spec.rules[{i}]"
            host = rule.get("host")
            if host:
                try:
                    ipaddress.ip_address(host)
                    problems.invalid(f"{path}.host", host, "must be a DNS name, not an IP address")
                except ValueError:
                    if host.startswith("*"):
                        if not _WILDCARD_HOST.match(host):
                            problems.invalid(
                                f"{path}.host",
                                host,
                                "a wildcard DNS-1123 subdomain must start with '*.', followed by "
                                "a valid DNS subdomain",
                            )
                    elif not _DNS_SUBDOMAIN.match(host):
                        problems.invalid(f"{path}.host", host, DNS_SUBDOMAIN_MSG)
            http = rule.get("http")
            if http is None:
                continue
            paths = http.get("paths") or []
            if not paths:
                problems.required(f"{path}.http.paths")
            for j, item in enumerate(paths):
                ppath = f"{path}.http.paths[{j}]"
                path_type = item.get("pathType")
                if not path_type:
                    problems.required(f"{ppath}.pathType", "pathType must be specified")
                elif path_type not in ("Exact", "Prefix", "ImplementationSpecific"):
                    problems.unsupported(
                        f"{ppath}.pathType",
                        path_type,
                        ["Exact", "ImplementationSpecific", "Prefix"],
                    )
                value = item.get("path")
                if path_type in ("Exact", "Prefix") and (
                    not value or not str(value).startswith("/")
                ):
                    problems.invalid(f"{ppath}.path", value, "must be an absolute path")
                backend = item.get("backend")
                if not isinstance(backend, dict):
                    problems.required(f"{ppath}.backend")
                else:
                    _ingress_backend(problems, f"{ppath}.backend", backend)

    def ingressclass(
        self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
    ) -> None:
        """IngressClass: a controller is required and cannot change."""
        controller = obj["spec"].get("controller")
        if not controller:
            problems.required("spec.controller")
        elif old is not None and old["spec"].get("controller") != controller:
            problems.invalid("spec.controller", controller, "field is immutable")

    def gatewayclass(
        self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
    ) -> None:
        """GatewayClass: controllerName required and immutable; status starts Pending."""
        controller = obj["spec"].get("controllerName")
        if not controller:
            problems.required("spec.controllerName")
        elif old is not None and old["spec"].get("controllerName") != controller:
            problems.invalid("spec.controllerName", controller, "Value is immutable")
        if old is None or "status" not in old:
            obj["status"] = {"conditions": [_pending_condition("Accepted")]}

    def gateway(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Gateway validation (as the CRD schema and its CEL rules do); status starts Pending."""
        spec = obj["spec"]
        if not spec.get("gatewayClassName"):
            problems.required("spec.gatewayClassName")
        listeners = spec.get("listeners") or []
        if not listeners:
            problems.required("spec.listeners")
        if len(listeners) > 64:
            problems.add("spec.listeners", "Too many: must have at most 64 items")
        names: set[str] = set()
        combos: set[tuple[Any, Any, Any]] = set()
        for i, listener in enumerate(listeners):
            path = f"spec.listeners[{i}]"
            lname = listener.get("name")
            if not lname:
                problems.required(f"{path}.name")
            elif lname in names:
                problems.invalid(
                    "spec.listeners", lname, "Listener name must be unique within the Gateway"
                )
            names.add(lname)
            _check_port_number(problems, f"{path}.port", listener.get("port"))
            protocol = listener.get("protocol")
            if not protocol:
                problems.required(f"{path}.protocol")
            if protocol in ("HTTP", "TCP", "UDP") and listener.get("tls"):
                problems.invalid(
                    f"{path}",
                    "object",
                    "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
                )
            if protocol == "HTTPS" and not listener.get("tls"):
                problems.invalid(f"{path}", "object", "tls mode must be set for protocol HTTPS")
            hostname = listener.get("hostname")
            if hostname and not (_DNS_SUBDOMAIN.match(hostname) or _WILDCARD_HOST.match(hostname)):
                problems.invalid(f"{path}.hostname", hostname, DNS_SUBDOMAIN_MSG)
            combo = (listener.get("port"), protocol, hostname)
            if combo in combos:
                problems.invalid(
                    "spec.listeners",
                    "array",
                    "Combination of port, protocol and hostname must be unique for each listener",
                )
            combos.add(combo)
            allowed = listener.setdefault("allowedRoutes", {})
            allowed.setdefault("namespaces", {}).setdefault("from", "Same")
            source = allowed["namespaces"]["from"]
            if source not in ("All", "Same", "Selector"):
                problems.unsupported(
                    f"{path}.allowedRoutes.namespaces.from", source, ["All", "Same", "Selector"]
                )
            elif source == "Selector" and not allowed["namespaces"].get("selector"):
                problems.required(f"{path}.allowedRoutes.namespaces.selector")
        if old is None or "status" not in old:
            obj["status"] = {
                "conditions": [_pending_condition("Accepted"), _pending_condition("Programmed")]
            }

    def httproute(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """HTTPRoute defaults (the CRD's) and validation."""
        spec = obj["spec"]
        for i, ref in enumerate(spec.get("parentRefs") or []):
            if not ref.get("name"):
                problems.required(f"spec.parentRefs[{i}].name")
            ref.setdefault("group", GATEWAY_GROUP)
            ref.setdefault("kind", "Gateway")
        for i, hostname in enumerate(spec.get("hostnames") or []):
            if not (_DNS_SUBDOMAIN.match(hostname) or _WILDCARD_HOST.match(hostname)):
                problems.invalid(f"spec.hostnames[{i}]", hostname, DNS_SUBDOMAIN_MSG)
        rules = spec.setdefault("rules", [{}])
        if not rules:
            rules.append({})
        for i, rule in enumerate(rules):
            matches = rule.setdefault("matches", [{"path": {"type": "PathPrefix", "value": "/"}}])
            for j, match in enumerate(matches):
                mpath = match.get("path")
                if mpath is None and not match.get("headers") and not match.get("queryParams"):
                    match["path"] = {"type": "PathPrefix", "value": "/"}
                    continue
                if mpath is not None:
                    mpath.setdefault("type", "PathPrefix")
                    mpath.setdefault("value", "/")
                    if mpath["type"] not in ("Exact", "PathPrefix", "RegularExpression"):
                        problems.unsupported(
                            f"spec.rules[{i}].matches[{j}].path.type",
                            mpath["type"],
                            ["Exact", "PathPrefix", "RegularExpression"],
                        )
                    elif mpath["type"] != "RegularExpression" and not str(
                        mpath["value"]
                    ).startswith("/"):
                        problems.invalid(
                            f"spec.rules[{i}].matches[{j}].path",
                            "object",
                            "value must be an absolute path and start with '/' when type one of "
                            "['Exact', 'PathPrefix']",
                        )
            for j, backend in enumerate(rule.get("backendRefs") or []):
                bpath = f"spec.rules[{i}].backendRefs[{j}]"
                if not backend.get("name"):
                    problems.required(f"{bpath}.name")
                backend.setdefault("group", "")
                backend.setdefault("kind", "Service")
                backend.setdefault("weight", 1)
                if (
                    backend["group"] in ("", "core")
                    and backend["kind"] == "Service"
                    and backend.get("port") is None
                ):
                    problems.invalid(bpath, "object", "Must have port for Service reference")

    def referencegrant(
        self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
    ) -> None:
        """ReferenceGrant: `from` and `to` lists with group and kind."""
        spec = obj["spec"]
        for section in ("from", "to"):
            items = spec.get(section) or []
            if not items:
                problems.required(f"spec.{section}")
            for i, item in enumerate(items):
                if "group" not in item:
                    problems.required(f"spec.{section}[{i}].group")
                if not item.get("kind"):
                    problems.required(f"spec.{section}[{i}].kind")
                if section == "from" and not item.get("namespace"):
                    problems.required(f"spec.from[{i}].namespace")


def _shared_node_ports(ports: Sequence[Any]) -> dict[Any, tuple[int, int | None]]:
    """Service port number -> (nodePort, index of the entry that asked for it) for the
    numbers whose entries request a nodePort: alloc.go `findRequestedNodePort` lets the
    other protocols of that port number use it too."""
    found: dict[Any, tuple[int, int | None]] = {}
    for i, port in enumerate(ports):
        if isinstance(port, dict) and port.get("nodePort") and port.get("port") not in found:
            number = _int(port.get("nodePort"))
            if number is not None:
                found[port.get("port")] = (number, i)
    return found


def _pending_condition(kind: str) -> Obj:
    return {
        "type": kind,
        "status": "Unknown",
        "reason": "Pending",
        "message": "Waiting for controller",
        "lastTransitionTime": "1970-01-01T00:00:00Z",
    }


def _ingress_backend(problems: Problems, path: str, backend: Obj) -> None:
    service = backend.get("service")
    resource = backend.get("resource")
    if service and resource:
        problems.invalid(path, "", "cannot set both service and resource backends")
        return
    if not service and not resource:
        problems.invalid(path, "", "one backend (service or resource) must be specified")
        return
    if service:
        if not service.get("name"):
            problems.required(f"{path}.service.name")
        port = service.get("port") or {}
        has_number = port.get("number") is not None
        has_name = bool(port.get("name"))
        if has_number == has_name:
            problems.invalid(
                f"{path}.service.port", port, "exactly one of `name` or `number` must be specified"
            )
        elif has_number:
            _check_port_number(problems, f"{path}.service.port.number", port["number"])


def _pod_spec(problems: Problems, path: str, spec: Any, restart_policies: Sequence[str]) -> None:
    if not isinstance(spec, dict):
        problems.invalid(path, spec, "must be an object")
        return
    containers = spec.get("containers")
    if not containers:
        problems.required(f"{path}.containers")
        return
    spec.setdefault("restartPolicy", "Always")
    if spec["restartPolicy"] not in restart_policies:
        problems.unsupported(f"{path}.restartPolicy", spec["restartPolicy"], restart_policies)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    # SetDefaults_PodSpec (pkg/apis/core/v1/defaults.go): an empty securityContext, which
    # kubectl debug reads without a nil check (pkg/cmd/debug/debug.go, displayWarning)
    spec.setdefault("securityContext", {})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    names: set[str] = set()
    port_names: set[str] = set()
    for i, container in enumerate(containers):
        cpath = f"{path}.containers[{i}]"
        if not isinstance(container, dict):
            problems.invalid(cpath, container, "must be an object")
            continue
        cname = container.get("name")
        if not cname:
            problems.required(f"{cpath}.name")
        else:
            _check_dns_label(problems, f"{cpath}.name", cname)
            if cname in names:
                problems.duplicate(f"{cpath}.name", cname)
            names.add(cname)
        if not container.get("image"):
            problems.required(f"{cpath}.image")
        for j, port in enumerate(container.get("ports") or []):
            ppath = f"{cpath}.ports[{j}]"
            port.setdefault("protocol", "TCP")
            _check_port_number(problems, f"{ppath}.containerPort", port.get("containerPort"))
            pname = port.get("name")
            if pname:
                if not is_iana_svc_name(pname):
                    problems.invalid(
                        f"{ppath}.name",
                        pname,
                        "must be no more than 15 characters, contain only lowercase letters, "
                        "digits and '-', at least one letter, and not start, end or repeat '-'",
                    )
                if pname in port_names:
                    problems.duplicate(f"{ppath}.name", pname)
                port_names.add(pname)
        for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
            probe = container.get(probe_name)
            if probe is None:
                continue
            ppath = f"{cpath}.{probe_name}"
            handlers = [h for h in ("httpGet", "tcpSocket", "exec", "grpc") if probe.get(h)]
            if len(handlers) != 1:
                problems.required(ppath, "must specify a handler type")
                continue
            probe.setdefault("timeoutSeconds", 1)
            probe.setdefault("periodSeconds", 10)
            probe.setdefault("successThreshold", 1)
            probe.setdefault("failureThreshold", 3)
            handler = probe[handlers[0]]
            if handlers[0] == "httpGet":
                handler.setdefault("path", "/")
                handler.setdefault("scheme", "HTTP")
            if handlers[0] in ("httpGet", "tcpSocket", "grpc"):
                port = handler.get("port")
                if isinstance(port, str) and not port.isdigit():
                    if not is_iana_svc_name(port):
                        problems.invalid(f"{ppath}.{handlers[0]}.port", port, "must be a port name")
                else:
                    _check_port_number(
                        problems,
                        f"{ppath}.{handlers[0]}.port",
                        int(port) if isinstance(port, str) else port,
                    )


_HANDLERS: dict[str, Callable[[Admission, Obj, Obj | None, Problems, Allocations], None]] = {
    "Service": Admission.service,
    "Namespace": Admission.namespace,
    "Deployment": Admission.deployment,
    "ReplicaSet": Admission.replicaset,
    "StatefulSet": Admission.statefulset,
    "DaemonSet": Admission.daemonset,
    "Pod": Admission.pod,
    "ConfigMap": Admission.configmap,
    "Secret": Admission.configmap,
    "EndpointSlice": Admission.endpointslice,
    "Endpoints": admit_endpoints,
    "Ingress": Admission.ingress,
    "IngressClass": Admission.ingressclass,
    "GatewayClass": Admission.gatewayclass,
    "Gateway": Admission.gateway,
    "HTTPRoute": Admission.httproute,
    "ReferenceGrant": Admission.referencegrant,
}
