"""Simulator admission: Service defaults, allocation, conflicts, immutability, validation."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tutor.cluster.base import ConflictError, InvalidObjectError, NotFoundError
from tutor.cluster.sim.admission import CLUSTER_IP_STATIC_BAND, NODE_PORT_STATIC_BAND
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


def applied(c: SimCluster, obj: Obj) -> Obj:
    c.apply([obj], NS)
    got = c.get(obj["kind"], obj["metadata"]["name"], NS)
    assert got is not None
    return got


def problem_paths(err: InvalidObjectError) -> list[str]:
    return [p.path for p in err.problems]


def test_service_defaults(cluster: SimCluster) -> None:
    spec = applied(cluster, svc())["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["ports"][0]["protocol"] == "TCP"
    assert spec["ports"][0]["targetPort"] == 80
    assert spec["sessionAffinity"] == "None"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert "externalTrafficPolicy" not in spec
    assert spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["ipFamilies"] == ["IPv4"]
    assert spec["clusterIPs"] == [spec["clusterIP"]]


def test_dynamic_cluster_ip_is_in_range_and_above_the_static_band(cluster: SimCluster) -> None:
    ip = ipaddress.ip_address(applied(cluster, svc())["spec"]["clusterIP"])
    assert ip in ipaddress.ip_network("10.96.0.0/16")
    assert int(ip) - int(ipaddress.ip_address("10.96.0.0")) > CLUSTER_IP_STATIC_BAND


def test_requested_cluster_ip_in_static_band_is_honoured(cluster: SimCluster) -> None:
    assert applied(cluster, svc(clusterIP="10.96.0.50"))["spec"]["clusterIP"] == "10.96.0.50"


def test_requested_cluster_ip_out_of_range_is_422(cluster: SimCluster) -> None:
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc(clusterIP="10.0.0.5")], NS)
    assert "not in the valid range" in str(err.value)
    assert cluster.get("Service", "web", NS) is None


def test_requested_cluster_ip_taken_is_422(cluster: SimCluster) -> None:
    cluster.apply([svc("a", clusterIP="10.96.0.50")], NS)
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc("b", clusterIP="10.96.0.50")], NS)
    assert "provided IP is already allocated" in str(err.value)
    # the kubernetes Service holds 10.96.0.1 and kube-dns 10.96.0.10
    with pytest.raises(InvalidObjectError):
        cluster.apply([svc("c", clusterIP="10.96.0.10")], NS)


def test_cluster_ip_is_immutable_but_kept_on_reapply(cluster: SimCluster) -> None:
    first = applied(cluster, svc())["spec"]["clusterIP"]
    changed = svc()
    changed["spec"]["ports"] = [{"port": 8080}]
    assert applied(cluster, changed)["spec"]["clusterIP"] == first
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc(clusterIP="10.96.0.77")], NS)
    # validation.go validateUpgradeDowngradeClusterIPs (after normalizeClusterIPs)
    assert problem_paths(err.value) == ["spec.clusterIPs[0]"]
    assert 'Invalid value: ["10.96.0.77"]: may not change once set' in str(err.value)


def test_switching_to_headless_is_refused(cluster: SimCluster) -> None:
    applied(cluster, svc())
    with pytest.raises(InvalidObjectError):
        cluster.apply([svc(clusterIP="None")], NS)


def test_headless_service(cluster: SimCluster) -> None:
    spec = applied(cluster, svc(clusterIP="None"))["spec"]
    assert spec["clusterIP"] == "None" and spec["clusterIPs"] == ["None"]
    assert spec["ipFamilyPolicy"] == "SingleStack"  # has a selector


def test_headless_without_selector_defaults_to_require_dual_stack(cluster: SimCluster) -> None:
    body = svc(clusterIP="None")
    del body["spec"]["selector"]
    assert applied(cluster, body)["spec"]["ipFamilyPolicy"] == "RequireDualStack"


def test_require_dual_stack_on_single_stack_cluster_is_422(cluster: SimCluster) -> None:
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc(ipFamilyPolicy="RequireDualStack")], NS)
    assert "dual-stack" in str(err.value)


def test_external_name(cluster: SimCluster) -> None:
    spec = applied(cluster, svc(type="ExternalName", externalName="web.shop.svc.cluster.local"))[
        "spec"
    ]
    assert "clusterIP" not in spec and "internalTrafficPolicy" not in spec
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc("bad", type="ExternalName", externalName="Web.Example.COM")], NS)
    assert "spec.externalName" in problem_paths(err.value)
    with pytest.raises(InvalidObjectError):
        cluster.apply([svc("none", type="ExternalName")], NS)


def test_external_name_to_cluster_ip_allocates_and_back_releases(cluster: SimCluster) -> None:
    applied(cluster, svc(type="ExternalName", externalName="example.com"))
    ip = applied(cluster, svc())["spec"]["clusterIP"]
    assert ip in cluster.alloc.cluster_ips
    applied(cluster, svc(type="ExternalName", externalName="example.com"))
    assert ip not in cluster.alloc.cluster_ips


def test_multi_port_services_must_name_every_port(cluster: SimCluster) -> None:
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc(ports=[{"port": 80}, {"port": 443}])], NS)
    assert "spec.ports[0].name" in problem_paths(err.value)


def test_port_names_must_be_unique(cluster: SimCluster) -> None:
    ports = [{"name": "http", "port": 80}, {"name": "http", "port": 81}]
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc(ports=ports)], NS)
    assert "spec.ports[1].name" in problem_paths(err.value)


def test_node_port_allocation_in_dynamic_band(cluster: SimCluster) -> None:
    spec = applied(cluster, svc(type="NodePort"))["spec"]
    node_port = spec["ports"][0]["nodePort"]
    assert 30000 + NODE_PORT_STATIC_BAND <= node_port <= 32767
    assert spec["externalTrafficPolicy"] == "Cluster"


def test_requested_node_port_taken_or_out_of_range_is_422(cluster: SimCluster) -> None:
    applied(cluster, svc("a", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc("b", type="NodePort", ports=[{"port": 80, "nodePort": 30080}])], NS)
    assert "provided port is already allocated" in str(err.value)
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc("c", type="NodePort", ports=[{"port": 80, "nodePort": 80}])], NS)
    assert "not in the valid range" in str(err.value)
    assert err.value.problems[0].path == "spec.ports[0].nodePort"


def test_node_port_kept_when_reapplied_without_it(cluster: SimCluster) -> None:
    first = applied(cluster, svc(type="NodePort"))["spec"]["ports"][0]["nodePort"]
    body = svc(type="NodePort")
    body["metadata"]["labels"] = {"tier": "web"}
    assert applied(cluster, body)["spec"]["ports"][0]["nodePort"] == first


def test_node_port_released_when_type_changes_back(cluster: SimCluster) -> None:
    applied(cluster, svc("a", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    applied(cluster, svc("a"))
    assert "nodePort" not in cluster.get("Service", "a", NS)["spec"]["ports"][0]  # type: ignore[index]
    applied(cluster, svc("b", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))


def test_external_traffic_policy_forbidden_on_cluster_ip(cluster: SimCluster) -> None:
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc(externalTrafficPolicy="Local")], NS)
    assert "spec.externalTrafficPolicy" in problem_paths(err.value)


def test_health_check_node_port_only_for_lb_local(cluster: SimCluster) -> None:
    spec = applied(cluster, svc(type="LoadBalancer", externalTrafficPolicy="Local"))["spec"]
    assert 30000 <= spec["healthCheckNodePort"] <= 32767
    assert spec["healthCheckNodePort"] != spec["ports"][0]["nodePort"]
    assert "healthCheckNodePort" not in applied(cluster, svc("np", type="NodePort"))["spec"]


def test_session_affinity_client_ip_timeout_default(cluster: SimCluster) -> None:
    spec = applied(cluster, svc(sessionAffinity="ClientIP"))["spec"]
    assert spec["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] == 10800


def test_service_names_are_rfc1123_labels(cluster: SimCluster) -> None:
    assert applied(cluster, svc("1web"))["metadata"]["name"] == "1web"  # relaxed in 1.37
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([svc("Web")], NS)
    assert "metadata.name" in problem_paths(err.value)


def test_unknown_kind_is_rejected_clearly(cluster: SimCluster) -> None:
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([{"apiVersion": "v1", "kind": "Frobnicator", "metadata": {"name": "x"}}], NS)
    assert 'no matches for kind "Frobnicator"' in str(err.value)
    with pytest.raises(InvalidObjectError):
        bad = {"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "x"}}
        cluster.apply([bad], NS)


def test_apply_is_all_or_nothing(cluster: SimCluster) -> None:
    good = svc("good", type="NodePort", ports=[{"port": 80, "nodePort": 30100}])
    bad = svc("bad", type="Bogus")
    with pytest.raises(InvalidObjectError):
        cluster.apply([good, bad], NS)
    assert cluster.get("Service", "good", NS) is None
    assert 30100 not in cluster.alloc.node_ports


def test_apply_reports_actions(cluster: SimCluster) -> None:
    assert cluster.apply([svc()], NS)[0].action == "created"
    assert cluster.apply([svc()], NS)[0].action == "unchanged"
    assert cluster.apply([svc(ports=[{"port": 81}])], NS)[0].action == "configured"


def test_missing_namespace_is_404() -> None:
    with pytest.raises(NotFoundError):
        SimCluster().apply([svc()], "nowhere")


def deployment(labels: dict[str, str], selector: dict[str, str]) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }


def test_deployment_selector_must_match_template(cluster: SimCluster) -> None:
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([deployment({"app": "web"}, {"app": "frontend"})], NS)
    assert "spec.template.metadata.labels" in problem_paths(err.value)
    assert "`selector` does not match template `labels`" in str(err.value)


def test_deployment_selector_is_immutable(cluster: SimCluster) -> None:
    cluster.apply([deployment({"app": "web", "v": "1"}, {"app": "web"})], NS)
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([deployment({"app": "web", "v": "1"}, {"v": "1"})], NS)
    assert "spec.selector" in problem_paths(err.value)


def test_controller_owned_objects_conflict_on_apply(cluster: SimCluster) -> None:
    cluster.apply([deployment({"app": "web"}, {"app": "web"}), svc()], NS)
    pod = cluster.list("Pod", NS)[0]
    mine = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": pod["metadata"]["name"], "labels": {"app": "other"}},
        "spec": pod["spec"],
    }
    with pytest.raises(ConflictError):
        cluster.apply([mine], NS)


def test_pod_spec_is_mostly_immutable(cluster: SimCluster) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    cluster.apply([pod], NS)
    pod["spec"]["containers"][0]["image"] = "nginx:1.27"
    cluster.apply([pod], NS)  # image changes are allowed
    pod["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([pod], NS)
    assert "pod updates may not change fields" in str(err.value)


def test_ingress_path_type_required_and_default_class_filled(cluster: SimCluster) -> None:
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {
            "rules": [
                {
                    "host": "web.example",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        },
    }
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([ingress], NS)
    assert "spec.rules[0].http.paths[0].pathType" in problem_paths(err.value)
    ingress["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = "Prefix"
    assert applied(cluster, ingress)["spec"]["ingressClassName"] == "cloud-provider-kind"


def test_httproute_service_backend_needs_port(cluster: SimCluster) -> None:
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r"},
        "spec": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "web"}]}]},
    }
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([route], NS)
    assert "Must have port for Service reference" in str(err.value)
