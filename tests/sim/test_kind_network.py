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
