"""The simulator's Kubernetes API server: aiohttp on 127.0.0.1 over TLS, bearer-token auth.

Routes: discovery (`/version`, `/api`, `/apis`, aggregated v2), `/openapi/v2|v3`, health, and
the resource paths `/api/v1/...` and `/apis/<group>/<version>/...` with get, list, watch,
create, update, patch (JSON, merge, strategic merge, apply), delete and deletecollection, the
`status` and `scale` subresources, Pod `log`, `exec` (WebSocket, `v5`/`v4.channel.k8s.io`) and `portforward` (SPDY in WebSocket),
and kube-tutor's own `sim.kube-tutor.dev` group (traffic probes answered by the data plane).
Everything runs on one event loop thread; the engine's writes are synchronous and quick.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from aiohttp import web

from tutor.cluster.sim.api import discovery, errors, resources
from tutor.cluster.sim.api.credentials import Credentials
from tutor.cluster.sim.api.engine import Engine
from tutor.cluster.sim.api.errors import ApiError
from tutor.cluster.sim.api.requests import RequestInfo, parse_path
from tutor.cluster.sim.api.selectors import (
    SelectorError,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)

if TYPE_CHECKING:
    from tutor.cluster.sim.api.persist import StateFile
    from tutor.cluster.sim.cluster import SimCluster

Obj = dict[str, Any]

JSON = "application/json"
TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"
PUBLIC_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version"})
"""Paths anyone may read (`system:public-info-viewer` on a real cluster)."""
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply",
}


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def json_response(body: Any, status: int = 200, content_type: str = JSON) -> web.Response:
    """A JSON answer."""
    return web.Response(body=_dumps(body), status=status, headers={"Content-Type": content_type})


def _bytes_response(body: bytes) -> web.Response:
    return web.Response(body=body, headers={"Content-Type": JSON})


def status_response(error: ApiError) -> web.Response:
    """A `Status` answer for an error."""
    return json_response(error.status(), status=error.code)


class ApiServer:
    """The HTTP side: requests in, engine calls, Kubernetes-shaped answers out."""

    def __init__(self, engine: Engine, token: str, *, address: str = "127.0.0.1:6443") -> None:
        self.engine = engine
        self.token = token
        self.address = address
        self._wakeup = asyncio.Event()
        engine.on_change = self._changed
        self.state: StateFile | None = None

    def _changed(self) -> None:
        self._wakeup.set()
        if self.state is not None:
            self.state.mark_dirty()

    async def next_change(self, timeout: float) -> None:
        """Wait until the store changes (or `timeout` passes)."""
        event = self._wakeup
        if event.is_set():
            self._wakeup = asyncio.Event()
            event = self._wakeup
        try:
            await asyncio.wait_for(asyncio.shield(event.wait()), timeout)
        except TimeoutError:
            return

    def app(self) -> web.Application:
        """The aiohttp application."""
        application = web.Application(middlewares=[self._middleware], client_max_size=8 * 2**20)
        application.router.add_route("*", "/{tail:.*}", self.dispatch)
        return application

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        try:
            if request.path not in PUBLIC_PATHS:
                from tutor.cluster.sim.api.guarded import check_request

                early = await check_request(self, request)
                if early is not None:
                    return early
            response: web.StreamResponse = await handler(request)
            return response
        except ApiError as error:
            return status_response(error)
        except SelectorError as error:
            return status_response(errors.bad_request(str(error)))

    # -- dispatch ---------------------------------------------------------------------------

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """Route one request."""
        path = request.path.rstrip("/") or "/"
        accept = request.headers.get("Accept", "")
        if path in ("/healthz", "/livez", "/readyz"):
            return web.Response(text="ok")
        if path == "/version":
            return json_response(discovery.VERSION)
        if path == "/api":
            if discovery.wants_aggregated(accept):
                return json_response(
                    discovery.aggregated(True), content_type=discovery.AGGREGATED_CONTENT_TYPE
                )
            return json_response(discovery.api_versions(self.address))
        if path == "/apis":
            if discovery.wants_aggregated(accept):
                return json_response(
                    discovery.aggregated(False), content_type=discovery.AGGREGATED_CONTENT_TYPE
                )
            return json_response(discovery.api_group_list())
        if path.startswith("/openapi/"):
            return self._openapi(path, accept)
        if path.startswith("/apis/sim.kube-tutor.dev/"):
            from tutor.cluster.sim.api.extension import handle_extension

            return await handle_extension(self, request, path)
        info = parse_path(path)
        if info is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if info.resource is None:
            listing = (
                discovery.resource_list(info.group, info.version)
                if info.version
                else (
                    discovery.api_group(info.group)
                    if info.group in resources.group_versions()
                    else None
                )
            )
            if listing is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return json_response(listing)
        from tutor.cluster.sim.api import handlers

        return await handlers.handle(self, request, info)

    def _openapi(self, path: str, accept: str) -> web.Response:
        from tutor.cluster.sim.api import openapi

        if path == "/openapi/v2":
            # client-go asks for v2 in protobuf only; a JSON document would not parse there
            if "json" not in accept and accept not in ("", "*/*"):
                raise ApiError(406, "NotAcceptable", "only application/json is served")
            return _bytes_response(openapi.openapi_v2_json())
        if path == "/openapi/v3":
            return json_response(openapi.openapi_v3_index())
        document = openapi.openapi_v3_json(path[len("/openapi/v3/") :])
        if document is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return _bytes_response(document)

    # -- helpers for the handlers -----------------------------------------------------------

    @staticmethod
    def keep_filter(request: web.Request, info: RequestInfo) -> Callable[[Obj], bool] | None:
        """The label and field selector of a list or watch as one predicate."""
        assert info.resource is not None
        label_text = request.query.get("labelSelector", "")
        field_text = request.query.get("fieldSelector", "")
        if not label_text and not field_text:
            return None
        requirements = parse_label_selector(label_text)
        fields = parse_field_selector(field_text, info.resource.kind)
        return lambda obj: labels_match(requirements, obj) and fields(obj)


async def read_body(request: web.Request) -> Any:
    """The request body, as JSON or YAML (apply patches may be either)."""
    raw = await request.read()
    if not raw:
        raise errors.bad_request("the body of the request was empty")
    content_type = request.headers.get("Content-Type", "")
    if "protobuf" in content_type:
        from tutor.cluster.sim.api.protobuf import ProtobufError, decode_object

        try:
            return decode_object(raw)
        except ProtobufError as exc:
            raise ApiError(415, "UnsupportedMediaType", str(exc)) from exc
    if "cbor" in content_type:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json, application/yaml",
        )
    try:
        if "yaml" in content_type:
            return yaml.safe_load(raw)
        return json.loads(raw, object_pairs_hook=_pairs_hook)
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"the body of the request could not be decoded: {exc}") from exc


class _DuplicateFields(dict[str, Any]):
    """A JSON object that remembers keys given twice (strict decoding refuses them)."""

    duplicates: list[str]


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    duplicates = []
    for key, value in pairs:
        if key in seen:
            duplicates.append(key)
        seen[key] = value
    if duplicates:
        marked = _DuplicateFields(seen)
        marked.duplicates = duplicates
        return marked
    return seen


# -- running it ---------------------------------------------------------------------------


def ssl_context(creds: Credentials) -> ssl.SSLContext:
    """The server's TLS context (the installation's serving certificate)."""
    creds.ensure()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(creds.server_cert), str(creds.server_key))
    return context


@dataclass
class Running:
    """A started server: where it listens and how to stop it."""

    port: int
    loop: asyncio.AbstractEventLoop
    runner: web.AppRunner
    server: ApiServer


async def start_server(
    cluster: SimCluster,
    creds: Credentials,
    *,
    port: int = 0,
    state: StateFile | None = None,
) -> Running:
    """Start serving `cluster` on 127.0.0.1 (port 0: a free one) on the running loop."""
    loop = asyncio.get_running_loop()

    def schedule(delay: float, callback: Callable[[], None]) -> None:
        loop.call_later(delay, callback)

    engine = Engine(cluster, schedule=schedule)
    server = ApiServer(engine, creds.token())
    server.state = state
    runner = web.AppRunner(server.app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=ssl_context(creds), backlog=128)
    await site.start()
    bound = int(runner.addresses[0][1]) if runner.addresses else port
    server.address = f"127.0.0.1:{bound}"
    return Running(bound, loop, runner, server)


class SimApiServer:
    """The API server on a background thread, for tests and for an app that serves its own
    simulator. `start()` returns once it listens; `kubeconfig_path` is ready to export."""

    def __init__(self, state_dir: Path, cluster: SimCluster | None = None) -> None:
        from tutor.cluster.sim.cluster import SimCluster

        self.creds = Credentials(state_dir)
        self.cluster = cluster or SimCluster()
        self._thread: threading.Thread | None = None
        self._running: Running | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """`https://127.0.0.1:PORT`."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig_path(self) -> Path:
        """The kubeconfig file (0600, context `kube-tutor-sim`)."""
        return self.creds.kubeconfig

    def start(self) -> None:
        """Serve on a daemon thread; returns when listening."""
        self._thread = threading.Thread(target=self._serve, name="sim-api", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        self.creds.write_kubeconfig(self.port)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self._running = loop.run_until_complete(start_server(self.cluster, self.creds))
            self.port = self._running.port
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._running.runner.cleanup())
        loop.close()

    def call(self, func: Callable[[], Any]) -> Any:
        """Run `func` on the server's loop (where the cluster may be touched) and return its
        result: how tests change the simulator behind the API's back."""
        assert self._running is not None
        done = threading.Event()
        box: list[Any] = []

        def run() -> None:
            try:
                box.append((True, func()))
            except BaseException as exc:  # re-raised in the caller
                box.append((False, exc))
            done.set()

        self._running.loop.call_soon_threadsafe(run)
        done.wait(10)
        ok, value = box[0]
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        """Stop serving."""
        if self._running is not None:
            self._running.loop.call_soon_threadsafe(self._running.loop.stop)
        if self._thread is not None:
            self._thread.join(10)
