"""`loadBalancerSourceRanges` at cloud-provider-kind's Envoy: who may open a connection.

cloud-provider-kind (`pkg/loadbalancer/proxy.go`, `generateConfig`, since v0.3.0, commit
43bafaba "Implement LoadBalancerSourceRanges") parses each entry of
`spec.loadBalancerSourceRanges` (trimmed, as the API allows padding) and writes it into the
listener's filter chain as a `filter_chain_match.source_prefix_ranges` entry. A connection whose
source matches no range matches no filter chain, and Envoy closes it as soon as it is accepted:
the client sees a reset, not a timeout. Without ranges the filter chain matches every source.

The source Envoy sees is the client's address on the kind network: your machine arrives from
the network's gateway, a node (or a hostNetwork Pod) from its node address, and an ordinary Pod
from its node's address too, because kindnet masquerades Pod traffic leaving the Pod CIDR
(`images/kindnetd/cmd/kindnetd/masq.go`, no-masquerade CIDRs = the cluster's Pod subnets).

kube-proxy's own enforcement of the ranges (`KUBE-PROXY-FIREWALL`) applies only to `ipMode:
VIP` addresses (`pkg/proxy/serviceport.go` keeps only VIP-mode ingress IPs); cloud-provider-kind
reports `Proxy`, so the Envoy is the only enforcer on kind and the only one modelled here.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tutor.cluster.sim.dns import node_ip, spec
from tutor.cluster.sim.trace import Evidence, Hop

Obj = dict[str, Any]

FAILURE = "lb-source-range"
"""The trace's failure code for a connection the ranges keep out."""


def source_ranges(svc: Obj) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The Service's ranges as Envoy gets them; an entry that does not parse is skipped, as
    `generateConfig` skips it (validation has refused such entries already)."""
    ranges = []
    for entry in spec(svc).get("loadBalancerSourceRanges") or []:
        try:
            ranges.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            continue
    return ranges


def envoy_source(client: Any) -> str:
    """The source address of `client`'s connection when it reaches an Envoy container."""
    if client.kind == "pod" and client.node is not None and client.pod_network:
        return node_ip(client.node) or client.ip
    return str(client.ip)


def refused_by_ranges(svc: Obj, client: Any, dst: str, port: int, hops: list[Hop]) -> bool:
    """True (with the hop that says why) when the Service's source ranges keep `client` out;
    False, adding nothing, when it has no ranges or the client's source is in one."""
    ranges = source_ranges(svc)
    if not ranges:
        return False
    source = envoy_source(client)
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return False
    if any(address.version == r.version and address in r for r in ranges):
        return False
    listed = [str(r) for r in ranges]
    masq = f" (kindnet masqueraded {client.ip} to it)" if source != client.ip else ""
    meta = svc.get("metadata") or {}
    hops.append(
        Hop(
            "load-balancer",
            f"{dst}:{port}: the load balancer of {meta.get('namespace')}/{meta.get('name')} "
            f"does not accept {source}{masq}",
            "cloud-provider-kind writes loadBalancerSourceRanges into Envoy's filter chain "
            f"({', '.join(listed)}); a source in none of them matches no filter chain, so Envoy "
            "closes the connection",
            ok=False,
            failure=FAILURE,
            evidence=(
                Evidence(
                    "Service",
                    str(meta.get("name")),
                    meta.get("namespace"),
                    "spec.loadBalancerSourceRanges",
                    ", ".join(listed),
                ),
            ),
        )
    )
    return True
