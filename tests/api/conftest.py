"""An in-process Kubernetes API stand-in (kmock's emulator) on 127.0.0.1, for `KubeCluster`.

kmock's `KubernetesEmulator` serves list/get/watch/create/delete over real HTTP. The
stand-in adds what kube-tutor's calls need from a real API server: server-side apply (PATCH
with `application/apply-patch+yaml` creates or updates, 201 on create), `dryRun=All` that
stores nothing, `labelSelector` on lists, resource versions, watches that end after
`timeoutSeconds`, and the API server's validation of a Service's nodePort range (422 with
field causes). The emulator runs on its own event
loop in a thread, so the synchronous official client talks to it as to a real cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import threading
from collections.abc import Iterator
from typing import Any

import aiohttp.web
import kmock
import pytest
from kmock._internal import parsing as kmock_parsing

from tutor.cluster.guard import Target
from tutor.cluster.kube import KubeCluster

APPLY = "application/apply-patch+yaml"

_parse_path = kmock_parsing.parse_path


def _parse_path_with_namespaces(path: str) -> kmock_parsing.ParsedPath:
    """kmock 0.8 reads `/api/v1/namespaces[/NAME]` as a namespace prefix with no resource;
    a real API server serves the cluster-scoped `namespaces` resource there."""
    parts = path.strip("/").split("/")
    cluster_scoped = len(parts) in (3, 4) or (
        len(parts) == 5 and parts[4] in ("status", "finalize")
    )
    if parts[:3] == ["api", "v1", "namespaces"] and cluster_scoped:
        name = parts[3] if len(parts) > 3 else None
        sub = parts[4] if len(parts) > 4 else None
        return kmock_parsing.ParsedPath("", "v1", "namespaces", None, name, sub)
    return _parse_path(path)


kmock_parsing.parse_path = _parse_path_with_namespaces


class ApiStandIn(kmock.KubernetesEmulator):  # type: ignore[misc]
    """kmock's emulator plus server-side apply, dry runs and label selectors."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._versions = itertools.count(100)
        self.faults: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        """(METHOD, path) -> (status, Status body) answered instead of the emulator."""

    def stamp(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Give an object the next resourceVersion."""
        obj.setdefault("metadata", {})["resourceVersion"] = str(next(self._versions))
        return obj

    async def _handle(self, request: Any) -> aiohttp.web.StreamResponse:
        fault = self.faults.get((request.method.value, request.url.path))
        if fault is not None:
            return aiohttp.web.json_response(fault[1], status=fault[0])
        content_type = request.headers.get("Content-Type", "")
        if request.method == kmock.method.PATCH and content_type.startswith(APPLY):
            return await self._server_side_apply(request)
        return await super()._handle(request)

    async def _server_side_apply(self, request: Any) -> aiohttp.web.StreamResponse:
        body = request.data
        problems = _validate(body)
        if problems:
            return aiohttp.web.json_response(_invalid(body, problems), status=422)
        if "fieldManager" not in request.params:
            return aiohttp.web.json_response(
                {"kind": "Status", "code": 400, "message": "fieldManager is required"}, status=400
            )
        key = (request.resource, request.namespace, request.name)
        async with self._lock:
            exists = key in self._objects and not self._objects[key].deleted
            current = copy.deepcopy(self._objects[key].raw) if exists else None
            merged = _merge(copy.deepcopy(current or {}), body)
            if current is not None:
                unchanged = _strip_rv(merged) == _strip_rv(current)
                merged["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            if request.params.get("dryRun") == "All":
                return aiohttp.web.json_response(merged, status=200 if exists else 201)
            if current is None:
                self.stamp(merged)
                self._objects[key] = merged
                await self._buses[request.resource].put({"type": "ADDED", "object": merged})
                return aiohttp.web.json_response(merged, status=201)
            if not unchanged:
                self.stamp(merged)
                self._objects[key] = merged
                await self._buses[request.resource].put({"type": "MODIFIED", "object": merged})
            return aiohttp.web.json_response(merged, status=200)

    async def _serve_watch(self, request: Any) -> Any:
        """Like a real API server: end a watch after its `timeoutSeconds`, end it when the
        client goes away, and from a `resourceVersion` send only later changes (kmock
        replays every object as ADDED first)."""
        timeout = float(request.params.get("timeoutSeconds", "0") or 0) or None
        since = int(request.params.get("resourceVersion", "0") or 0)
        stream = super()._serve_watch(request)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout if timeout else None
        raw = getattr(request, "_raw_request", None)
        pending: asyncio.Future[Any] | None = None
        try:
            while True:
                left = None if deadline is None else deadline - loop.time()
                if left is not None and left <= 0:
                    return
                transport = raw.transport if raw is not None else None
                if raw is not None and (transport is None or transport.is_closing()):
                    return
                if pending is None:
                    pending = asyncio.ensure_future(stream.__anext__())
                done, _ = await asyncio.wait(
                    {pending}, timeout=0.5 if left is None else min(0.5, left)
                )
                if not done:
                    continue
                try:
                    item = pending.result()
                except StopAsyncIteration:
                    return
                finally:
                    if done:
                        pending = None
                if since and isinstance(item, dict):
                    version = (item.get("object") or {}).get("metadata", {}).get("resourceVersion")
                    if str(version or "0").isdigit() and int(version or 0) <= since:
                        continue
                yield item
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
            await stream.aclose()

    async def _serve_list(self, request: Any) -> Any:
        result = await super()._serve_list(request)
        selector = request.params.get("labelSelector", "")
        if selector:
            result["items"] = [i for i in result["items"] if _selects(selector, i)]
        result["metadata"]["resourceVersion"] = str(next(self._versions))
        limit = int(request.params.get("limit", "0") or 0)
        if limit:
            result["items"] = result["items"][:limit]
        return result


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _strip_rv(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out.get("metadata", {}).pop("resourceVersion", None)
    return out


def _selects(selector: str, obj: dict[str, Any]) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in selector.split(","):
        key, eq, value = term.partition("=")
        if eq and labels.get(key) != value:
            return False
        if not eq and key not in labels:
            return False
    return True


def _validate(obj: dict[str, Any]) -> list[dict[str, str]]:
    """The API server's nodePort range check (the default range 30000-32767)."""
    causes = []
    if obj.get("kind") == "Service":
        for index, port in enumerate(obj.get("spec", {}).get("ports") or []):
            node_port = port.get("nodePort")
            if node_port is not None and not 30000 <= int(node_port) <= 32767:
                causes.append(
                    {
                        "reason": "FieldValueInvalid",
                        "message": f"Invalid value: {node_port}: provided port is not in the "
                        "valid range. The range of valid ports is 30000-32767",
                        "field": f"spec.ports[{index}].nodePort",
                    }
                )
    return causes


def _invalid(obj: dict[str, Any], causes: list[dict[str, str]]) -> dict[str, Any]:
    name = obj.get("metadata", {}).get("name")
    text = "; ".join(f"{c['field']}: {c['message']}" for c in causes)
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f'{obj.get("kind")} "{name}" is invalid: {text}',
        "reason": "Invalid",
        "details": {"name": name, "kind": obj.get("kind"), "causes": causes},
        "code": 422,
    }


