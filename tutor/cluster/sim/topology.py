"""The shape of the cluster kube-tutor makes on kind, as the simulator reproduces it.

One control-plane node and three workers in three zones on the `kind` docker network, kind's
default Pod and Service ranges, and LoadBalancer addresses handed out on the kind network the
way cloud-provider-kind's proxy containers get theirs.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]

CLUSTER_NAME = "kube-tutor"
KUBERNETES_VERSION = "v1.37.0"
CLUSTER_DOMAIN = "cluster.local"

SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/16")
"""kind's Service range (`--service-cluster-ip-range`)."""
KUBERNETES_SERVICE_IP = "10.96.0.1"
"""The `default/kubernetes` Service: the first address of the range."""
DNS_SERVICE_IP = "10.96.0.10"
"""The `kube-system/kube-dns` Service (CoreDNS)."""
POD_CIDR = ipaddress.IPv4Network("10.244.0.0/16")
"""kind's Pod range; every node gets a /24 of it."""
NODE_PORT_MIN = 30000
NODE_PORT_MAX = 32767
"""The default `--service-node-port-range`."""

KIND_NETWORK = ipaddress.IPv4Network("172.18.0.0/16")
"""The `kind` docker network the node containers sit on."""
HOST_IP = "172.18.0.1"
"""The learner's machine as the kind network sees it (the docker bridge gateway)."""
LB_POOL_FIRST = ipaddress.IPv4Address("172.18.0.100")
"""First address handed to a LoadBalancer (cloud-provider-kind proxy container)."""
LB_POOL_LAST = ipaddress.IPv4Address("172.18.255.254")

ZONE_LABEL = "topology.kubernetes.io/zone"
HOSTNAME_LABEL = "kubernetes.io/hostname"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
CONTROL_PLANE_TAINT = {"key": CONTROL_PLANE_LABEL, "effect": "NoSchedule"}


@dataclass(frozen=True)
class NodeSpec:
    """One node of the simulated cluster."""

    name: str
    role: str
    """`control-plane` or `worker`."""
    zone: str
    internal_ip: str
    """The node container's address on the kind network."""
    pod_cidr: str
    """The /24 this node's Pods take their addresses from."""
    taints: tuple[dict[str, str], ...] = field(default=())

    @property
    def first_pod_ip(self) -> ipaddress.IPv4Address:
        """The first address the node's IPAM hands out (`.1` is the node's bridge)."""
        return ipaddress.IPv4Network(self.pod_cidr).network_address + 2

    @property
    def last_pod_ip(self) -> ipaddress.IPv4Address:
        """The last usable address of the node's Pod range."""
        return ipaddress.IPv4Network(self.pod_cidr).broadcast_address - 1


MAX_PODS_PER_NODE = 110
"""kubelet's default `maxPods`: the scheduler reports `Too many pods` past it."""


@dataclass(frozen=True)
class Topology:
    """The nodes of one simulated cluster, in a stable order (the scheduler breaks ties by it)."""

    nodes: tuple[NodeSpec, ...]
    max_pods_per_node: int = MAX_PODS_PER_NODE

    @property
    def by_name(self) -> dict[str, NodeSpec]:
        """Nodes by name."""
        return {node.name: node for node in self.nodes}

    @property
    def by_ip(self) -> dict[str, NodeSpec]:
        """Nodes by InternalIP."""
        return {node.internal_ip: node for node in self.nodes}

    @property
    def workers(self) -> tuple[NodeSpec, ...]:
        """The worker nodes."""
        return tuple(node for node in self.nodes if node.role == "worker")

    @property
    def zones(self) -> tuple[str, ...]:
        """Zone names, sorted."""
        return tuple(sorted({node.zone for node in self.nodes}))


