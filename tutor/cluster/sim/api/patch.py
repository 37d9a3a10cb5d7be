"""The four PATCH forms of the Kubernetes API, as pure functions over JSON-like objects.

- `apply_json_patch`: RFC 6902, as gopkg.in/evanphx/json-patch.v4 (v4.13, the version
  k8s.io/apiserver pins) applies it, with its quirks (negative indexes count from the end,
  `replace` of a missing object key adds it, `test` of a missing key against null passes).
- `apply_merge_patch`: RFC 7386, as that package's `MergePatch` does it.
- `apply_strategic_merge_patch`: in `strategic` (k8s.io/apimachinery pkg/util/strategicpatch).
- `server_side_apply` and `record_update`: in `ssa` (sigs.k8s.io/structured-merge-diff).

Errors are `PatchError`s carrying the status code, reason and message the API server answers
with (k8s.io/apiserver pkg/endpoints/handlers/patch.go `applyJSPatch`): a patch that does not
decode is 400 BadRequest with the decoder's text; a JSON patch that does not apply is 422 Invalid
with the generic message of `errors.NewGenericServerResponse` ("the server rejected our request due
to an error in our request"), the library's own sentence kept in `detail`.
"""

from __future__ import annotations

import re
from typing import Any

from tutor.cluster.sim.api.ssa import ApplyConflict, record_update, server_side_apply
from tutor.cluster.sim.api.strategic import apply_strategic_merge_patch
from tutor.cluster.sim.store import deep_copy

__all__ = [
    "ApplyConflict",
    "PatchError",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_strategic_merge_patch",
    "record_update",
    "server_side_apply",
]

Obj = dict[str, Any]

INVALID_MESSAGE = "the server rejected our request due to an error in our request"
"""k8s.io/apimachinery pkg/api/errors `NewGenericServerResponse` for 422 (the text is fixed)."""

from tutor.cluster.sim.api.strategic import PatchError  # noqa: E402  (one exception for all)

_MISSING = "missing value"
_INVALID_INDEX = "invalid index referenced"
_INT = re.compile(r"^[+-]?[0-9]+$")


def _unapplicable(detail: str) -> PatchError:
    return PatchError(422, "Invalid", INVALID_MESSAGE, detail)


def _go_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return "number"


class _OpError(Exception):
    pass


def _atoi(key: str) -> int:
    if not _INT.match(key):
        raise _OpError(f'strconv.Atoi: parsing "{key}": invalid syntax')
    return int(key)


def _decode_key(key: str) -> str:
    return key.replace("~1", "/").replace("~0", "~")


def _index(array: list[Any], key: str, extra: int = 0) -> int:
    idx = _atoi(key)
    size = len(array) + extra
    if idx < 0:
        if idx < -size:
            raise _OpError(f"Unable to access invalid index: {idx}: {_INVALID_INDEX}")
        idx += size
    if idx >= size:
        raise _OpError(f"Unable to access invalid index: {idx}: {_INVALID_INDEX}")
    return idx


def _find(doc: Any, path: str) -> tuple[Any, str] | None:
    """json-patch v4 `findObject`: the container of the last path element, and that element."""
    split = path.split("/")
    if len(split) < 2:
        return None
    current = doc
    for part in split[1:-1]:
        key = _decode_key(part)
        if isinstance(current, dict):
            nxt = current.get(key)
        else:
            try:
                nxt = current[_index(current, key)]
            except _OpError:
                return None
        if not isinstance(nxt, (dict, list)):
            return None
        current = nxt
    return current, _decode_key(split[-1])


