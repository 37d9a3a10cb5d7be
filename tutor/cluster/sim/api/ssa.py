"""Server-side apply and field ownership (`metadata.managedFields`), as the API server keeps them.

The rules follow sigs.k8s.io/structured-merge-diff v6 (merge/update.go `Updater.Apply`,
`Updater.Update`, `Updater.prune`; typed/merge.go, typed/compare.go, typed/remove.go) as
k8s.io/apimachinery pkg/util/managedfields wraps them:

- apply merges the applied configuration into the live object (maps by key, map-type lists by their
  `x-kubernetes-list-map-keys`, sets by value, atomic lists and maps replaced whole);
- the applier then owns exactly the fields of its configuration; a field it applied last time and
  leaves out now is removed, unless another manager owns it too;
- a field another manager owns whose value the apply changes is a conflict (409) unless forced,
  and forcing moves it to the applier;
- an update (create, update, patch; `kubectl edit`, `label`, `scale`) takes the fields it changed
  from every other manager.

Type and object metadata that the server owns (`apiVersion`, `kind`, `metadata.name`, ...) are never
recorded (managedfields/internal/stripmeta.go); `status` is tracked only for the `status`
subresource, as the strategies' reset fields make it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tutor.cluster.sim.api import schema
from tutor.cluster.sim.api.fieldpaths import (
    FieldSet,
    Path,
    _sort_key,
    ensure_named_fields,
    from_fields_v1,
    item_element,
    path_string,
    to_field_set,
    to_fields_v1,
)
from tutor.cluster.sim.api.schema import Node
from tutor.cluster.sim.store import deep_copy

Obj = dict[str, Any]


class _Absent:
    """A field that is not there (JSON null is a value)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()

_STRIPPED_META = ("name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName")
_SERVER_META = ("generation", "managedFields", "resourceVersion")


class ApplyConflict(Exception):
    """Fields of the apply are owned by other managers with other values (HTTP 409).

    `conflicts` lists (manager description, field path) pairs; `message()` and `causes()` give the
    `Status` message and `details.causes` the API server sends
    (managedfields/internal/conflict.go `NewConflictError`)."""

    code = 409
    reason = "Conflict"

    def __init__(self, conflicts: list[tuple[str, str]]) -> None:
        self.conflicts = conflicts
        super().__init__(_conflict_message(conflicts))

    def message(self) -> str:
        """The `Status` message (`Apply failed with 1 conflict: conflict with ...`)."""
        return _conflict_message(self.conflicts)

    def causes(self) -> list[Obj]:
        """`details.causes` of the `Status` (type FieldManagerConflict, one per field)."""
        return [
            {"type": "FieldManagerConflict", "message": f"conflict with {who}", "field": field}
            for who, field in self.conflicts
        ]


def _conflict_message(conflicts: list[tuple[str, str]]) -> str:
    if len(conflicts) == 1:
        who, field = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {who}: {field}"
    by_manager: dict[str, list[str]] = {}
    for who, field in conflicts:
        by_manager.setdefault(who, []).append(field)
    lines = []
    for who in sorted(by_manager):
        lines.append(f"conflicts with {who}:")
        lines.extend(f"- {field}" for field in by_manager[who])
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


@dataclass
class _Entry:
    manager: str
    operation: str
    api_version: str
    time: str | None
    subresource: str
    fields: FieldSet

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.manager, self.operation, self.subresource)

    def describe(self) -> str:
        """How conflict messages name the manager (conflict.go `printManager`)."""
        text = _go_quote(self.manager)
        if self.subresource:
            text += f" with subresource {_go_quote(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
            if self.time:
                text += f" at {self.time}"
        return text

    def encode(self) -> Obj:
        entry: Obj = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
        }
        if self.time:
            entry["time"] = self.time
        entry["fieldsType"] = "FieldsV1"
        entry["fieldsV1"] = to_fields_v1(self.fields)
        if self.subresource:
            entry["subresource"] = self.subresource
        return entry


