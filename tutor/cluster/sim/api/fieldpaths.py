"""Field sets as server-side apply records them: paths of path elements, and `fieldsV1`.

A path is a tuple of path elements written as in `fieldsV1` (sigs.k8s.io/structured-merge-diff
fieldpath/serialize-pe.go): `f:name` a field, `k:{"port":80,"protocol":"TCP"}` an item of a
map-type list (keys sorted by name), `v:"value"` an item of a set, `i:0` an index. A set is a
Python `frozenset` of paths; `to_fields_v1`/`from_fields_v1` convert to and from the nested form
stored in `metadata.managedFields[].fieldsV1`, where `".": {}` marks a path that is itself a member
and has members below it (fieldpath/serialize.go).

`to_field_set` follows typed/tofieldset.go: every scalar is a member; an atomic list or map is one
member; each item of a granular list is a member; a map entry is a member when its value is null
or an empty map, or when the key is not a named field of a struct.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tutor.cluster.sim.api import schema
from tutor.cluster.sim.api.schema import Node

Path = tuple[str, ...]
FieldSet = frozenset[Path]

KEY_DEFAULTS = {"protocol": "TCP"}
"""Defaults of list-map key fields (`protocol` of ServicePort and ContainerPort defaults to TCP
in the OpenAPI schema; structured-merge-diff uses a key's schema default when an item omits it)."""


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def item_element(item: Any, node: Node, index: int) -> str:
    """The path element of one item of a list whose schema node is `node`."""
    kind = schema.list_type(node)
    if kind == "map" and isinstance(item, dict):
        keys = {}
        for key in sorted(schema.list_keys(node)):
            if key in item:
                keys[key] = item[key]
            elif key in KEY_DEFAULTS:
                keys[key] = KEY_DEFAULTS[key]
        return "k:" + _json(keys)
    if kind == "set":
        return "v:" + _json(item)
    return f"i:{index}"


def to_field_set(value: Any, node: Node) -> FieldSet:
    """The fields `value` sets (typed/tofieldset.go)."""
    out: set[Path] = set()
    _walk(value, node, (), out)
    return frozenset(out)


def _walk(value: Any, node: Node, path: Path, out: set[Path]) -> None:
    if isinstance(value, dict):
        if schema.is_atomic_map(node):
            out.add(path)
            return
        for key, child_value in value.items():
            child_path = (*path, "f:" + key)
            child_node = schema.child(node, key)
            _walk(child_value, child_node, child_path, out)
            if child_value is None or child_value == {} or not schema.has_field(node, key):
                out.add(child_path)
        return
    if isinstance(value, list):
        if schema.list_type(node) == "atomic":
            out.add(path)
            return
        element = schema.element(node)
        for index, item in enumerate(value):
            item_path = (*path, item_element(item, node, index))
            _walk(item, element, item_path, out)
            out.add(item_path)
        return
    out.add(path)


def ensure_named_fields(paths: Iterable[Path], node: Node) -> FieldSet:
    """`paths` plus every named struct field that has members below it
    (fieldpath/set.go `EnsureNamedFieldsAreMembers`)."""
    out = set(paths)
    for path in list(out):
        current = node
        for depth, element in enumerate(path[:-1]):
            if element.startswith("f:"):
                key = element[2:]
                if schema.has_field(current, key):
                    out.add(path[: depth + 1])
                current = schema.child(current, key)
            else:
                current = schema.element(current)
    return frozenset(out)


# -- fieldsV1 ----------------------------------------------------------------------------------


def _sort_key(element: str) -> tuple[int, Any]:
    # fieldpath/element.go `Compare`: field names, then keys, then values, then indexes.
    rank = "fkvi".index(element[0])
    if rank == 3:
        return (rank, int(element[2:]))
    if rank == 1:
        fields = json.loads(element[2:])
        return (rank, [(name, _value_key(value)) for name, value in fields.items()])
    if rank == 2:
        return (rank, _value_key(json.loads(element[2:])))
    return (rank, element[2:])


def _value_key(value: Any) -> tuple[int, str, float]:
    # value/value.go `Compare` orders by type first; within a type by value.
    if isinstance(value, bool):
        return (2, "", float(value))
    if isinstance(value, (int, float)):
        return (1, "", float(value))
    if isinstance(value, str):
        return (3, value, 0.0)
    return (4, _json(value), 0.0)


def to_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    """The nested `fieldsV1` form of a set of paths, in the API server's order."""
    tree: dict[str, Any] = {}
    members: set[Path] = set(paths)
    for path in members:
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    return _ordered(tree, (), members)


def _ordered(tree: dict[str, Any], prefix: Path, members: set[Path]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if tree and prefix in members and prefix:
        out["."] = {}
    for element in sorted(tree, key=_sort_key):
        out[element] = _ordered(tree[element], (*prefix, element), members)
    return out


def from_fields_v1(fields: dict[str, Any]) -> FieldSet:
    """The paths of a `fieldsV1` document."""
    out: set[Path] = set()
    _read(fields, (), out)
    return frozenset(out)


def _read(tree: dict[str, Any], prefix: Path, out: set[Path]) -> None:
    if not tree and prefix:
        out.add(prefix)
        return
    for element, below in tree.items():
        if element == ".":
            out.add(prefix)
            continue
        _read(below if isinstance(below, dict) else {}, (*prefix, element), out)


def path_string(path: Path) -> str:
    """A path as the API server prints it in conflicts (fieldpath/path.go `String`):
    `.spec.ports[port=80,protocol="TCP"].targetPort`."""
    parts = []
    for element in path:
        kind, text = element[0], element[2:]
        if kind == "f":
            parts.append("." + text)
        elif kind == "k":
            fields = json.loads(text)
            parts.append(
                "[" + ",".join(f"{name}={_to_string(v)}" for name, v in fields.items()) + "]"
            )
        elif kind == "v":
            parts.append(f"[={_to_string(json.loads(text))}]")
        else:
            parts.append(f"[{text}]")
    return "".join(parts)


def _to_string(value: Any) -> str:
    # value/value.go `ToString`: strings quoted (Go %q), numbers and booleans bare.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_to_string(v) for v in value) + "]"
    return str(value)
