"""Discovery documents: `/version`, `/api`, `/apis`, per group-version resource lists, and the
aggregated discovery (`apidiscovery.k8s.io/v2`) that kubectl 1.37 asks for first.

Shapes follow `k8s.io/apimachinery/pkg/apis/meta/v1/types.go` (`APIVersions`, `APIGroupList`,
`APIResourceList`) and `k8s.io/api/apidiscovery/v2/types.go` (`APIGroupDiscoveryList`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from tutor.cluster.sim.api.resources import SERVED, ServedResource, group_versions

Obj = dict[str, Any]

AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

VERSION: Obj = {
    "major": "1",
    "minor": "37",
    "emulationMajor": "1",
    "emulationMinor": "37",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "36",
    "gitVersion": "v1.37.0",
    "gitCommit": "kube-tutor-simulator",
    "gitTreeState": "clean",
    "buildDate": "2026-11-01T00:00:00Z",
    "goVersion": "go1.26.8",
    "compiler": "gc",
    "platform": "linux/amd64",
}
"""What `kubectl version` shows for the server (a kind node image v1.37.0)."""

_SUB_KINDS = {
    "scale": ("autoscaling", "v1", "Scale"),
    "log": ("", "v1", "Pod"),
    "exec": ("", "v1", "PodExecOptions"),
    "portforward": ("", "v1", "PodPortForwardOptions"),
}
_SUB_VERBS = {
    "status": ("get", "patch", "update"),
    "scale": ("get", "patch", "update"),
    "log": ("get",),
    "exec": ("create", "get"),
    "portforward": ("create", "get"),
}


def _hash(resource: ServedResource) -> str:
    digest = hashlib.sha256(f"{resource.group}/{resource.preferred}/{resource.kind}".encode())
    return digest.digest()[:8].hex()


def _with_names(entry: Obj, resource: ServedResource) -> Obj:
    """Add the short names and categories a resource has (discovery omits empty lists)."""
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    return entry


def _verbs(resource: ServedResource) -> list[str]:
    return list(resource.verbs if resource.writable else ("get", "list", "watch"))


def _resources(group: str, version: str) -> list[ServedResource]:
    return [r for r in SERVED if r.group == group and version in r.versions]


def api_versions(address: str) -> Obj:
    """`GET /api`."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def api_group(group: str) -> Obj:
    """One entry of `/apis` (and `GET /apis/<group>`)."""
    versions = group_versions()[group]
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def api_group_list() -> Obj:
    """`GET /apis`."""
    groups = [api_group(g) for g in group_versions() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(group: str, version: str) -> Obj | None:
    """`GET /api/v1` or `/apis/<group>/<version>`; None when not served."""
    served = _resources(group, version)
    if not served:
        return None
    listed: list[Obj] = []
    for r in served:
        entry: Obj = {
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": _verbs(r),
        }
        _with_names(entry, r)
        entry["storageVersionHash"] = _hash(r)
        listed.append(entry)
        for sub in r.subresources:
            sub_group, sub_version, sub_kind = _SUB_KINDS.get(sub, (r.group, version, r.kind))
            sub_entry: Obj = {
                "name": f"{r.plural}/{sub}",
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": sub_kind,
                "verbs": list(_SUB_VERBS.get(sub, ("get",))),
            }
            if sub_group != r.group or sub == "scale":
                sub_entry["group"] = sub_group
                sub_entry["version"] = sub_version
            listed.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": listed,
    }


def aggregated(core: bool) -> Obj:
    """Aggregated discovery: `/api` (core=True) or `/apis` as an `APIGroupDiscoveryList`."""
    items: list[Obj] = []
    for group, versions in group_versions().items():
        if (group == "") != core:
            continue
        version_entries: list[Obj] = []
        for version in versions:
            resources: list[Obj] = []
            for r in _resources(group, version):
                entry: Obj = {
                    "resource": r.plural,
                    "responseKind": {"group": r.group, "version": version, "kind": r.kind},
                    "scope": "Namespaced" if r.namespaced else "Cluster",
                    "singularResource": r.singular,
                    "verbs": _verbs(r),
                }
                _with_names(entry, r)
                subs = []
                for sub in r.subresources:
                    sub_group, sub_version, sub_kind = _SUB_KINDS.get(
                        sub, (r.group, version, r.kind)
                    )
                    subs.append(
                        {
                            "subresource": sub,
                            "responseKind": {
                                "group": sub_group,
                                "version": sub_version,
                                "kind": sub_kind,
                            },
                            "verbs": list(_SUB_VERBS.get(sub, ("get",))),
                        }
                    )
                if subs:
                    entry["subresources"] = subs
                resources.append(entry)
            version_entries.append(
                {"version": version, "resources": resources, "freshness": "Current"}
            )
        items.append(
            {"metadata": {"name": group, "creationTimestamp": None}, "versions": version_entries}
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }


def wants_aggregated(accept: str) -> bool:
    """True when the Accept header asks for aggregated discovery v2."""
    return "as=APIGroupDiscoveryList" in accept and "v=v2" in accept