def _get(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        return container.get(key)
    return container[_index(container, key)]


def _add(container: Any, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    if not _INT.match(key):
        raise _OpError(
            f"value was not a proper array index: '{key}': strconv.Atoi: parsing \"{key}\": "
            "invalid syntax"
        )
    container.insert(_index(container, key, extra=1), value)


def _remove(container: Any, key: str) -> None:
    if isinstance(container, dict):
        if key not in container:
            raise _OpError(f"Unable to remove nonexistent key: {key}: {_MISSING}")
        del container[key]
        return
    del container[_index(container, key)]


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return type(a) is type(b) and a == b


def _string_field(op: Obj, name: str, missing: str) -> str:
    value = op.get(name)
    if value is None:
        raise _OpError(missing)
    if not isinstance(value, str):
        raise _OpError(f"json: cannot unmarshal {_go_type(value)} into Go value of type string")
    return value


def apply_json_patch(obj: Obj, ops: Any) -> Obj:
    """`obj` with the RFC 6902 operations `ops` applied (a new object)."""
    if not isinstance(ops, list):
        raise PatchError(
            400,
            "BadRequest",
            f"json: cannot unmarshal {_go_type(ops)} into Go value of type jsonpatch.Patch",
        )
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError(
                400,
                "BadRequest",
                f"json: cannot unmarshal {_go_type(op)} into Go value of type jsonpatch.Operation",
            )
    if len(ops) > 10000:
        raise PatchError(
            413,
            "RequestEntityTooLarge",
            f"The allowed maximum operations in a JSON patch is 10000, got {len(ops)}",
        )
    doc: Any = deep_copy(obj)
    for op in ops:
        try:
            doc = _apply_op(doc, op)
        except _OpError as error:
            raise _unapplicable(str(error)) from None
    result: Obj = doc
    return result


def _apply_op(doc: Any, op: Obj) -> Any:
    kind = op.get("op") if isinstance(op.get("op"), str) else "unknown"
    value = deep_copy(op.get("value"))
    if kind in ("add", "remove", "replace", "test"):
        try:
            path = _string_field(op, "path", f"operation missing path field: {_MISSING}")
        except _OpError as error:
            if kind in ("add", "remove"):
                raise _OpError(f"{kind} operation failed to decode path: {_MISSING}") from None
            raise _OpError(f"{kind} operation failed to decode path: {error}") from None
    if kind == "add":
        found = _find(doc, path)
        if found is None:
            raise _OpError(
                f'add operation does not apply: doc is missing path: "{path}": {_MISSING}'
            )
        try:
            _add(found[0], found[1], value)
        except _OpError as error:
            raise _OpError(f"error in add for path: '{path}': {error}") from None
        return doc
    if kind == "remove":
        found = _find(doc, path)
        if found is None:
            raise _OpError(
                f'remove operation does not apply: doc is missing path: "{path}": {_MISSING}'
            )
        try:
            _remove(found[0], found[1])
        except _OpError as error:
            raise _OpError(f"error in remove for path: '{path}': {error}") from None
        return doc
    if kind == "replace":
        if path == "":
            if not isinstance(value, (dict, list)):
                raise _OpError("replace operation value must be object or array: %!w(<nil>)")
            return value
        found = _find(doc, path)
        if found is None:
            raise _OpError(
                f"replace operation does not apply: doc is missing path: {path}: {_MISSING}"
            )
        container, key = found
        if isinstance(container, dict):
            container[key] = value  # v4 adds a missing key here (its get never fails)
            return doc
        try:
            container[_index(container, key)] = value
        except _OpError:
            raise _OpError(
                f"replace operation does not apply: doc is missing key: {path}: {_MISSING}"
            ) from None
        return doc
    if kind == "test":
        if path == "":
            if _json_equal(doc, value):
                return doc
            raise _OpError(f"testing value {path} failed: test failed")
        found = _find(doc, path)
        if found is None:
            raise _OpError(f"test operation does not apply: is missing path: {path}: {_MISSING}")
        try:
            current = _get(found[0], found[1])
        except _OpError as error:
            raise _OpError(f"error in test for path: '{path}': {error}") from None
        if current is None and value is None:
            return doc
        if current is not None and value is not None and _json_equal(current, value):
            return doc
        raise _OpError(f"testing value {path} failed: test failed")
    if kind in ("move", "copy"):
        return _move_or_copy(doc, op, kind)
    raise _OpError(f"Unexpected kind: {kind}")


def _move_or_copy(doc: Any, op: Obj, kind: str) -> Any:
    try:
        source = _string_field(op, "from", f"operation, missing from field: {_MISSING}")
    except _OpError as error:
        raise _OpError(f"{kind} operation failed to decode from: {error}") from None
    found = _find(doc, source)
    if found is None:
        raise _OpError(
            f"{kind} operation does not apply: doc is missing from path: {source}: {_MISSING}"
        )
    container, key = found
    try:
        value = _get(container, key)
    except _OpError as error:
        where = (
            f"error in move for path: '{key}'"
            if kind == "move"
            else f"error in copy for from: '{source}'"
        )
        raise _OpError(f"{where}: {error}") from None
    if kind == "move":
        try:
            _remove(container, key)
        except _OpError as error:
            raise _OpError(f"error in move for path: '{key}': {error}") from None
    else:
        value = deep_copy(value)
    try:
        path = _string_field(op, "path", f"operation missing path field: {_MISSING}")
    except _OpError as error:
        detail = _MISSING if kind == "copy" else str(error)
        raise _OpError(f"{kind} operation failed to decode path: {detail}") from None
    target = _find(doc, path)
    if target is None:
        raise _OpError(
            f"{kind} operation does not apply: doc is missing destination path: {path}: {_MISSING}"
        )
    try:
        _add(target[0], target[1], value)
    except _OpError as error:
        if kind == "move":
            raise _OpError(f"error in move for path: '{path}': {error}") from None
        raise _OpError(f"error while adding value during copy: {error}") from None
    return doc


# -- RFC 7386 ----------------------------------------------------------------------------------


def apply_merge_patch(obj: Obj, patch: Any) -> Obj:
    """`obj` with the JSON merge patch `patch` applied (a new object): null deletes a key, an
    object merges into an object, anything else replaces."""
    if not isinstance(patch, dict):
        # json-patch v4 `doMergePatch`: `null` and non-documents are ErrBadJSONPatch (400).
        raise PatchError(400, "BadRequest", "Invalid JSON Patch")
    doc = deep_copy(obj)
    _merge_docs(doc, deep_copy(patch))
    result: Obj = doc
    return result


def _merge_docs(doc: Obj, patch: Obj) -> None:
    for key, value in patch.items():
        if value is None:
            doc.pop(key, None)
            continue
        current = doc.get(key)
        if current is None:
            _prune_nulls(value)
            doc[key] = value
        elif isinstance(current, dict) and isinstance(value, dict):
            _merge_docs(current, value)
        else:
            if not isinstance(current, dict):
                _prune_nulls(value)
            doc[key] = value


def _prune_nulls(value: Any) -> None:
    # v4 `pruneNulls`: nulls go from objects at any depth; a null array item stays.
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for item in value.values():
            _prune_nulls(item)
    elif isinstance(value, list):
        for item in value:
            if item is not None:
                _prune_nulls(item)