def _go_quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def _now(now: str | None) -> str:
    if now is not None:
        return now
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entries(obj: Obj | None) -> dict[tuple[str, str, str], _Entry]:
    out: dict[tuple[str, str, str], _Entry] = {}
    if obj is None:
        return out
    for raw in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(raw, dict) or not raw.get("manager"):
            continue
        fields = raw.get("fieldsV1")
        entry = _Entry(
            manager=str(raw["manager"]),
            operation=str(raw.get("operation") or "Update"),
            api_version=str(raw.get("apiVersion") or obj.get("apiVersion") or ""),
            time=raw.get("time"),
            subresource=str(raw.get("subresource") or ""),
            fields=from_fields_v1(fields) if isinstance(fields, dict) else frozenset(),
        )
        previous = out.get(entry.key)
        if previous is not None:
            entry.fields = previous.fields | entry.fields
        out[entry.key] = entry
    return out


def _encode(entries: dict[tuple[str, str, str], _Entry]) -> list[Obj]:
    # managedfields/internal/managedfields.go `sortEncodedManagedFields`.
    ordered = sorted(
        (e for e in entries.values() if e.fields),
        key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource),
    )
    return [e.encode() for e in ordered]


def _tracked(paths: FieldSet, subresource: str) -> FieldSet:
    """Drop what the server owns, and what this subresource cannot change."""
    out = set()
    for path in paths:
        if not path:
            continue
        head = path[0]
        if head in ("f:apiVersion", "f:kind"):
            continue
        if head == "f:metadata":
            if len(path) == 1:
                continue
            name = path[1][2:]
            if name in _STRIPPED_META or name in _SERVER_META:
                continue
        if subresource == "status":
            if head != "f:status":
                continue
        elif subresource == "scale":
            if path[:2] != ("f:spec", "f:replicas"):
                continue
        elif head == "f:status":
            continue
        out.add(path)
    return frozenset(out)