def make_topology(workers: int = 3, *, max_pods_per_node: int = MAX_PODS_PER_NODE) -> Topology:
    """The kind cluster kube-tutor creates: `kube-tutor-control-plane` (zone-a) and workers
    `kube-tutor-worker`, `-worker2`, ... in zones a, b, c, a, ... (the default has 3 workers,
    one per zone). Node N has InternalIP 172.18.0.(2+N) and Pod range 10.244.N.0/24.
    More workers are for scale tests only."""
    if not 1 <= workers <= 250:
        raise ValueError("workers must be between 1 and 250")
    zones = ("zone-a", "zone-b", "zone-c")
    base_ip = ipaddress.IPv4Address("172.18.0.2")
    nodes = [
        NodeSpec(
            f"{CLUSTER_NAME}-control-plane",
            "control-plane",
            "zone-a",
            str(base_ip),
            "10.244.0.0/24",
            (CONTROL_PLANE_TAINT,),
        )
    ]
    for index in range(1, workers + 1):
        suffix = "" if index == 1 else str(index)
        nodes.append(
            NodeSpec(
                f"{CLUSTER_NAME}-worker{suffix}",
                "worker",
                zones[(index - 1) % len(zones)],
                str(base_ip + index),
                f"10.244.{index}.0/24",
            )
        )
    return Topology(tuple(nodes), max_pods_per_node)


DEFAULT_TOPOLOGY = make_topology()
NODES: tuple[NodeSpec, ...] = DEFAULT_TOPOLOGY.nodes
"""The default cluster's nodes: control plane, then workers."""
NODES_BY_NAME: dict[str, NodeSpec] = DEFAULT_TOPOLOGY.by_name
NODES_BY_IP: dict[str, NodeSpec] = DEFAULT_TOPOLOGY.by_ip
CONTROL_PLANE = NODES[0]
WORKERS: tuple[NodeSpec, ...] = DEFAULT_TOPOLOGY.workers
ZONES: tuple[str, ...] = DEFAULT_TOPOLOGY.zones


def node_object(node: NodeSpec, max_pods: int = MAX_PODS_PER_NODE) -> Obj:
    """The Node object as `kubectl get node -o json` shows it on kind (trimmed)."""
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        HOSTNAME_LABEL: node.name,
        ZONE_LABEL: node.zone,
    }
    if node.role == "control-plane":
        labels[CONTROL_PLANE_LABEL] = ""
        labels[EXCLUDE_LB_LABEL] = ""
    spec: Obj = {
        "podCIDR": node.pod_cidr,
        "podCIDRs": [node.pod_cidr],
        "providerID": f"kind://docker/{CLUSTER_NAME}/{node.name}",
    }
    if node.taints:
        spec["taints"] = [dict(t) for t in node.taints]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": node.name, "labels": labels},
        "spec": spec,
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": node.internal_ip},
                {"type": "Hostname", "address": node.name},
            ],
            "allocatable": {"cpu": "2", "memory": "8Gi", "pods": str(max_pods)},
            "capacity": {"cpu": "2", "memory": "8Gi", "pods": str(max_pods)},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                }
            ],
            "nodeInfo": {
                "kubeletVersion": KUBERNETES_VERSION,
                "containerRuntimeVersion": "containerd://2.1.4",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def node_objects(topology: Topology = DEFAULT_TOPOLOGY) -> list[Obj]:
    """Node objects for every node, in topology order."""
    return [node_object(node, topology.max_pods_per_node) for node in topology.nodes]


class AddressPool:
    """Hands out addresses from a range the way host-local IPAM and docker do: the next free
    address after the last one handed out, wrapping around at the end."""

    def __init__(self, first: ipaddress.IPv4Address, last: ipaddress.IPv4Address) -> None:
        self._first = int(first)
        self._size = int(last) - int(first) + 1
        self._cursor = 0
        self._taken: set[int] = set()

    def allocate(self) -> str | None:
        """The next free address, or None when the range is full."""
        if len(self._taken) >= self._size:
            return None
        for _ in range(self._size):
            candidate = self._first + self._cursor
            self._cursor = (self._cursor + 1) % self._size
            if candidate not in self._taken:
                self._taken.add(candidate)
                return str(ipaddress.IPv4Address(candidate))
        return None

    def reserve(self, address: str) -> None:
        """Mark an address as used (it will not be handed out)."""
        self._taken.add(int(ipaddress.IPv4Address(address)))

    def release(self, address: str) -> None:
        """Give an address back."""
        self._taken.discard(int(ipaddress.IPv4Address(address)))

    def in_use(self) -> list[str]:
        """Addresses handed out or reserved, in order."""
        return [str(ipaddress.IPv4Address(v)) for v in sorted(self._taken)]

    def copy(self) -> AddressPool:
        """An independent copy."""
        other = AddressPool.__new__(AddressPool)
        other._first = self._first
        other._size = self._size
        other._cursor = self._cursor
        other._taken = set(self._taken)
        return other
