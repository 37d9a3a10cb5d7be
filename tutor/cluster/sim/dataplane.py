"""The traffic model: kube-proxy (iptables mode), kindnet and cloud-provider-kind, over objects.

`Router.run(request, attempt)` follows one request from its client to the process that
answers it and returns the hops it took (see `tutor.cluster.sim.trace`) together with the
`ProbeAttempt` the client sees. `DataPlane.probe` runs it `count` times; `trace()` runs it
once: both share this one implementation.

What is modelled (Kubernetes 1.37, kind with kindnet, cloud-provider-kind v0.11):

- Clients: a Pod (`probe` = Pod `kube-tutor-probe`, or a stand-in on `kube-tutor-worker` at
  10.244.1.250; `pod:NAME`), a node process (`node:NAME`), your machine (`host`, 172.18.0.1 on
  the kind network: reaches node IPs, LoadBalancer and Gateway/Ingress IPs only).
- kube-proxy: endpoints of the Service port from its EndpointSlices (ready ones; serving and
  terminating ones when none is ready), topology hints (`forNodes`, then `forZones`, else all),
  internal/externalTrafficPolicy Local (drop when no local endpoint), ClientIP session
  affinity, REJECT when there is no endpoint (refused), no rule for an undeclared port (timeout),
  masquerade (SNAT) as iptables mode does with kind's cluster CIDR local detector.
- cloud-provider-kind: a LoadBalancer IP is an Envoy container that proxies TCP to the nodes'
  NodePort (RANDOM, or RING_HASH on the source IP with ClientIP affinity; health-checked on
  kube-proxy's :10256 or the healthCheckNodePort); Ingress (class `cloud-provider-kind`, or no
  class while it is the default) and Gateway API are an Envoy that routes HTTP and connects to
  the backend Service's ClusterIP through the control-plane node.
- Load balancing is pseudo-random but deterministic: a stable hash of (service, client,
  attempt index) picks the endpoint, so 20 requests spread over backends the same way on
  every run.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tutor.cluster.base import (
    Obj,
    ObjectSource,
    ProbeAttempt,
    ProbeRequest,
    ProbeResult,
    matches_selector,
)
from tutor.cluster.sim.dns import (
    ClusterDns,
    Objects,
    cluster_ips,
    cond_ready,
    cond_serving,
    cond_terminating,
    family,
    is_headless,
    is_ip,
    meta,
    name_of,
    node_ip,
    ns_of,
    pod_ips,
    service_type,
    spec,
    status,
)
from tutor.cluster.sim.images import Workload, workload_for
from tutor.cluster.sim.kindnetwork import kindnet_masquerade
from tutor.cluster.sim.lb_source_ranges import refused_by_ranges
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


# -- the router -------------------------------------------------------------------------------


class Router:
    """Routes requests over one consistent view of the objects (build one per question)."""

    def __init__(
        self,
        source: ObjectSource | Objects,
        affinity: AffinityTable | None = None,
    ) -> None:
        self.objects = source if isinstance(source, Objects) else Objects(source)
        self.dns = ClusterDns(self.objects)
        self.affinity = affinity
        self._nodeports: dict[tuple[int, str], tuple[Obj, dict[str, Any]]] | None = None
        self._unattached: list[tuple[Obj, str]] = []

    # -- entry --

    def run(self, request: ProbeRequest, index: int) -> Journey:
        """Follow attempt number `index` of `request`."""
        journey = Journey()
        hops = journey.hops
        client = self._client(request, hops)
        if client is None:
            journey.attempt = ProbeAttempt(
                ok=False, error="client-not-found", detail=hops[-1].summary
            )
            return journey
        if request.protocol == "dns":
            journey.attempt = self._dns_probe(request, client, hops)
            return journey
        parsed = _parse_target(request)
        if parsed is None:
            hops.append(
                Hop(
                    "target",
                    f"cannot parse {request.target!r}",
                    ok=False,
                    failure="bad-target",
                    reason="http targets are URLs (http://web/hostname); tcp targets are host:port",
                )
            )
            journey.attempt = ProbeAttempt(ok=False, error="bad-target", source_ip=client.ip)
            return journey
        host, port, path, query = parsed
        headers = {k: v for k, v in request.headers.items()}
        if not any(k.lower() == "host" for k in headers):
            default_port = 443 if request.target.startswith("https:") else 80
            headers["Host"] = host if port == default_port else f"{host}:{port}"
        ctx = Ctx(request.protocol == "http", path, query, headers, request.timeout)
        dst = self._resolve(host, client, ctx, hops, index)
        if dst is None:
            failing = hops[-1]
            journey.attempt = ProbeAttempt(
                ok=False,
                error=_client_error(failing.failure),
                detail=failing.summary,
                source_ip=client.ip,
            )
            return journey
        reach = self.connect(client, dst, port, ctx, hops, index)
        journey.attempt = self._finish(reach, ctx, hops, client, f"{dst}:{port}")
        return journey

    # -- clients --

    def _client(self, request: ProbeRequest, hops: list[Hop]) -> Client | None:
        src = request.source
        ns = request.namespace
        if src == "host":
            hops.append(
                Hop(
                    "client",
                    f"your machine ({HOST_IP}, on the kind network)",
                    "outside the cluster: it reaches node IPs, LoadBalancer and "
                    "Ingress/Gateway addresses, not ClusterIPs or Pod IPs, and does not "
                    "use cluster DNS",
                )
            )
            return Client("host", "your machine", HOST_IP, ns, cluster_dns=False)
        if src.startswith("node:"):
            node = self.objects.node(src[5:])
            if node is None:
                hops.append(
                    Hop(
                        "client",
                        f"no node named {src[5:]!r}",
                        ok=False,
                        failure="client-not-found",
                        reason="nodes: " + ", ".join(name_of(n) for n in self.objects.nodes()),
                    )
                )
                return None
            ip = node_ip(node) or ""
            zone = (meta(node).get("labels") or {}).get(ZONE_LABEL)
            hops.append(
                Hop(
                    "client",
                    f"a process on node {name_of(node)} ({ip}"
                    + (f", zone {zone})" if zone else ")"),
                    "host network: its source address is the node's; it does not use "
                    "cluster DNS (kind nodes resolve through Docker's DNS)",
                )
            )
            return Client("node", f"node {name_of(node)}", ip, ns, node=node, cluster_dns=False)
        pod_name = PROBE_POD if src == "probe" else src[4:] if src.startswith("pod:") else src
        pod = self.objects.get("Pod", pod_name, ns)
        if pod is None and src == "probe":
            node = self.objects.node(PROBE_NODE) or self._some_worker()
            zone = (meta(node).get("labels") or {}).get(ZONE_LABEL) if node else None
            hops.append(
                Hop(
                    "client",
                    f"probe Pod {ns}/{PROBE_POD} on "
                    f"{name_of(node) if node else PROBE_NODE} ({PROBE_STANDIN_IP}"
                    + (f", zone {zone})" if zone else ")"),
                    f"no Pod {PROBE_POD} exists in {ns}: a stand-in Pod with that "
                    "address answers for it",
                )
            )
            return Client("pod", f"Pod {ns}/{PROBE_POD}", PROBE_STANDIN_IP, ns, node=node)
        if pod is None:
            hops.append(
                Hop(
                    "client",
                    f"no Pod {pod_name!r} in namespace {ns}",
                    ok=False,
                    failure="client-not-found",
                )
            )
            return None
        node = self.objects.node(spec(pod).get("nodeName"))
        host_net = bool(spec(pod).get("hostNetwork"))
        ips = pod_ips(pod)
        found_ip = (node_ip(node) if node else None) if host_net else (ips[0] if ips else None)
        if not found_ip:
            hops.append(
                Hop(
                    "client",
                    f"Pod {ns}/{pod_name} has no IP yet",
                    ok=False,
                    failure="client-not-found",
                    reason="it is not running (not scheduled, or still starting)",
                    evidence=(_ev(pod, "status.phase", status(pod).get("phase", "Pending")),),
                )
            )
            return None
        ip = found_ip
        policy = spec(pod).get("dnsPolicy") or "ClusterFirst"
        uses_dns = policy == "ClusterFirstWithHostNet" or (
            policy == "ClusterFirst" and not host_net
        )
        zone = (meta(node).get("labels") or {}).get(ZONE_LABEL) if node else None
        where = f" on {name_of(node)}" if node else ""
        hops.append(
            Hop(
                "client",
                f"Pod {ns}/{pod_name}{where} ({ip}" + (f", zone {zone})" if zone else ")"),
                "host network: it uses the node's address" if host_net else "",
            )
        )
        return Client(
            "node" if host_net else "pod",
            f"Pod {ns}/{pod_name}",
            ip,
            ns,
            node=node,
            pod=pod,
            cluster_dns=uses_dns,
        )

    def _some_worker(self) -> Obj | None:
        nodes = self.objects.nodes()
        workers = [n for n in nodes if CONTROL_PLANE_LABEL not in (meta(n).get("labels") or {})]
        pool = workers or nodes
        return pool[0] if pool else None

    # -- DNS --

    def _dns_probe(self, request: ProbeRequest, client: Client, hops: list[Hop]) -> ProbeAttempt:
        name = request.target.strip()
        if client.kind == "host":
            hops.append(
                Hop(
                    "dns",
                    f"{name}: cluster DNS is not reachable from your machine",
                    "CoreDNS answers at 10.96.0.10, a ClusterIP, which only exists "
                    "inside the cluster",
                    ok=False,
                    failure="unresolvable",
                )
            )
            return ProbeAttempt(ok=False, error="unresolvable", source_ip=client.ip)
        namespace = client.namespace if client.kind == "pod" and client.cluster_dns else None
        answer = self.dns.resolve(name, request.record_type, namespace=namespace)
        via = "" if namespace else " (asked of 10.96.0.10 directly, without a search path)"
        values = tuple(r.value for r in answer.records)
        error = answer.error
        summary = (f"{name} -> {', '.join(values)}" if values else f"{name}: {answer.rcode}") + via
        hops.append(
            Hop(
                "dns",
                summary,
                " ".join(answer.steps),
                ok=error is None,
                failure=None if error is None else (answer.failure or "nxdomain"),
                evidence=self._dns_evidence(answer.service),
            )
        )
        return ProbeAttempt(
            ok=error is None and bool(values),
            error=error,
            records=values,
            detail=f"{answer.qtype} {answer.name}",
            source_ip=client.ip,
        )

    def _dns_evidence(self, service: Obj | None) -> tuple[Evidence, ...]:
        if service is None:
            return ()
        sp = spec(service)
        if service_type(service) == "ExternalName":
            return (_ev(service, "spec.externalName", sp.get("externalName")),)
        if is_headless(service):
            return (_ev(service, "spec.clusterIP", "None"),)
        return (_ev(service, "spec.clusterIP", sp.get("clusterIP")),)

    def _resolve(
        self, host: str, client: Client, ctx: Ctx, hops: list[Hop], index: int
    ) -> str | None:
        if is_ip(host):
            return host
        if host == "localhost":
            return "127.0.0.1"
        if not client.cluster_dns:
            hops.append(
                Hop(
                    "dns",
                    f"{host}: not resolvable from {client.label}",
                    "only Pods use cluster DNS; nodes and your machine do not know "
                    "cluster.local names. Use an IP address (a node IP with the "
                    "NodePort, a LoadBalancer or gateway IP)",
                    ok=False,
                    failure="unresolvable",
                )
            )
            return None
        answer = self.dns.resolve(host, "A", namespace=client.namespace)
        addresses = answer.values
        evidence = self._dns_evidence(answer.service)
        if answer.error or not addresses:
            failure = answer.failure or "nxdomain"
            hops.append(
                Hop(
                    "dns",
                    f"{host}: {answer.rcode}"
                    + (f" (CNAME {answer.cnames[0]})" if answer.cnames else ""),
                    " ".join(answer.steps),
                    ok=False,
                    failure=failure,
                    evidence=evidence,
                )
            )
            return None
        # CoreDNS's loadbalance plugin shuffles A records; the client takes the first
        chosen = addresses[stable_index(len(addresses), "dns", host, client.ip, index)]
        if answer.cnames:
            ctx.via_alias = host
        many = f" (one of {len(addresses)} records)" if len(addresses) > 1 else ""
        chain = f" -> CNAME {' -> '.join(answer.cnames)}" if answer.cnames else ""
        hops.append(
            Hop(
                "dns",
                f"{host} -> {answer.name}{chain} -> {chosen}{many}",
                " ".join(answer.steps),
                evidence=evidence,
            )
        )
        return chosen

    # -- connecting to an address --

    def connect(
        self, client: Client, dst: str, port: int, ctx: Ctx, hops: list[Hop], index: int
    ) -> Reach:
        """Open a connection from `client` to `dst:port` and follow it to its end."""
        owners = self.objects.owners_of_ip(dst)
        kinds = {k: o for k, o in reversed(owners)}
        if dst in ("127.0.0.1", "::1"):
            return self._loopback(client, port, ctx, hops, index)
        if client.kind == "host" and not any(
            k in kinds for k in ("node", "loadBalancer", "gateway", "ingress")
        ):
            what = (
                "a ClusterIP"
                if "clusterIP" in kinds
                else "a Pod IP"
                if self.objects.pod_by_ip(dst)
                else "not a cluster address"
            )
            hops.append(
                Hop(
                    "network",
                    f"{dst} is {what}: not reachable from your machine",
                    "ClusterIPs and Pod IPs only exist inside the cluster; from "
                    "outside use a node IP with a NodePort, or a LoadBalancer / "
                    "Ingress / Gateway address",
                    ok=False,
                    failure="not-routable",
                )
            )
            return _fail("timeout", "not-routable")
        if "ingress" in kinds or "gateway" in kinds:
            return self._l7(client, dst, port, ctx, hops, index, owners)
        if "clusterIP" in kinds:
            return self._service_vip(
                kinds["clusterIP"], client, dst, port, ctx, hops, index, client.node
            )
        if "loadBalancer" in kinds:
            return self._load_balancer(kinds["loadBalancer"], client, dst, port, ctx, hops, index)
        if "externalIP" in kinds and client.node is not None:
            return self._external_on_node(
                kinds["externalIP"], client.node, client, dst, port, ctx, hops, index, "externalIP"
            )
        if "node" in kinds:
            return self._node_address(kinds["node"], client, port, ctx, hops, index)
        pod = self.objects.pod_by_ip(dst)
        if pod is not None:
            hops.append(
                Hop(
                    "network",
                    f"{dst} is the IP of Pod {ns_of(pod)}/{name_of(pod)}: routed straight to it",
                    "no Service and no kube-proxy rule on "
                    "this path: the Pod network delivers to the Pod directly",
                )
            )
            return self._to_pod(pod, dst, port, client.ip, hops, "TCP")
        hops.append(
            Hop(
                "network",
                f"nothing in the cluster has address {dst}",
                "no Service, node, Pod, load balancer or gateway uses it: packets go unanswered",
                ok=False,
                failure="unknown-address",
            )
        )
        return _fail("timeout", "unknown-address")

    def _loopback(self, client: Client, port: int, ctx: Ctx, hops: list[Hop], index: int) -> Reach:
        if client.kind == "pod" and client.pod is not None:
            hops.append(Hop("network", "localhost: the client Pod itself"))
            return self._to_pod(client.pod, client.ip, port, "127.0.0.1", hops, "TCP")
        if client.node is not None:
            hops.append(
                Hop(
                    "network",
                    f"localhost on node {client.node_name}",
                    "iptables-mode kube-proxy also serves NodePorts on 127.0.0.1 "
                    "(route_localnet); nftables mode would not",
                )
            )
            return self._node_address(client.node, client, port, ctx, hops, index, loopback=True)
        hops.append(
            Hop(
                "network",
                "localhost on your machine",
                "kube-tutor does not model "
                "ports on your machine (kind extraPortMappings): use a node IP",
                ok=False,
                failure="unknown-address",
            )
        )
        return _fail("refused", "unknown-address")

    # -- Services --

    def _service_port(self, svc: Obj, port: int, protocol: str = "TCP") -> dict[str, Any] | None:
        for sp in spec(svc).get("ports") or []:
            if int(sp.get("port", 0)) == port and str(sp.get("protocol", "TCP")) == protocol:
                return dict(sp)
        return None

    def _service_vip(
        self,
        svc: Obj,
        client: Client,
        vip: str,
        port: int,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
        node: Obj | None,
    ) -> Reach:
        sp = self._service_port(svc, port)
        declared = [int(p.get("port", 0)) for p in spec(svc).get("ports") or []]
        if sp is None:
            hops.append(
                Hop(
                    "service",
                    f"{vip}:{port}: {_ref(svc)} has no port {port}",
                    "kube-proxy only has rules for the ports the Service declares; "
                    "packets to other ports of a ClusterIP match nothing and go "
                    "unanswered (iptables mode)",
                    ok=False,
                    failure="port-not-in-service",
                    evidence=(_ev(svc, "spec.ports[*].port", declared),),
                )
            )
            return _fail("timeout", "port-not-in-service")
        hops.append(
            Hop(
                "service",
                f"{vip}:{port} is the ClusterIP of {_ref(svc)} (port {sp.get('name') or port})",
                "a virtual IP: no process owns it; kube-proxy on "
                f"{name_of(node) if node else 'the client node'} rewrites the "
                "destination to an endpoint",
                evidence=(_ev(svc, "spec.clusterIP", vip),),
            )
        )
        masq = not client.pod_network
        return self._kube_proxy(
            svc,
            sp,
            node,
            client,
            family(vip),
            hops,
            index,
            ctx,
            external=False,
            masquerade=masq,
            masq_why="the source is outside the Pod CIDR" if masq else "",
        )

    def _endpoints(
        self, svc: Obj, sp: Mapping[str, Any], fam: str
    ) -> tuple[list[Endpoint], int, list[str]]:
        """Endpoints of one Service port; also how many endpoints the slices list in all,
        and the port names the slices do carry."""
        want_name = sp.get("name") or ""
        want_proto = str(sp.get("protocol", "TCP"))
        out: list[Endpoint] = []
        total = 0
        names: list[str] = []
        for eps in self.objects.slices(svc):
            if eps.get("addressType", "IPv4") != fam:
                continue
            eps_list = eps.get("endpoints") or []
            total += len(eps_list)
            ports = [
                p
                for p in eps.get("ports") or []
                if (p.get("name") or "") == want_name
                and str(p.get("protocol", "TCP")) == want_proto
                and p.get("port")
            ]
            names.extend(str(p.get("name") or "") for p in eps.get("ports") or [])
            if not ports:
                continue
            for ep in eps_list:
                addresses = ep.get("addresses") or []
                if not addresses:
                    continue
                hints = ep.get("hints") or {}
                out.append(
                    Endpoint(
                        ip=str(addresses[0]),
                        port=int(ports[0]["port"]),
                        node_name=ep.get("nodeName"),
                        zone=ep.get("zone"),
                        ready=cond_ready(ep),
                        serving=cond_serving(ep),
                        terminating=cond_terminating(ep),
                        for_zones=tuple(str(z.get("name")) for z in hints.get("forZones") or []),
                        for_nodes=tuple(str(n.get("name")) for n in hints.get("forNodes") or []),
                        target=ep.get("targetRef"),
                        slice_name=name_of(eps),
                    )
                )
        return out, total, names

    def _kube_proxy(
        self,
        svc: Obj,
        sp: Mapping[str, Any],
        node: Obj | None,
        client: Client,
        fam: str,
        hops: list[Hop],
        index: int,
        ctx: Ctx,
        *,
        external: bool,
        masquerade: bool,
        masq_why: str,
        local_only: bool | None = None,
    ) -> Reach:
        """kube-proxy on `node` picks an endpoint for traffic to one Service port."""
        sps = spec(svc)
        node_name = name_of(node) if node else None
        zone = (meta(node).get("labels") or {}).get(ZONE_LABEL) if node else None
        where = f"kube-proxy on {node_name}" if node_name else "kube-proxy"
        endpoints, total, names = self._endpoints(svc, sp, fam)
        port_label = sp.get("name") or sp.get("port")
        if not endpoints:
            return self._no_endpoints(svc, sp, total, names, where, hops)
        ready = [e for e in endpoints if e.ready]
        fallback = [e for e in endpoints if e.serving and e.terminating]
        has_any = bool(ready or fallback)
        if not has_any:
            ", ".join(f"{e.label}: ready=false" for e in endpoints[:4])
            hops.append(
                Hop(
                    "kube-proxy",
                    f"{where}: no ready endpoint for {_ref(svc)} port {port_label} -> REJECT",
                    f"{len(endpoints)} endpoint(s) are listed but none is ready (a "
                    "failing readiness probe keeps a Pod in the slice with ready=false)"
                    "; with nothing to send to, kube-proxy rejects the connection",
                    ok=False,
                    failure="no-ready-endpoints",
                    evidence=tuple(
                        Evidence(
                            "EndpointSlice",
                            e.slice_name,
                            ns_of(svc),
                            f"endpoints[{e.ip}].conditions.ready",
                            "false",
                        )
                        for e in endpoints[:3]
                    ),
                )
            )
            return _fail("refused", "no-ready-endpoints")
        itp_local = sps.get("internalTrafficPolicy") == "Local"
        etp_local = sps.get("externalTrafficPolicy") == "Local" and service_type(svc) in (
            "NodePort",
            "LoadBalancer",
        )
        use_local = local_only if local_only is not None else (etp_local if external else itp_local)
        reasons: list[str] = []
        if use_local:
            pool = [e for e in ready if e.node_name == node_name]
            kind = "ready"
            if not pool:
                pool = [e for e in fallback if e.node_name == node_name]
                kind = "serving+terminating"
            policy = "externalTrafficPolicy" if external else "internalTrafficPolicy"
            if not pool:
                elsewhere = sorted({e.node_name or "?" for e in ready or fallback})
                hops.append(
                    Hop(
                        "kube-proxy",
                        f"{where}: {policy} Local and no endpoint on {node_name} -> DROP",
                        f"Local sends only to endpoints on the node the traffic "
                        f"arrived at; the ready ones are on {', '.join(elsewhere)}, so "
                        'kube-proxy drops the packets ("has no local endpoints")',
                        ok=False,
                        failure="no-local-endpoint",
                        evidence=(_ev(svc, f"spec.{policy}", "Local"),),
                    )
                )
                return _fail("timeout", "no-local-endpoint")
            reasons.append(
                f"{policy} Local: only the {len(pool)} {kind} endpoint(s) on {node_name}"
            )
            if external and not masquerade:
                reasons.append("no SNAT, so the client address is preserved")
        else:
            pool, why = self._topology(svc, ready, fallback, node_name, zone)
            reasons.extend(why)
        chosen, how = self._choose(svc, sp, pool, client, node_name, index)
        reasons.append(how)
        hairpin = chosen.ip == client.ip
        seen = client.ip
        if masquerade or hairpin:
            seen = self._masq_source(node, chosen, fam)
            reasons.append(
                f"SNAT to {seen}: "
                + (masq_why if masquerade else "hairpin (the client is the endpoint itself)")
            )
        hops.append(
            Hop(
                "kube-proxy",
                f"{where}: {_ref(svc)} port {port_label} -> {chosen.label}",
                "; ".join(r for r in reasons if r),
            )
        )
        return self._to_endpoint(chosen, seen, hops, str(sp.get("protocol", "TCP")))

    def _no_endpoints(
        self,
        svc: Obj,
        sp: Mapping[str, Any],
        total: int,
        names: list[str],
        where: str,
        hops: list[Hop],
    ) -> Reach:
        sps = spec(svc)
        port_label = sp.get("name") or sp.get("port")
        if total:
            hops.append(
                Hop(
                    "kube-proxy",
                    f"{where}: the EndpointSlices of {_ref(svc)} carry "
                    f"no port {sp.get('name') or ''!r} -> REJECT",
                    f"{total} endpoint(s) are listed, but under ports named "
                    f"{sorted(set(names)) or '[]'}; a named targetPort that the Pods do "
                    "not declare (or a hand-made slice whose port name differs from "
                    "the Service's) leaves this Service port without endpoints",
                    ok=False,
                    failure="no-endpoint-port",
                    evidence=(
                        _ev(
                            svc,
                            f"spec.ports[port={sp.get('port')}].targetPort",
                            sp.get("targetPort", sp.get("port")),
                        ),
                    ),
                )
            )
            return _fail("refused", "no-endpoint-port")
        selector = sps.get("selector")
        if not selector:
            reason = (
                "the Service has no selector, so no EndpointSlice is generated: create "
                "one labelled kubernetes.io/service-name="
                f"{name_of(svc)}"
            )
            evidence: tuple[Evidence, ...] = (_ev(svc, "spec.selector", "(none)"),)
        else:
            matching = self.objects.source.list("Pod", ns_of(svc), selector)
            reason = (
                f"the selector matches no Pod in {ns_of(svc)}"
                if not matching
                else f"the selector matches {len(matching)} Pod(s) but none has an IP yet"
            )
            evidence = (_ev(svc, "spec.selector", selector),)
        hops.append(
            Hop(
                "kube-proxy",
                f"{where}: {_ref(svc)} port {port_label} has no endpoints -> REJECT",
                reason + "; kube-proxy rejects connections to "
                "a Service without endpoints (connection refused, at once)",
                ok=False,
                failure="no-endpoints",
                evidence=evidence,
            )
        )
        return _fail("refused", "no-endpoints")

    def _topology(
        self,
        svc: Obj,
        ready: list[Endpoint],
        fallback: list[Endpoint],
        node_name: str | None,
        zone: str | None,
    ) -> tuple[list[Endpoint], list[str]]:
        """kube-proxy's use of hints: forNodes, then forZones, then every endpoint."""
        sps = spec(svc)
        asked = sps.get("trafficDistribution") or (meta(svc).get("annotations") or {}).get(
            "service.kubernetes.io/topology-mode"
        )
        base = ready or fallback
        which = "ready" if ready else "serving+terminating (none is ready)"
        considered = ready  # kube-proxy reads hints of ready endpoints only
        reasons = []
        mode = ""
        if considered:
            all_nodes = all(e.for_nodes for e in considered)
            all_zones = all(e.for_zones for e in considered)
            if all_nodes and any(node_name in e.for_nodes for e in considered):
                mode = "node"
            elif all_nodes:
                reasons.append(f"no endpoint is hinted for node {node_name}: node hints ignored")
            if not mode and all_zones and zone and any(zone in e.for_zones for e in considered):
                mode = "zone"
            elif not mode and all_zones:
                reasons.append(
                    "the client node has no zone label: zone hints ignored"
                    if not zone
                    else f"no endpoint is hinted for zone {zone}: zone hints ignored"
                )
            elif not mode and asked and not all_zones:
                reasons.append(
                    f"{asked} asked, but not every endpoint has hints: all endpoints are used"
                )
        if mode == "node":
            pool = [e for e in base if node_name in e.for_nodes]
            reasons.append(f"hints.forNodes: the {len(pool)} endpoint(s) for node {node_name}")
        elif mode == "zone":
            pool = [e for e in base if zone in e.for_zones]
            reasons.append(f"hints.forZones: the {len(pool)} endpoint(s) for zone {zone}")
        else:
            pool = base
            reasons.insert(0, f"{len(pool)} {which} endpoint(s)")
        return pool or base, reasons

    def _choose(
        self,
        svc: Obj,
        sp: Mapping[str, Any],
        pool: list[Endpoint],
        client: Client,
        node_name: str | None,
        index: int,
    ) -> tuple[Endpoint, str]:
        pool = sorted(pool, key=lambda e: (e.ip, e.port))
        key = (ns_of(svc), name_of(svc), str(sp.get("port")))
        sps = spec(svc)
        if sps.get("sessionAffinity") == "ClientIP":
            timeout = float(
                ((sps.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get(
                    "timeoutSeconds"
                )
                or DEFAULT_AFFINITY_TIMEOUT
            )
            akey = (node_name or "", *key, client.ip)
            if self.affinity is not None:
                remembered = self.affinity.lookup(akey, timeout)
                for e in pool:
                    if e.ip == remembered:
                        self.affinity.remember(akey, e.ip)
                        return e, (
                            f"sessionAffinity ClientIP: {client.ip} keeps {e.label} "
                            f"(within {int(timeout)} s)"
                        )
            chosen = pool[stable_index(len(pool), *key, client.ip, "affinity")]
            if self.affinity is not None:
                self.affinity.remember(akey, chosen.ip)
            return chosen, (
                f"sessionAffinity ClientIP: {client.ip} is pinned to "
                f"{chosen.label} for {int(timeout)} s"
            )
        chosen = pool[stable_index(len(pool), *key, client.ip, node_name, index)]
        return chosen, (
            f"picked at random among {len(pool)}" if len(pool) > 1 else "the only candidate"
        )

    def _masq_source(self, node: Obj | None, endpoint: Endpoint, fam: str) -> str:
        """The address masquerade picks: the node's, or (for a Pod on the same node) the
        host side of the Pod's veth, which kindnet's ptp plugin gives the Pod subnet's
        gateway address (`.1`)."""
        if node is None:
            return endpoint.ip
        if endpoint.node_name == name_of(node):
            for cidr in spec(node).get("podCIDRs") or [spec(node).get("podCIDR")]:
                if cidr and family(str(cidr).split("/")[0]) == fam:
                    return str(next(ipaddress.ip_network(str(cidr), strict=False).hosts()))
        return node_ip(node, fam) or endpoint.ip

    def _to_endpoint(self, endpoint: Endpoint, seen: str, hops: list[Hop], protocol: str) -> Reach:
        target = endpoint.target or {}
        pod = None
        if target.get("kind") == "Pod" and target.get("name"):
            pod = self.objects.get("Pod", str(target["name"]), target.get("namespace"))
        # kube-proxy sends to the address; targetRef only names who should be there
        if pod is None or endpoint.ip not in pod_ips(pod):
            pod = self.objects.pod_by_ip(endpoint.ip)
        if pod is not None:
            return self._to_pod(pod, endpoint.ip, endpoint.port, seen, hops, protocol)
        for kind, obj in self.objects.owners_of_ip(endpoint.ip):
            if kind == "node":
                return self._node_process(obj, endpoint.port, seen, hops)
        hops.append(
            Hop(
                "pod",
                f"no Pod or node has address {endpoint.ip}",
                "the endpoint points at an address nothing in the cluster uses (check "
                "the addresses of a hand-made EndpointSlice; another Service's "
                "ClusterIP does not work there either)",
                ok=False,
                failure="unknown-address",
                evidence=(
                    Evidence(
                        "EndpointSlice",
                        endpoint.slice_name,
                        None,
                        "endpoints[*].addresses",
                        endpoint.ip,
                    ),
                ),
            )
        )
        return _fail("timeout", "unknown-address")

    def _to_pod(
        self, pod: Obj, ip: str, port: int, seen: str, hops: list[Hop], protocol: str
    ) -> Reach:
        node_name = spec(pod).get("nodeName") or "?"
        statuses = {str(c.get("name")): c for c in status(pod).get("containerStatuses") or []}
        declared = []
        for container in spec(pod).get("containers") or []:
            workload = workload_for(container)
            for cp in container.get("ports") or []:
                declared.append(f"{container.get('name')}:{cp.get('containerPort')}")
            st = statuses.get(str(container.get("name")))
            running = st is None or "running" in (st.get("state") or {})
            if running and workload.listens(port, protocol):
                hops.append(
                    Hop(
                        "pod",
                        f"Pod {name_of(pod)} ({ip}) on {node_name}: container "
                        f"{container.get('name')} listens on {port}",
                        f"{workload.program} in {workload.image.rsplit('/', 1)[-1]} "
                        f"accepts the connection; it sees the client as {seen}",
                    )
                )
                return Reach(pod=pod, port=port, seen_ip=seen, workload=workload)
        programs = ", ".join(
            f"{c.get('name')} ({workload_for(c).program}, listens on "
            f"{sorted(workload_for(c).tcp_ports) or 'nothing'})"
            for c in spec(pod).get("containers") or []
        )
        hops.append(
            Hop(
                "pod",
                f"Pod {name_of(pod)} ({ip}) on {node_name}: nothing listens on {port}",
                f"containers: {programs}. The Pod's kernel answers with a "
                "reset: connection refused. containerPort declarations are "
                "informational; what counts is the port the process opens",
                ok=False,
                failure="target-port-closed",
                evidence=(_ev(pod, "spec.containers[*].ports", declared or "(none)"),),
            )
        )
        return _fail("refused", "target-port-closed")

    # -- nodes, NodePorts --

    def _nodeport_index(self) -> dict[tuple[int, str], tuple[Obj, dict[str, Any]]]:
        if self._nodeports is None:
            index: dict[tuple[int, str], tuple[Obj, dict[str, Any]]] = {}
            for svc in self.objects.services():
                if service_type(svc) not in ("NodePort", "LoadBalancer"):
                    continue
                for sp in spec(svc).get("ports") or []:
                    if sp.get("nodePort"):
                        index[(int(sp["nodePort"]), str(sp.get("protocol", "TCP")))] = (svc, sp)
            self._nodeports = index
        return self._nodeports

    def _node_address(
        self,
        node: Obj,
        client: Client,
        port: int,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
        loopback: bool = False,
    ) -> Reach:
        found = self._nodeport_index().get((port, "TCP"))
        if found is not None:
            svc, sp = found
            ip = node_ip(node) or ""
            hops.append(
                Hop(
                    "nodeport",
                    f"{'127.0.0.1' if loopback else ip}:{port} on "
                    f"{name_of(node)} is NodePort {port} of {_ref(svc)}",
                    "every node listens on every NodePort (control plane too)",
                    evidence=(
                        _ev(
                            svc,
                            f"spec.ports[name={sp.get('name')}].nodePort"
                            if sp.get("name")
                            else "spec.ports[0].nodePort",
                            port,
                        ),
                    ),
                )
            )
            return self._external_on_node(
                svc, node, client, ip, port, ctx, hops, index, "nodePort", sp
            )
        for pod in self._host_port_pods(node, port):
            container_port = self._host_port_target(pod, port)
            hops.append(
                Hop(
                    "nodeport",
                    f"hostPort {port} on {name_of(node)} -> Pod {name_of(pod)}",
                    "the CNI portmap plugin forwards the node port to the Pod",
                )
            )
            ips = pod_ips(pod)
            return self._to_pod(pod, ips[0] if ips else "", container_port, client.ip, hops, "TCP")
        return self._node_process(node, port, client.ip, hops)

    def _host_port_pods(self, node: Obj, port: int) -> list[Obj]:
        out = []
        for pod in self.objects.all("Pod"):
            if spec(pod).get("nodeName") != name_of(node) or spec(pod).get("hostNetwork"):
                continue
            if any(
                int(cp.get("hostPort") or 0) == port
                for c in spec(pod).get("containers") or []
                for cp in c.get("ports") or []
            ):
                out.append(pod)
        return out

    def _host_port_target(self, pod: Obj, port: int) -> int:
        for c in spec(pod).get("containers") or []:
            for cp in c.get("ports") or []:
                if int(cp.get("hostPort") or 0) == port:
                    return int(cp.get("containerPort") or port)
        return port

    def _node_process(self, node: Obj, port: int, seen: str, hops: list[Hop]) -> Reach:
        labels = meta(node).get("labels") or {}
        if port == KUBE_PROXY_HEALTH_PORT:
            hops.append(Hop("node", f"kube-proxy health server on {name_of(node)}:{port}"))
            return Reach(
                node=node, port=port, seen_ip=seen, answer=lambda _ctx: (200, '{"status":"ok"}')
            )
        for svc in self.objects.services():
            if int(spec(svc).get("healthCheckNodePort") or 0) == port:
                local = self._local_ready(svc, name_of(node))
                hops.append(
                    Hop(
                        "node",
                        f"healthCheckNodePort {port} of {_ref(svc)} on "
                        f"{name_of(node)}: {local} local endpoint(s)",
                    )
                )
                body = (
                    f'{{"service":{{"namespace":"{ns_of(svc)}","name":"{name_of(svc)}"}},'
                    f'"localEndpoints":{local}}}'
                )
                return Reach(
                    node=node, port=port, seen_ip=seen, answer=_fixed(200 if local else 503, body)
                )
        if port == 6443 and CONTROL_PLANE_LABEL in labels:
            hops.append(Hop("node", f"kube-apiserver on {name_of(node)}:6443"))
            return Reach(
                node=node,
                port=port,
                seen_ip=seen,
                answer=lambda _c: (400, "Client sent an HTTP request to an HTTPS server."),
            )
        for pod in self.objects.all("Pod"):
            if spec(pod).get("hostNetwork") and spec(pod).get("nodeName") == name_of(node):
                for container in spec(pod).get("containers") or []:
                    workload = workload_for(container)
                    if workload.listens(port):
                        hops.append(
                            Hop(
                                "node",
                                f"host-network Pod {name_of(pod)} listens on "
                                f"{name_of(node)}:{port}",
                            )
                        )
                        return Reach(pod=pod, port=port, seen_ip=seen, workload=workload)
        hops.append(
            Hop(
                "node",
                f"nothing listens on {name_of(node)}:{port}",
                f"{port} is no NodePort of any Service and no process on the node "
                "opens it: the node refuses the connection",
                ok=False,
                failure="nodeport-closed",
            )
        )
        return _fail("refused", "nodeport-closed")

    def _local_ready(self, svc: Obj, node_name: str) -> int:
        count = 0
        for sp in spec(svc).get("ports") or []:
            eps, _, _ = self._endpoints(svc, sp, "IPv4")
            count = max(count, sum(1 for e in eps if e.ready and e.node_name == node_name))
        return count

    def _external_on_node(
        self,
        svc: Obj,
        node: Obj,
        client: Client,
        dst: str,
        port: int,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
        via: str,
        sp: Mapping[str, Any] | None = None,
    ) -> Reach:
        """kube-proxy on `node` handles traffic to an external destination of `svc`
        (a NodePort, an externalIP, a LoadBalancer IP in VIP mode)."""
        if sp is None:
            sp = self._service_port(svc, port)
            if sp is None:
                hops.append(
                    Hop(
                        "service",
                        f"{dst}:{port}: {_ref(svc)} has no port {port}",
                        ok=False,
                        failure="port-not-in-service",
                    )
                )
                return _fail("timeout", "port-not-in-service")
        etp_local = spec(svc).get("externalTrafficPolicy") == "Local"
        if etp_local:
            client = kindnet_masquerade(client, node, hops)
        on_node = (
            client.node is not None
            and client.node_name == name_of(node)
            and (client.kind == "node")
        )
        if not etp_local:
            return self._kube_proxy(
                svc,
                sp,
                node,
                client,
                family(dst) if is_ip(dst) else "IPv4",
                hops,
                index,
                ctx,
                external=True,
                masquerade=True,
                masq_why="externalTrafficPolicy Cluster masquerades external traffic",
            )
        if client.pod_network:
            return self._kube_proxy(
                svc,
                sp,
                node,
                client,
                "IPv4",
                hops,
                index,
                ctx,
                external=True,
                masquerade=False,
                masq_why="",
                local_only=spec(svc).get("internalTrafficPolicy") == "Local",
            )
        if on_node:
            return self._kube_proxy(
                svc,
                sp,
                node,
                client,
                "IPv4",
                hops,
                index,
                ctx,
                external=True,
                masquerade=True,
                masq_why="traffic from the node itself to a Local "
                "Service goes cluster-wide, masqueraded",
                local_only=False,
            )
        return self._kube_proxy(
            svc,
            sp,
            node,
            client,
            "IPv4",
            hops,
            index,
            ctx,
            external=True,
            masquerade=False,
            masq_why="",
        )

    # -- LoadBalancer (cloud-provider-kind) --

    def _load_balancer(
        self, svc: Obj, client: Client, dst: str, port: int, ctx: Ctx, hops: list[Hop], index: int
    ) -> Reach:
        ingress = [
            i
            for i in status(svc).get("loadBalancer", {}).get("ingress") or []
            if i.get("ip") == dst
        ]
        ip_mode = (ingress[0].get("ipMode") if ingress else None) or "VIP"
        sp = self._service_port(svc, port)
        if ip_mode == "VIP":
            if client.kind in ("pod", "node") and client.node is not None:
                hops.append(
                    Hop(
                        "load-balancer",
                        f"{dst} is the LoadBalancer IP of {_ref(svc)} "
                        f"(ipMode VIP): kube-proxy on {client.node_name} catches it",
                        "with ipMode VIP kube-proxy short-circuits in-cluster traffic "
                        "to the load balancer address",
                    )
                )
                return self._external_on_node(
                    svc, client.node, client, dst, port, ctx, hops, index, "loadBalancer"
                )
            nodes = self._lb_nodes(svc)
            if not nodes:
                return self._lb_no_nodes(svc, hops)
            node = nodes[stable_index(len(nodes), "vip", ns_of(svc), name_of(svc))]
            hops.append(
                Hop(
                    "load-balancer",
                    f"{dst} (ipMode VIP) is announced by {name_of(node)}",
                    "the address lands on one node, where "
                    "kube-proxy handles it as external traffic",
                )
            )
            return self._external_on_node(
                svc, node, client, dst, port, ctx, hops, index, "loadBalancer"
            )
        if sp is None:
            declared = [int(p.get("port", 0)) for p in spec(svc).get("ports") or []]
            hops.append(
                Hop(
                    "load-balancer",
                    f"{dst}:{port}: the load balancer of {_ref(svc)} does not listen on {port}",
                    "cloud-provider-kind's Envoy opens one listener per Service port",
                    ok=False,
                    failure="port-not-in-service",
                    evidence=(_ev(svc, "spec.ports[*].port", declared),),
                )
            )
            return _fail("refused", "port-not-in-service")
        if refused_by_ranges(svc, client, dst, port, hops):
            return _fail("reset", "lb-source-range")
        nodes = self._lb_nodes(svc)
        if not nodes:
            return self._lb_no_nodes(svc, hops)
        node_port = int(sp.get("nodePort") or 0)
        etp_local = spec(svc).get("externalTrafficPolicy") == "Local"
        if etp_local:
            healthy = [n for n in nodes if self._local_ready(svc, name_of(n))]
            check = f"healthCheckNodePort {spec(svc).get('healthCheckNodePort')}"
        else:
            healthy = list(nodes)
            check = f"kube-proxy :{KUBE_PROXY_HEALTH_PORT}/healthz"
        reasons = [
            f"Envoy proxies TCP to the NodePort {node_port} of "
            f"{len(nodes)} node(s) ({', '.join(name_of(n) for n in nodes)}), health-"
            f"checked on {check}: {len(healthy)} healthy"
        ]
        # proxy.go's clusters set healthy_panic_threshold 0: Envoy never spreads to unhealthy
        # nodes, however few are healthy; with none it has no upstream and closes the client
        candidates = healthy
        if not healthy:
            return self._lb_no_healthy_node(svc, dst, port, check, hops)
        if spec(svc).get("sessionAffinity") == "ClientIP":
            node = candidates[stable_index(len(candidates), "ring", name_of(svc), client.ip)]
            reasons.append(f"sessionAffinity ClientIP: ring hash on {client.ip}")
        else:
            node = candidates[
                stable_index(len(candidates), "lb", ns_of(svc), name_of(svc), client.ip, index)
            ]
            reasons.append("random node")
        nip = node_ip(node) or ""
        hops.append(
            Hop(
                "load-balancer",
                f"{dst}:{port} -> Envoy of cloud-provider-kind -> "
                f"{name_of(node)} {nip}:{node_port}",
                "; ".join(reasons),
                evidence=(_ev(svc, "status.loadBalancer.ingress[0].ipMode", ip_mode),),
            )
        )
        envoy = Client(
            "proxy", f"load balancer of {_ref(svc)}", dst, client.namespace, cluster_dns=False
        )
        inner = self._node_address(node, envoy, node_port, ctx, hops, index)
        # Envoy accepts the client's connection first: a backend that refuses makes it close
        # the client's connection (reset); a dropped one times out after its connect timeout
        if (
            inner.error == "timeout"
            and ctx.timeout >= ENVOY_CONNECT_TIMEOUT
            or inner.error == "refused"
        ):
            inner.error = "reset"
        return inner

    def _lb_no_healthy_node(
        self, svc: Obj, dst: str, port: int, check: str, hops: list[Hop]
    ) -> Reach:
        hops.append(
            Hop(
                "load-balancer",
                f"{dst}:{port} -> Envoy of cloud-provider-kind: no healthy node",
                f"every node fails the health check on {check} (no local endpoint), and "
                "panic mode is off (healthy_panic_threshold 0): Envoy closes the connection",
                ok=False,
                failure="lb-no-healthy-node",
            )
        )
        return _fail("reset", "lb-no-healthy-node")

    def _lb_nodes(self, svc: Obj) -> list[Obj]:
        return [
            n
            for n in self.objects.nodes()
            if EXCLUDE_LB_LABEL not in (meta(n).get("labels") or {}) and node_ip(n)
        ]

    def _lb_no_nodes(self, svc: Obj, hops: list[Hop]) -> Reach:
        hops.append(
            Hop(
                "load-balancer",
                f"the load balancer of {_ref(svc)} has no node",
                "every node is labelled node.kubernetes.io/exclude-from-external-load-balancers",
                ok=False,
                failure="lb-no-nodes",
            )
        )
        return _fail("reset", "lb-no-nodes")

    # -- Ingress and Gateway (cloud-provider-kind's Envoy) --

    def _l7(
        self,
        client: Client,
        dst: str,
        port: int,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
        owners: list[tuple[str, Obj]],
    ) -> Reach:
        """An Ingress or Gateway address: cloud-provider-kind's Envoy routes the request."""
        ingresses = [o for k, o in owners if k == "ingress"]
        gateways = [o for k, o in owners if k == "gateway"]
        handled = [i for i in ingresses if self.ingress_handled(i)[0]]
        user_gateways = [g for g in gateways if name_of(g) != "kind-ingress-gateway"]
        if handled and not user_gateways:
            return self._ingress(handled, client, dst, port, ctx, hops, index)
        if gateways:
            return self._gateway(
                (user_gateways or gateways)[0], client, dst, port, ctx, hops, index
            )
        ing = ingresses[0]
        hops.append(
            Hop(
                "ingress",
                f"{dst} belongs to {_ref(ing)}, whose class no controller here handles",
                self.ingress_handled(ing)[1],
                ok=False,
                failure="ingress-class-unhandled",
                evidence=(
                    _ev(
                        ing, "spec.ingressClassName", spec(ing).get("ingressClassName") or "(none)"
                    ),
                ),
            )
        )
        return _fail("timeout", "ingress-class-unhandled")

    def ingress_handled(self, ing: Obj) -> tuple[bool, str]:
        """Whether cloud-provider-kind handles this Ingress, and why (or why not)."""
        cls = spec(ing).get("ingressClassName") or (meta(ing).get("annotations") or {}).get(
            "kubernetes.io/ingress.class"
        )
        if cls == INGRESS_CLASS and spec(ing).get("ingressClassName"):
            # isIngressForUs (cloud-provider-kind) matches the class *name*, object or not
            return True, f"class {cls}"
        if cls:
            obj = self.objects.get("IngressClass", str(cls))
            if obj is None:
                if cls == INGRESS_CLASS:
                    return True, f"class {cls}"
                return False, (
                    f"spec.ingressClassName is {cls!r} and no IngressClass of that "
                    "name exists: no controller picks the Ingress up, so it gets no "
                    "address and no rules are programmed"
                )
            controller = spec(obj).get("controller")
            if controller == INGRESS_CONTROLLER and not (
                spec(ing).get("ingressClassName") and cls != INGRESS_CLASS
            ):
                return True, f"class {cls} (controller {controller})"
            if controller == INGRESS_CONTROLLER:
                return False, (
                    f"class {cls!r} names {controller}, but cloud-provider-kind takes only "
                    f"Ingresses whose ingressClassName is {INGRESS_CLASS!r} (it compares the "
                    "name, not the class's controller): nobody programs this Ingress"
                )
            return False, (
                f"class {cls!r} names controller {controller!r}, which does not run "
                f"here (cloud-provider-kind is {INGRESS_CONTROLLER}): nobody "
                "programs this Ingress"
            )
        for obj in self.objects.all("IngressClass"):
            notes = meta(obj).get("annotations") or {}
            if notes.get(DEFAULT_CLASS_ANNOTATION) == "true":
                if spec(obj).get("controller") == INGRESS_CONTROLLER:
                    return True, f"no class set; {name_of(obj)} is the default class"
                return False, (
                    f"no class set; the default class {name_of(obj)} belongs to "
                    f"{spec(obj).get('controller')}, which does not run here"
                )
        return False, (
            "no ingressClassName and no default IngressClass: no controller picks the Ingress up"
        )

    def _ingress(
        self,
        ingresses: list[Obj],
        client: Client,
        dst: str,
        port: int,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
    ) -> Reach:
        ns = ns_of(ingresses[0])
        has_tls = any(spec(i).get("tls") for i in ingresses)
        ports = [80, 443] if has_tls else [80]
        names = ", ".join(name_of(i) for i in ingresses)
        if port not in ports:
            hops.append(
                Hop(
                    "ingress",
                    f"{dst}:{port}: the Ingress gateway of {ns} has no listener on {port}",
                    f"it listens on {ports} only",
                    ok=False,
                    failure="no-listener",
                )
            )
            return _fail("refused", "no-listener")
        hops.append(
            Hop(
                "ingress",
                f"{dst}:{port} is cloud-provider-kind's Ingress gateway for "
                f"namespace {ns} (Ingress {names})",
                "each Ingress rule host becomes an HTTPRoute on the namespace's Gateway "
                "kind-ingress-gateway: Exact stays Exact, Prefix and "
                "ImplementationSpecific become PathPrefix; wildcard hosts match any "
                "number of labels, as in Gateway API",
                evidence=tuple(
                    _ev(i, "status.loadBalancer.ingress[0].ip", dst) for i in ingresses[:2]
                ),
            )
        )
        rules = [r for ing in ingresses for r in self._ingress_rules(ing)]
        return self._dispatch(rules, "ingress", client, ctx, hops, index, ingresses, dst)

    def _ingress_rules(self, ing: Obj) -> list[L7Rule]:
        sp = spec(ing)
        out: list[L7Rule] = []
        default_paths: list[dict[str, Any]] = []
        for r_index, rule in enumerate(sp.get("rules") or []):
            paths = list((rule.get("http") or {}).get("paths") or [])
            host = rule.get("host") or ""
            if not host:
                default_paths.extend(paths)
                continue
            for p_index, path in enumerate(paths):
                out.append(
                    self._ingress_rule(ing, [host], path, f"rules[{r_index}].http.paths[{p_index}]")
                )
        if default_paths:
            for p_index, path in enumerate(default_paths):
                out.append(self._ingress_rule(ing, ["*"], path, f"(no host) paths[{p_index}]"))
        elif sp.get("defaultBackend"):
            backend = (sp["defaultBackend"] or {}).get("service") or {}
            out.append(
                L7Rule(
                    ing,
                    ["*"],
                    {},
                    [self._ingress_backend(ing, backend)],
                    [],
                    "spec.defaultBackend",
                    _order(ing, 99, 0),
                )
            )
        return out

    def _ingress_rule(
        self, ing: Obj, hosts: list[str], path: Mapping[str, Any], where: str
    ) -> L7Rule:
        ptype = path.get("pathType") or "Prefix"
        match = {
            "path": {
                "type": "Exact" if ptype == "Exact" else "PathPrefix",
                "value": path.get("path") or "/",
            },
            "ingressPathType": ptype,
        }
        backend = (path.get("backend") or {}).get("service") or {}
        return L7Rule(
            ing, hosts, match, [self._ingress_backend(ing, backend)], [], where, _order(ing, 0, 0)
        )

    def _ingress_backend(self, ing: Obj, backend: Mapping[str, Any]) -> dict[str, Any]:
        port = backend.get("port") or {}
        number = port.get("number")
        if not number and port.get("name"):
            svc = self.objects.get("Service", str(backend.get("name")), ns_of(ing))
            for sp in spec(svc).get("ports") or [] if svc else []:
                if sp.get("name") == port.get("name"):
                    number = sp.get("port")
        return {
            "name": backend.get("name"),
            "namespace": ns_of(ing),
            "port": number,
            "weight": 1,
            "portName": port.get("name"),
        }

    def _gateway(
        self, gw: Obj, client: Client, dst: str, port: int, ctx: Ctx, hops: list[Hop], index: int
    ) -> Reach:
        listeners = [ls for ls in spec(gw).get("listeners") or [] if int(ls.get("port", 0)) == port]
        if not listeners:
            have = sorted({int(ls.get("port", 0)) for ls in spec(gw).get("listeners") or []})
            hops.append(
                Hop(
                    "gateway",
                    f"{dst}:{port}: {_ref(gw)} has no listener on {port}",
                    f"its listeners use ports {have}",
                    ok=False,
                    failure="no-listener",
                    evidence=(_ev(gw, "spec.listeners[*].port", have),),
                )
            )
            return _fail("refused", "no-listener")
        names = ", ".join(
            f"{ls.get('name')} ({ls.get('protocol')}"
            + (f", {ls.get('hostname')})" if ls.get("hostname") else ")")
            for ls in listeners
        )
        hops.append(
            Hop(
                "gateway",
                f"{dst}:{port} is {_ref(gw)}, listener {names}",
                f"class {spec(gw).get('gatewayClassName')}: cloud-provider-kind runs "
                "an Envoy container with this address",
                evidence=(_ev(gw, "status.addresses[0].value", dst),),
            )
        )
        rules: list[L7Rule] = []
        self._unattached = []
        for route in self.objects.all("HTTPRoute"):
            attached, why = self._attachment(route, gw, listeners)
            if attached is None:
                continue
            if not attached:
                self._unattached.append((route, why))
                continue
            rules.extend(self._route_rules(route, attached))
        return self._dispatch(rules, "gateway", client, ctx, hops, index, [gw], dst)

    def _attachment(
        self, route: Obj, gw: Obj, listeners: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]] | None, str]:
        """Listeners (on this port) the route is attached to: None when it does not refer to
        the Gateway at all, [] with a reason when it refers to it but is not attached."""
        rns = ns_of(route)
        refs = []
        for ref in spec(route).get("parentRefs") or []:
            if (ref.get("group") or GATEWAY_GROUP) != GATEWAY_GROUP or (
                ref.get("kind") or "Gateway"
            ) != "Gateway":
                continue
            if ref.get("name") == name_of(gw) and (ref.get("namespace") or rns) == ns_of(gw):
                refs.append(ref)
        if not refs:
            return None, ""
        all_listeners = spec(gw).get("listeners") or []
        attached: list[dict[str, Any]] = []
        reasons: list[str] = []
        for ref in refs:
            sel = [
                ls
                for ls in all_listeners
                if (not ref.get("sectionName") or ref["sectionName"] == ls.get("name"))
                and (not ref.get("port") or int(ref["port"]) == int(ls.get("port", 0)))
            ]
            if not sel:
                reasons.append(
                    f"parentRef sectionName={ref.get('sectionName')} "
                    f"port={ref.get('port')} matches no listener (NoMatchingParent)"
                )
                continue
            on_port = [ls for ls in sel if ls in listeners]
            st = self._parent_status(route, ref, gw)
            if st is not None:
                accepted = next(
                    (c for c in st.get("conditions") or [] if c.get("type") == "Accepted"), None
                )
                if accepted is not None and accepted.get("status") != "True":
                    reasons.append(
                        f"status Accepted=False, reason {accepted.get('reason')}: "
                        f"{accepted.get('message', '')}".rstrip(": ")
                    )
                    continue
                if accepted is not None:
                    attached.extend(ls for ls in on_port if _hostnames_for(ls, route) is not None)
                    if not on_port:
                        reasons.append("attached to listeners on another port")
                    continue
            for ls in sel:
                ok, why = self._listener_allows(gw, ls, route)
                if not ok:
                    reasons.append(why)
                elif ls in listeners:
                    attached.append(ls)
                else:
                    reasons.append(
                        f"attached to listener {ls.get('name')} on port "
                        f"{ls.get('port')}, not this port"
                    )
        return attached, "; ".join(reasons)

    def _parent_status(self, route: Obj, ref: Mapping[str, Any], gw: Obj) -> dict[str, Any] | None:
        for parent in status(route).get("parents") or []:
            pref = parent.get("parentRef") or {}
            if (
                pref.get("name") == name_of(gw)
                and (pref.get("namespace") or ns_of(route)) == ns_of(gw)
                and pref.get("sectionName") == ref.get("sectionName")
                and pref.get("port") == ref.get("port")
            ):
                return dict(parent)
        return None

    def _listener_allows(self, gw: Obj, ls: Mapping[str, Any], route: Obj) -> tuple[bool, str]:
        allowed = ls.get("allowedRoutes") or {}
        frm = (allowed.get("namespaces") or {}).get("from") or "Same"
        rns, gns = ns_of(route), ns_of(gw)
        lname = ls.get("name")
        if frm == "Same" and rns != gns:
            return False, (
                f"NotAllowedByListeners: listener {lname} takes routes from its own "
                f"namespace {gns} only (allowedRoutes.namespaces.from defaults to "
                f"Same); the route is in {rns}"
            )
        if frm == "Selector":
            nsobj = self.objects.get("Namespace", rns)
            labels = (meta(nsobj).get("labels") or {}) if nsobj else {}
            labels = {**labels, "kubernetes.io/metadata.name": rns}
            sel = (allowed.get("namespaces") or {}).get("selector")
            if not selector_matches(labels, sel):
                return False, (
                    f"NotAllowedByListeners: namespace {rns} does not match the "
                    f"selector of listener {lname} ({_short(sel)})"
                )
        kinds = allowed.get("kinds") or []
        if kinds and not any(k.get("kind") == "HTTPRoute" for k in kinds):
            return False, f"NotAllowedByListeners: listener {lname} does not take HTTPRoutes"
        if _hostnames_for(ls, route) is None:
            return False, (
                f"NoMatchingListenerHostname: none of the route's hostnames "
                f"{spec(route).get('hostnames')} fits listener {lname}'s hostname "
                f"{ls.get('hostname')}"
            )
        return True, ""

    def _route_rules(self, route: Obj, listeners: list[dict[str, Any]]) -> list[L7Rule]:
        hosts: list[str] = []
        for ls in listeners:
            for h in _hostnames_for(ls, route) or []:
                if h not in hosts:
                    hosts.append(h)
        out = []
        for r_index, rule in enumerate(spec(route).get("rules") or []):
            backends = [
                {
                    "name": b.get("name"),
                    "namespace": b.get("namespace") or ns_of(route),
                    "port": b.get("port"),
                    "weight": b.get("weight", 1),
                    "kind": b.get("kind") or "Service",
                    "group": b.get("group") or "",
                }
                for b in rule.get("backendRefs") or []
            ]
            matches = rule.get("matches") or [{}]
            for m_index, match in enumerate(matches):
                out.append(
                    L7Rule(
                        route,
                        hosts,
                        dict(match),
                        backends,
                        list(rule.get("filters") or []),
                        f"rules[{r_index}]"
                        + (f".matches[{m_index}]" if rule.get("matches") else ""),
                        _order(route, r_index, m_index),
                    )
                )
        return out

    def _dispatch(
        self,
        rules: list[L7Rule],
        mode: str,
        client: Client,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
        parents: list[Obj],
        proxy_ip: str,
    ) -> Reach:
        host = ctx.host()
        domain = _pick_domain(host, {h for r in rules for h in r.hostnames})
        candidates = sorted(
            (r for r in rules if domain in r.hostnames), key=lambda r: r.precedence()
        )
        params = query_params(ctx.query)
        matched = next((r for r in candidates if r.matches(ctx.path, ctx.headers, params)), None)
        if matched is None:
            return self._no_match(mode, rules, domain, client, ctx, hops, parents)
        src = matched.source
        how = (
            f"host {host or '(none)'} selects the virtual host {domain!r}; among "
            f"{len(candidates)} rule(s) there, this is the most specific match"
            " (Exact before PathPrefix, longer paths first, then more headers and query "
            "parameters)"
        )
        backends = [b for b in matched.backends if int(b.get("weight") or 0) > 0]
        label = f"{_ref(src)} {matched.where}: {matched.describe()}"
        if not backends:
            hops.append(
                Hop(
                    "route",
                    label,
                    "the rule has no backendRef with a weight above 0: the gateway answers 500",
                    ok=False,
                    failure="backend-not-found",
                )
            )
            return Reach(status=500, failure="backend-not-found")
        total = sum(int(b.get("weight") or 0) for b in backends)
        roll = stable_index(total, "weight", _ref(src), matched.where, client.ip, index)
        backend = backends[-1]
        for b in backends:
            roll -= int(b.get("weight") or 0)
            if roll < 0:
                backend = b
                break
        if len(backends) > 1:
            how += (
                "; backend picked by weight ("
                + ", ".join(f"{b.get('name')}={b.get('weight')}" for b in backends)
                + ")"
            )
        problem = self._backend_problem(src, backend)
        if problem is not None:
            failure, why = problem
            hops.append(
                Hop(
                    "route",
                    label,
                    f"{how}. {why}",
                    ok=False,
                    failure=failure,
                    evidence=(
                        _ev(
                            src,
                            f"{matched.where}.backendRefs",
                            _short(
                                {"name": backend.get("name"), "namespace": backend.get("namespace")}
                            ),
                        ),
                    ),
                )
            )
            return Reach(status=500, failure=failure)
        hops.append(Hop("route", label, how))
        svc = self.objects.get("Service", str(backend["name"]), str(backend["namespace"]))
        assert svc is not None
        inner_ctx = Ctx(
            ctx.http,
            ctx.path,
            ctx.query,
            _apply_filters(ctx.headers, matched.filters),
            ctx.timeout,
            ctx.via_alias,
        )
        reach = self.proxy_to_service(
            svc, int(backend["port"]), proxy_ip, inner_ctx, hops, index, ns_of(svc)
        )
        ctx.headers = inner_ctx.headers
        if reach.status == 503:
            hops.append(
                Hop(
                    "backend",
                    "the gateway answers 503: it could not connect to the backend",
                    ok=False,
                    failure="backend-unavailable",
                )
            )
        return reach

    def _backend_problem(self, src: Obj, backend: Mapping[str, Any]) -> tuple[str, str] | None:
        kind = backend.get("kind") or "Service"
        if kind != "Service" or backend.get("group"):
            return "backend-not-found", f"backend kind {kind} is not supported (InvalidKind)"
        bns = str(backend.get("namespace"))
        if (
            src.get("kind") == "HTTPRoute"
            and bns != ns_of(src)
            and not self._granted(src, bns, backend)
        ):
            return "backend-not-permitted", (
                f"the backend is in namespace {bns}; a route may only use it when a "
                f"ReferenceGrant in {bns} allows HTTPRoutes from {ns_of(src)} "
                "(RefNotPermitted): the gateway answers 500"
            )
        svc = self.objects.get("Service", str(backend.get("name")), bns)
        if svc is None:
            return "backend-not-found", (
                f"Service {bns}/{backend.get('name')} does not exist "
                "(BackendNotFound): the gateway answers 500"
            )
        if not backend.get("port"):
            if backend.get("portName"):
                return "backend-not-found", (
                    f"Service {bns}/{backend.get('name')} has no port "
                    f"named {backend.get('portName')!r}"
                )
            return "backend-not-found", "the backendRef has no port"
        return None

    def _granted(self, route: Obj, bns: str, backend: Mapping[str, Any]) -> bool:
        for grant in self.objects.all("ReferenceGrant", bns):
            frm = spec(grant).get("from") or []
            to = spec(grant).get("to") or []
            if not any(
                f.get("group") == GATEWAY_GROUP
                and f.get("kind") == "HTTPRoute"
                and f.get("namespace") == ns_of(route)
                for f in frm
            ):
                continue
            if any(
                (t.get("group") or "") == ""
                and t.get("kind") == "Service"
                and (not t.get("name") or t.get("name") == backend.get("name"))
                for t in to
            ):
                return True
        return False

    def _no_match(
        self,
        mode: str,
        rules: list[L7Rule],
        domain: str | None,
        client: Client,
        ctx: Ctx,
        hops: list[Hop],
        parents: list[Obj],
    ) -> Reach:
        host = ctx.host()
        params = query_params(ctx.query)
        offered = sorted({h for r in rules for h in r.hostnames})
        where = (
            f"no rule for host {host!r} (hosts: {', '.join(offered) or 'none'})"
            if domain is None
            else f"no rule under host {domain!r} matches path {ctx.path}"
        )
        if mode == "ingress":
            ns = ns_of(parents[0])
            for ing in self.objects.all("Ingress", ns):
                handled, why = self.ingress_handled(ing)
                if handled:
                    continue
                orphan = [
                    r
                    for r in self._ingress_rules(ing)
                    if _pick_domain(host, set(r.hostnames))
                    and r.matches(ctx.path, ctx.headers, params)
                ]
                if orphan:
                    hops.append(
                        Hop(
                            "route",
                            f"{where}; {_ref(ing)} would match but is not programmed",
                            why + ". The gateway answers 404",
                            ok=False,
                            failure="ingress-class-unhandled",
                            evidence=(
                                _ev(
                                    ing,
                                    "spec.ingressClassName",
                                    spec(ing).get("ingressClassName") or "(none)",
                                ),
                            ),
                        )
                    )
                    return Reach(status=404, failure="ingress-class-unhandled")
            hops.append(
                Hop(
                    "route",
                    where,
                    "Envoy answers 404 when no rule matches the host "
                    "and path (Prefix matches whole path elements: /api matches /api "
                    "and /api/x, not /apiary)",
                    ok=False,
                    failure="no-ingress-rule",
                )
            )
            return Reach(status=404, failure="no-ingress-rule")
        for route, why in self._unattached:
            would = [
                r
                for r in self._route_rules(route, [{}])
                if _pick_domain(host, set(r.hostnames)) and r.matches(ctx.path, ctx.headers, params)
            ]
            if would:
                hops.append(
                    Hop(
                        "route",
                        f"{where}; {_ref(route)} would match but is not attached to this listener",
                        why + ". The gateway answers 404",
                        ok=False,
                        failure="route-not-attached",
                        evidence=(_ev(route, "spec.parentRefs", spec(route).get("parentRefs")),),
                    )
                )
                return Reach(status=404, failure="route-not-attached")
        hops.append(
            Hop(
                "route",
                where,
                "no attached HTTPRoute matches the host, path, headers "
                "and query: Envoy answers 404",
                ok=False,
                failure="no-route-match",
            )
        )
        return Reach(status=404, failure="no-route-match")

    def proxy_to_service(
        self,
        svc: Obj,
        port: int,
        proxy_ip: str,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
        namespace: str,
    ) -> Reach:
        """cloud-provider-kind's gateway Envoy connects to the Service's ClusterIP, routed
        through the control-plane node, and relays the answer (503 when it cannot connect)."""
        nodes = self.objects.nodes()
        cp = next(
            (n for n in nodes if CONTROL_PLANE_LABEL in (meta(n).get("labels") or {})),
            nodes[0] if nodes else None,
        )
        envoy = Client("proxy", "gateway Envoy", proxy_ip, namespace, node=None, cluster_dns=False)
        if is_headless(svc):
            ready, _ = self.dns.ready_endpoints(svc, "IPv4")
            sp = self._service_port(svc, port)
            target = int((sp or {}).get("targetPort") or port) if sp else port
            if not ready:
                hops.append(
                    Hop(
                        "backend",
                        f"headless {_ref(svc)} has no ready endpoint",
                        "Envoy resolves the headless name and finds no address",
                        ok=False,
                        failure="backend-unavailable",
                    )
                )
                reach = _fail("refused", "backend-unavailable")
            else:
                ip, _ = ready[stable_index(len(ready), "headless", name_of(svc), index)]
                pod = self.objects.pod_by_ip(ip)
                hops.append(
                    Hop(
                        "backend", f"headless {_ref(svc)}: Envoy connects to {ip}:{target} directly"
                    )
                )
                reach = (
                    self._to_pod(pod, ip, target, proxy_ip, hops, "TCP")
                    if pod
                    else _fail("timeout", "unknown-address")
                )
        else:
            vips = cluster_ips(svc)
            hops.append(
                Hop(
                    "backend",
                    f"Envoy -> {_ref(svc)} {vips[0] if vips else '?'}:{port} "
                    f"via {name_of(cp) if cp else 'a node'}",
                    "cloud-provider-kind routes the Service CIDR through the "
                    "control-plane node, whose kube-proxy picks the endpoint",
                )
            )
            reach = (
                self._service_vip(svc, envoy, vips[0], port, ctx, hops, index, cp)
                if vips
                else _fail("refused", "backend-unavailable")
            )
        if reach.error is None:
            reach.via_proxy = True
            return reach
        if reach.error == "timeout" and ctx.timeout < ENVOY_CONNECT_TIMEOUT:
            return Reach(error="timeout", failure=reach.failure, via_proxy=True)
        return Reach(
            status=503,
            via_proxy=True,
            failure=reach.failure,
            body="upstream connect error or disconnect/reset before headers. reset "
            "reason: connection " + ("timeout" if reach.error == "timeout" else "failure"),
        )

    # -- the answer --

    def _finish(
        self, reach: Reach, ctx: Ctx, hops: list[Hop], client: Client, dst: str
    ) -> ProbeAttempt:
        backend = (
            name_of(reach.pod)
            if reach.pod is not None
            else (name_of(reach.node) if reach.node is not None else None)
        )
        detail = f"{'GET' if ctx.http else 'connect'} {dst}"
        if reach.status is not None and reach.workload is None and reach.answer is None:
            return ProbeAttempt(
                ok=True, status=reach.status, body=reach.body, detail=detail, source_ip=client.ip
            )
        if reach.error is not None:
            return ProbeAttempt(ok=False, error=reach.error, detail=detail, source_ip=client.ip)
        if not ctx.http:
            hops.append(Hop("answer", f"TCP connection established with {backend}"))
            return ProbeAttempt(
                ok=True,
                backend=backend,
                client_ip=reach.seen_ip,
                detail=detail,
                source_ip=client.ip,
            )
        path = ctx.path + (f"?{ctx.query}" if ctx.query else "")
        try:
            if reach.answer is not None:
                code, body = reach.answer(ctx)
            else:
                assert reach.workload is not None
                code, body = reach.workload.http(
                    reach.port, path, ctx.headers, pod_name=backend or "", client_ip=reach.seen_ip
                )
        except ConnectionRefusedError:
            hops.append(Hop("answer", "connection refused", ok=False, failure="target-port-closed"))
            return ProbeAttempt(ok=False, error="refused", detail=detail, source_ip=client.ip)
        except ConnectionResetError:
            hops.append(
                Hop(
                    "answer",
                    f"port {reach.port} of {backend} does not speak HTTP",
                    "the listener is a raw TCP/UDP server: the HTTP request gets a reset",
                    ok=False,
                    failure="not-http",
                )
            )
            if reach.via_proxy:
                return ProbeAttempt(
                    ok=True, status=502, body="upstream reset", detail=detail, source_ip=client.ip
                )
            return ProbeAttempt(ok=False, error="reset", detail=detail, source_ip=client.ip)
        host = ctx.host()
        failure = None
        reason = ""
        if (
            code in (404, 421)
            and ctx.via_alias
            and reach.workload is not None
            and reach.workload.vhosts
        ):
            failure = "host-mismatch"
            reason = (
                f"the client reached it through the ExternalName alias {ctx.via_alias!r} "
                f"and sent Host: {host}; the server only answers for "
                f"{', '.join(reach.workload.vhosts)}"
            )
        elif (
            code in (404, 421)
            and reach.workload is not None
            and reach.workload.vhosts
            and host not in reach.workload.vhosts
        ):
            failure = "host-mismatch"
            reason = (
                f"Host: {host} is not one of the server's names "
                f"({', '.join(reach.workload.vhosts)})"
            )
        elif code >= 400:
            failure = "app-error"
        first = body.strip().splitlines()[0][:50] if body.strip() else ""
        hops.append(
            Hop(
                "answer",
                f"HTTP {code} from {backend}" + (f": {first}" if first else ""),
                reason,
                ok=failure is None,
                failure=failure,
            )
        )
        return ProbeAttempt(
            ok=True,
            status=code,
            body=body[:2000],
            backend=backend,
            client_ip=reach.seen_ip,
            detail=detail,
            source_ip=client.ip,
        )


