"""kube-tutor's own API group on the simulator, `sim.kube-tutor.dev/v1`: what a real cluster
answers with real traffic.

On kind, a probe is a command exec'd in a probe Pod (or a socket opened from this machine); the
simulator has no packets, so its data plane answers `POST /apis/sim.kube-tutor.dev/v1/probes`
(a `ProbeRequest` as JSON in, a `ProbeResult` out) over the same authenticated connection.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tutor.cluster.base import ClusterError, ProbeAttempt, ProbeRequest, ProbeResult
from tutor.cluster.sim.api import errors
from tutor.cluster.sim.api.errors import ApiError

if TYPE_CHECKING:
    from tutor.cluster.sim.api.server import ApiServer

Obj = dict[str, Any]
GROUP = "sim.kube-tutor.dev"
PROBES_PATH = f"/apis/{GROUP}/v1/probes"


def request_to_json(request: ProbeRequest) -> Obj:
    """A probe request as JSON."""
    body = dataclasses.asdict(request)
    body["headers"] = dict(request.headers)
    return body


def request_from_json(body: Obj) -> ProbeRequest:
    """A probe request from JSON (unknown keys refused)."""
    fields = {f.name for f in dataclasses.fields(ProbeRequest)}
    unknown = set(body) - fields
    if unknown:
        raise errors.bad_request(f"unknown fields in probe request: {sorted(unknown)}")
    try:
        return ProbeRequest(**body)
    except TypeError as exc:
        raise errors.bad_request(f"bad probe request: {exc}") from exc


def result_to_json(result: ProbeResult) -> Obj:
    """A probe result as JSON."""
    return {
        "request": request_to_json(result.request),
        "attempts": [dataclasses.asdict(a) for a in result.attempts],
    }


def result_from_json(body: Obj) -> ProbeResult:
    """A probe result from JSON."""
    attempts = []
    for item in body.get("attempts") or []:
        item = dict(item)
        item["records"] = tuple(item.get("records") or ())
        attempts.append(ProbeAttempt(**item))
    return ProbeResult(request_from_json(body["request"]), tuple(attempts))


async def handle_extension(server: ApiServer, request: web.Request, path: str) -> web.Response:
    """Serve kube-tutor's group."""
    from tutor.cluster.sim.api.server import json_response, read_body

    if path.rstrip("/") == f"/apis/{GROUP}/v1":
        return json_response(
            {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": f"{GROUP}/v1",
                "resources": [],
            }
        )
    if path.rstrip("/") != PROBES_PATH or request.method != "POST":
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    body = await read_body(request)
    if not isinstance(body, dict):
        raise errors.bad_request("a probe request must be an object")
    probe = request_from_json(body)
    try:
        result = server.engine.cluster.probe(probe)
    except ClusterError as exc:
        raise errors.from_cluster_error(exc, kind="Pod", plural="pods", name="", group="") from exc
    return json_response(result_to_json(result), status=201)
