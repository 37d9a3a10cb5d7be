"""`Router` follows one request from its client to what answers it; `DataPlane` runs it for probes and traces."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from tutor.cluster.base import (
    Obj,
    ObjectSource,
    ProbeAttempt,
    ProbeRequest,
    ProbeResult,
)
from tutor.cluster.sim.dataplane.l7 import L7Routing
from tutor.cluster.sim.dataplane.model import (
    CONTROL_PLANE_LABEL,
    HOST_IP,
    PROBE_NODE,
    PROBE_POD,
    PROBE_STANDIN_IP,
    ZONE_LABEL,
    AffinityTable,
    Client,
    Ctx,
    Journey,
    Reach,
    _ev,
    _fail,
    stable_index,
)
from tutor.cluster.sim.dataplane.nodes import NodeRouting
from tutor.cluster.sim.dns import (
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
from tutor.cluster.sim.l7_hooks import pinned
from tutor.cluster.sim.netpol import PROBE_LABELS, Sender
from tutor.cluster.sim.podresolver import PodResolver
from tutor.cluster.sim.tls import sni_of
from tutor.cluster.sim.trace import Evidence, Hop

# -- the router -------------------------------------------------------------------------------


class Router(L7Routing, NodeRouting):
    """Routes requests over one consistent view of the objects (build one per question)."""

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
        self._sender = _sender_of(client)
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
        if request.protocol == "http" and request.target.strip().lower().startswith("https:"):
            ctx.tls, ctx.sni = True, sni_of(host)
        dst = (
            pinned(request.resolve, host, hops)
            if request.resolve
            else self._resolve(host, client, ctx, hops, index)
        )
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
        denied = self.netpol.dns(self._sender)
        if denied is not None:  # the query is dropped: dig reports no server could be reached
            hops.append(denied)
            return ProbeAttempt(ok=False, error="timeout", source_ip=client.ip)
        namespace = client.namespace if client.kind == "pod" and client.cluster_dns else None
        if client.pod is not None:
            # the check's dig +search, with the Pod's own resolv.conf (podresolver)
            answer = PodResolver(self.dns).resolve(
                client.pod, name, request.record_type, libc=False
            )
            namespace = client.namespace
        else:
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
        if not client.cluster_dns and client.pod is None:
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
        denied = self.netpol.dns(self._sender)
        if denied is not None:
            hops.append(denied)
            return None
        if client.pod is not None:
            answer = PodResolver(self.dns).resolve(client.pod, host, "A")
        else:
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
            denied = self.netpol.egress_to(self._sender, dst, port, "TCP")
            if denied is not None:
                hops.append(denied)
                return _fail("timeout", "policy-denied")
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
                ok=True,
                status=reach.status,
                body=reach.body,
                detail=detail,
                source_ip=client.ip,
                location=reach.location,
                certificate=ctx.certificate,
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
            certificate=ctx.certificate,
        )


def _sender_of(client: Client) -> Sender:
    """The client as kindnet sees the connections it opens."""
    if client.kind == "pod":
        pod = client.pod
        if pod is None:  # the stand-in probe Pod: judged as kube-tutor's probe Pod would be
            pod = {
                "metadata": {
                    "name": PROBE_POD,
                    "namespace": client.namespace,
                    "labels": dict(PROBE_LABELS),
                },
                "spec": {"nodeName": client.node_name},
            }
        return Sender(client.ip, pod)
    if client.kind == "node" and client.node is not None:
        return Sender(client.ip, node_process_on=client.node_name)
    return Sender(client.ip)


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
