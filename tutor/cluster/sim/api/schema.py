"""Schema look-ups for merging: which maps are structs, which lists are sets, maps or atomic.

Backed by `schema_types.json` (see `schemagen`). A node is a small dict: `{"r": type}` for a
struct, `{"l": "atomic"|"set"|"map", "k": keys, "e": element}` for a list, `{"a": element}` for a
map of arbitrary keys; `ps`/`pk` carry the strategic-merge-patch strategy and merge key. `None`
stands for a field the schema does not describe: sigs.k8s.io/structured-merge-diff then *deduces*
the type (typed/helpers.go `deduceAtom`): a scalar, a map whose every key is its own field, or an
atomic list.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

Obj = dict[str, Any]
Node = Obj | None

_FILE = Path(__file__).with_name("schema_types.json")

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


@cache
def _document() -> Obj:
    loaded: Obj = json.loads(_FILE.read_text())
    return loaded


def root(api_version: str | None, kind: str | None) -> Node:
    """The node for a whole object of this kind, or None when the kind is unknown."""
    name = _document()["kinds"].get(f"{api_version}/{kind}")
    if name is None:
        # Unknown kinds (and unknown versions) still have standard object metadata.
        return {"r": "", "meta": True}
    return {"r": name}


def is_known_kind(api_version: str | None, kind: str | None) -> bool:
    """Whether the schema file describes this kind."""
    return f"{api_version}/{kind}" in _document()["kinds"]


_BUILTIN_GROUPS = frozenset(
    {"", "apps", "batch", "autoscaling", "policy", "discovery.k8s.io", "networking.k8s.io"}
    | {"events.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io", "coordination.k8s.io"}
    | {"scheduling.k8s.io", "node.k8s.io", "certificates.k8s.io", "admissionregistration.k8s.io"}
    | {"apiextensions.k8s.io", "apiregistration.k8s.io", "flowcontrol.apiserver.k8s.io"}
    | {"resource.k8s.io", "storagemigration.k8s.io", "authentication.k8s.io"}
    | {"authorization.k8s.io", "internal.apiserver.k8s.io"}
)
"""API groups kube-apiserver serves itself; anything else (Gateway API included, although its
group ends in k8s.io) comes from a CustomResourceDefinition."""


def is_custom_resource(api_version: str | None) -> bool:
    """Kinds served from CustomResourceDefinitions, which the API server patches without
    strategic merge."""
    version = api_version or ""
    group = version.rpartition("/")[0] if "/" in version else ""
    return group not in _BUILTIN_GROUPS


def _fields(node: Obj) -> Obj:
    name = node.get("r")
    if name == "":
        return {"metadata": {"r": OBJECT_META}}
    type_ = _document()["types"].get(name) or {}
    fields: Obj = type_.get("f") or {}
    return fields


def is_struct(node: Node) -> bool:
    """A struct: its keys are named fields (not members of a map)."""
    return node is not None and "r" in node


def has_field(node: Node, key: str) -> bool:
    """Whether `key` is a named, non-scalar field of the struct `node` (scalars need no answer:
    a scalar is always a member of a field set)."""
    if node is None or "r" not in node:
        return False
    return key in _fields(node)


def child(node: Node, key: str) -> Node:
    """The node of field or map entry `key` under `node`."""
    if node is None:
        return None
    if "r" in node:
        return _fields(node).get(key)
    if "a" in node:
        element: Node = node["a"] or None
        return element
    return None


def is_atomic_map(node: Node) -> bool:
    """A map or struct replaced as a whole (`x-kubernetes-map-type: atomic`)."""
    if node is None:
        return False
    if node.get("atomic"):
        return True
    if "r" in node and node["r"]:
        return bool((_document()["types"].get(node["r"]) or {}).get("atomic"))
    return False


def is_map_like(node: Node) -> bool:
    """A map whose keys are not named fields (struct fields are named)."""
    return node is None or "a" in node


def list_type(node: Node) -> str:
    """`atomic`, `set` or `map` (undescribed lists are atomic)."""
    if node is None or "l" not in node:
        return "atomic"
    kind: str = node["l"]
    return kind


def list_keys(node: Node) -> list[str]:
    """The `x-kubernetes-list-map-keys` of a map-type list."""
    if node is None:
        return []
    keys: list[str] = node.get("k") or []
    return keys


def element(node: Node) -> Node:
    """The node of a list's items."""
    if node is None:
        return None
    item: Node = node.get("e")
    return item


def patch_strategy(node: Node) -> set[str]:
    """The strategic-merge-patch strategies of a field (`merge`, `retainKeys`)."""
    if node is None or not node.get("ps"):
        return set()
    return set(str(node["ps"]).split(","))


def patch_merge_key(node: Node) -> str | None:
    """The strategic-merge-patch merge key of a list field."""
    if node is None:
        return None
    key: str | None = node.get("pk")
    return key
