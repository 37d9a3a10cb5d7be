"""PATCH and server-side apply on the engine, and the `scale` subresource.

The patch forms themselves (`tutor.cluster.sim.api.patch`) are pure functions; this module
reads the live object, applies the patch, and writes the result through the engine (whose
admission then defaults and validates it like any update).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tutor.cluster.sim.api import errors
from tutor.cluster.sim.api import patch as forms
from tutor.cluster.sim.api.errors import ApiError
from tutor.cluster.sim.api.resources import ServedResource
from tutor.cluster.sim.api.validation import check_fields
from tutor.cluster.sim.store import deep_copy

if TYPE_CHECKING:
    from aiohttp import web

    from tutor.cluster.sim.api.engine import Engine

Obj = dict[str, Any]


def _patched(obj: Obj, patch_type: str, body: Any, kind: str) -> Obj:
    result: Obj
    try:
        if patch_type == "json":
            if not isinstance(body, list):
                raise errors.bad_request("json patch must be a list of operations")
            result = forms.apply_json_patch(obj, body)
            return result
        if not isinstance(body, dict):
            raise errors.bad_request("the patch must be an object")
        if patch_type == "merge":
            result = forms.apply_merge_patch(obj, body)
            return result
        result = forms.apply_strategic_merge_patch(obj, body, kind)
        return result
    except forms.PatchError as exc:
        raise ApiError(exc.code, exc.reason, str(exc)) from exc


def patch_object(
    request: web.Request,
    engine: Engine,
    res: ServedResource,
    namespace: str,
    name: str,
    patch_type: str,
    body: Any,
    *,
    manager: str,
    dry_run: bool,
    subresource: str | None,
) -> tuple[Obj, list[str]]:
    """A JSON, merge or strategic merge patch of an object (or of its status or scale)."""
    live = engine.get(res, namespace, name)
    if subresource == "scale":
        new_scale = _patched(scale_of(live), patch_type, body, "Scale")
        return write_scale(
            engine, res, namespace, name, new_scale, manager=manager, dry_run=dry_run
        ), []
    new = _patched(live, patch_type, body, res.kind)
    if subresource == "status":
        return engine.write_status(
            res, namespace, name, new.get("status"), manager=manager, dry_run=dry_run
        ), []
    warnings = check_fields(request, res, new, verb="patch")
    patch_rv = _patch_resource_version(body)
    meta = new.setdefault("metadata", {})
    if patch_rv is None:
        meta.pop("resourceVersion", None)
    return engine.replace(res, namespace, name, new, manager=manager, dry_run=dry_run), warnings


def _patch_resource_version(body: Any) -> str | None:
    if isinstance(body, dict):
        value = (body.get("metadata") or {}).get("resourceVersion")
        return str(value) if value else None
    if isinstance(body, list):
        for op in body:
            if isinstance(op, dict) and op.get("path") == "/metadata/resourceVersion":
                return str(op.get("value"))
    return None


def server_side_apply(
    engine: Engine,
    res: ServedResource,
    namespace: str,
    name: str,
    body: Obj,
    *,
    manager: str,
    force: bool,
    dry_run: bool,
    own: bool,
) -> tuple[Obj, bool]:
    """Apply `body` as `manager`. kube-tutor's own workspace apply (`own`) replaces what it
    applied before as a whole; other managers' configurations are merged by field ownership."""
    meta = body.get("metadata") or {}
    if meta.get("name") not in (None, name):
        raise errors.name_mismatch(meta.get("name"), name)
    body = deep_copy(body)
    body.setdefault("metadata", {})["name"] = name
    if res.namespaced:
        body["metadata"]["namespace"] = namespace
    try:
        return engine.apply(
            res, namespace, name, body, manager=manager, force=force or own, dry_run=dry_run
        )
    except forms.ApplyConflict as conflict:
        raise ApiError(
            409,
            "Conflict",
            conflict.message(),
            details=errors.details(res.plural, name, res.group, causes=conflict.causes()),
        ) from conflict


def scale_of(obj: Obj) -> Obj:
    """The `autoscaling/v1` Scale of a Deployment, ReplicaSet or StatefulSet."""
    meta = obj["metadata"]
    selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            key: meta[key]
            for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if key in meta
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(selector.items())),
        },
    }


def write_scale(
    engine: Engine,
    res: ServedResource,
    namespace: str,
    name: str,
    scale: Obj,
    *,
    manager: str,
    dry_run: bool,
) -> Obj:
    """Set `spec.replicas` from a Scale."""
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise ApiError(
            422,
            "Invalid",
            f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas}: '
            "must be greater than or equal to 0",
        )
    live = engine.get(res, namespace, name)
    live.setdefault("spec", {})["replicas"] = replicas
    live["metadata"].pop("resourceVersion", None)
    return engine.replace(res, namespace, name, live, manager=manager, dry_run=dry_run)
