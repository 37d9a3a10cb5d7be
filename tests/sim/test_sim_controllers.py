"""Simulator controllers: placement, Pod IPs, readiness, EndpointSlices, LB, Ingress, Gateway."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tutor.cluster.sim.cluster import SimCluster
from tutor.cluster.sim.topology import NODES, WORKERS

NS = "lab"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.39"
Obj = dict[str, Any]


def deploy(
    name: str = "web",
    replicas: int = 3,
    *,
    probe: Obj | None = None,
    ports: list[Obj] | None = None,
    args: list[str] | None = None,
    pod_spec: Obj | None = None,
) -> Obj:
    container: Obj = {
        "name": "app",
        "image": AGNHOST,
        "args": args or ["netexec"],
        "ports": ports if ports is not None else [{"name": "http", "containerPort": 8080}],
    }
    if probe is not None:
        container["readinessProbe"] = probe
    spec: Obj = {"containers": [container], **(pod_spec or {})}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def service(name: str = "web", **spec: Any) -> Obj:
    body: Obj = {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


@pytest.fixture
def cluster() -> SimCluster:
    c = SimCluster()
    c.ensure_namespace(NS, {})
    return c


def ready(pod: Obj) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", [])
    )


def slices(c: SimCluster, name: str = "web") -> list[Obj]:
    return c.list("EndpointSlice", NS, {"kubernetes.io/service-name": name})


def endpoints(c: SimCluster, name: str = "web") -> list[Obj]:
    return [e for s in slices(c, name) for e in s.get("endpoints") or []]


# -- topology ---------------------------------------------------------------------------------


def test_nodes_zones_addresses_and_taints() -> None:
    nodes = {n["metadata"]["name"]: n for n in SimCluster().list("Node")}
    assert sorted(nodes) == [
        "kube-tutor-control-plane",
        "kube-tutor-worker",
        "kube-tutor-worker2",
        "kube-tutor-worker3",
    ]
    zones = {n: o["metadata"]["labels"]["topology.kubernetes.io/zone"] for n, o in nodes.items()}
    assert zones == {
        "kube-tutor-control-plane": "zone-a",
        "kube-tutor-worker": "zone-a",
        "kube-tutor-worker2": "zone-b",
        "kube-tutor-worker3": "zone-c",
    }
    cp = nodes["kube-tutor-control-plane"]
    assert "node.kubernetes.io/exclude-from-external-load-balancers" in cp["metadata"]["labels"]
    assert cp["spec"]["taints"][0]["key"] == "node-role.kubernetes.io/control-plane"
    ips = [n["status"]["addresses"][0]["address"] for n in nodes.values()]
    assert ips == ["172.18.0.2", "172.18.0.3", "172.18.0.4", "172.18.0.5"]
    assert nodes["kube-tutor-worker2"]["spec"]["podCIDR"] == "10.244.2.0/24"


def test_system_services_exist() -> None:
    c = SimCluster()
    assert c.get("Service", "kubernetes", "default")["spec"]["clusterIP"] == "10.96.0.1"  # type: ignore[index]
    dns = c.get("Service", "kube-dns", "kube-system")
    assert dns is not None and dns["spec"]["clusterIP"] == "10.96.0.10"
    dns_endpoints = [e for s in c.list("EndpointSlice", "kube-system") for e in s["endpoints"]]
    assert len(dns_endpoints) == 2 and all(e["conditions"]["ready"] for e in dns_endpoints)
    assert c.get("ServiceCIDR", "kubernetes")["spec"]["cidrs"] == ["10.96.0.0/16"]  # type: ignore[index]
    assert c.get("IPAddress", "10.96.0.10")["spec"]["parentRef"]["name"] == "kube-dns"  # type: ignore[index]


# -- workloads --------------------------------------------------------------------------------


def test_deployment_pods_spread_over_workers_with_node_cidr_ips(cluster: SimCluster) -> None:
    cluster.apply([deploy(replicas=3)], NS)
    pods = cluster.list("Pod", NS)
    assert len(pods) == 3
    rs = cluster.list("ReplicaSet", NS)
    assert len(rs) == 1
    rs_name = rs[0]["metadata"]["name"]
    assert rs_name.startswith("web-")
    assert rs[0]["metadata"]["labels"]["pod-template-hash"] == rs_name.removeprefix("web-")
    placed = sorted(p["spec"]["nodeName"] for p in pods)
    assert placed == sorted(w.name for w in WORKERS)
    for pod in pods:
        assert pod["metadata"]["name"].startswith(rs_name + "-")
        node = next(n for n in NODES if n.name == pod["spec"]["nodeName"])
        assert ipaddress.ip_address(pod["status"]["podIP"]) in ipaddress.ip_network(node.pod_cidr)
        assert pod["status"]["hostIP"] == node.internal_ip
        assert pod["status"]["phase"] == "Running"
    status = cluster.get("Deployment", "web", NS)["status"]  # type: ignore[index]
    assert status["readyReplicas"] == 3 and status["updatedReplicas"] == 3


def test_scale_down_and_template_change_roll_pods(cluster: SimCluster) -> None:
    cluster.apply([deploy(replicas=3)], NS)
    first = {p["metadata"]["name"] for p in cluster.list("Pod", NS)}
    cluster.apply([deploy(replicas=2)], NS)
    assert len(cluster.list("Pod", NS)) == 2
    cluster.apply([deploy(replicas=2, args=["netexec", "--http-port=9090"])], NS)
    pods = cluster.list("Pod", NS)
    assert len(pods) == 2 and not first & {p["metadata"]["name"] for p in pods}
    assert len(cluster.list("ReplicaSet", NS)) == 2  # the old one is kept at 0


def test_node_selector_and_node_name_are_respected(cluster: SimCluster) -> None:
    sel = {"nodeSelector": {"topology.kubernetes.io/zone": "zone-b"}}
    cluster.apply([deploy("b", 2, pod_spec=sel)], NS)
    assert {p["spec"]["nodeName"] for p in cluster.list("Pod", NS)} == {"kube-tutor-worker2"}
    pinned = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "pinned"},
        "spec": {
            "nodeName": "kube-tutor-worker3",
            "containers": [{"name": "c", "image": AGNHOST, "args": ["pause"]}],
        },
    }
    cluster.apply([pinned], NS)
    assert cluster.get("Pod", "pinned", NS)["spec"]["nodeName"] == "kube-tutor-worker3"  # type: ignore[index]


def test_unschedulable_pod_is_pending_with_event(cluster: SimCluster) -> None:
    sel = {"nodeSelector": {"disk": "ssd"}}
    cluster.apply([deploy("x", 1, pod_spec=sel)], NS)
    pod = cluster.list("Pod", NS)[0]
    assert pod["status"]["phase"] == "Pending" and "podIP" not in pod["status"]
    reasons = [(e["reason"], e["message"]) for e in cluster.events(NS)]
    failed = [m for r, m in reasons if r == "FailedScheduling"]
    assert failed and failed[0].startswith("0/4 nodes are available")
    assert "untolerated taint" in failed[0] and "node affinity/selector" in failed[0]


def test_statefulset_pods_have_ordinals_and_hostnames(cluster: SimCluster) -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "replicas": 3,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {
                    "containers": [
                        {
                            "name": "db",
                            "image": AGNHOST,
                            "args": ["netexec", "--http-port=5432"],
                            "ports": [{"name": "pg", "containerPort": 5432}],
                        }
                    ]
                },
            },
        },
    }
    headless = service("db", clusterIP="None", ports=[{"name": "pg", "port": 5432}])
    cluster.apply([sts, headless], NS)
    pods = {p["metadata"]["name"]: p for p in cluster.list("Pod", NS)}
    assert sorted(pods) == ["db-0", "db-1", "db-2"]
    assert pods["db-1"]["spec"]["hostname"] == "db-1" and pods["db-1"]["spec"]["subdomain"] == "db"
    hostnames = sorted(e["hostname"] for e in endpoints(cluster, "db"))
    assert hostnames == ["db-0", "db-1", "db-2"]
    assert slices(cluster, "db")[0]["metadata"]["labels"]["service.kubernetes.io/headless"] == ""


def test_ordered_ready_statefulset_waits_for_readiness(cluster: SimCluster) -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {
                    "containers": [
                        {
                            "name": "db",
                            "image": AGNHOST,
                            "args": ["pause"],
                            "readinessProbe": {"tcpSocket": {"port": 5432}},
                        }
                    ]
                },
            },
        },
    }
    cluster.apply([sts], NS)
    assert [p["metadata"]["name"] for p in cluster.list("Pod", NS)] == ["db-0"]


# -- readiness --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probe", "is_ready"),
    [
        ({"httpGet": {"path": "/healthz", "port": 8080}}, True),
        ({"httpGet": {"path": "/readyz", "port": "http"}}, True),
        ({"httpGet": {"path": "/healthz", "port": 9999}}, False),
        ({"httpGet": {"path": "/echo?msg=x&code=404", "port": 8080}}, False),
        ({"httpGet": {"path": "/healthz", "port": "metrics"}}, False),
        ({"tcpSocket": {"port": 8080}}, True),
        ({"tcpSocket": {"port": 81}}, False),
        ({"exec": {"command": ["cat", "/tmp/ready"]}}, False),
        ({"exec": {"command": ["true"]}}, True),
    ],
)
def test_readiness_from_probes(cluster: SimCluster, probe: Obj, is_ready: bool) -> None:
    cluster.apply([deploy(replicas=1, probe=probe)], NS)
    assert ready(cluster.list("Pod", NS)[0]) is is_ready


def test_no_probe_means_ready_once_running(cluster: SimCluster) -> None:
    cluster.apply([deploy(replicas=1, args=["pause"])], NS)
    assert ready(cluster.list("Pod", NS)[0])


def test_failing_probe_records_unhealthy_event(cluster: SimCluster) -> None:
    cluster.apply([deploy(replicas=1, probe={"httpGet": {"path": "/", "port": 80}})], NS)
    unhealthy = [e["message"] for e in cluster.events(NS) if e["reason"] == "Unhealthy"]
    assert unhealthy and "connection refused" in unhealthy[0]
    assert unhealthy[0].startswith("Readiness probe failed")


def test_crashing_container_is_not_ready(cluster: SimCluster) -> None:
    cluster.apply([deploy(replicas=1, args=["no-such-subcommand"])], NS)
    pod = cluster.list("Pod", NS)[0]
    assert not ready(pod)
    state = pod["status"]["containerStatuses"][0]["state"]
    assert state["waiting"]["reason"] == "CrashLoopBackOff"


# -- EndpointSlices ---------------------------------------------------------------------------


def test_endpoint_slice_shape(cluster: SimCluster) -> None:
    cluster.apply([deploy(replicas=3), service()], NS)
    (only,) = slices(cluster)
    labels = only["metadata"]["labels"]
    assert labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert only["addressType"] == "IPv4"
    assert only["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}]
    assert only["metadata"]["ownerReferences"][0]["kind"] == "Service"
    pods = {p["metadata"]["name"]: p for p in cluster.list("Pod", NS)}
    for e in only["endpoints"]:
        pod = pods[e["targetRef"]["name"]]
        assert e["addresses"] == [pod["status"]["podIP"]]
        assert e["nodeName"] == pod["spec"]["nodeName"]
        assert e["conditions"] == {"ready": True, "serving": True, "terminating": False}
    assert sorted(e["zone"] for e in only["endpoints"]) == ["zone-a", "zone-b", "zone-c"]


def test_not_ready_pods_stay_in_slice_with_ready_false(cluster: SimCluster) -> None:
    cluster.apply([deploy(probe={"httpGet": {"path": "/", "port": 81}}), service()], NS)
    eps = endpoints(cluster)
    assert len(eps) == 3
    assert all(
        e["conditions"] == {"ready": False, "serving": False, "terminating": False} for e in eps
    )


def test_publish_not_ready_addresses(cluster: SimCluster) -> None:
    svc = service(publishNotReadyAddresses=True)
    cluster.apply([deploy(probe={"tcpSocket": {"port": 81}}), svc], NS)
    assert all(
        e["conditions"]["ready"] and not e["conditions"]["serving"] for e in endpoints(cluster)
    )


def test_named_target_port_missing_in_pod_leaves_port_out(cluster: SimCluster) -> None:
    svc = service(ports=[{"name": "web", "port": 80, "targetPort": "http"}])
    cluster.apply([deploy("web", 2, ports=[]), svc], NS)
    (only,) = slices(cluster)
    assert only["ports"] == [] and len(only["endpoints"]) == 2


def test_named_target_port_resolved(cluster: SimCluster) -> None:
    svc = service(ports=[{"name": "web", "port": 80, "targetPort": "http"}])
    cluster.apply([deploy(), svc], NS)
    assert slices(cluster)[0]["ports"] == [{"name": "web", "port": 8080, "protocol": "TCP"}]


def test_selector_mismatch_gives_empty_slice_and_fix_fills_it(cluster: SimCluster) -> None:
    cluster.apply([deploy(), service(selector={"app": "frontend"})], NS)
    assert endpoints(cluster) == [] and len(slices(cluster)) == 1
    cluster.apply([service()], NS)
    assert len(endpoints(cluster)) == 3


def test_no_slices_for_selectorless_or_external_name(cluster: SimCluster) -> None:
    bare = service("bare")
    del bare["spec"]["selector"]
    ext = service("ext", type="ExternalName", externalName="example.com")
    cluster.apply([deploy("ext"), bare, ext], NS)
    assert slices(cluster, "bare") == [] and slices(cluster, "ext") == []
    mine = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "bare-1", "labels": {"kubernetes.io/service-name": "bare"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.244.9.9"]}],
        "ports": [{"name": "", "port": 80}],
    }
    cluster.apply([mine], NS)
    stored = slices(cluster, "bare")
    assert len(stored) == 1 and stored[0]["endpoints"] == [{"addresses": ["10.244.9.9"]}]


def test_slices_follow_pod_deletion(cluster: SimCluster) -> None:
    cluster.apply([deploy(), service()], NS)
    victim = cluster.list("Pod", NS)[0]["metadata"]["name"]
    cluster.delete("Pod", victim, NS)
    names = {e["targetRef"]["name"] for e in endpoints(cluster)}
    assert victim not in names and len(names) == 3  # the ReplicaSet made a replacement


def test_prefer_same_zone_hints(cluster: SimCluster) -> None:
    cluster.apply([deploy(), service(trafficDistribution="PreferSameZone")], NS)
    for e in endpoints(cluster):
        assert e["hints"] == {"forZones": [{"name": e["zone"]}]}


def test_prefer_same_node_hints(cluster: SimCluster) -> None:
    cluster.apply([deploy(), service(trafficDistribution="PreferSameNode")], NS)
    for e in endpoints(cluster):
        assert e["hints"]["forNodes"] == [{"name": e["nodeName"]}]
        assert e["hints"]["forZones"] == [{"name": e["zone"]}]


def test_no_hints_for_not_ready_endpoints(cluster: SimCluster) -> None:
    probe = {"tcpSocket": {"port": 81}}
    cluster.apply([deploy(probe=probe), service(trafficDistribution="PreferClose")], NS)
    assert all("hints" not in e for e in endpoints(cluster))


# -- LoadBalancer, Ingress, Gateway -----------------------------------------------------------


def test_load_balancer_gets_a_kind_network_ip(cluster: SimCluster) -> None:
    cluster.apply([deploy(), service(type="LoadBalancer")], NS)
    ingress = cluster.get("Service", "web", NS)["status"]["loadBalancer"]["ingress"]  # type: ignore[index]
    # cloud-provider-kind server.go GetLoadBalancer: the Envoy container's address (Docker's
    # next free one after the four node containers) with the Service's ports
    assert ingress == [
        {"ip": "172.18.0.6", "ipMode": "Proxy", "ports": [{"port": 80, "protocol": "TCP"}]}
    ]
    reasons = {e["reason"] for e in cluster.events(NS)}
    assert {"EnsuringLoadBalancer", "EnsuredLoadBalancer"} <= reasons


def test_load_balancer_class_is_ignored_by_cloud_provider_kind(cluster: SimCluster) -> None:
    cluster.apply([service(type="LoadBalancer", loadBalancerClass="example.com/lb")], NS)
    assert cluster.get("Service", "web", NS)["status"] == {"loadBalancer": {}}  # type: ignore[index]


def test_load_balancer_ip_released_on_delete(cluster: SimCluster) -> None:
    cluster.apply([service("a", type="LoadBalancer")], NS)
    cluster.delete("Service", "a", NS)
    cluster.apply([service("b", type="LoadBalancer")], NS)
    ip = cluster.get("Service", "b", NS)["status"]["loadBalancer"]["ingress"][0]["ip"]  # type: ignore[index]
    assert ipaddress.ip_address(ip) in ipaddress.ip_network("172.18.0.0/16")


def ingress(class_name: str | None = None) -> Obj:
    spec: Obj = {
        "rules": [
            {
                "host": "web.example",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "web", "port": {"number": 80}}},
                        }
                    ]
                },
            }
        ]
    }
    if class_name:
        spec["ingressClassName"] = class_name
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": spec,
    }


def test_cloud_provider_kind_classes_exist() -> None:
    c = SimCluster()
    ic = c.get("IngressClass", "cloud-provider-kind")
    assert ic is not None and ic["spec"]["controller"] == "kind.sigs.k8s.io/ingress-controller"
    assert ic["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] == "true"
    gc = c.get("GatewayClass", "cloud-provider-kind")
    assert gc is not None and gc["spec"]["controllerName"] == "kind.sigs.k8s.io/gateway-controller"
    assert gc["status"]["conditions"][0]["status"] == "True"


def test_ingress_with_default_class_gets_an_ip(cluster: SimCluster) -> None:
    cluster.apply([service(), ingress()], NS)
    lb = cluster.get("Ingress", "web", NS)["status"]["loadBalancer"]  # type: ignore[index]
    assert ipaddress.ip_address(lb["ingress"][0]["ip"]) in ipaddress.ip_network("172.18.0.0/16")


def test_ingress_with_unhandled_class_gets_no_ip(cluster: SimCluster) -> None:
    cluster.apply([ingress("nginx")], NS)
    assert cluster.get("Ingress", "web", NS)["status"] == {"loadBalancer": {}}  # type: ignore[index]


def gateway(name: str = "gw", namespace: str = NS, **listener: Any) -> Obj:
    ls: Obj = {"name": "http", "port": 80, "protocol": "HTTP"}
    ls.update(listener)
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"gatewayClassName": "cloud-provider-kind", "listeners": [ls]},
    }


def route(
    name: str = "r",
    *,
    parent: Obj | None = None,
    backend: Obj | None = None,
    hostnames: list[str] | None = None,
) -> Obj:
    spec: Obj = {
        "parentRefs": [parent or {"name": "gw"}],
        "rules": [{"backendRefs": [backend or {"name": "web", "port": 80}]}],
    }
    if hostnames:
        spec["hostnames"] = hostnames
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name},
        "spec": spec,
    }


def conditions(obj: Obj) -> dict[str, tuple[str, str]]:
    holder = obj.get("status", obj)
    return {c["type"]: (c["status"], c["reason"]) for c in holder["conditions"]}


def parent_conditions(c: SimCluster, name: str = "r", ns: str = NS) -> dict[str, tuple[str, str]]:
    parents = c.get("HTTPRoute", name, ns)["status"]["parents"]  # type: ignore[index]
    assert len(parents) == 1
    assert parents[0]["controllerName"] == "kind.sigs.k8s.io/gateway-controller"
    return conditions(parents[0])


def test_gateway_accepted_programmed_with_address_and_attached_routes(cluster: SimCluster) -> None:
    cluster.apply([service(), gateway(), route()], NS)
    gw = cluster.get("Gateway", "gw", NS)
    assert gw is not None
    assert conditions(gw) == {
        "Accepted": ("True", "Accepted"),
        "Programmed": ("True", "Programmed"),
    }
    assert gw["status"]["addresses"][0]["type"] == "IPAddress"
    listener = gw["status"]["listeners"][0]
    assert listener["attachedRoutes"] == 1
    assert {c["type"] for c in listener["conditions"]} >= {"Accepted", "Programmed", "ResolvedRefs"}
    assert parent_conditions(cluster) == {
        "Accepted": ("True", "Accepted"),
        "ResolvedRefs": ("True", "ResolvedRefs"),
    }


def test_gateway_of_unknown_class_stays_pending(cluster: SimCluster) -> None:
    gw = gateway()
    gw["spec"]["gatewayClassName"] = "nope"
    cluster.apply([gw], NS)
    assert conditions(cluster.get("Gateway", "gw", NS))["Accepted"] == ("Unknown", "Pending")  # type: ignore[arg-type]


def test_route_from_other_namespace_not_allowed_by_default(cluster: SimCluster) -> None:
    cluster.ensure_namespace("infra", {})
    cluster.apply([gateway(namespace="infra")], NS)
    cluster.apply([service(), route(parent={"name": "gw", "namespace": "infra"})], NS)
    assert parent_conditions(cluster)["Accepted"] == ("False", "NotAllowedByListeners")
    gw = cluster.get("Gateway", "gw", "infra")
    assert gw is not None and gw["status"]["listeners"][0]["attachedRoutes"] == 0
    # the handshake: allowedRoutes.namespaces.from All (no ReferenceGrant needed)
    cluster.apply([gateway(namespace="infra", allowedRoutes={"namespaces": {"from": "All"}})], NS)
    assert parent_conditions(cluster)["Accepted"] == ("True", "Accepted")


def test_route_hostname_must_match_listener(cluster: SimCluster) -> None:
    cluster.apply([service(), gateway(hostname="*.example.com")], NS)
    cluster.apply([route(hostnames=["shop.other.org"])], NS)
    assert parent_conditions(cluster)["Accepted"] == ("False", "NoMatchingListenerHostname")
    cluster.apply([route(hostnames=["a.b.example.com"])], NS)
    assert parent_conditions(cluster)["Accepted"] == ("True", "Accepted")


def test_route_section_name_must_exist(cluster: SimCluster) -> None:
    cluster.apply([service(), gateway(), route(parent={"name": "gw", "sectionName": "https"})], NS)
    assert parent_conditions(cluster)["Accepted"] == ("False", "NoMatchingParent")


def test_cross_namespace_backend_needs_reference_grant(cluster: SimCluster) -> None:
    cluster.ensure_namespace("store", {})
    cluster.apply([service("web")], "store")
    cluster.apply([gateway(), route(backend={"name": "web", "namespace": "store", "port": 80})], NS)
    assert parent_conditions(cluster)["ResolvedRefs"] == ("False", "RefNotPermitted")
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "from-lab"},
        "spec": {
            "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": NS}],
            "to": [{"group": "", "kind": "Service"}],
        },
    }
    cluster.apply([grant], "store")
    assert parent_conditions(cluster)["ResolvedRefs"] == ("True", "ResolvedRefs")


def test_missing_backend_is_backend_not_found(cluster: SimCluster) -> None:
    cluster.apply([gateway(), route(backend={"name": "ghost", "port": 80})], NS)
    assert parent_conditions(cluster)["ResolvedRefs"] == ("False", "BackendNotFound")


# -- cluster-level behaviour ------------------------------------------------------------------


def test_probe_pod_created_on_first_probe_source() -> None:
    c = SimCluster()
    c.ensure_namespace(NS, {})
    pod = c.ensure_probe_pod(NS)
    assert pod["spec"]["nodeName"] == "kube-tutor-worker"
    assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == "kube-tutor-probe"
    assert pod["spec"]["containers"][0]["args"] == ["pause"]
    assert c.ensure_probe_pod(NS) is pod


def test_delete_namespace_removes_everything_and_frees_allocations(cluster: SimCluster) -> None:
    cluster.apply([deploy(), service(type="NodePort", ports=[{"port": 80, "nodePort": 30080}])], NS)
    cluster.delete_namespace(NS)
    assert cluster.list("Pod", NS) == [] and cluster.get("Namespace", NS) is None
    assert 30080 not in cluster.alloc.node_ports
    cluster.ensure_namespace(NS, {})
    cluster.apply([service(type="NodePort", ports=[{"port": 80, "nodePort": 30080}])], NS)


def test_wait_for_change_returns_false_at_once(cluster: SimCluster) -> None:
    assert cluster.wait_for_change(NS, 5.0) is False


def test_get_returns_copies(cluster: SimCluster) -> None:
    cluster.apply([service()], NS)
    got = cluster.get("Service", "web", NS)
    assert got is not None
    got["spec"]["type"] = "NodePort"
    assert cluster.get("Service", "web", NS)["spec"]["type"] == "ClusterIP"  # type: ignore[index]


def test_snapshot_restore_and_clone(cluster: SimCluster) -> None:
    cluster.apply([deploy(), service()], NS)
    state = cluster.snapshot()
    twin = cluster.clone()
    cluster.delete("Deployment", "web", NS)
    assert cluster.list("Pod", NS) == []
    assert len(twin.list("Pod", NS)) == 3
    cluster.restore(state)
    assert len(cluster.list("Pod", NS)) == 3 and len(endpoints(cluster)) == 3


MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "registry.k8s.io/e2e-test-images/agnhost:2.39", args: [netexec]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""


def _fingerprint(c: SimCluster) -> list[tuple[str, ...]]:
    rows = []
    for pod in c.list("Pod", "lab"):
        rows.append((pod["metadata"]["name"], pod["spec"]["nodeName"], pod["status"]["podIP"]))
    for svc in c.list("Service", "lab"):
        rows.append(
            (
                svc["metadata"]["name"],
                svc["spec"]["clusterIP"],
                str(svc["spec"]["ports"][0].get("nodePort")),
                str(svc["status"]),
                svc["metadata"]["uid"],
            )
        )
    return rows


def test_same_input_gives_same_names_and_addresses() -> None:
    first = _fingerprint(SimCluster.from_manifests(MANIFESTS, "lab"))
    second = _fingerprint(SimCluster.from_manifests(MANIFESTS, "lab"))
    assert first == second and len(first) == 6
