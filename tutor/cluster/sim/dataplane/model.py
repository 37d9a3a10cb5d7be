"""The data plane's shared model: constants of kind's network, clients, endpoints, hops' context, affinity, journeys."""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tutor.cluster.base import (
    Obj,
    ProbeAttempt,
)
from tutor.cluster.sim.dns import (
    meta,
    name_of,
    ns_of,
)
from tutor.cluster.sim.images import Workload
from tutor.cluster.sim.trace import Evidence, Hop

PROBE_POD = "kube-tutor-probe"
PROBE_NODE = "kube-tutor-worker"
PROBE_STANDIN_IP = "10.244.1.250"
HOST_IP = "172.18.0.1"
CLUSTER_CIDR = ipaddress.ip_network("10.244.0.0/16")
CLUSTER_CIDR_V6 = ipaddress.ip_network("fd00:10:244::/56")
ZONE_LABEL = "topology.kubernetes.io/zone"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
INGRESS_CLASS = "cloud-provider-kind"
INGRESS_CONTROLLER = "kind.sigs.k8s.io/ingress-controller"
GATEWAY_CONTROLLER = "kind.sigs.k8s.io/gateway-controller"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
GATEWAY_GROUP = "gateway.networking.k8s.io"
ENVOY_CONNECT_TIMEOUT = 5.0
"""Seconds cloud-provider-kind's Envoy waits for a backend connection."""
KUBE_PROXY_HEALTH_PORT = 10256
DEFAULT_AFFINITY_TIMEOUT = 10800


def stable_index(size: int, *key: object) -> int:
    """A deterministic pseudo-random index in range(size) for this key."""
    digest = hashlib.blake2b("|".join(map(str, key)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % size


def _ev(obj: Obj, path: str, value: object) -> Evidence:
    return Evidence(
        str(obj.get("kind") or "?"), name_of(obj), ns_of(obj) or None, path, _short(value)
    )


def _short(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def _ref(obj: Obj) -> str:
    ns = ns_of(obj)
    return (
        f"{obj.get('kind', '?')} {ns}/{name_of(obj)}"
        if ns
        else (f"{obj.get('kind', '?')} {name_of(obj)}")
    )


def _in_pod_cidr(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    return addr in (CLUSTER_CIDR if addr.version == 4 else CLUSTER_CIDR_V6)


# -- clients and endpoints --------------------------------------------------------------------


@dataclass
class Client:
    """Where a request leaves from."""

    kind: str
    """`pod`, `node`, `host`, or `proxy` (an Envoy of cloud-provider-kind)."""
    label: str
    ip: str
    namespace: str
    node: Obj | None = None
    pod: Obj | None = None
    cluster_dns: bool = True

    @property
    def node_name(self) -> str | None:
        """Name of the client's node, if it has one."""
        return name_of(self.node) if self.node else None

    @property
    def zone(self) -> str | None:
        """The client node's zone label."""
        return (meta(self.node).get("labels") or {}).get(ZONE_LABEL) if self.node else None

    @property
    def pod_network(self) -> bool:
        """True when the source address is in the cluster (Pod) CIDR."""
        return _in_pod_cidr(self.ip)


@dataclass(frozen=True)
class Endpoint:
    """One endpoint of one Service port, as kube-proxy sees it."""

    ip: str
    port: int
    node_name: str | None
    zone: str | None
    ready: bool
    serving: bool
    terminating: bool
    for_zones: tuple[str, ...]
    for_nodes: tuple[str, ...]
    target: Mapping[str, Any] | None
    slice_name: str

    @property
    def label(self) -> str:
        """`name (ip:port)` of the endpoint."""
        who = (self.target or {}).get("name")
        return f"{who} ({self.ip}:{self.port})" if who else f"{self.ip}:{self.port}"


@dataclass
class Ctx:
    """An HTTP request in flight (None fields for TCP)."""

    http: bool
    path: str
    query: str
    headers: dict[str, str]
    timeout: float
    via_alias: str | None = None
    """The ExternalName alias the client used, when it did."""
    tls: bool = False
    """An https request: the client starts with a TLS ClientHello."""
    sni: str | None = None
    """The server name in that ClientHello (none for an IP literal)."""
    certificate: str | None = None
    """Set by the proxy that terminated TLS: which certificate it presented."""

    def host_header(self) -> str:
        """The Host header as sent (with its port, if any)."""
        return next((v for k, v in self.headers.items() if k.lower() == "host"), "")

    def host(self) -> str:
        """The Host header without its port, lower case."""
        for key, value in self.headers.items():
            if key.lower() == "host":
                return value.rsplit(":", 1)[0].lower() if not value.startswith("[") else value
        return ""


@dataclass
class Reach:
    """Where a connection ended: a process (Pod or node), a proxy's own answer, or an error."""

    error: str | None = None
    failure: str | None = None
    pod: Obj | None = None
    node: Obj | None = None
    port: int = 0
    seen_ip: str = ""
    workload: Workload | None = None
    answer: Callable[[Ctx], tuple[int, str]] | None = None
    """A node process's own HTTP answer (kube-proxy healthz)."""
    status: int | None = None
    """An HTTP status the proxy produced itself (404, 500, 503)."""
    body: str = ""
    via_proxy: bool = False
    location: str | None = None
    """A redirect's Location header."""


def _fixed(code: int, body: str) -> Callable[[Ctx], tuple[int, str]]:
    return lambda _ctx: (code, body)


def _fail(error: str, failure: str) -> Reach:
    return Reach(error=error, failure=failure)


class AffinityTable:
    """kube-proxy's ClientIP affinity memory (per node, like the iptables `recent` lists)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[tuple[str, ...], tuple[str, float]] = {}

    def lookup(self, key: tuple[str, ...], timeout: float) -> str | None:
        """The endpoint remembered for this key, if not expired."""
        found = self._entries.get(key)
        if found and self.clock() - found[1] <= timeout:
            return found[0]
        return None

    def remember(self, key: tuple[str, ...], endpoint: str) -> None:
        """Record (or refresh) the endpoint for this key."""
        self._entries[key] = (endpoint, self.clock())


@dataclass
class Journey:
    """The hops of one request and what its client saw."""

    hops: list[Hop] = field(default_factory=list)
    attempt: ProbeAttempt = field(default_factory=lambda: ProbeAttempt(ok=False))
