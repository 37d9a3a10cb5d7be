"""RBAC authorization for the simulator's API server, as kube-apiserver's RBAC authorizer does it.

Request attributes come from the path and method the way `k8s.io/apiserver
pkg/endpoints/request/requestinfo.go` (`NewRequestInfo`) works them out: POST create, GET get
(list without a name, watch with `?watch=true`), PUT update, PATCH patch, DELETE delete
(deletecollection without a name); `/namespaces/NS/...` sets the namespace, and a request for
the Namespace object itself (`/api/v1/namespaces/NS`) has namespace NS too, so a RoleBinding in
NS can grant reading or patching that one namespace.

A request is allowed when a rule of a role bound to the user matches it
(`k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go`, `RuleAllows`): the verb (or
`*`), the API group (or `*`), the resource (`*`, `res`, `res/sub`, `*/sub`) and, when the rule
lists any, the object's name. ClusterRoleBindings grant everywhere; RoleBindings only in their
own namespace, with a Role of that namespace or a ClusterRole. Subjects are users, groups or
ServiceAccounts. The bootstrap roles every authenticated user holds (`system:discovery`,
`system:basic-user`, `system:public-info-viewer`, from `plugin/pkg/auth/authorizer/rbac/
bootstrappolicy/policy.go`) are built in rather than stored, so that the store holds only what
someone made. Refusals are worded as `responsewriters.forbiddenMessage` words them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tutor.cluster.sim.api.authn import AUTHENTICATED, SA_PREFIX, UserInfo
from tutor.cluster.sim.api.errors import ApiError
from tutor.cluster.sim.api.requests import parse_path

if TYPE_CHECKING:
    from tutor.cluster.sim.store import Store

Obj = dict[str, Any]
RBAC_GROUP = "rbac.authorization.k8s.io"

DISCOVERY_PATHS = (
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/version/",
    "/openapi",
    "/openapi/*",
)
"""Non-resource URLs of `system:discovery` and `system:public-info-viewer`."""
BUILT_IN_RULES: tuple[Obj, ...] = (
    {"verbs": ["get"], "nonResourceURLs": list(DISCOVERY_PATHS)},
    {
        "verbs": ["create"],
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    },
    {
        "verbs": ["create"],
        "apiGroups": ["authentication.k8s.io"],
        "resources": ["selfsubjectreviews"],
    },
)
"""What `system:authenticated` may do on every cluster."""
CONNECT_SUBRESOURCES = frozenset({"exec", "attach", "portforward"})


@dataclass(frozen=True)
class Attributes:
    """What a request asks to do (`authorizer.Attributes`)."""

    verb: str
    resource_request: bool
    path: str = ""
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""


def attributes_of(method: str, path: str, query: Mapping[str, str]) -> Attributes:
    """The attributes of one HTTP request (see the module docstring)."""
    verb = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch"}.get(
        method, "delete" if method == "DELETE" else ""
    )
    clean = path.rstrip("/") or "/"
    info = parse_path(clean)
    if info is None or info.resource is None:
        # requestinfo.go: a non-resource request's verb is the lower-cased HTTP method
        return Attributes(method.lower() if method != "HEAD" else "get", False, path=path)
    res = info.resource
    namespace = info.namespace or ""
    name = info.name or ""
    if res.kind == "Namespace" and name:
        namespace = name  # requestinfo.go: /namespaces/NAME names its own namespace
    if not name:
        if verb == "get":
            verb = "watch" if query.get("watch", "") not in ("", "false", "0") else "list"
        elif verb == "delete":
            verb = "deletecollection"
    if info.subresource in CONNECT_SUBRESOURCES:
        # kubectl exec/port-forward open a WebSocket with GET; since Kubernetes 1.35
        # (AuthorizePodWebsocketUpgradeCreatePermission) that needs `create`, as SPDY's POST did.
        verb = "create"
    return Attributes(
        verb,
        True,
        path=path,
        api_group=res.group,
        resource=res.plural,
        subresource=info.subresource or "",
        namespace=namespace,
        name=name,
    )


def _subject_matches(subject: Obj, user: UserInfo, binding_namespace: str) -> bool:
    kind = subject.get("kind")
    name = subject.get("name", "")
    if kind == "User":
        return bool(name == user.name)
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return user.name == f"{SA_PREFIX}{namespace}:{name}"
    return False


def _matches(values: Iterable[str] | None, wanted: str) -> bool:
    listed = list(values or [])
    return "*" in listed or wanted in listed


def rule_allows(rule: Obj, attrs: Attributes) -> bool:
    """Does one PolicyRule allow the request (`rbac.go` `RuleAllows`)?"""
    if not _matches(rule.get("verbs"), attrs.verb):
        return False
    if not attrs.resource_request:
        for url in rule.get("nonResourceURLs") or []:
            if url == "*" or url == attrs.path:
                return True
            if url.endswith("*") and attrs.path.startswith(url[:-1]):
                return True
        return False
    if not _matches(rule.get("apiGroups"), attrs.api_group):
        return False
    wanted = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    resources = list(rule.get("resources") or [])
    if not (
        "*" in resources
        or wanted in resources
        or (attrs.subresource and f"*/{attrs.subresource}" in resources)
    ):
        return False
    names = list(rule.get("resourceNames") or [])
    return not names or attrs.name in names


def _role_rules(store: Store, ref: Obj, binding_namespace: str) -> list[Obj]:
    if ref.get("apiGroup", RBAC_GROUP) != RBAC_GROUP:
        return []
    if ref.get("kind") == "ClusterRole":
        role = store.get("ClusterRole", "", str(ref.get("name", "")))
    elif ref.get("kind") == "Role" and binding_namespace:
        role = store.get("Role", binding_namespace, str(ref.get("name", "")))
    else:
        role = None
    return list((role or {}).get("rules") or [])


def rules_for(store: Store, user: UserInfo, namespace: str) -> list[Obj]:
    """Every rule that applies to `user` in `namespace` ("" for cluster scope)."""
    rules: list[Obj] = list(BUILT_IN_RULES) if AUTHENTICATED in user.groups else []
    for binding in store.list("ClusterRoleBinding", None):
        if any(_subject_matches(s, user, "") for s in binding.get("subjects") or []):
            rules += _role_rules(store, binding.get("roleRef") or {}, "")
    if namespace:
        for binding in store.list("RoleBinding", namespace):
            if any(_subject_matches(s, user, namespace) for s in binding.get("subjects") or []):
                rules += _role_rules(store, binding.get("roleRef") or {}, namespace)
    return rules


def authorize(store: Store, user: UserInfo, attrs: Attributes) -> bool:
    """True when the request is allowed."""
    if user.is_admin:
        return True
    return any(rule_allows(rule, attrs) for rule in rules_for(store, user, attrs.namespace))


def forbidden(user: UserInfo, attrs: Attributes) -> ApiError:
    """The 403 kube-apiserver answers (`responsewriters.ForbiddenStatusError`)."""
    if not attrs.resource_request:
        text = f'forbidden: User "{user.name}" cannot {attrs.verb} path "{attrs.path}"'
        return ApiError(403, "Forbidden", text, details={})
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    scope = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    why = (
        f'User "{user.name}" cannot {attrs.verb} resource "{resource}" in API group '
        f'"{attrs.api_group}" {scope}'
    )
    qualified = f"{attrs.resource}.{attrs.api_group}" if attrs.api_group else attrs.resource
    subject = f'{qualified} "{attrs.name}"' if attrs.name else qualified
    details: Obj = {"kind": attrs.resource}
    if attrs.api_group:
        details["group"] = attrs.api_group
    if attrs.name:
        details["name"] = attrs.name
    return ApiError(403, "Forbidden", f"{subject} is forbidden: {why}", details=details)


def self_subject_access_review(store: Store, user: UserInfo, body: Any) -> Obj:
    """Answer a SelfSubjectAccessReview (`kubectl auth can-i`)."""
    spec = (body or {}).get("spec") or {} if isinstance(body, dict) else {}
    resource_attrs = spec.get("resourceAttributes")
    if isinstance(resource_attrs, dict):
        attrs = Attributes(
            str(resource_attrs.get("verb", "")),
            True,
            api_group=str(resource_attrs.get("group", "")),
            resource=str(resource_attrs.get("resource", "")),
            subresource=str(resource_attrs.get("subresource", "")),
            namespace=str(resource_attrs.get("namespace", "")),
            name=str(resource_attrs.get("name", "")),
        )
    else:
        other = spec.get("nonResourceAttributes") or {}
        attrs = Attributes(str(other.get("verb", "")), False, path=str(other.get("path", "")))
    allowed = authorize(store, user, attrs)
    status: Obj = {"allowed": allowed}
    if allowed and not user.is_admin:
        status["reason"] = "RBAC: allowed by a RoleBinding or ClusterRoleBinding"
    return {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "spec": spec,
        "status": status,
    }
