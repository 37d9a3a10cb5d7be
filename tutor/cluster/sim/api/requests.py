"""Parse resource paths the way the API server's request-info resolver does
(`k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`)."""

from __future__ import annotations

from dataclasses import dataclass

from tutor.cluster.sim.api.resources import ServedResource, find, group_versions


@dataclass(frozen=True)
class RequestInfo:
    """What a path names."""

    group: str
    version: str
    resource: ServedResource | None
    """None for a discovery path (`/api/v1`, `/apis/apps/v1`, `/apis/apps`)."""
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None


def parse_path(path: str) -> RequestInfo | None:
    """The request info of `/api/v1/...` or `/apis/<group>/<version>/...`; None when the path
    is not an API path at all."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    if parts[0] == "api":
        if len(parts) < 2:
            return None
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis":
        if len(parts) < 2:
            return None
        if len(parts) == 2:
            return RequestInfo(parts[1], "", None)
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if group not in group_versions() or version not in group_versions()[group]:
        return RequestInfo(group, version, None) if not rest else None
    if not rest:
        return RequestInfo(group, version, None)
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        candidate = find(group, version, rest[2])
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
    resource = find(group, version, rest[0])
    if resource is None:
        return None
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if len(rest) > 3:
        return None
    return RequestInfo(group, version, resource, namespace, name, sub)
