"""Service updates and validation as kube-apiserver 1.37 does them.

Upstream (k8s.io/kubernetes v1.37.2): `pkg/registry/core/service/strategy.go`
`dropTypeDependentFields`; `pkg/apis/core/validation/validation.go` `ValidateService`,
`validateUpgradeDowngradeClusterIPs`, `validateLoadBalancerClassField`,
`ValidatePortNumOrName`; `pkg/registry/core/service/storage/alloc.go` `initNodePorts`;
k8s.io/apiserver `pkg/endpoints/handlers/rest.go` `transformDecodeError`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tutor.cluster.base import InvalidObjectError
from tutor.cluster.sim.api.engine import Engine
from tutor.cluster.sim.api.errors import ApiError
from tutor.cluster.sim.api.resources import BY_KIND
from tutor.cluster.sim.cluster import SimCluster

NS = "lab"
Obj = dict[str, Any]


def svc(name: str = "web", **spec: Any) -> Obj:
    body: Obj = {"selector": {"app": name}, "ports": [{"port": 80}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


@pytest.fixture
def cluster() -> SimCluster:
    c = SimCluster()
    c.ensure_namespace(NS, {"kube-tutor.dev/lab": "t"})
    return c


def stored(c: SimCluster, name: str = "web") -> Obj:
    got = c.get("Service", name, NS)
    assert got is not None
    return got


def edit(c: SimCluster, **changes: Any) -> Obj:
    """What `kubectl edit` sends: the live object with some spec fields changed."""
    live = stored(c)
    live["spec"].update(changes)
    engine = Engine(c)
    return engine.replace(
        BY_KIND["Service"], NS, "web", live, manager="kubectl-edit", dry_run=False
    )


def test_load_balancer_to_cluster_ip_drops_the_fields_that_depended_on_it(
    cluster: SimCluster,
) -> None:
    """dropTypeDependentFields: nodePorts, healthCheckNodePort, allocateLoadBalancerNodePorts,
    externalTrafficPolicy (unchanged by the writer) go; the LB status is cleared."""
    cluster.apply([svc(type="LoadBalancer", externalTrafficPolicy="Local")], NS)
    before = stored(cluster)["spec"]
    assert before["ports"][0]["nodePort"] and before["healthCheckNodePort"]
    after = edit(cluster, type="ClusterIP")["spec"]
    assert after["type"] == "ClusterIP"
    assert "nodePort" not in after["ports"][0]
    for gone in ("healthCheckNodePort", "allocateLoadBalancerNodePorts", "externalTrafficPolicy"):
        assert gone not in after, gone
    assert after["clusterIP"] == before["clusterIP"]
    assert stored(cluster)["status"] == {"loadBalancer": {}}


def test_node_port_to_cluster_ip_with_a_changed_node_port_is_refused(cluster: SimCluster) -> None:
    """A nodePort the writer changed is net-new (sameNodePorts is false): kept, and refused."""
    cluster.apply([svc(type="NodePort")], NS)
    live = stored(cluster)
    live["spec"]["type"] = "ClusterIP"
    live["spec"]["ports"][0]["nodePort"] = 30999
    with pytest.raises(ApiError) as err:
        Engine(cluster).replace(
            BY_KIND["Service"], NS, "web", live, manager="kubectl-edit", dry_run=False
        )
    assert err.value.code == 422
    assert "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'" in str(
        err.value.message
    )


def test_load_balancer_to_node_port_keeps_node_ports_and_drops_lb_class(
    cluster: SimCluster,
) -> None:
    cluster.apply([svc(type="LoadBalancer", loadBalancerClass="example.com/lb")], NS)
    before = stored(cluster)["spec"]
    after = edit(cluster, type="NodePort")["spec"]
    assert after["ports"][0]["nodePort"] == before["ports"][0]["nodePort"]
    assert "loadBalancerClass" not in after
    assert after["externalTrafficPolicy"] == "Cluster"


def test_to_external_name_drops_cluster_ip_and_families(cluster: SimCluster) -> None:
    cluster.apply([svc()], NS)
    after = edit(cluster, type="ExternalName", externalName="example.com")["spec"]
    for gone in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        assert gone not in after, gone


def test_removing_load_balancer_class_is_refused(cluster: SimCluster) -> None:
    """validateLoadBalancerClassField: LoadBalancer to LoadBalancer, the class may not change,
    and removing it is a change (the value shown is null)."""
    cluster.apply([svc(type="LoadBalancer", loadBalancerClass="example.com/lb")], NS)
    live = stored(cluster)
    del live["spec"]["loadBalancerClass"]
    with pytest.raises(ApiError) as err:
        Engine(cluster).replace(
            BY_KIND["Service"], NS, "web", live, manager="kubectl-edit", dry_run=False
        )
    assert "spec.loadBalancerClass: Invalid value: null: may not change once set" in str(
        err.value.message
    )


def test_headless_node_port_and_load_balancer_are_refused(cluster: SimCluster) -> None:
    for kind in ("NodePort", "LoadBalancer"):
        with pytest.raises(InvalidObjectError) as err:
            cluster.apply([svc(name=kind.lower(), type=kind, clusterIP="None")], NS)
        assert [p.path for p in err.value.problems] == ["spec.clusterIPs[0]"]
        assert f"may not be set to 'None' for {kind} services" in str(err.value)


def test_tcp_and_udp_of_one_port_share_a_node_port(cluster: SimCluster) -> None:
    """alloc.go initNodePorts: entries with the same port number share the nodePort one of
    them asks for (or one allocated for both); duplicates count per protocol."""
    ports = [
        {"name": "dns", "port": 53, "protocol": "UDP", "nodePort": 30053},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP", "nodePort": 30053},
    ]
    cluster.apply([svc(type="NodePort", ports=ports)], NS)
    assert [p["nodePort"] for p in stored(cluster)["spec"]["ports"]] == [30053, 30053]
    auto = [
        {"name": "dns", "port": 53, "protocol": "UDP"},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
    ]
    cluster.apply([svc(name="auto", type="NodePort", ports=auto)], NS)
    numbers = [p["nodePort"] for p in stored(cluster, "auto")["spec"]["ports"]]
    assert numbers[0] == numbers[1] and numbers[0] != 30053
    same_protocol = [
        {"name": "a", "port": 80, "nodePort": 30080},
        {"name": "b", "port": 81, "nodePort": 30080},
    ]
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc(name="dup", type="NodePort", ports=same_protocol)], NS)
    assert "spec.ports[1].nodePort: Duplicate value: 30080" in str(err.value)


def test_target_port_string_of_digits_is_a_bad_port_name(cluster: SimCluster) -> None:
    """IntOrString "8080" is a name: IsValidPortName wants at least one letter."""
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc(ports=[{"port": 80, "targetPort": "8080"}])], NS)
    assert str(err.value) == (
        'Service "web" is invalid: spec.ports[0].targetPort: Invalid value: "8080": '
        "must contain at least one letter (a-z)"
    )


def test_non_boolean_publish_not_ready_addresses_is_a_decode_error(cluster: SimCluster) -> None:
    engine = Engine(cluster)
    body = svc(publishNotReadyAddresses="true")
    with pytest.raises(ApiError) as err:
        engine.create(BY_KIND["Service"], NS, body, manager="kubectl", dry_run=False)
    assert err.value.code == 400
    assert err.value.message == (
        'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string '
        "into Go struct field ServiceSpec.spec.publishNotReadyAddresses of type bool"
    )
    body = svc(ports=[{"port": "80"}])
    with pytest.raises(ApiError) as err:
        engine.create(BY_KIND["Service"], NS, body, manager="kubectl", dry_run=False)
    assert err.value.message.endswith(
        "cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32"
    )


def test_cluster_ip_change_by_edit_names_cluster_ips(cluster: SimCluster) -> None:
    """kubectl edit changes `clusterIP` only: normalizeClusterIPs copies it to `clusterIPs`,
    and validation refuses the change there."""
    cluster.apply([svc()], NS)
    with pytest.raises(ApiError) as err:
        edit(cluster, clusterIP="10.96.0.99")
    assert err.value.code == 422
    assert 'spec.clusterIPs[0]: Invalid value: ["10.96.0.99"]: may not change once set' in (
        err.value.message
    )
