"""Addresses on kind's Docker network, as cloud-provider-kind's load balancers get them.

cloud-provider-kind (`pkg/loadbalancer/server.go` `createLoadBalancer`) runs one Envoy container
per LoadBalancer Service (and per Gateway/Ingress) on the `kind` network, and reports that
container's address (`GetLoadBalancer`: `container.IPs`) with `ipMode: Proxy` and the Service's
ports. Docker's IPAM hands out the network's addresses in order, the next free one after the
last it gave (the gateway is `.1`, kind's node containers take `.2` onwards), so the first
load balancer of a four-node cluster is `172.18.0.6`. `spec.loadBalancerIP` becomes the
container's `--ip`: honoured when it is a free address of the network; otherwise `docker run`
fails and the Service gets no address (the service controller records SyncLoadBalancerFailed).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tutor.cluster.sim.topology import AddressPool, Topology

Obj = dict[str, Any]

KIND_NETWORK = ipaddress.IPv4Network("172.18.0.0/16")


def kind_network_pool(topology: Topology) -> AddressPool:
    """The addresses Docker has left on the kind network once the node containers run."""
    nodes = [
        ipaddress.IPv4Address(n.internal_ip)
        for n in topology.nodes
        if ipaddress.IPv4Address(n.internal_ip) in KIND_NETWORK
    ]
    first = max(nodes, default=KIND_NETWORK.network_address + 1) + 1
    pool = AddressPool(first, KIND_NETWORK.broadcast_address - 1)
    return pool


def lb_address(pool: AddressPool, wanted: str | None) -> tuple[str | None, str]:
    """(address, "") for a new load balancer container, or (None, why docker refused)."""
    if wanted is None:
        address = pool.allocate()
        return (address, "") if address else (None, "Error syncing load balancer: no address")
    try:
        ip = ipaddress.ip_address(wanted)
    except ValueError:
        return None, f"Error syncing load balancer: invalid IP address: {wanted}"
    if ip not in KIND_NETWORK:
        return None, (
            "Error syncing load balancer: failed to ensure load balancer: invalid config for "
            f"network kind: no configured subnet contains IP address {wanted}"
        )
    if str(ip) in pool.in_use():
        return None, (
            "Error syncing load balancer: failed to ensure load balancer: Address already in use"
        )
    pool.reserve(str(ip))
    return str(ip), ""


def lb_ingress(svc: Obj, ip: str) -> Obj:
    """One `status.loadBalancer.ingress` entry as cloud-provider-kind writes it."""
    ports = [
        {"port": p.get("port"), "protocol": p.get("protocol", "TCP")}
        for p in (svc.get("spec") or {}).get("ports") or []
    ]
    return {"ip": ip, "ipMode": "Proxy", "ports": ports}


def kindnet_masquerade(client: Any, node: Obj, hops: list[Any]) -> Any:
    """A Pod's packet to *another* node's address leaves its node masqueraded to that node's
    IP: kindnet SNATs Pod traffic to destinations outside the cluster's Pod CIDR (its
    ip-masq rule; node IPs are on the kind network). The receiving kube-proxy then sees an
    external client, so `externalTrafficPolicy: Local` applies. Traffic to the Pod's own
    node arrives from the veth unmasqueraded and keeps its Pod source."""
    from dataclasses import replace

    from tutor.cluster.sim.dns import name_of, node_ip
    from tutor.cluster.sim.trace import Hop

    if client.kind != "pod" or client.node is None or not client.pod_network:
        return client
    if client.node_name == name_of(node):
        return client
    source = node_ip(client.node) or client.ip
    hops.append(
        Hop(
            "kube-proxy",
            f"kindnet masquerades {client.ip} to {source} ({client.node_name}) on the way to "
            f"{name_of(node)}",
            "Pod traffic to an address outside the Pod CIDR leaves its node SNATed, so "
            f"{name_of(node)} sees an external client",
        )
    )
    return replace(client, ip=source)