def _client_error(failure: str | None) -> str:
    return {
        "nxdomain": "nxdomain",
        "no-endpoints": "nxdomain",
        "no-ready-endpoints": "nxdomain",
    }.get(failure or "", "unresolvable")


def _parse_target(request: ProbeRequest) -> tuple[str, int, str, str] | None:
    """(host, port, path, query) of an http URL or a tcp `host:port`."""
    target = request.target.strip()
    try:
        if request.protocol == "http":
            url = target if "://" in target else "http://" + target
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            port = parts.port or (443 if parts.scheme == "https" else 80)
            return (host, port, parts.path or "/", parts.query) if host else None
        parts = urlsplit("//" + target)
        if not parts.hostname or parts.port is None:
            return None
        return parts.hostname.lower(), parts.port, "", ""
    except ValueError:
        return None


# -- the data plane ---------------------------------------------------------------------------


class DataPlane:
    """Modelled traffic over an object source: what `SimCluster.probe` answers with."""

    def __init__(self, source: ObjectSource, clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self.affinity = AffinityTable(clock)

    def probe(self, request: ProbeRequest) -> ProbeResult:
        """Send `request` `count` times; each attempt is routed by the shared model."""
        router = Router(self.source, self.affinity)
        attempts = tuple(router.run(request, i).attempt for i in range(max(1, request.count)))
        return ProbeResult(request, attempts)


def query_params(query: str) -> dict[str, str]:
    """The first value of each query parameter."""
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header value by case-insensitive name."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def regex_full(pattern: str, value: str) -> bool:
    """Envoy-style full match of a regular expression (False for an invalid one)."""
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False


def selector_matches(labels: Mapping[str, str], selector: Mapping[str, Any] | None) -> bool:
    """A metav1 LabelSelector (`matchLabels` and `matchExpressions`) against labels."""
    if not selector:
        return True
    if not matches_selector(labels, selector.get("matchLabels") or {}):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        has = key in labels
        if (
            (op == "In" and (not has or labels[key] not in values))
            or (op == "NotIn" and has and labels[key] in values)
            or (op == "Exists" and not has)
            or (op == "DoesNotExist" and has)
        ):
            return False
    return True


# -- HTTP routing rules (Gateway API semantics, which cloud-provider-kind also uses for Ingress)


def _order(obj: Obj, rule: int, match: int) -> tuple[str, str, str, int, int]:
    return (str(meta(obj).get("creationTimestamp") or ""), ns_of(obj), name_of(obj), rule, match)


@dataclass
class L7Rule:
    """One match of an HTTPRoute rule (or of an Ingress path), with where it applies."""

    source: Obj
    """The HTTPRoute or Ingress it comes from."""
    hostnames: list[str]
    """Virtual-host domains it is served under (`*` = any host)."""
    match: dict[str, Any]
    backends: list[dict[str, Any]]
    filters: list[dict[str, Any]]
    where: str
    """Where in the source object it is written (`rules[0].matches[1]`)."""
    order: tuple[str, str, str, int, int]

    def _path(self) -> tuple[str, str]:
        path = self.match.get("path") or {}
        return str(path.get("type") or "PathPrefix"), str(path.get("value") or "/")

    def precedence(self) -> tuple[Any, ...]:
        """Sort key: Exact paths first, longer paths, more headers, more query params, then
        the oldest route."""
        ptype, value = self._path()
        return (
            0 if ptype == "Exact" else 1,
            -len(value),
            -len(self.match.get("headers") or []),
            -len(self.match.get("queryParams") or []),
            *self.order,
        )

    def matches(self, path: str, headers: Mapping[str, str], params: Mapping[str, str]) -> bool:
        """True when the request's path, headers, query and method fit this match."""
        ptype, value = self._path()
        if ptype == "Exact" and path != value:
            return False
        if ptype == "PathPrefix" and value != "/":
            stem = value.rstrip("/")
            if path != stem and not path.startswith(stem + "/"):
                return False
        if ptype == "RegularExpression" and not regex_full(value, path):
            return False
        method = self.match.get("method")
        if method and method != "GET":
            return False
        for item in self.match.get("headers") or []:
            got = header(headers, str(item.get("name")))
            if got is None or not _value_fits(item, got):
                return False
        for item in self.match.get("queryParams") or []:
            got = params.get(str(item.get("name")))
            if got is None or not _value_fits(item, got):
                return False
        return True

    def describe(self) -> str:
        """`Exact /api` plus header and query conditions."""
        ptype, value = self._path()
        shown = self.match.get("ingressPathType") or ptype
        extra = [f"{h.get('name')}: {h.get('value')}" for h in self.match.get("headers") or []]
        extra += [f"?{q.get('name')}={q.get('value')}" for q in self.match.get("queryParams") or []]
        hosts = ",".join(self.hostnames)
        return (
            f"{shown} {value}"
            + (f" [{'; '.join(extra)}]" if extra else "")
            + (f" (host {hosts})" if hosts != "*" else "")
        )


def _value_fits(item: Mapping[str, Any], got: str) -> bool:
    if (item.get("type") or "Exact") == "RegularExpression":
        return regex_full(str(item.get("value")), got)
    return got == str(item.get("value"))


def _hostnames_for(listener: Mapping[str, Any], route: Obj) -> list[str] | None:
    """The route's hostnames as served by this listener (intersection), None when none fit."""
    lh = listener.get("hostname")
    rhs = [str(h).lower() for h in spec(route).get("hostnames") or []]
    if not rhs:
        return [str(lh).lower()] if lh else ["*"]
    if not lh:
        return rhs
    lh = str(lh).lower()
    out = []
    for rh in rhs:
        if rh == lh or lh.startswith("*.") and rh.endswith(lh[1:]):
            out.append(rh)
        elif rh.startswith("*.") and lh.endswith(rh[1:]):
            out.append(lh)
    return out or None


def _pick_domain(host: str, domains: set[str]) -> str | None:
    """Envoy's virtual-host choice: exact name, else the longest `*.suffix` (any number of
    labels), else `*`."""
    if host in domains:
        return host
    wild = [
        d for d in domains if d.startswith("*.") and host.endswith(d[1:]) and len(host) > len(d) - 1
    ]
    if wild:
        return max(wild, key=len)
    return "*" if "*" in domains else None


def _apply_filters(headers: Mapping[str, str], filters: list[dict[str, Any]]) -> dict[str, str]:
    out = dict(headers)
    for item in filters:
        if item.get("type") != "RequestHeaderModifier":
            continue
        mod = item.get("requestHeaderModifier") or {}
        for h in mod.get("set") or []:
            for key in [k for k in out if k.lower() == str(h.get("name")).lower()]:
                del out[key]
            out[str(h.get("name"))] = str(h.get("value"))
        for h in mod.get("add") or []:
            existing = header(out, str(h.get("name")))
            out[str(h.get("name"))] = (
                f"{existing},{h.get('value')}" if existing else str(h.get("value"))
            )
        for name in mod.get("remove") or []:
            for key in [k for k in out if k.lower() == str(name).lower()]:
                del out[key]
    return out


__all__: Sequence[str] = ("DataPlane", "Router", "AffinityTable", "Client", "Endpoint")
