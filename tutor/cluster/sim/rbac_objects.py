"""Validation of RBAC objects as kube-apiserver's registry does it (k8s.io/kubernetes
`pkg/apis/rbac/validation/validation.go`): every rule names verbs, resource rules name API
groups, a binding's `roleRef` is required, names a Role or ClusterRole, and never changes
(`ValidateRoleBindingUpdate`: "cannot change roleRef"); subjects are User, Group or
ServiceAccount."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutor.cluster.sim.admission import Admission, Allocations, Problems

Obj = dict[str, Any]
SUBJECT_KINDS = ("ServiceAccount", "User", "Group")


def admit_role(
    adm: Admission, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
) -> None:
    """Role and ClusterRole: `ValidatePolicyRule` for each rule."""
    for index, rule in enumerate(obj.get("rules") or []):
        path = f"rules[{index}]"
        if not isinstance(rule, dict):
            problems.invalid(path, rule, "must be an object")
            continue
        if not rule.get("verbs"):
            problems.required(f"{path}.verbs", "verbs must contain at least one value")
        if rule.get("nonResourceURLs"):
            if obj["kind"] == "Role":
                problems.invalid(
                    f"{path}.nonResourceURLs",
                    rule["nonResourceURLs"],
                    "namespaced rules cannot apply to non-resource URLs",
                )
            continue
        if not rule.get("apiGroups"):
            problems.required(
                f"{path}.apiGroups",
                "resource rules must supply at least one api group",
            )
        if not rule.get("resources"):
            problems.required(
                f"{path}.resources", "resource rules must supply at least one resource"
            )


def admit_binding(
    adm: Admission, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
) -> None:
    """RoleBinding and ClusterRoleBinding: roleRef and subjects."""
    ref = obj.get("roleRef")
    allowed = ("Role", "ClusterRole") if obj["kind"] == "RoleBinding" else ("ClusterRole",)
    if not isinstance(ref, dict) or not ref.get("name"):
        problems.required("roleRef.name")
    elif ref.get("kind") not in allowed:
        problems.unsupported("roleRef.kind", ref.get("kind"), allowed)
    elif ref.get("apiGroup", "") != "rbac.authorization.k8s.io":
        problems.unsupported("roleRef.apiGroup", ref.get("apiGroup"), ["rbac.authorization.k8s.io"])
    if old is not None and isinstance(ref, dict) and old.get("roleRef") != ref:
        problems.invalid("roleRef", ref, "cannot change roleRef")
    for index, subject in enumerate(obj.get("subjects") or []):
        path = f"subjects[{index}]"
        kind = subject.get("kind") if isinstance(subject, dict) else None
        if kind not in SUBJECT_KINDS:
            problems.unsupported(f"{path}.kind", kind, SUBJECT_KINDS)
        elif not subject.get("name"):
            problems.required(f"{path}.name")
        elif (
            kind == "ServiceAccount"
            and not subject.get("namespace")
            and not obj["metadata"].get("namespace")
        ):
            problems.required(f"{path}.namespace")
