"""The resource verbs of the simulator's API server: what each method on a resource path does.

`handle` maps (method, path) to the engine: GET one / list / watch, POST create, PUT update,
PATCH in its four forms, DELETE one / collection, and the subresources `status`, `scale`,
`log` and `exec`. Answers are shaped as the real API server's (`k8s.io/apiserver/pkg/endpoints/
handlers`): lists carry the list's resourceVersion, tables come when asked for with
`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, errors are `Status` objects.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tutor.cluster.base import FIELD_MANAGER
from tutor.cluster.sim.api import errors, patching
from tutor.cluster.sim.api.errors import ApiError
from tutor.cluster.sim.api.requests import RequestInfo
from tutor.cluster.sim.api.resources import ServedResource
from tutor.cluster.sim.api.server import (
    JSON,
    PATCH_TYPES,
    TABLE_CONTENT_TYPE,
    json_response,
    read_body,
)
from tutor.cluster.sim.api.streams import exec_pod, pod_log, watch
from tutor.cluster.sim.api.validation import check_fields

if TYPE_CHECKING:
    from tutor.cluster.sim.api.server import ApiServer

Obj = dict[str, Any]


def present(obj: Obj, res: ServedResource, version: str) -> Obj:
    """The object as the requested version shows it."""
    obj["apiVersion"] = res.group_version(version)
    obj["kind"] = res.kind
    return obj


def wants_table(request: web.Request) -> bool:
    """True when the client asked for server-side printing."""
    accept = request.headers.get("Accept", "")
    first = accept.split(",")[0]
    return "as=Table" in first


def table(
    res: ServedResource, objects: list[Obj], request: web.Request, rv: int | None = None
) -> Obj:
    """A `meta.k8s.io/v1` Table of the objects."""
    from datetime import UTC, datetime

    from tutor.cluster.sim.api.tables import to_table

    include = request.query.get("includeObject", "Metadata")
    try:
        result: Obj = to_table(res.kind, objects, now=datetime.now(UTC), include_object=include)
    except ValueError as exc:
        raise errors.bad_request(str(exc)) from exc
    if rv is not None:
        result.setdefault("metadata", {})["resourceVersion"] = str(rv)
    return result


def _manager(request: web.Request, default: str) -> str:
    manager = request.query.get("fieldManager")
    if manager:
        return manager
    agent = request.headers.get("User-Agent", "")
    return agent.split("/")[0] if agent else default


def _grace(request: web.Request, options: Obj) -> int | None:
    text = request.query.get("gracePeriodSeconds")
    if text is None and "gracePeriodSeconds" in options:
        text = str(options["gracePeriodSeconds"])
    if text is None:
        return None
    try:
        return max(0, int(text))
    except ValueError as exc:
        raise errors.bad_request(f"invalid gracePeriodSeconds: {text}") from exc


async def handle(server: ApiServer, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    """Serve one request on a resource path."""
    res = info.resource
    assert res is not None
    method = request.method
    namespace = info.namespace
    if res.namespaced and namespace is None and info.name is not None:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    ns = namespace or ""
    sub = info.subresource
    if sub is not None and sub not in res.subresources:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    if sub == "exec":
        return await exec_pod(server, request, ns, str(info.name))
    if sub == "log":
        return pod_log(server, request, ns, str(info.name))
    if sub == "portforward":
        from tutor.cluster.sim.api.portforward import port_forward

        return await port_forward(server, request, ns, str(info.name))
    dry_run = request.query.get("dryRun") == "All"
    engine = server.engine

    if method == "GET":
        if info.name is None:
            keep = server.keep_filter(request, info)
            if request.query.get("watch") in ("1", "true", "True"):
                return await watch(server, request, info, keep, wants_table(request))
            items, rv = engine.list(res, namespace, keep)
            if wants_table(request):
                shown = [present(o, res, info.version) for o in items]
                return json_response(
                    table(res, shown, request, rv), content_type=TABLE_CONTENT_TYPE
                )
            for item in items:
                if not res.crd:  # built-in lists carry kind/apiVersion only at the top
                    item.pop("kind", None)
                    item.pop("apiVersion", None)
                else:
                    present(item, res, info.version)
            return json_response(
                {
                    "kind": f"{res.kind}List",
                    "apiVersion": res.group_version(info.version),
                    "metadata": {"resourceVersion": str(rv)},
                    "items": items,
                }
            )
        obj = present(engine.get(res, ns, info.name), res, info.version)
        if sub == "scale":
            return json_response(patching.scale_of(obj))
        if wants_table(request):
            return json_response(table(res, [obj], request), content_type=TABLE_CONTENT_TYPE)
        return json_response(obj)

    if method == "POST":
        if info.name is not None:
            raise errors.method_not_allowed()
        body = await read_body(request)
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be an object")
        warnings = check_fields(request, res, body, verb="create")
        obj = engine.create(res, ns, body, manager=_manager(request, "unknown"), dry_run=dry_run)
        return _written(present(obj, res, info.version), 201, warnings)

    if info.name is None:
        if method == "DELETE":
            options = await _options(request)
            keep = server.keep_filter(request, info)
            deleted = engine.delete_collection(
                res, namespace, keep, grace=_grace(request, options), dry_run=dry_run
            )
            return json_response(
                {
                    "kind": f"{res.kind}List",
                    "apiVersion": res.group_version(info.version),
                    "metadata": {"resourceVersion": str(engine.resource_version)},
                    "items": [present(o, res, info.version) for o in deleted],
                }
            )
        raise errors.method_not_allowed()
    name = info.name

    if method == "PUT":
        body = await read_body(request)
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be an object")
        manager = _manager(request, "unknown")
        if sub == "status":
            obj = engine.write_status(
                res, ns, name, body.get("status"), manager=manager, dry_run=dry_run
            )
        elif sub == "scale":
            obj = patching.write_scale(
                engine, res, ns, name, body, manager=manager, dry_run=dry_run
            )
            return json_response(patching.scale_of(present(obj, res, info.version)))
        else:
            warnings = check_fields(request, res, body, verb="update")
            obj = engine.replace(res, ns, name, body, manager=manager, dry_run=dry_run)
            return _written(present(obj, res, info.version), 200, warnings)
        return json_response(present(obj, res, info.version))

    if method == "PATCH":
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        patch_type = PATCH_TYPES.get(content_type)
        if patch_type is None:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media "
                f"types include: {', '.join(PATCH_TYPES)}",
            )
        if patch_type == "strategic" and res.crd:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media "
                "types include: application/json-patch+json, "
                "application/merge-patch+json, application/apply-patch+yaml",
            )
        body = await read_body(request)
        manager = request.query.get("fieldManager") or ""
        if patch_type == "apply":
            if not manager:
                raise ApiError(
                    422,
                    "Invalid",
                    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                    "is required for apply patch",
                    details={
                        "group": "meta.k8s.io",
                        "kind": "PatchOptions",
                        "causes": [
                            {
                                "reason": "FieldValueRequired",
                                "message": "Required value: is required for apply patch",
                                "field": "fieldManager",
                            }
                        ],
                    },
                )
            if not isinstance(body, dict):
                raise errors.bad_request("the applied configuration must be an object")
            warnings = check_fields(request, res, body, verb="apply")
            force = request.query.get("force") in ("true", "1")
            obj, created = patching.server_side_apply(
                engine,
                res,
                ns,
                name,
                body,
                manager=manager,
                force=force,
                dry_run=dry_run,
                own=manager == FIELD_MANAGER,
            )
            return _written(present(obj, res, info.version), 201 if created else 200, warnings)
        manager = manager or _manager(request, "unknown")
        obj, warnings = patching.patch_object(
            request,
            engine,
            res,
            ns,
            name,
            patch_type,
            body,
            manager=manager,
            dry_run=dry_run,
            subresource=sub,
        )
        if sub == "scale":
            return json_response(patching.scale_of(present(obj, res, info.version)))
        return _written(present(obj, res, info.version), 200, warnings)

    if method == "DELETE":
        options = await _options(request)
        result = engine.delete(res, ns, name, grace=_grace(request, options), dry_run=dry_run)
        if result.get("kind") != "Status":
            present(result, res, info.version)
        return json_response(result)

    raise errors.method_not_allowed()


async def _options(request: web.Request) -> Obj:
    raw = await request.read()
    if not raw:
        return {}
    try:
        options = json.loads(raw)
    except ValueError:
        return {}
    return options if isinstance(options, dict) else {}


def _written(obj: Obj, status: int, warnings: list[str]) -> web.Response:
    response = json_response(obj, status=status, content_type=JSON)
    for warning in warnings:
        response.headers.add("Warning", f'299 - "{_quote(warning)}"')
    return response


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
