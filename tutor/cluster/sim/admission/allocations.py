"""ClusterIP and nodePort allocation for a batch of manifests (copied first, so a failed batch changes nothing)."""

from __future__ import annotations

import ipaddress
import zlib

from tutor.cluster.sim.topology import (
    NODE_PORT_MAX,
    NODE_PORT_MIN,
    SERVICE_CIDR,
)

# The static/dynamic band split of KEP-3070 (ClusterIPs) and KEP-3668 (nodePorts).
_CIDR_SIZE = SERVICE_CIDR.num_addresses
CLUSTER_IP_STATIC_BAND = min(max(16, _CIDR_SIZE // 16), 256)
"""Addresses at the start of the range preferred for hand-picked ClusterIPs (256 for a /16)."""
_NODE_PORT_SIZE = NODE_PORT_MAX - NODE_PORT_MIN + 1
NODE_PORT_STATIC_BAND = min(max(16, _NODE_PORT_SIZE // 32), 128)
"""nodePorts at the start of the range preferred for hand-picked ports (86 by default)."""


def stable_hash(text: str) -> int:
    """A 32-bit hash that is the same in every run (unlike `hash()`): CRC-32."""
    return zlib.crc32(text.encode())


# -- allocations ------------------------------------------------------------------------------


class Allocations:
    """ClusterIPs and nodePorts in use. Dynamic picks are a hash of the owner's name probed
    through the upper (dynamic) band first, so one Service gets the same address every time."""

    def __init__(self) -> None:
        self.cluster_ips: dict[str, tuple[str, str]] = {}
        """IP -> (namespace, service name)"""
        self.node_ports: dict[int, tuple[str, str]] = {}
        """port -> (namespace, service name)"""

    def copy(self) -> Allocations:
        """An independent copy (a transaction to commit by replacing the original)."""
        other = Allocations()
        other.cluster_ips = dict(self.cluster_ips)
        other.node_ports = dict(self.node_ports)
        return other

    def allocate_ip(self, owner: tuple[str, str]) -> str | None:
        """A free ClusterIP for `owner`, preferring the dynamic band."""
        base = int(SERVICE_CIDR.network_address)
        first_dynamic = CLUSTER_IP_STATIC_BAND + 1
        last = _CIDR_SIZE - 2
        span = last - first_dynamic + 1
        start = stable_hash(f"{owner[0]}/{owner[1]}") % span
        for step in range(span):
            offset = first_dynamic + (start + step) % span
            ip = str(ipaddress.IPv4Address(base + offset))
            if ip not in self.cluster_ips:
                self.cluster_ips[ip] = owner
                return ip
        for offset in range(1, first_dynamic):
            ip = str(ipaddress.IPv4Address(base + offset))
            if ip not in self.cluster_ips:
                self.cluster_ips[ip] = owner
                return ip
        return None

    def allocate_port(self, owner: tuple[str, str], salt: str) -> int | None:
        """A free nodePort for `owner`, preferring the dynamic band."""
        first_dynamic = NODE_PORT_MIN + NODE_PORT_STATIC_BAND
        span = NODE_PORT_MAX - first_dynamic + 1
        start = stable_hash(f"{owner[0]}/{owner[1]}/{salt}") % span
        for step in range(span):
            port = first_dynamic + (start + step) % span
            if port not in self.node_ports:
                self.node_ports[port] = owner
                return port
        for port in range(NODE_PORT_MIN, first_dynamic):
            if port not in self.node_ports:
                self.node_ports[port] = owner
                return port
        return None

    def release_service(self, owner: tuple[str, str]) -> None:
        """Free everything a Service holds."""
        for ip in [ip for ip, o in self.cluster_ips.items() if o == owner]:
            del self.cluster_ips[ip]
        for port in [p for p, o in self.node_ports.items() if o == owner]:
            del self.node_ports[port]
