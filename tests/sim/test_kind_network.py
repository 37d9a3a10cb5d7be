"""LoadBalancer addresses as cloud-provider-kind gets them from kind's Docker network.

cloud-provider-kind `pkg/loadbalancer/server.go`: `createLoadBalancer` runs the Envoy container
on the kind network with `--ip <spec.loadBalancerIP>` when set; `GetLoadBalancer` reports the
container's address with `ipMode: Proxy` and the Service's ports. Docker's IPAM gives the
next free address after the node containers (`.2`-`.5` for kube-tutor's four nodes).
"""

from __future__ import annotations

from typing import Any

import pytest

from tutor.cluster.sim.cluster import SimCluster

NS = "lab"
Obj = dict[str, Any]


def lb(name: str, **spec: Any) -> Obj:
    body: Obj = {"type": "LoadBalancer", "selector": {"app": name}, "ports": [{"port": 80}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


@pytest.fixture
def cluster() -> SimCluster:
    c = SimCluster()
    c.ensure_namespace(NS, {"kube-tutor.dev/lab": "t"})
    return c


def ingress_of(c: SimCluster, name: str) -> list[Obj]:
    svc = c.get("Service", name, NS)
    assert svc is not None
    return list(svc["status"]["loadBalancer"].get("ingress") or [])


def test_addresses_follow_the_node_containers_in_order(cluster: SimCluster) -> None:
    cluster.apply([lb("a")], NS)
    cluster.apply([lb("b")], NS)
    assert [ingress_of(cluster, n)[0]["ip"] for n in ("a", "b")] == ["172.18.0.6", "172.18.0.7"]
    assert ingress_of(cluster, "a")[0]["ports"] == [{"port": 80, "protocol": "TCP"}]


def test_load_balancer_ip_is_honoured(cluster: SimCluster) -> None:
    cluster.apply([lb("a", loadBalancerIP="172.18.0.200")], NS)
    assert ingress_of(cluster, "a")[0]["ip"] == "172.18.0.200"
    # the next automatic one is still Docker's next free address
    cluster.apply([lb("b")], NS)
    assert ingress_of(cluster, "b")[0]["ip"] == "172.18.0.6"


def test_load_balancer_ip_taken_or_off_network_gets_no_address(cluster: SimCluster) -> None:
    cluster.apply([lb("a")], NS)
    cluster.apply([lb("b", loadBalancerIP="172.18.0.6"), lb("c", loadBalancerIP="10.0.0.9")], NS)
    assert ingress_of(cluster, "b") == [] and ingress_of(cluster, "c") == []
    reasons = {
        (e["involvedObject"]["name"], e["reason"])
        for e in cluster.list("Event", NS)
        if e["type"] == "Warning"
    }
    assert {("b", "SyncLoadBalancerFailed"), ("c", "SyncLoadBalancerFailed")} <= reasons


def test_deleting_the_ingress_class_keeps_ingresses_of_that_name_online(
    cluster: SimCluster,
) -> None:
    """cloud-provider-kind ingress/controller.go `isIngressForUs`: an Ingress is its own when
    `ingressClassName` is `cloud-provider-kind`; the IngressClass object is not consulted."""
    from tutor.cluster.base import ProbeRequest

    web = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "a",
                            "image": "registry.k8s.io/e2e-test-images/agnhost:2.39",
                            "args": ["netexec"],
                        }
                    ]
                },
            },
        },
    }
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    ing = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {
            "ingressClassName": "cloud-provider-kind",
            "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
        },
    }
    cluster.apply([web, svc, ing], NS)
    cluster.delete("IngressClass", "cloud-provider-kind")
    assert cluster.get("IngressClass", "cloud-provider-kind") is None
    status = cluster.get("Ingress", "web", NS)["status"]  # type: ignore[index]
    address = status["loadBalancer"]["ingress"][0]["ip"]
    result = cluster.probe(ProbeRequest("http", f"http://{address}/hostname", NS, source="host"))
    assert result.attempts[0].ok, result.attempts[0]
