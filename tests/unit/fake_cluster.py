"""A tiny in-memory `Cluster` for check and diagnoser tests: objects in, scripted probes out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tutor.cluster.base import (
    ApplyResult,
    Obj,
    ProbeAttempt,
    ProbeRequest,
    ProbeResult,
    matches_selector,
)

Responder = Callable[[ProbeRequest], list[ProbeAttempt]]


class FakeCluster:
    """Objects given by the test; probes answered by a responder function."""

    backend = "fake"

    def __init__(self, objects: Sequence[Obj] = (), responder: Responder | None = None) -> None:
        self.objects = list(objects)
        self.responder = responder or (lambda request: [ProbeAttempt(ok=False, error="timeout")])
        self.probes: list[ProbeRequest] = []
        self.event_list: list[Obj] = []

    def capabilities(self) -> set[str]:
        return set()

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        for obj in self.objects:
            meta = obj.get("metadata", {})
            if (
                obj.get("kind") == kind
                and meta.get("name") == name
                and meta.get("namespace") == namespace
            ):
                return obj
        return None

    def list(
        self, kind: str, namespace: str | None = None, selector: Mapping[str, str] | None = None
    ) -> list[Obj]:
        return [
            o
            for o in self.objects
            if o.get("kind") == kind
            and (namespace is None or o.get("metadata", {}).get("namespace") == namespace)
            and matches_selector(o.get("metadata", {}).get("labels"), selector)
        ]

    def ensure_namespace(self, name: str, labels: Mapping[str, str]) -> None:
        pass

    def delete_namespace(self, name: str, *, wait: bool = True) -> None:
        pass

    def apply(self, objects: Sequence[Obj], namespace: str) -> list[ApplyResult]:
        raise NotImplementedError

    def delete(self, kind: str, name: str, namespace: str | None = None) -> bool:
        return False

    def wait_for_change(self, namespace: str, timeout: float) -> bool:
        return False

    def probe(self, request: ProbeRequest) -> ProbeResult:
        self.probes.append(request)
        attempts = self.responder(request)
        return ProbeResult(request, tuple(attempts))

    def events(self, namespace: str) -> list[Obj]:
        return self.event_list


NS = "kt-test"


def pod(
    name: str,
    labels: dict[str, str],
    *,
    ready: bool = True,
    node: str = "kube-tutor-worker",
    ip: str = "10.244.1.10",
    ports: list[dict[str, Any]] | None = None,
    ns: str = NS,
    phase: str = "Running",
    probe: dict[str, Any] | None = None,
    listen: int = 8080,
    image: str = "registry.k8s.io/e2e-test-images/agnhost:2.39",
) -> Obj:
    """A Pod running agnhost netexec, which really listens on `listen` (whatever `ports`
    declares)."""
    container: dict[str, Any] = {
        "name": "c",
        "image": image,
        "args": ["netexec", f"--http-port={listen}"],
        "ports": ports or [{"name": "http", "containerPort": 8080}],
    }
    if probe:
        container["readinessProbe"] = probe
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"nodeName": node, "containers": [container]},
        "status": {
            "phase": phase,
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def service(
    name: str,
    selector: dict[str, str] | None,
    *,
    ns: str = NS,
    port: int = 80,
    target: int | str = 8080,
    **spec: Any,
) -> Obj:
    body: dict[str, Any] = {
        "ports": [{"name": "http", "port": port, "targetPort": target, "protocol": "TCP"}],
        "clusterIP": "10.96.100.1",
        "type": "ClusterIP",
    }
    if selector is not None:
        body["selector"] = selector
    body.update(spec)
    return {"kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": body}


def endpoint_slice(
    service_name: str,
    endpoints: list[tuple[str, bool, str]],
    *,
    ns: str = NS,
    port: int | None = 8080,
    hints: bool = False,
) -> Obj:
    """endpoints: (ip, ready, node)."""
    items = []
    for ip, ready, node in endpoints:
        item: dict[str, Any] = {
            "addresses": [ip],
            "conditions": {"ready": ready, "serving": ready, "terminating": False},
            "nodeName": node,
        }
        if hints:
            item["hints"] = {"forZones": [{"name": "zone-a"}]}
        items.append(item)
    return {
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service_name}-abc",
            "namespace": ns,
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "endpoints": items,
        "ports": [{"name": "http", "port": port, "protocol": "TCP"}] if port is not None else [],
    }


def http_ok(
    backends: list[str],
    status: int = 200,
    client_ip: str | None = None,
    source_ip: str | None = None,
) -> Responder:
    def respond(request: ProbeRequest) -> list[ProbeAttempt]:
        return [
            ProbeAttempt(
                ok=True,
                status=status,
                body=backends[i % len(backends)],
                backend=backends[i % len(backends)],
                client_ip=client_ip,
                source_ip=source_ip,
            )
            for i in range(request.count)
        ]

    return respond


def failing(error: str) -> Responder:
    def respond(request: ProbeRequest) -> list[ProbeAttempt]:
        return [ProbeAttempt(ok=False, error=error) for _ in range(request.count)]

    return respond
