"""The kind cluster kube-tutor makes: names, pinned images, nodes, zones and port mappings.

A leaf module (it imports nothing from kube-tutor's cluster code), so the lifecycle, the
guard, the client and the probes can all read these facts without importing one another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from tutor.cluster.base import Obj

CLUSTER_NAME = "kube-tutor"
"""Name of the kind cluster kube-tutor creates."""
CONTEXT_NAME = f"kind-{CLUSTER_NAME}"
"""The kubeconfig context kind writes for it (kind: `KINDClusterKey` = "kind-" + name,
pkg/cluster/internal/kubeconfig/internal/kubeconfig/helpers.go)."""
CONTROL_PLANE_CONTAINER = f"{CLUSTER_NAME}-control-plane"
"""The container of the control-plane node (kind names nodes `<cluster>-<role>[N]`)."""
API_SERVER_PORT = 6443
"""The API server's port inside the control-plane container (kind's
`common.APIServerInternalPort`)."""
NODE_IMAGE = (
    "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5"
)
"""The node image, pinned by digest (the default image of kind v0.33.0)."""
ZONE_LABEL = "topology.kubernetes.io/zone"
NODE_ZONES: tuple[tuple[str, str], ...] = (
    ("control-plane", "zone-a"),
    ("worker", "zone-a"),
    ("worker", "zone-b"),
    ("worker", "zone-c"),
)
"""Role and zone of each node, in order (node names: kube-tutor-control-plane, -worker,
-worker2, -worker3)."""
NODEPORTS: tuple[int, ...] = tuple(range(30080, 30090))
"""NodePorts labs use; on the control-plane node each is mapped to the same port on
127.0.0.1 of the learner's machine, on the workers to a port of their own band."""
HOST_PORT_BAND = 100
"""Node N (0 = control-plane) publishes NodePort P on host port P + N * 100, so every node's
NodePort can be reached from macOS/Windows, where the node addresses cannot."""
PORT_MAPPING_ADDRESS = "127.0.0.1"
NODE_PORT_RANGE: tuple[int, int] = (30000, 32767)
"""The API server's nodePort range on the kind cluster: the kind config above sets no
`service-node-port-range` (no kubeadmConfigPatches), so kube-apiserver's default holds
(pkg/kubeapiserver/options: `DefaultServiceNodePortRange`, 30000-32767, base 30000 size 2768).
The simulator serves the same range (sim/topology.py NODE_PORT_MIN/MAX)."""
AGNHOST_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.39"
PRELOAD_IMAGES: tuple[str, ...] = (AGNHOST_IMAGE,)
"""Images every lab may use (the probe Pod among them); lab manifests can add more."""
ENVOY_IMAGE = "docker.io/envoyproxy/envoy:v1.33.2"
"""The proxy image cloud-provider-kind runs for each LoadBalancer and Gateway (its
`constants.DefaultProxyImageName` with the default registry, pkg/constants/constants.go);
`cloud-provider-kind list-images` prints the one a given build uses."""
CLASS_NAME = "cloud-provider-kind"
"""The GatewayClass and IngressClass cloud-provider-kind creates."""
KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster"
"""The label kind puts on every node container (value: the cluster name)."""


def node_names(name: str = CLUSTER_NAME) -> list[str]:
    """The node names kind gives the nodes of `NODE_ZONES`, in order."""
    names: list[str] = []
    workers = 0
    for role, _ in NODE_ZONES:
        if role == "control-plane":
            names.append(f"{name}-control-plane")
        else:
            workers += 1
            names.append(f"{name}-worker" + (str(workers) if workers > 1 else ""))
    return names


def host_port(node_index: int, node_port: int) -> int:
    """The host port (on 127.0.0.1) where node `node_index` publishes `node_port`."""
    return node_port + node_index * HOST_PORT_BAND


def host_ports_by_node(name: str = CLUSTER_NAME) -> dict[str, dict[int, int]]:
    """Node name -> {NodePort: host port} for every node of the cluster."""
    return {
        node: {port: host_port(index, port) for port in NODEPORTS}
        for index, node in enumerate(node_names(name))
    }


def kind_config(
    *,
    name: str = CLUSTER_NAME,
    image: str = NODE_IMAGE,
    nodeports: Iterable[int] = NODEPORTS,
) -> dict[str, Any]:
    """The kind cluster config: 1 control-plane + 3 workers with zone labels, the pinned node
    image, and each node's labs' NodePorts mapped to its own host ports on 127.0.0.1."""
    ports = list(nodeports)
    nodes: list[dict[str, Any]] = []
    for index, (role, zone) in enumerate(NODE_ZONES):
        node: dict[str, Any] = {"role": role, "image": image, "labels": {ZONE_LABEL: zone}}
        node["extraPortMappings"] = [
            {
                "containerPort": port,
                "hostPort": host_port(index, port),
                "listenAddress": PORT_MAPPING_ADDRESS,
                "protocol": "TCP",
            }
            for port in ports
        ]
        nodes.append(node)
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": name,
        "networking": {"ipFamily": "ipv4", "kubeProxyMode": "iptables"},
        "nodes": nodes,
    }


def kind_config_yaml(**kwargs: Any) -> str:
    """The kind config as YAML text."""
    header = (
        "# kind config written by kube-tutor: 1 control-plane + 3 workers in zones\n"
        "# zone-a/zone-a/zone-b/zone-c; NodePorts 30080-30089 of node N reachable on\n"
        "# 127.0.0.1:(port + N*100): control-plane 30080.., worker 30180.., worker2 30280..\n"
    )
    return header + yaml.safe_dump(kind_config(**kwargs), sort_keys=False)


def lab_images(manifests: Iterable[Obj]) -> list[str]:
    """Container images named in manifests (Pod templates and bare Pods), first-seen order."""
    found: dict[str, None] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("initContainers", "containers"):
                for container in node.get(key) or []:
                    if isinstance(container, dict) and isinstance(container.get("image"), str):
                        found.setdefault(container["image"], None)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for manifest in manifests:
        visit(manifest)
    return list(found)


def node_addresses(nodes: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """InternalIP -> node name, from Node objects."""
    found: dict[str, str] = {}
    for node in nodes:
        name = str(node.get("metadata", {}).get("name", ""))
        for address in node.get("status", {}).get("addresses") or []:
            if address.get("type") == "InternalIP" and name:
                found[str(address.get("address"))] = name
    return found