class StandIn:
    """The stand-in running on its own loop in a thread, with its URL."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.handler: ApiStandIn = self.call(self._start())

    async def _start(self) -> ApiStandIn:
        handler = ApiStandIn()
        await handler.__aenter__()
        self.server = kmock.Server(handler)
        await self.server.__aenter__()
        return handler

    def call(self, coroutine: Any) -> Any:
        """Run a coroutine on the stand-in's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.server.port}"

    def seed(self, *objects: dict[str, Any]) -> None:
        """Store objects as if they were in the cluster already."""
        from tutor.cluster.kube import resource_for

        for obj in objects:
            res = resource_for(obj["kind"], obj.get("apiVersion"))
            meta = obj["metadata"]
            key = kmock.resource(res.group, res.version, res.plural)
            namespace = meta.get("namespace") if res.namespaced else None
            self.handler.objects[key, namespace, meta["name"]] = self.handler.stamp(
                copy.deepcopy(obj)
            )

    def declare(self, *kinds: str) -> None:
        """Make kinds known (served) even while no object of them exists."""
        from tutor.cluster.kube import resource_for

        for kind in kinds:
            res = resource_for(kind)
            key = f"{res.group}/{res.version}/{res.plural}" if res.group else f"v1/{res.plural}"
            self.handler.resources[key] = {"kind": kind, "namespaced": res.namespaced}

    def requests(self) -> list[Any]:
        """Every request the stand-in received, in order."""
        return list(self.handler)  # a kmock view iterates over the requests it saw

    def close(self) -> None:
        """Stop the server and its loop."""

        async def stop() -> None:
            await self.server.__aexit__(None, None, None)
            await self.handler.__aexit__(None, None, None)

        self.call(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture()
def standin() -> Iterator[StandIn]:
    """A fresh API stand-in seeded with a small realistic cluster."""
    api = StandIn()
    api.seed(*REALISTIC_OBJECTS)
    api.declare(
        "Pod",
        "Service",
        "EndpointSlice",
        "Deployment",
        "Ingress",
        "Gateway",
        "HTTPRoute",
        "ConfigMap",
        "Event",
    )
    try:
        yield api
    finally:
        api.close()


@pytest.fixture()
def cluster(standin: StandIn) -> Iterator[KubeCluster]:
    """`KubeCluster` on the stand-in, through the official client (its background watches
    stopped afterwards, so the stand-in can shut down)."""
    from kubernetes import client

    configuration = client.Configuration()
    configuration.host = standin.url
    target = Target("kind", "kind-kube-tutor", "", standin.url, "")
    made = KubeCluster(target, api_client=client.ApiClient(configuration), request_timeout=5)
    try:
        yield made
    finally:
        made.close()


def _node(name: str, zone: str, ip: str, control_plane: bool = False) -> dict[str, Any]:
    labels = {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": name},
            ],
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
        },
    }


