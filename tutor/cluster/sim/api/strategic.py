"""Strategic merge patch (`application/strategic-merge-patch+json`) over JSON-like objects.

Follows k8s.io/apimachinery pkg/util/strategicpatch/patch.go (`StrategicMergeMapPatch`,
`mergeMap`, `mergeSlice`) with the field strategies of the Kubernetes 1.37 OpenAPI schema
(`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`, from the Go struct tags in
k8s.io/api: containers, volumes, env, imagePullSecrets by `name`, container ports by
`containerPort`, Service ports by `port`, volumeMounts by `mountPath`, ownerReferences by `uid`,
finalizers merged as a set; tolerations, EndpointSlice endpoints and Ingress rules have no
strategy and are replaced). Directives: `$patch: replace|delete|merge` in a map or list item,
`$retainKeys`, `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`; null deletes a key.

Custom resources (Gateway API) have no strategic merge: the API server lists only JSON patch, merge
patch and apply for them (apiextensions-apiserver pkg/apiserver/customresource_handler.go
`supportedTypes`) and answers 415 (apiserver handlers/negotiation/errors.go
`errUnsupportedMediaType`).
"""

from __future__ import annotations

from typing import Any

from tutor.cluster.sim.api import schema
from tutor.cluster.sim.api.schema import Node
from tutor.cluster.sim.store import deep_copy

Obj = dict[str, Any]

CRD_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"
SET_ORDER = "$setElementOrder/"


class PatchError(Exception):
    """A patch the API server refuses: `code` (400, 415, 422...), `reason` (the `Status`
    reason), `message` (what the `Status` says) and `detail` (the library's own sentence)."""

    def __init__(self, code: int, reason: str, message: str, detail: str = "") -> None:
        super().__init__(message)  # str() is the Status message
        self.code = code
        self.reason = reason
        self.message = message
        self.detail = detail or message


def _bad_request(message: str) -> PatchError:
    return PatchError(400, "BadRequest", message)


def apply_strategic_merge_patch(obj: Obj, patch: Any, kind: str) -> Obj:
    """`obj` (of `kind`) with the strategic merge patch `patch` applied (a new object)."""
    api_version = str(obj.get("apiVersion") or "")
    if schema.is_custom_resource(api_version):
        raise PatchError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            + ", ".join(CRD_PATCH_TYPES),
        )
    if not isinstance(patch, dict):
        raise _bad_request("invalid JSON document")  # mergepatch.ErrBadJSONDoc
    node = schema.root(api_version, kind)
    result = _merge_map(deep_copy(obj), deep_copy(patch), node)
    return result if result is not None else {}


def _merge_map(original: Obj, patch: Obj, node: Node) -> Obj | None:
    """patch.go `mergeMap`: None when the map is deleted."""
    directive = patch.pop(DIRECTIVE, None)
    if directive == "replace":
        return {k: v for k, v in patch.items() if not k.startswith("$")}
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise _bad_request(f"unknown patch type: {directive} in map: {patch}")
    retain = patch.pop(RETAIN_KEYS, None)
    if retain is not None:
        if not isinstance(retain, list):
            raise _bad_request("invalid patch format of retainKeys")
        for key in patch:
            if not key.startswith("$") and key not in retain:
                raise PatchError(
                    422,
                    "Invalid",
                    "the server rejected our request due to an error in our request",
                    "patch content doesn't match retainKeys list",
                )
        original = {k: v for k, v in original.items() if k in retain}
    orders: dict[str, list[Any]] = {}
    for key in [k for k in patch if k.startswith(SET_ORDER)]:
        order = patch.pop(key)
        if not isinstance(order, list):
            raise _bad_request("invalid patch format of setElementOrder list")
        orders[key[len(SET_ORDER) :]] = order
    for key in [k for k in patch if k.startswith(DELETE_PRIMITIVE)]:
        doomed = patch.pop(key)
        if not isinstance(doomed, list):
            raise _bad_request("invalid patch format of primitive list")
        field = key[len(DELETE_PRIMITIVE) :]
        current = original.get(field)
        if isinstance(current, list):
            original[field] = [v for v in current if v not in doomed]
    for key, value in patch.items():
        child = schema.child(node, key)
        if value is None:
            original.pop(key, None)
            continue
        current = original.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            if "replace" in schema.patch_strategy(child) and not schema.is_struct(child):
                original[key] = value
                continue
            merged = _merge_map(current, value, child)
            if merged is None:
                original.pop(key, None)
            else:
                original[key] = merged
        elif isinstance(value, dict):
            if value.get(DIRECTIVE) == "delete":
                original.pop(key, None)
                continue
            merged = _merge_map({}, value, child)
            if merged is not None:
                original[key] = merged
        elif isinstance(value, list):
            original[key] = _merge_list(current if isinstance(current, list) else [], value, child)
        else:
            original[key] = value
    for field, order in orders.items():
        current = original.get(field)
        if isinstance(current, list):
            original[field] = _order(current, order, schema.child(node, field))
    return original


def _merge_list(original: list[Any], patch: list[Any], node: Node) -> list[Any]:
    """patch.go `mergeSlice`: merge by key where the field's strategy is `merge`, else replace."""
    if "merge" not in schema.patch_strategy(node):
        return [_clean(v) for v in patch]
    key = schema.patch_merge_key(node)
    if any(isinstance(v, dict) and v.get(DIRECTIVE) == "replace" for v in patch):
        return [_clean(v) for v in patch if not (isinstance(v, dict) and DIRECTIVE in v)]
    if key is None or not all(isinstance(v, dict) for v in patch):
        # A primitive list with the merge strategy is a set: the patch's new values are added.
        merged = list(original)
        for value in patch:
            if value not in merged:
                merged.append(value)
        return merged
    element = schema.element(node)
    merged = list(original)
    for item in patch:
        if key not in item:
            raise PatchError(
                422,
                "Invalid",
                "the server rejected our request due to an error in our request",
                f"map: {item} does not contain declared merge key: {key}",
            )
        position = next(
            (i for i, v in enumerate(merged) if isinstance(v, dict) and v.get(key) == item[key]),
            None,
        )
        if item.get(DIRECTIVE) == "delete":
            merged = [v for v in merged if not (isinstance(v, dict) and v.get(key) == item[key])]
            continue
        if position is None:
            result = _merge_map({}, item, element)
            if result is not None:
                merged.append(result)
        else:
            result = _merge_map(merged[position], item, element)
            if result is None:
                del merged[position]
            else:
                merged[position] = result
    return merged


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not k.startswith("$")}
    return value


def _order(items: list[Any], order: list[Any], node: Node) -> list[Any]:
    """`$setElementOrder`: the listed items in the given order; the others (only the server has
    them) keep their relative order after them."""
    key = schema.patch_merge_key(node)

    def ident(value: Any) -> Any:
        if key is not None and isinstance(value, dict):
            return value.get(key)
        return value

    wanted = [ident(v) for v in order]
    listed = sorted((v for v in items if ident(v) in wanted), key=lambda v: wanted.index(ident(v)))
    rest = [v for v in items if ident(v) not in wanted]
    return listed + rest
