"""Long answers of the API server: watch streams, Pod logs, and exec over WebSocket.

Watch: a chunked stream of `{"type": ..., "object": ...}` lines (`ADDED`, `MODIFIED`,
`DELETED`, `BOOKMARK`, `ERROR`), resumed from `resourceVersion` (410 Expired when too old),
ended after `timeoutSeconds`; objects are Tables when the client asked for them (kubectl get -w).
Exec: the channel protocols of `k8s.io/apimachinery/pkg/util/httpstream/wsstream` (`v5`, `v4`,
and their base64 forms): one byte of channel (1 stdout, 2 stderr, 3 error/status) then the data;
the exit status is a `Status` on channel 3 (`NonZeroExitCode` with cause `ExitCode`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tutor.cluster.base import ClusterError, NotFoundError
from tutor.cluster.sim.api import errors
from tutor.cluster.sim.api.errors import ApiError
from tutor.cluster.sim.api.requests import RequestInfo

if TYPE_CHECKING:
    from tutor.cluster.sim.api.server import ApiServer

Obj = dict[str, Any]
EXEC_PROTOCOLS = (
    "v5.channel.k8s.io",
    "v4.channel.k8s.io",
    "v4.base64.channel.k8s.io",
    "base64.channel.k8s.io",
    "channel.k8s.io",
)
DEFAULT_WATCH_SECONDS = 1800.0


async def watch(
    server: ApiServer,
    request: web.Request,
    info: RequestInfo,
    keep: Callable[[Obj], bool] | None,
    as_table: bool,
) -> web.StreamResponse:
    """Stream changes of a resource (in a namespace or everywhere)."""
    from tutor.cluster.sim.api.handlers import present, table

    res = info.resource
    assert res is not None
    engine = server.engine
    query = request.query
    rv_text = query.get("resourceVersion", "")
    initial = query.get("sendInitialEvents") == "true"
    try:
        start = int(rv_text) if rv_text not in ("", "0") else None
    except ValueError as exc:
        raise errors.bad_request(f"invalid resource version: {rv_text}") from exc
    if start is not None and not initial:
        list(engine.events_since(start))  # 410 now, before the stream starts
    try:
        seconds = float(query.get("timeoutSeconds") or DEFAULT_WATCH_SECONDS)
    except ValueError:
        seconds = DEFAULT_WATCH_SECONDS
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)

    def shown(obj: Obj) -> Obj:
        obj = present(json.loads(json.dumps(obj)), res, info.version)
        return table(res, [obj], request) if as_table else obj

    async def send(kind: str, obj: Obj) -> None:
        line = json.dumps({"type": kind, "object": obj}, separators=(",", ":")) + "\n"
        await response.write(line.encode())

    if start is None or initial:
        items, last = engine.list(res, info.namespace, keep)
        for item in items:
            await send("ADDED", shown(item))
        if initial:
            await send(
                "BOOKMARK",
                {
                    "kind": res.kind,
                    "apiVersion": res.group_version(info.version),
                    "metadata": {
                        "resourceVersion": str(last),
                        "annotations": {"k8s.io/initial-events-end": "true"},
                    },
                },
            )
    else:
        last = start
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    transport = request.transport
    while transport is not None and not transport.is_closing():
        try:
            events = list(engine.events_since(last))
        except ApiError as error:
            await send("ERROR", error.status())
            break
        for event in events:
            last = event.rv
            if event.kind != res.kind:
                continue
            if info.namespace is not None and event.namespace != info.namespace:
                continue
            if keep is not None and not keep(event.obj):
                continue
            await send(event.type, shown(event.obj))
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        await server.next_change(min(remaining, 5.0))
    with contextlib.suppress(ConnectionError):
        await response.write_eof()
    return response


def pod_log(server: ApiServer, request: web.Request, namespace: str, name: str) -> web.Response:
    """`GET .../pods/NAME/log`: what the simulated container printed."""
    from tutor.cluster.sim.api.execs import pod_logs

    tail_text = request.query.get("tailLines")
    tail = int(tail_text) if tail_text and tail_text.isdigit() else None
    try:
        text = pod_logs(
            server.engine.cluster, namespace, name, request.query.get("container"), tail=tail
        )
    except NotFoundError as exc:
        raise ApiError(404, "NotFound", exc.message) from exc
    except ClusterError as exc:
        raise errors.bad_request(exc.message) from exc
    return web.Response(text=text, content_type="text/plain")


async def exec_pod(
    server: ApiServer, request: web.Request, namespace: str, name: str
) -> web.StreamResponse:
    """`.../pods/NAME/exec` over WebSocket: run the command in the simulated container."""
    from tutor.cluster.sim.api.execs import ExecRefusedError, run_command

    argv = request.query.getall("command", [])
    if not argv:
        raise errors.bad_request("you must specify at least 1 command")
    container = request.query.get("container")
    cluster = server.engine.cluster
    pod = cluster.store.get("Pod", namespace, name)
    if pod is None:
        raise errors.not_found("pods", name)
    try:
        # The API server and the kubelet refuse before the upgrade (no such container...).
        result = run_command(cluster, namespace, name, container, list(argv))
    except ExecRefusedError as exc:
        raise ApiError(exc.code, exc.api_reason, exc.message) from exc
    except NotFoundError as exc:
        raise ApiError(404, "NotFound", exc.message) from exc
    except ClusterError as exc:
        raise ApiError(500, "InternalError", exc.message) from exc
    ws = web.WebSocketResponse(protocols=EXEC_PROTOCOLS, autoping=True)
    if not ws.can_prepare(request).ok:
        raise ApiError(400, "BadRequest", "Upgrade request required")
    await ws.prepare(request)
    protocol = ws.ws_protocol or "channel.k8s.io"
    encoded = "base64" in protocol

    async def send(channel: int, data: bytes) -> None:
        if encoded:
            await ws.send_str(str(channel) + base64.b64encode(data).decode("ascii"))
        else:
            await ws.send_bytes(bytes([channel]) + data)

    if request.query.get("stdin") in ("true", "1"):
        # Input is not simulated: give the client a moment to send (or close) and go on.
        try:
            message = await asyncio.wait_for(ws.receive(), 0.05)
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
                return ws
        except TimeoutError:
            pass
    if result.stdout:
        await send(1, result.stdout.encode())
    if result.stderr:
        await send(2, result.stderr.encode())
    if protocol.startswith(("v4", "v5")):
        await send(3, json.dumps(result.status()).encode())
    elif result.code or result.failure:
        await send(
            3, (result.failure or f"command terminated with exit code {result.code}").encode()
        )
    await ws.close()
    return ws
