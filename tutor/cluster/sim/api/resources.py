"""The resources the simulator's API server serves: group, versions, plural, short names, verbs.

Names, short names, verbs and categories are those `kubectl api-resources` shows on a kind
cluster running Kubernetes 1.37 (core kinds from `pkg/registry/*/storage`, Gateway API kinds
from the v1.6 CRDs' `spec.names`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

GATEWAY_GROUP = "gateway.networking.k8s.io"
RBAC_GROUP = "rbac.authorization.k8s.io"
CRUD = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
READ = ("get", "list", "watch")


@dataclass(frozen=True)
class ServedResource:
    """One resource of the API: where it lives and what may be done with it."""

    kind: str
    group: str
    versions: tuple[str, ...]
    """Served versions, the preferred (storage) one first."""
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = CRUD
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    crd: bool = False
    """Served from a CustomResourceDefinition (strategic merge patch is refused)."""
    writable: bool = True
    """False for kinds only the cluster's own components write (Nodes, ServiceCIDRs)."""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def preferred(self) -> str:
        """The preferred version."""
        return self.versions[0]

    def group_version(self, version: str | None = None) -> str:
        """`v1` or `group/version`."""
        version = version or self.preferred
        return f"{self.group}/{version}" if self.group else version


def _r(
    kind: str,
    group: str,
    versions: tuple[str, ...],
    plural: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    verbs: tuple[str, ...] = CRUD,
    categories: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    crd: bool = False,
    writable: bool = True,
) -> ServedResource:
    return ServedResource(
        kind=kind,
        group=group,
        versions=versions,
        plural=plural,
        singular=kind.lower(),
        namespaced=namespaced,
        short_names=short,
        verbs=verbs,
        categories=categories,
        subresources=sub,
        crd=crd,
        writable=writable,
    )


SERVED: tuple[ServedResource, ...] = (
    _r(
        "Namespace",
        "",
        ("v1",),
        "namespaces",
        namespaced=False,
        short=("ns",),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
        sub=("status",),
    ),
    _r(
        "Node",
        "",
        ("v1",),
        "nodes",
        namespaced=False,
        short=("no",),
        sub=("status",),
        writable=False,
    ),
    _r(
        "Pod",
        "",
        ("v1",),
        "pods",
        short=("po",),
        categories=("all",),
        sub=("status", "log", "exec", "portforward"),
    ),
    _r(
        "Service",
        "",
        ("v1",),
        "services",
        short=("svc",),
        categories=("all",),
        verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
        sub=("status",),
    ),
    _r("ConfigMap", "", ("v1",), "configmaps", short=("cm",)),
    _r("Endpoints", "", ("v1",), "endpoints", short=("ep",)),
    _r("Secret", "", ("v1",), "secrets"),
    _r("ServiceAccount", "", ("v1",), "serviceaccounts", short=("sa",), sub=("token",)),
    _r("Event", "", ("v1",), "events", short=("ev",)),
    _r("EndpointSlice", "discovery.k8s.io", ("v1",), "endpointslices"),
    _r("Role", RBAC_GROUP, ("v1",), "roles"),
    _r("RoleBinding", RBAC_GROUP, ("v1",), "rolebindings"),
    _r("ClusterRole", RBAC_GROUP, ("v1",), "clusterroles", namespaced=False),
    _r("ClusterRoleBinding", RBAC_GROUP, ("v1",), "clusterrolebindings", namespaced=False),
    _r(
        "SelfSubjectAccessReview",
        "authorization.k8s.io",
        ("v1",),
        "selfsubjectaccessreviews",
        namespaced=False,
        verbs=("create",),
        writable=False,
    ),
    _r(
        "Deployment",
        "apps",
        ("v1",),
        "deployments",
        short=("deploy",),
        categories=("all",),
        sub=("status", "scale"),
    ),
    _r(
        "ReplicaSet",
        "apps",
        ("v1",),
        "replicasets",
        short=("rs",),
        categories=("all",),
        sub=("status", "scale"),
    ),
    _r(
        "StatefulSet",
        "apps",
        ("v1",),
        "statefulsets",
        short=("sts",),
        categories=("all",),
        sub=("status", "scale"),
    ),
    _r(
        "DaemonSet",
        "apps",
        ("v1",),
        "daemonsets",
        short=("ds",),
        categories=("all",),
        sub=("status",),
    ),
    _r("Ingress", "networking.k8s.io", ("v1",), "ingresses", short=("ing",), sub=("status",)),
    _r("IngressClass", "networking.k8s.io", ("v1",), "ingressclasses", namespaced=False),
    _r("NetworkPolicy", "networking.k8s.io", ("v1",), "networkpolicies", short=("netpol",)),
    _r(
        "ServiceCIDR",
        "networking.k8s.io",
        ("v1",),
        "servicecidrs",
        namespaced=False,
        sub=("status",),
        writable=False,
    ),
    _r(
        "IPAddress",
        "networking.k8s.io",
        ("v1",),
        "ipaddresses",
        namespaced=False,
        short=("ip",),
        writable=False,
    ),
    _r(
        "GatewayClass",
        GATEWAY_GROUP,
        ("v1", "v1beta1"),
        "gatewayclasses",
        namespaced=False,
        short=("gc",),
        categories=("gateway-api",),
        sub=("status",),
        crd=True,
    ),
    _r(
        "Gateway",
        GATEWAY_GROUP,
        ("v1", "v1beta1"),
        "gateways",
        short=("gtw",),
        categories=("gateway-api",),
        sub=("status",),
        crd=True,
    ),
    _r(
        "HTTPRoute",
        GATEWAY_GROUP,
        ("v1", "v1beta1"),
        "httproutes",
        categories=("gateway-api",),
        sub=("status",),
        crd=True,
    ),
    _r(
        "ReferenceGrant",
        GATEWAY_GROUP,
        ("v1beta1", "v1"),
        "referencegrants",
        short=("refgrant",),
        categories=("gateway-api",),
        crd=True,
    ),
)
"""Every served resource."""

BY_KIND: dict[str, ServedResource] = {r.kind: r for r in SERVED}


def find(group: str, version: str, plural: str) -> ServedResource | None:
    """The resource served at `/api(s)/group/version/plural`, or None."""
    for resource in SERVED:
        if resource.group == group and resource.plural == plural and version in resource.versions:
            return resource
    return None


def group_versions() -> dict[str, tuple[str, ...]]:
    """API group -> served versions, preferred first, in the order discovery lists them."""
    groups: dict[str, list[str]] = {}
    for resource in SERVED:
        versions = groups.setdefault(resource.group, [])
        for version in resource.versions:
            if version not in versions:
                versions.append(version)
    return {group: tuple(versions) for group, versions in groups.items()}