def _pod(name: str, node: str, ip: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "kt-01-first-service",
            "labels": {"app": "web", "pod-template-hash": "5d9c7b"},
        },
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": "web",
                    "image": "registry.k8s.io/e2e-test-images/agnhost:2.39",
                    "args": ["netexec", "--http-port=8080"],
                    "ports": [{"name": "http", "containerPort": 8080}],
                }
            ],
        },
        "status": {
            "phase": "Running",
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


REALISTIC_OBJECTS: list[dict[str, Any]] = [
    _node("kube-tutor-control-plane", "zone-a", "172.18.0.2", control_plane=True),
    _node("kube-tutor-worker", "zone-a", "172.18.0.3"),
    _node("kube-tutor-worker2", "zone-b", "172.18.0.4"),
    _node("kube-tutor-worker3", "zone-c", "172.18.0.5"),
    {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "kt-01-first-service",
            "labels": {
                "kube-tutor.dev/lab": "01-first-service",
                "app.kubernetes.io/managed-by": "kube-tutor",
                "kubernetes.io/metadata.name": "kt-01-first-service",
            },
        },
        "status": {"phase": "Active"},
    },
    {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "team-payments", "labels": {"team": "payments"}},
        "status": {"phase": "Active"},
    },
    _pod("web-5d9c7b-x2k8p", "kube-tutor-worker", "10.244.1.5"),
    _pod("web-5d9c7b-q7m4t", "kube-tutor-worker2", "10.244.2.7"),
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "kt-01-first-service"},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.12.7",
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    },
    {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "web-8tkxq",
            "namespace": "kt-01-first-service",
            "labels": {
                "kubernetes.io/service-name": "web",
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            },
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [
            {
                "addresses": ["10.244.1.5"],
                "conditions": {"ready": True, "serving": True, "terminating": False},
                "nodeName": "kube-tutor-worker",
                "zone": "zone-a",
            },
            {
                "addresses": ["10.244.2.7"],
                "conditions": {"ready": True, "serving": True, "terminating": False},
                "nodeName": "kube-tutor-worker2",
                "zone": "zone-b",
            },
        ],
    },
    {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web-5d9c7b-x2k8p.1", "namespace": "kt-01-first-service"},
        "involvedObject": {"kind": "Pod", "name": "web-5d9c7b-x2k8p"},
        "reason": "Started",
        "message": "Started container web",
        "lastTimestamp": "2026-11-27T10:00:05Z",
    },
    {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web-5d9c7b-x2k8p.0", "namespace": "kt-01-first-service"},
        "involvedObject": {"kind": "Pod", "name": "web-5d9c7b-x2k8p"},
        "reason": "Scheduled",
        "message": "Successfully assigned kt-01-first-service/web-5d9c7b-x2k8p",
        "lastTimestamp": "2026-11-27T10:00:01Z",
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {
            "name": "cloud-provider-kind",
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
        },
        "spec": {"controller": "kind.sigs.k8s.io/ingress-controller"},
    },
    {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": "cloud-provider-kind"},
        "spec": {"controllerName": "kind.sigs.k8s.io/gateway-controller"},
    },
]
