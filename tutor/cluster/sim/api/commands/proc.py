"""The process a command runs as: its Pod, container and image, and the network calls it makes.

Network calls go through the simulator's data plane (`dataplane.Router`) with the Pod as the
client (`source="pod:NAME"`), so an exec'd `curl` takes the same path a lab probe does. Each call
gets the next attempt number of its cluster, so a loop of requests spreads over the endpoints as
kube-proxy's random choice does, and ClientIP affinity is remembered between commands.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from tutor.cluster.base import Obj, ProbeAttempt, ProbeRequest
from tutor.cluster.sim.api.commands.toolbox import Toolbox
from tutor.cluster.sim.dataplane import AffinityTable, Router
from tutor.cluster.sim.dns import ClusterDns, Objects, is_ip, pod_ips
from tutor.cluster.sim.podresolver import PodResolver

if TYPE_CHECKING:
    from tutor.cluster.sim.cluster import SimCluster


@dataclass
class Out:
    """What a command printed and exited with."""

    code: int = 0
    stdout: str = ""
    stderr: str = ""

    def add(self, other: Out) -> Out:
        """This output followed by another's (the other's exit code wins)."""
        return Out(other.code, self.stdout + other.stdout, self.stderr + other.stderr)


@dataclass(frozen=True)
class Served:
    """One request a server answered for an exec'd client (for its logs)."""

    when: datetime
    client: str
    method: str
    path: str
    status: int
    size: int
    agent: str


@dataclass
class ExecState:
    """Per-cluster memory of exec'd traffic."""

    affinity: AffinityTable = field(default_factory=AffinityTable)
    attempts: int = 0
    served: dict[tuple[str, str], list[Served]] = field(default_factory=dict)
    """(namespace, Pod) -> requests the Pod's server answered for exec'd clients."""

    def next_attempt(self) -> int:
        """The attempt number for the next request."""
        self.attempts += 1
        return self.attempts - 1


_STATES: weakref.WeakKeyDictionary[SimCluster, ExecState] = weakref.WeakKeyDictionary()


def state_of(cluster: SimCluster) -> ExecState:
    """The exec memory of a cluster (made on first use)."""
    found = _STATES.get(cluster)
    if found is None:
        found = _STATES[cluster] = ExecState()
    return found


def remote_of(attempt: ProbeAttempt) -> tuple[str, int] | None:
    """(address, port) the data plane connected to, from the attempt's `detail`
    (`GET 10.96.0.5:80`, `connect 10.244.1.7:8080`)."""
    verb, _, where = attempt.detail.partition(" ")
    if verb not in ("GET", "connect") or ":" not in where:
        return None
    host, _, port = where.rpartition(":")
    return (host, int(port)) if port.isdigit() and is_ip(host) else None


@dataclass
class Proc:
    """One command running in a container of a Pod of the simulator."""

    cluster: SimCluster
    pod: Obj
    container: Obj
    toolbox: Toolbox

    @property
    def namespace(self) -> str:
        """The Pod's namespace."""
        return str(self.pod["metadata"].get("namespace") or "default")

    @property
    def pod_name(self) -> str:
        """The Pod's name."""
        return str(self.pod["metadata"]["name"])

    @property
    def hostname(self) -> str:
        """What `hostname` prints: `spec.hostname`, else the Pod name (63 characters at most)."""
        spec = self.pod.get("spec") or {}
        name = str(spec.get("hostname") or self.pod_name[:63])
        if spec.get("setHostnameAsFQDN") and spec.get("subdomain"):
            return f"{name}.{spec['subdomain']}.{self.namespace}.svc.cluster.local"
        return name

    @property
    def ip(self) -> str:
        """The Pod's (first) IP."""
        ips = pod_ips(self.pod)
        return ips[0] if ips else ""

    @property
    def host_network(self) -> bool:
        """True for a `hostNetwork` Pod."""
        return bool((self.pod.get("spec") or {}).get("hostNetwork"))

    @property
    def cluster_dns(self) -> bool:
        """True when the Pod resolves through CoreDNS with the cluster search path."""
        spec = self.pod.get("spec") or {}
        policy = spec.get("dnsPolicy") or "ClusterFirst"
        if policy == "ClusterFirstWithHostNet":
            return True
        return policy == "ClusterFirst" and not self.host_network

    @cached_property
    def objects(self) -> Objects:
        """Memoised reads of the cluster's objects for this command."""
        return Objects(self.cluster.view)

    @cached_property
    def dns(self) -> ClusterDns:
        """The cluster's DNS (CoreDNS) as this Pod asks it."""
        return ClusterDns(self.objects)

    @property
    def state(self) -> ExecState:
        """The cluster's exec memory."""
        return state_of(self.cluster)

    def now(self) -> datetime:
        """The simulator's clock."""
        text = self.cluster.store.now()
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

    # -- network --

    def _send(self, request: ProbeRequest) -> ProbeAttempt:
        router = Router(self.objects, self.state.affinity)
        return router.run(request, self.state.next_attempt()).attempt

    def http(
        self, url: str, headers: Mapping[str, str], timeout: float, resolve: str | None = None
    ) -> ProbeAttempt:
        """One HTTP GET from this Pod (`resolve`: connect there, as `curl --resolve`)."""
        request = ProbeRequest(
            "http",
            url,
            self.namespace,
            source=f"pod:{self.pod_name}",
            headers=dict(headers),
            timeout=timeout,
            resolve=resolve,
        )
        return self._send(request)

    def tcp(self, host: str, port: int, timeout: float) -> ProbeAttempt:
        """One TCP connection from this Pod."""
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        request = ProbeRequest(
            "tcp", target, self.namespace, source=f"pod:{self.pod_name}", timeout=timeout
        )
        return self._send(request)

    def resolve_address(self, host: str) -> str | None:
        """The address the resolver gives for `host` (first A record), or None."""
        if is_ip(host):
            return host
        if host == "localhost":
            return "127.0.0.1"
        answer = PodResolver(self.dns).resolve(self.pod, host, "A")
        return answer.values[0] if answer.values else None

    def responder(self, ip: str) -> str:
        """What kind of server answers on `ip`: `envoy` for Gateway/Ingress addresses,
        else `pod`."""
        kinds = {kind for kind, _ in self.objects.owners_of_ip(ip)}
        return "envoy" if kinds & {"gateway", "ingress"} else "pod"

    def record_served(self, backend: str | None, request: Served) -> None:
        """Remember a request for the logs of the Pod that served it."""
        if not backend:
            return
        pod = self.objects.get("Pod", backend, self.namespace)
        namespace = self.namespace
        if pod is None:
            for candidate in self.objects.all("Pod"):
                if candidate["metadata"]["name"] == backend:
                    namespace = str(candidate["metadata"].get("namespace") or "")
                    break
            else:
                return
        lines = self.state.served.setdefault((namespace, backend), [])
        lines.append(request)
        del lines[:-1000]  # a log rotates: keep the last thousand lines
