"""L4 at the nodes: NodePorts, hostPorts, node processes and cloud-provider-kind's LoadBalancer Envoy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutor.cluster.base import (
    Obj,
)
from tutor.cluster.sim.dataplane.model import (
    ENVOY_CONNECT_TIMEOUT,
    EXCLUDE_LB_LABEL,
    KUBE_PROXY_HEALTH_PORT,
    Client,
    Ctx,
    Reach,
    _ev,
    _fail,
    _ref,
    stable_index,
)
from tutor.cluster.sim.dataplane.services import ServiceRouting
from tutor.cluster.sim.dns import (
    family,
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
from tutor.cluster.sim.kindnetwork import kindnet_masquerade
from tutor.cluster.sim.lb_source_ranges import refused_by_ranges
from tutor.cluster.sim.netpol import Sender
from tutor.cluster.sim.trace import Hop


class NodeRouting(ServiceRouting):
    """Routes traffic addressed to nodes and LoadBalancer IPs."""

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

        def proxy(
            fam: str, *, masquerade: bool, why: str = "", local_only: bool | None = None
        ) -> Reach:
            assert sp is not None
            return self._kube_proxy(
                svc,
                sp,
                node,
                client,
                fam,
                hops,
                index,
                ctx,
                external=True,
                masquerade=masquerade,
                masq_why=why,
                local_only=local_only,
            )

        if not etp_local:
            fam = family(dst) if is_ip(dst) else "IPv4"
            return proxy(
                fam,
                masquerade=True,
                why="externalTrafficPolicy Cluster masquerades external traffic",
            )
        if client.pod_network:
            internal_local = spec(svc).get("internalTrafficPolicy") == "Local"
            return proxy("IPv4", masquerade=False, local_only=internal_local)
        if on_node:
            why = "traffic from the node itself to a Local Service goes cluster-wide, masqueraded"
            return proxy("IPv4", masquerade=True, why=why, local_only=False)
        return proxy("IPv4", masquerade=False)

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
        sender, self._sender = self._sender, Sender(dst)
        inner = self._node_address(node, envoy, node_port, ctx, hops, index)
        self._sender = sender
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