def _without_server_fields(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


# -- typed merge, remove and compare -----------------------------------------------------------


def merge(lhs: Any, rhs: Any, node: Node) -> Any:
    """`rhs` merged into `lhs` (typed/merge.go with the keep-RHS rule). Shares structure."""
    if rhs is ABSENT:
        return lhs
    if lhs is ABSENT:
        return rhs
    if isinstance(lhs, dict) and isinstance(rhs, dict):
        if schema.is_atomic_map(node) or (not lhs and not rhs):
            return rhs
        out = dict(lhs)
        for key, value in rhs.items():
            merged = merge(lhs.get(key, ABSENT), value, schema.child(node, key))
            if merged is ABSENT:
                out.pop(key, None)
            else:
                out[key] = merged
        return out
    if isinstance(lhs, list) and isinstance(rhs, list):
        if schema.list_type(node) == "atomic" or (not lhs and not rhs):
            return rhs
        return _merge_list(lhs, rhs, node)
    return rhs


def _merge_list(lhs: list[Any], rhs: list[Any], node: Node) -> Any:
    # A port of typed/merge.go `visitListItems`: shared items take the applied order, items
    # only the live object has stay where they were.
    item_node = schema.element(node)
    lpes = [item_element(v, node, i) for i, v in enumerate(lhs)]
    rpes = [item_element(v, node, i) for i, v in enumerate(rhs)]
    lmap = dict(zip(lpes, lhs, strict=True))
    rmap = dict(zip(rpes, rhs, strict=True))
    shared = [pe for pe in rpes if pe in lmap]
    shared_at = 0
    next_shared = shared[0] if shared else None
    out: list[Any] = []
    merged: set[str] = set()
    li = ri = 0
    while li < len(lpes) or ri < len(rpes):
        if li < len(lpes) and ri < len(rpes):
            pe = lpes[li]
            if pe == rpes[ri]:
                merged.add(pe)
                out.append(merge(lmap[pe], rmap[pe], item_node))
                li += 1
                ri += 1
                shared_at += 1
                next_shared = shared[shared_at] if shared_at < len(shared) else None
                continue
            if pe in rmap and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < len(lpes):
            pe = lpes[li]
            if pe not in rmap:
                out.append(lhs[li])
                li += 1
                continue
            if pe in merged:
                li += 1
        if ri < len(rpes):
            pe = rpes[ri]
            merged.add(pe)
            out.append(merge(lmap.get(pe, ABSENT), rmap[pe], item_node))
            ri += 1
            if next_shared is not None and next_shared == pe:
                shared_at += 1
                next_shared = shared[shared_at] if shared_at < len(shared) else None
    return out if out else ABSENT


def _trie(paths: FieldSet) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path in paths:
        node = root
        for element in path:
            node = node.setdefault(element, {})
        node["."] = True
    return root


def remove_items(value: Any, paths: FieldSet, node: Node) -> Any:
    """`value` without the fields and items of `paths` (typed/remove.go)."""
    if not paths:
        return value
    return _remove(value, _trie(paths), node)


def _remove(value: Any, trie: dict[str, Any], node: Node) -> Any:
    if isinstance(value, dict):
        if schema.is_atomic_map(node):
            return value
        out = {}
        for key, child_value in value.items():
            sub = trie.get("f:" + key)
            if sub is None:
                out[key] = child_value
                continue
            if "." in sub:
                continue
            kept = _remove(child_value, sub, schema.child(node, key))
            if kept is not ABSENT:
                out[key] = kept
        return out if out else ABSENT
    if isinstance(value, list):
        if schema.list_type(node) == "atomic":
            return value
        item_node = schema.element(node)
        items = []
        for index, item in enumerate(value):
            sub = trie.get(item_element(item, node, index))
            if sub is None:
                items.append(item)
                continue
            if "." in sub:
                continue
            kept = _remove(item, sub, item_node)
            items.append(kept if kept is not ABSENT else {})
        return items if items else ABSENT
    return value


@dataclass
class Comparison:
    """Paths added, modified (leaf values) and removed between two objects (typed/compare.go)."""

    added: set[Path]
    modified: set[Path]
    removed: set[Path]


def compare(lhs: Any, rhs: Any, node: Node) -> Comparison:
    """What changed from `lhs` to `rhs`."""
    result = Comparison(set(), set(), set())
    _compare(lhs, rhs, node, (), result)
    return result


def _is_leaf(lhs: Any, rhs: Any, node: Node) -> bool:
    values = [v for v in (lhs, rhs) if v is not ABSENT]
    if all(isinstance(v, dict) for v in values):
        return schema.is_atomic_map(node) or all(not v for v in values)
    if all(isinstance(v, list) for v in values):
        return schema.list_type(node) == "atomic" or all(not v for v in values)
    return True


def _compare(lhs: Any, rhs: Any, node: Node, path: Path, result: Comparison) -> None:
    if _is_leaf(lhs, rhs, node):
        if lhs is ABSENT:
            result.added.add(path)
        elif rhs is ABSENT:
            result.removed.add(path)
        elif lhs != rhs or type(lhs) is not type(rhs):
            result.modified.add(path)
        return
    if isinstance(lhs if lhs is not ABSENT else rhs, dict):
        left = lhs if lhs is not ABSENT else {}
        right = rhs if rhs is not ABSENT else {}
        for key in {**left, **right}:
            _compare(
                left.get(key, ABSENT),
                right.get(key, ABSENT),
                schema.child(node, key),
                (*path, "f:" + key),
                result,
            )
    else:
        left_list = lhs if lhs is not ABSENT else []
        right_list = rhs if rhs is not ABSENT else []
        item_node = schema.element(node)
        lmap = {item_element(v, node, i): v for i, v in enumerate(left_list)}
        rmap = {item_element(v, node, i): v for i, v in enumerate(right_list)}
        for pe in {**lmap, **rmap}:
            _compare(lmap.get(pe, ABSENT), rmap.get(pe, ABSENT), item_node, (*path, pe), result)
    if lhs is ABSENT:
        result.added.add(path)
    elif rhs is ABSENT:
        result.removed.add(path)


def _strip_nulls(value: Any) -> Any:
    # A null the apply leaves in the merged object is an unset field once decoded.
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _update_set(paths: set[Path], node: Node) -> FieldSet:
    """An updater's set as the API server records it: a struct field is not a member of its own
    (Go value structs exist before and after), maps, lists and their items are."""
    out = set()
    parents = {path[:-1] for path in paths}
    for path in paths:
        if not path:
            continue
        if path in parents and _is_struct_at(path, node):
            continue
        out.add(path)
    return frozenset(out)


def _is_struct_at(path: Path, node: Node) -> bool:
    current = node
    for element in path:
        if element.startswith("f:"):
            current = schema.child(current, element[2:])
        else:
            current = schema.element(current)
    return schema.is_struct(current)


def _sorted_paths(paths: FieldSet) -> list[Path]:
    return sorted(paths, key=lambda p: [_sort_key(e) for e in p])


# -- the two operations ------------------------------------------------------------------------


def server_side_apply(
    live: Obj | None,
    applied: Obj,
    *,
    manager: str,
    force: bool,
    subresource: str = "",
    now: str | None = None,
) -> Obj:
    """The object after `manager` applies `applied` onto `live` (None: create), with updated
    `metadata.managedFields`. Raises `ApplyConflict` when other managers own changed fields and
    `force` is false. Inputs are not modified."""
    api_version = str(applied.get("apiVersion") or (live or {}).get("apiVersion") or "")
    node = schema.root(api_version, applied.get("kind") or (live or {}).get("kind"))
    config = dict(applied)
    meta = config.get("metadata")
    if isinstance(meta, dict):
        config["metadata"] = {k: v for k, v in meta.items() if k not in _SERVER_META}
    if subresource == "" and live is not None:
        config.pop("status", None)
    entries = _entries(live)
    live_obj = _without_server_fields(live) if live is not None else ABSENT
    merged = merge(live_obj, config, node)
    key = (manager, "Apply", subresource)
    last = entries.get(key)
    new_fields = _tracked(to_field_set(config, node), subresource)
    entries[key] = _Entry(manager, "Apply", api_version, None, subresource, new_fields)
    if last is not None and last.fields:
        owned: set[Path] = set()
        for entry in entries.values():
            owned |= entry.fields
        stale = ensure_named_fields(last.fields, node) - ensure_named_fields(owned, node)
        merged = remove_items(merged, stale, node)
    changes = compare(live_obj, merged, node)
    changed = changes.added | changes.modified
    conflicts: list[tuple[str, str]] = []
    for other_key, entry in sorted(entries.items()):
        if other_key == key:
            continue
        taken = entry.fields & changed
        if taken:
            conflicts.extend((entry.describe(), path_string(p)) for p in _sorted_paths(taken))
            entry.fields = entry.fields - taken
        entry.fields = entry.fields - changes.removed
    if conflicts and not force:
        raise ApplyConflict(conflicts)
    unchanged = last is not None and last.fields == new_fields and merged == live_obj
    entries[key].time = last.time if unchanged and last is not None else _now(now)
    result: Obj = deep_copy(_strip_nulls(merged))
    result.setdefault("metadata", {})["managedFields"] = _encode(entries)
    return result


def record_update(
    old: Obj | None,
    new: Obj,
    *,
    manager: str,
    operation: str = "Update",
    subresource: str = "",
    now: str | None = None,
) -> list[Obj]:
    """`metadata.managedFields` after `manager` writes `new` over `old` (None: create) with a
    create, update or non-apply patch: it takes every field it changed."""
    api_version = str(new.get("apiVersion") or (old or {}).get("apiVersion") or "")
    node = schema.root(api_version, new.get("kind") or (old or {}).get("kind"))
    old_fields = ((old or {}).get("metadata") or {}).get("managedFields")
    new_fields = (new.get("metadata") or {}).get("managedFields")
    # A client that sends managedFields other than the stored ones replaces them (an empty list
    # keeps them, as the API server does).
    source = new if new_fields and new_fields != old_fields else old
    entries = _entries(source)
    old_obj = _without_server_fields(old) if old is not None else ABSENT
    changes = compare(old_obj, _without_server_fields(new), node)
    added = set(_tracked(frozenset(changes.added), subresource))
    modified = set(_tracked(frozenset(changes.modified), subresource))
    removed = frozenset(changes.removed)
    key = (manager, operation, subresource)
    for other_key, entry in entries.items():
        if other_key != key:
            entry.fields = entry.fields - added - modified - removed
    mine = entries.get(key)
    before = mine.fields if mine is not None else frozenset()
    fields = _update_set((set(before) - removed) | added | modified, node)
    changed = mine is None or fields != before
    time = _now(now) if changed or mine is None else mine.time or _now(now)
    entries[key] = _Entry(manager, operation, api_version, time, subresource, fields)
    return _encode(entries)
