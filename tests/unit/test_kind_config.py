"""The generated kind config: 4 nodes in zones, the pinned image, NodePort mappings."""

from __future__ import annotations

import yaml

from tutor.cluster import kind


def test_config_yaml_parses_and_names_the_cluster() -> None:
    config = yaml.safe_load(kind.kind_config_yaml())
    assert config["kind"] == "Cluster"
    assert config["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert config["name"] == "kube-tutor"


def test_one_control_plane_and_three_workers_in_zones() -> None:
    nodes = yaml.safe_load(kind.kind_config_yaml())["nodes"]
    assert [n["role"] for n in nodes] == ["control-plane", "worker", "worker", "worker"]
    zones = [n["labels"]["topology.kubernetes.io/zone"] for n in nodes]
    assert zones == ["zone-a", "zone-a", "zone-b", "zone-c"]


def test_every_node_uses_the_pinned_image_with_its_digest() -> None:
    nodes = kind.kind_config()["nodes"]
    assert {n["image"] for n in nodes} == {kind.NODE_IMAGE}
    assert kind.NODE_IMAGE.startswith("kindest/node:v1.37.0@sha256:")
    assert len(kind.NODE_IMAGE.split("@sha256:")[1]) == 64


def test_every_node_maps_the_labs_nodeports_to_its_own_host_ports() -> None:
    """Issue 10 item 11: each node publishes 30080-30089 on a band of its own (node N at
    port + N*100), so a probe from macOS/Windows can reach the node a lab names."""
    nodes = yaml.safe_load(kind.kind_config_yaml())["nodes"]
    for index, node in enumerate(nodes):
        mappings = node["extraPortMappings"]
        assert [m["containerPort"] for m in mappings] == list(range(30080, 30090))
        assert [m["hostPort"] for m in mappings] == [p + 100 * index for p in range(30080, 30090)]
        assert {m["listenAddress"] for m in mappings} == {"127.0.0.1"}
    host_ports = [m["hostPort"] for n in nodes for m in n["extraPortMappings"]]
    assert len(host_ports) == len(set(host_ports))  # one host port can be bound once


def test_nodeports_are_inside_the_default_nodeport_range() -> None:
    assert all(30000 <= port <= 32767 for port in kind.NODEPORTS)


def test_config_can_be_generated_for_other_names_and_ports() -> None:
    config = kind.kind_config(name="other", nodeports=[30100])
    assert config["name"] == "other"
    assert config["nodes"][0]["extraPortMappings"][0]["containerPort"] == 30100


def test_lab_images_finds_containers_in_pods_and_templates_once() -> None:
    manifests = [
        {
            "kind": "Deployment",
            "spec": {
                "template": {
                    "spec": {
                        "initContainers": [{"name": "i", "image": "busybox:1.36"}],
                        "containers": [{"name": "a", "image": kind.AGNHOST_IMAGE}],
                    }
                }
            },
        },
        {"kind": "Pod", "spec": {"containers": [{"name": "n", "image": "nginx:1.27"}]}},
        {"kind": "Service", "spec": {"ports": [{"port": 80}]}},
        {"kind": "Pod", "spec": {"containers": [{"name": "b", "image": "nginx:1.27"}]}},
    ]
    assert kind.lab_images(manifests) == ["busybox:1.36", kind.AGNHOST_IMAGE, "nginx:1.27"]


def test_capabilities_from_a_healthy_cluster_with_cloud_provider() -> None:
    nodes = [_node(f"n{i}", zone) for i, zone in enumerate(["zone-a", "zone-a", "zone-b"])]
    classes = [{"metadata": {"name": "cloud-provider-kind"}}]
    works = kind.capabilities_from(nodes, classes, classes, cloud_provider_running=True)
    assert set(works) == set(kind.CAPABILITIES)


def test_capabilities_without_cloud_provider_or_zones() -> None:
    nodes = [_node("n1", None)]
    works = kind.capabilities_from(nodes, [], [], cloud_provider_running=False)
    assert set(works) == {"dns", "nodeport-host"}
    missing = kind.missing_reasons(works, cloud_provider_running=False)
    assert set(missing) == {"loadbalancer", "ingress", "gateway", "zones"}
    assert "cloud-provider-kind is not running" in missing["loadbalancer"]


def test_capabilities_of_a_stopped_cluster_say_so() -> None:
    works = kind.capabilities_from([], [], [], cloud_provider_running=False)
    assert works == {}
    missing = kind.missing_reasons(works, cloud_provider_running=False, cluster_running=False)
    assert set(missing) == set(kind.CAPABILITIES)
    assert all("cluster up" in reason for reason in missing.values())


def test_ingress_needs_its_class_even_with_cloud_provider_running() -> None:
    nodes = [_node("n1", "zone-a")]
    gateway = [{"metadata": {"name": "cloud-provider-kind"}}]
    works = kind.capabilities_from(nodes, [], gateway, cloud_provider_running=True)
    assert "gateway" in works and "ingress" not in works
    assert "v0.9.0" in kind.missing_reasons(works, cloud_provider_running=True)["ingress"]


def _node(name: str, zone: str | None, ready: bool = True) -> dict[str, object]:
    labels = {"topology.kubernetes.io/zone": zone} if zone else {}
    return {
        "metadata": {"name": name, "labels": labels},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }
