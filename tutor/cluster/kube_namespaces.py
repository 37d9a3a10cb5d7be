"""Emptying a namespace kube-tutor may not delete: a classroom learner's lab namespace keeps the
RBAC the instructor made in it, so a reset or solve deletes its lab objects instead."""

from __future__ import annotations

from typing import Any

from tutor.cluster.base import ClusterError

EMPTIED_KINDS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Pod",
    "Service",
    "Endpoints",
    "EndpointSlice",
    "ConfigMap",
    "Secret",
    "Ingress",
    "HTTPRoute",
    "Gateway",
    "ReferenceGrant",
)
"""What a lab may leave in a namespace (emptied on a classroom learner's reset)."""


def empty_namespace(cluster: Any, namespace: str, *, wait: bool = True) -> None:
    """Delete every lab object in a classroom namespace, keeping the namespace and its RBAC
    (a learner's reset or solve on a shared cluster). `cluster` is the `KubeCluster` that
    calls it (not imported here: kube.py imports this module)."""
    from tutor.cluster.kube_resources import RESOURCES

    for kind in EMPTIED_KINDS:
        path = RESOURCES[kind].path(namespace)
        try:
            cluster._request("DELETE", path, what=f"delete the {kind}s of {namespace}")
        except ClusterError as exc:
            if "not found" not in str(exc).lower():
                raise
    if wait:
        cluster.wait_for("Pod", namespace, lambda items: not items, 120.0)
