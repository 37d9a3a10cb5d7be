"""What every kind's admission shares: API versions, field checks in the API server's words, and the admitter's base."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tutor.cluster.base import (
    FieldProblem,
    InvalidObjectError,
)
from tutor.cluster.sim.store import Store

Obj = dict[str, Any]

GATEWAY_GROUP = "gateway.networking.k8s.io"

API_VERSIONS: dict[str, tuple[str, ...]] = {
    "Namespace": ("v1",),
    "Pod": ("v1",),
    "Service": ("v1",),
    "ConfigMap": ("v1",),
    "Secret": ("v1",),
    "ServiceAccount": ("v1",),
    "Role": ("rbac.authorization.k8s.io/v1",),
    "RoleBinding": ("rbac.authorization.k8s.io/v1",),
    "ClusterRole": ("rbac.authorization.k8s.io/v1",),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io/v1",),
    "Deployment": ("apps/v1",),
    "ReplicaSet": ("apps/v1",),
    "StatefulSet": ("apps/v1",),
    "DaemonSet": ("apps/v1",),
    "EndpointSlice": ("discovery.k8s.io/v1",),
    "Endpoints": ("v1",),
    "Ingress": ("networking.k8s.io/v1",),
    "IngressClass": ("networking.k8s.io/v1",),
    "NetworkPolicy": ("networking.k8s.io/v1",),
    "Gateway": (f"{GATEWAY_GROUP}/v1", f"{GATEWAY_GROUP}/v1beta1"),
    "GatewayClass": (f"{GATEWAY_GROUP}/v1", f"{GATEWAY_GROUP}/v1beta1"),
    "HTTPRoute": (f"{GATEWAY_GROUP}/v1", f"{GATEWAY_GROUP}/v1beta1"),
    "ReferenceGrant": (f"{GATEWAY_GROUP}/v1beta1", f"{GATEWAY_GROUP}/v1"),
}
"""Kinds the simulator accepts from manifests, with their served apiVersions."""

RBAC_KINDS = frozenset({"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"})
_NO_SPEC = (
    frozenset({"ConfigMap", "Secret", "Namespace", "EndpointSlice", "Endpoints", "ServiceAccount"})
    | RBAC_KINDS
)
"""Kinds without a `spec`."""
_NO_GENERATION = (
    frozenset({"ConfigMap", "Secret", "Namespace", "Endpoints", "ServiceAccount"}) | RBAC_KINDS
)
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


class AdmissionBase:
    """The store and last-applied manifests every kind's admission reads."""

    def __init__(self, store: Store, applied: Mapping[tuple[str, str, str], Obj]) -> None:
        self.store = store
        self.applied = applied
        """The last manifest applied per object (what kube-tutor's field manager owns)."""
