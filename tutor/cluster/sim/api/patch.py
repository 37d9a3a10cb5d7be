"""Patch forms (interim: replaced by the full implementation from the `simpatch` branch)."""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]


class PatchError(Exception):
    """A patch the API server refuses."""

    def __init__(self, message: str, code: int = 422, reason: str = "Invalid") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class ApplyConflict(Exception):
    """Fields another manager owns."""

    def __init__(self, conflicts: list[tuple[str, str]]) -> None:
        super().__init__("conflict")
        self.conflicts = conflicts

    def message(self) -> str:
        """The API server's message."""
        return f"Apply failed with {len(self.conflicts)} conflict(s)"

    def causes(self) -> list[Obj]:
        """details.causes."""
        return [
            {"reason": "FieldManagerConflict", "message": f'conflict with "{m}"', "field": f}
            for m, f in self.conflicts
        ]


def apply_merge_patch(obj: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(obj) if isinstance(obj, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


def apply_strategic_merge_patch(obj: Any, patch: Any, kind: str) -> Any:
    """Merge patch, with lists of named items merged by name."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(obj) if isinstance(obj, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        current = result.get(key)
        if value is None:
            result.pop(key, None)
        elif (
            isinstance(value, list)
            and isinstance(current, list)
            and all(isinstance(i, dict) and "name" in i for i in value + current)
        ):
            merged = {i["name"]: i for i in current}
            for item in value:
                merged[item["name"]] = apply_strategic_merge_patch(
                    merged.get(item["name"]), item, kind
                )
            result[key] = list(merged.values())
        else:
            result[key] = apply_strategic_merge_patch(current, value, kind)
    return result


def apply_json_patch(obj: Any, ops: list[Any]) -> Any:
    """RFC 6902 (add, remove, replace, test)."""
    result = copy.deepcopy(obj)
    for op in ops:
        parts = [
            p.replace("~1", "/").replace("~0", "~") for p in str(op.get("path", "")).split("/")[1:]
        ]
        parent = result
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1] if parts else ""
        kind = op.get("op")
        if kind in ("add", "replace"):
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if kind == "add":
                    parent.insert(index, op.get("value"))
                else:
                    parent[index] = op.get("value")
            else:
                parent[last] = op.get("value")
        elif kind == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            else:
                parent.pop(last)
        elif kind == "test":
            value = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if value != op.get("value"):
                raise PatchError("testing value failed")
    return result


def server_side_apply(live: Obj, applied: Obj, *, manager: str, force: bool) -> Obj:
    """Merge the applied configuration into the live object."""
    result: Obj = apply_strategic_merge_patch(live, applied, str(applied.get("kind", "")))
    return result
