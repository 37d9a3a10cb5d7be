"""Instructor-side requests a classroom makes on a shared cluster: server-side apply of any
object (cluster-scoped ones too), a ServiceAccount token, and deletes that the learner-facing
`KubeCluster.delete` refuses on a shared cluster (its guard keeps labs off cluster-wide
objects; `class init` and `class remove` are the instructor's, on objects they labelled)."""

from __future__ import annotations

from typing import Any

from tutor.cluster.base import NotFoundError
from tutor.cluster.kube_resources import resource_for

Obj = dict[str, Any]
APPLY = "application/apply-patch+yaml"


def object_path(obj: Obj) -> str:
    """The API path of an object, from its kind, apiVersion, namespace and name."""
    meta = obj["metadata"]
    return resource_for(obj["kind"], obj["apiVersion"]).path(meta.get("namespace"), meta["name"])


def server_side_apply(cluster: Any, obj: Obj, *, field_manager: str) -> Obj:
    """Create or update one object by server-side apply (taking over conflicting fields, as
    `kubectl apply --server-side --force-conflicts` does); returns the stored object.
    `cluster` is a `KubeCluster` (not imported: kube.py's own imports stay light)."""
    answer: Obj = cluster._request(
        "PATCH",
        object_path(obj),
        query=[("fieldManager", field_manager), ("force", "true")],
        body=obj,
        content_type=APPLY,
        what=f"apply {obj['kind']} {obj['metadata']['name']}",
    )
    return answer


def request_token(cluster: Any, namespace: str, account: str, *, seconds: int) -> str:
    """A token of a ServiceAccount (the TokenRequest subresource), valid for `seconds`."""
    answer = cluster._request(
        "POST",
        f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token",
        body={
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": seconds},
        },
        what=f"make a token for {namespace}/{account}",
    )
    return str(answer["status"]["token"])


def delete_object(cluster: Any, kind: str, name: str, namespace: str | None = None) -> bool:
    """Delete one object, cluster-scoped or not; False when it was already gone."""
    try:
        cluster._request(
            "DELETE", resource_for(kind).path(namespace, name), what=f"delete {kind} {name}"
        )
    except NotFoundError:
        return False
    return True
