"""Where each kind labs use lives in the Kubernetes API (group, version, plural, scope)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tutor.cluster.base import NotFoundError


@dataclass(frozen=True)
class Resource:
    """Where a kind lives in the API."""

    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        """`v1` or `group/version`."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path of the collection or of one object."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base


def _r(kind: str, group: str, version: str, plural: str, namespaced: bool = True) -> Resource:
    return Resource(kind, group, version, plural, namespaced)


RESOURCES: dict[str, Resource] = {
    r.kind: r
    for r in (
        _r("Namespace", "", "v1", "namespaces", False),
        _r("Node", "", "v1", "nodes", False),
        _r("Pod", "", "v1", "pods"),
        _r("Service", "", "v1", "services"),
        _r("Endpoints", "", "v1", "endpoints"),
        _r("ConfigMap", "", "v1", "configmaps"),
        _r("Secret", "", "v1", "secrets"),
        _r("ServiceAccount", "", "v1", "serviceaccounts"),
        _r("Event", "", "v1", "events"),
        _r("Role", "rbac.authorization.k8s.io", "v1", "roles"),
        _r("RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings"),
        _r("ClusterRole", "rbac.authorization.k8s.io", "v1", "clusterroles", False),
        _r("ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "clusterrolebindings", False),
        _r("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices"),
        _r("Deployment", "apps", "v1", "deployments"),
        _r("ReplicaSet", "apps", "v1", "replicasets"),
        _r("StatefulSet", "apps", "v1", "statefulsets"),
        _r("DaemonSet", "apps", "v1", "daemonsets"),
        _r("Ingress", "networking.k8s.io", "v1", "ingresses"),
        _r("IngressClass", "networking.k8s.io", "v1", "ingressclasses", False),
        _r("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies"),
        _r("GatewayClass", "gateway.networking.k8s.io", "v1", "gatewayclasses", False),
        _r("Gateway", "gateway.networking.k8s.io", "v1", "gateways"),
        _r("HTTPRoute", "gateway.networking.k8s.io", "v1", "httproutes"),
        _r("ReferenceGrant", "gateway.networking.k8s.io", "v1beta1", "referencegrants"),
    )
}
"""Kinds labs use -> API group, version (the one read by get/list) and plural."""


def resource_for(kind: str, api_version: str | None = None) -> Resource:
    """The resource of a kind; an object's own `apiVersion` wins over the default version."""
    known = RESOURCES.get(kind)
    if known is None:
        raise NotFoundError(
            f"kube-tutor does not know the kind `{kind}`.",
            hint="Check the spelling of `kind:` (it is case-sensitive, e.g. `Service`).",
        )
    if api_version and api_version != known.api_version:
        group, _, version = api_version.rpartition("/")
        return Resource(kind, group, version, known.plural, known.namespaced)
    return known


def label_selector(selector: Mapping[str, str] | None) -> str:
    """`{"app": "web", "tier": "a"}` -> `app=web,tier=a`."""
    return ",".join(f"{key}={value}" for key, value in (selector or {}).items())


def node_port_refusal(body: Mapping[str, Any], valid: tuple[int, int]) -> dict[str, Any] | None:
    """The 422 Status a real API server answers to a Service's write whose nodePort is out of
    `valid`, or None when every nodePort is in range (or unset).

    A server-side dry run cannot tell: with `dryRun` the port allocation only asks whether
    the port is taken (pkg/registry/core/service/portallocator/operation.go,
    `PortAllocationOperation.Allocate`), the range is checked by the real allocation
    (portallocator `ErrNotInRange`: "provided port is not in the valid range. The range of
    valid ports is 30000-32767", on `spec.ports[i].nodePort`, from
    pkg/registry/core/service/storage/alloc.go). So the kube backend asks this before any
    write where it knows the range."""
    if body.get("kind") != "Service":
        return None
    low, high = valid
    causes = []
    ports = (body.get("spec") or {}).get("ports") or []
    for index, port in enumerate(ports if isinstance(ports, list) else []):
        value = port.get("nodePort") if isinstance(port, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value and not (
            low <= value <= high
        ):
            causes.append(
                {
                    "reason": "FieldValueInvalid",
                    "message": f"Invalid value: {value}: provided port is not in the valid "
                    f"range. The range of valid ports is {low}-{high}",
                    "field": f"spec.ports[{index}].nodePort",
                }
            )
    if not causes:
        return None
    name = str((body.get("metadata") or {}).get("name", ""))
    listed = "; ".join(f"{c['field']}: {c['message']}" for c in causes)
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": f'Service "{name}" is invalid: {listed}',
        "reason": "Invalid",
        "details": {"name": name, "kind": "Service", "causes": causes},
        "code": 422,
    }


def status_bytes(status: Mapping[str, Any]) -> bytes:
    """A Status document as the API server sends it."""
    return json.dumps(status).encode()
