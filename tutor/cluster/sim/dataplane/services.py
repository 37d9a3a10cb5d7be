"""L4, kube-proxy: a Service's virtual IP to one endpoint (EndpointSlices, traffic policies, topology, affinity, masquerade)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from tutor.cluster.base import (
    Obj,
    ObjectSource,
)
from tutor.cluster.sim.dataplane.model import (
    CONTROL_PLANE_LABEL,
    DEFAULT_AFFINITY_TIMEOUT,
    KUBE_PROXY_HEALTH_PORT,
    ZONE_LABEL,
    AffinityTable,
    Client,
    Ctx,
    Endpoint,
    Reach,
    _ev,
    _fail,
    _fixed,
    _ref,
    stable_index,
)
from tutor.cluster.sim.dns import (
    ClusterDns,
    Objects,
    cond_ready,
    cond_serving,
    cond_terminating,
    family,
    meta,
    name_of,
    node_ip,
    ns_of,
    pod_ips,
    service_type,
    spec,
    status,
)
from tutor.cluster.sim.images import workload_for
from tutor.cluster.sim.netpol import Enforcer, Sender
from tutor.cluster.sim.trace import Evidence, Hop


class ServiceRouting:
    """Holds the view of the objects and routes to Services' endpoints as kube-proxy does."""

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
        self.netpol = Enforcer(self.objects)
        self._sender: Sender | None = None
        """Who opens the connection being followed (kindnet judges it): the client, then a
        proxy (Envoy) for the legs a proxy opens."""

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
        if seen not in ("127.0.0.1", "::1"):  # a Pod's own loopback never leaves it
            allowed, judged = self.netpol.connection(self._sender, pod, ip, port, protocol, seen)
            if judged is not None:
                hops.append(judged)
            if not allowed:
                return _fail("timeout", "policy-denied")
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
