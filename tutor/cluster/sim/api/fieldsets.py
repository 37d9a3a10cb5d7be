"""`managedFields` entries: which fields a manager set, in the `FieldsV1` format.

The format is structured-merge-diff's (`fieldpath/serialize.go`): `f:<name>` for a field,
`k:<json key>` for a list item found by its keys, `v:<json>` for a set member, `.` for the item
itself. List keys follow the Kubernetes types' `listMapKeys` for the lists the course uses.
"""

from __future__ import annotations

import json
from typing import Any

Obj = dict[str, Any]

_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "ports.port": ("port", "protocol"),
    "ports.containerPort": ("containerPort", "protocol"),
}
_SKIPPED_META = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "managedFields",
    "generation",
)


def _item_key(item: Obj) -> str | None:
    if "containerPort" in item:
        keys: tuple[str, ...] = _LIST_KEYS["ports.containerPort"]
    elif "port" in item and isinstance(item.get("port"), int):
        keys = _LIST_KEYS["ports.port"]
    elif "name" in item:
        keys = ("name",)
    else:
        return None
    fields = {k: item.get(k, "TCP" if k == "protocol" else None) for k in keys}
    return "k:" + json.dumps(fields, separators=(",", ":"))


def field_set(value: Any) -> Obj:
    """The FieldsV1 tree of a value (everything in it is owned)."""
    if isinstance(value, dict):
        return {f"f:{k}": field_set(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(i, dict) for i in value):
            keyed = {}
            for item in value:
                key = _item_key(item)
                if key is None:
                    return {}  # an atomic list: owned as a whole
                keyed[key] = {".": {}, **field_set(item)}
            return keyed
        if value and all(isinstance(i, str | int) for i in value):
            return {"v:" + json.dumps(i): {} for i in value}
        return {}
    return {}


def managed_entry(obj: Obj, *, manager: str, operation: str, api_version: str, time: str) -> Obj:
    """A managedFields entry saying `manager` set every field of `obj` (but the server's)."""
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "status")}
    meta = {k: v for k, v in (body.get("metadata") or {}).items() if k not in _SKIPPED_META}
    body["metadata"] = meta
    if not meta:
        body.pop("metadata")
    return {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": time,
        "fieldsType": "FieldsV1",
        "fieldsV1": field_set(body),
    }
