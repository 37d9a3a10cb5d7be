"""The traffic model: kube-proxy (iptables), kindnet and cloud-provider-kind, one rule a test."""

from __future__ import annotations

from typing import Any

from fixtures_dataplane import (
    AGNHOST,
    CP,
    NODE_IP,
    NS,
    W1,
    W2,
    W3,
    FakeSource,
    app,
    cluster,
    endpoint_slices,
    pod,
    probe_pod,
    service,
)

from tutor.cluster.base import ProbeRequest, ProbeResult
from tutor.cluster.sim.dataplane import DataPlane, Router
from tutor.cluster.sim.trace import trace


def probe(src: FakeSource, target: str, **kw: Any) -> ProbeResult:
    protocol = kw.pop("protocol", "http")
    return DataPlane(src).probe(ProbeRequest(protocol, target, kw.pop("ns", NS), **kw))


def failure(src: FakeSource, target: str, **kw: Any) -> str | None:
    protocol = kw.pop("protocol", "http")
    return trace(src, ProbeRequest(protocol, target, kw.pop("ns", NS), **kw)).failure


def with_probe(on: str = W1) -> FakeSource:
    return cluster().add(probe_pod(on))


# -- ClusterIP -------------------------------------------------------------------------------


def test_clusterip_spreads_over_ready_backends_deterministically() -> None:
    src = with_probe()
    app(src, "web", [W1, W2, W3])
    first = probe(src, "http://web/hostname", count=20)
    again = probe(src, "http://web/hostname", count=20)
    assert first.ok_count == 20
    assert len(first.backends) == 3
    assert [a.backend for a in first.attempts] == [a.backend for a in again.attempts]
    assert first.attempts[0].status == 200


def test_pod_to_clusterip_keeps_the_pod_ip_as_client() -> None:
    src = with_probe()
    app(src, "web", [W2])
    result = probe(src, "http://web/clientip")
    probe_ip = src.get("Pod", "kube-tutor-probe", NS)["status"]["podIP"]  # type: ignore[index]
    assert result.attempts[0].client_ip == probe_ip
    assert result.attempts[0].body.startswith(probe_ip + ":")


def test_no_ready_endpoints_is_refused_fast() -> None:
    src = with_probe()
    app(src, "web", [W1, W2], ready=[False, False])
    result = probe(src, "http://web/hostname")
    assert result.errors == ["refused"]
    assert failure(src, "http://web/hostname") == "no-ready-endpoints"


def test_selector_matching_nothing_is_no_endpoints() -> None:
    src = with_probe()
    src.add(service("web", selector={"app": "wrong"}))
    assert probe(src, "http://web/").errors == ["refused"]
    t = trace(src, ProbeRequest("http", "http://web/", NS))
    assert t.failure == "no-endpoints"
    assert "matches no Pod" in (t.failing_hop.reason if t.failing_hop else "")


def test_port_not_declared_by_the_service_times_out() -> None:
    src = with_probe()
    app(src, "web", [W1])
    assert probe(src, "web:81", protocol="tcp").errors == ["timeout"]
    assert failure(src, "web:81", protocol="tcp") == "port-not-in-service"


def test_target_port_where_nothing_listens_is_refused() -> None:
    src = with_probe()
    app(src, "web", [W1], ports=[{"name": "http", "port": 80, "targetPort": 9999}])
    assert probe(src, "http://web/").errors == ["refused"]
    assert failure(src, "http://web/") == "target-port-closed"


def test_named_target_port_missing_in_pods_leaves_no_endpoints_for_the_port() -> None:
    src = with_probe()
    app(src, "web", [W1], ports=[{"name": "http", "port": 80, "targetPort": "web-http"}])
    assert probe(src, "http://web/").errors == ["refused"]
    assert failure(src, "http://web/") == "no-endpoint-port"


def test_named_target_port_resolves_through_the_slice() -> None:
    src = with_probe()
    app(src, "web", [W1], ports=[{"name": "http", "port": 80, "targetPort": "http"}])
    assert probe(src, "http://web/hostname").attempts[0].body == "web-0"


def test_terminating_but_serving_endpoints_are_used_when_none_is_ready() -> None:
    src = with_probe()
    app(src, "web", [W2], pod_kwargs=[{"terminating": True}])
    slice_ep = src.list("EndpointSlice", NS)[0]["endpoints"][0]
    assert slice_ep["conditions"] == {"ready": False, "serving": True, "terminating": True}
    assert probe(src, "http://web/hostname").attempts[0].backend == "web-0"


def test_hairpin_to_own_service_is_masqueraded_to_the_pod_gateway() -> None:
    src = cluster()
    svc, pods = app(src, "web", [W2])
    result = probe(src, "http://web/clientip", source="pod:web-0")
    assert result.attempts[0].client_ip == "10.244.2.1"


def test_pod_ip_direct_bypasses_the_service() -> None:
    src = with_probe()
    svc, pods = app(src, "web", [W2], ready=[False])
    ip = pods[0]["status"]["podIP"]
    assert probe(src, f"http://{ip}:8080/hostname").attempts[0].body == "web-0"


def test_headless_name_connects_to_pod_ips_without_port_translation() -> None:
    src = with_probe()
    app(src, "db", [W1, W2], headless=True, ports=[{"name": "http", "port": 80}])
    assert probe(src, "http://db:8080/hostname", count=10).ok_count == 10
    assert probe(src, "http://db/hostname").errors == ["refused"]


def test_kubernetes_default_reaches_the_api_server() -> None:
    src = with_probe()
    result = probe(src, "kubernetes.default:443", protocol="tcp")
    assert result.attempts[0].ok
    assert result.attempts[0].backend == CP


# -- clients ------------------------------------------------------------------------------------


def test_probe_stand_in_when_no_probe_pod() -> None:
    src = cluster()
    app(src, "web", [W2])
    result = probe(src, "http://web/clientip")
    assert result.attempts[0].client_ip == "10.244.1.250"


def test_host_cannot_reach_clusterip_or_use_cluster_dns() -> None:
    src = cluster()
    svc, _ = app(src, "web", [W1])
    vip = svc["spec"]["clusterIP"]
    assert probe(src, f"http://{vip}/", source="host").errors == ["timeout"]
    assert failure(src, f"http://{vip}/", source="host") == "not-routable"
    assert probe(src, "http://web/", source="host").errors == ["unresolvable"]


def test_unknown_source_pod_is_reported() -> None:
    assert failure(cluster(), "http://web/", source="pod:ghost") == "client-not-found"


def test_node_source_uses_node_ip_and_is_masqueraded() -> None:
    src = cluster()
    svc, _ = app(src, "web", [W2])
    vip = svc["spec"]["clusterIP"]
    result = probe(src, f"http://{vip}/clientip", source=f"node:{W1}")
    assert result.attempts[0].client_ip == NODE_IP[W1]
    assert result.attempts[0].source_ip == NODE_IP[W1]


# -- NodePort and externalTrafficPolicy ---------------------------------------------------------


def test_every_node_listens_on_the_nodeport_control_plane_too() -> None:
    src = cluster()
    svc, _ = app(src, "web", [W2], type="NodePort")
    port = svc["spec"]["ports"][0]["nodePort"]
    for node in (CP, W1, W2, W3):
        assert probe(src, f"http://{NODE_IP[node]}:{port}/hostname", source="host").ok_count == 1


def test_nodeport_cluster_policy_snats_to_the_receiving_node() -> None:
    src = cluster()
    svc, _ = app(src, "web", [W2], type="NodePort")
    port = svc["spec"]["ports"][0]["nodePort"]
    remote = probe(src, f"http://{NODE_IP[W1]}:{port}/clientip", source="host")
    assert remote.attempts[0].client_ip == NODE_IP[W1]
    local = probe(src, f"http://{NODE_IP[W2]}:{port}/clientip", source="host")
    assert local.attempts[0].client_ip == "10.244.2.1"


def test_nodeport_local_policy_drops_on_nodes_without_endpoint_and_keeps_client_ip() -> None:
    src = cluster()
    svc, _ = app(src, "web", [W2], type="NodePort", externalTrafficPolicy="Local")
    port = svc["spec"]["ports"][0]["nodePort"]
    assert probe(src, f"http://{NODE_IP[W1]}:{port}/", source="host").errors == ["timeout"]
    assert failure(src, f"http://{NODE_IP[W1]}:{port}/", source="host") == "no-local-endpoint"
    ok = probe(src, f"http://{NODE_IP[W2]}:{port}/clientip", source="host")
    assert ok.attempts[0].client_ip == "172.18.0.1"


def test_local_policy_for_pod_traffic_to_its_own_node_is_short_circuited() -> None:
    """kube-proxy sends Pod-CIDR sources to cluster-wide endpoints (the local detector)."""
    src = with_probe(W1)
    svc, _ = app(src, "web", [W2], type="NodePort", externalTrafficPolicy="Local")
    port = svc["spec"]["ports"][0]["nodePort"]
    assert probe(src, f"http://{NODE_IP[W1]}:{port}/hostname").ok_count == 1


def test_local_policy_for_pod_traffic_to_another_node_drops() -> None:
    """kindnet masquerades the Pod's packet to its node's IP on the way to another node, so
    that node's kube-proxy sees an external client: without a local endpoint it drops."""
    src = with_probe(W1)
    svc, _ = app(src, "web", [W2], type="NodePort", externalTrafficPolicy="Local")
    port = svc["spec"]["ports"][0]["nodePort"]
    assert probe(src, f"http://{NODE_IP[W3]}:{port}/hostname").errors == ["timeout"]
    served = probe(src, f"http://{NODE_IP[W2]}:{port}/clientip")
    assert served.ok_count == 1
    assert (served.attempts[0].client_ip or "").split(":")[0] == NODE_IP[W1]


def test_local_policy_seen_from_another_node_drops() -> None:
    src = cluster()
    svc, _ = app(src, "web", [W2], type="NodePort", externalTrafficPolicy="Local")
    port = svc["spec"]["ports"][0]["nodePort"]
    result = probe(src, f"http://{NODE_IP[W3]}:{port}/", source=f"node:{W1}")
    assert result.errors == ["timeout"]


def test_node_port_that_is_no_nodeport_is_refused() -> None:
    src = cluster()
    assert probe(src, f"http://{NODE_IP[W1]}:31999/", source="host").errors == ["refused"]
    assert failure(src, f"http://{NODE_IP[W1]}:31999/", source="host") == "nodeport-closed"


# -- internalTrafficPolicy, topology, affinity --------------------------------------------------


def test_internal_traffic_policy_local_drops_without_local_endpoint() -> None:
    src = with_probe(W1)
    app(src, "web", [W2, W3], internalTrafficPolicy="Local")
    assert probe(src, "http://web/").errors == ["timeout"]
    assert failure(src, "http://web/") == "no-local-endpoint"


def test_internal_traffic_policy_local_uses_only_local_endpoints() -> None:
    src = with_probe(W1)
    app(src, "web", [W1, W2, W3], internalTrafficPolicy="Local")
    assert probe(src, "http://web/hostname", count=10).backends == ["web-0"]


def test_prefer_same_zone_keeps_traffic_in_zone_and_falls_back() -> None:
    src = with_probe(W1)  # zone-a
    app(src, "web", [W1, W2, W3], trafficDistribution="PreferSameZone")
    assert probe(src, "http://web/hostname", count=20).backends == ["web-0"]
    src2 = with_probe(W1)
    app(src2, "web", [W2, W3], trafficDistribution="PreferSameZone")
    assert len(probe(src2, "http://web/hostname", count=20).backends) == 2


def test_prefer_same_node_with_fallback() -> None:
    src = with_probe(W2)
    app(src, "web", [W1, W2, W3], trafficDistribution="PreferSameNode")
    assert probe(src, "http://web/hostname", count=20).backends == ["web-1"]
    src2 = with_probe(W3)
    app(src2, "web", [W1, W2], trafficDistribution="PreferSameNode")
    assert probe(src2, "http://web/hostname", count=20).ok_count == 20


def test_zone_hints_ignored_when_an_endpoint_lacks_them() -> None:
    src = with_probe(W1)
    svc, _ = app(src, "web", [W1, W2, W3], trafficDistribution="PreferSameZone")
    slice_obj = src.list("EndpointSlice", NS)[0]
    del slice_obj["endpoints"][2]["hints"]
    assert len(probe(src, "http://web/hostname", count=20).backends) == 3
    assert svc["spec"]["trafficDistribution"] == "PreferSameZone"


def test_session_affinity_client_ip_sticks() -> None:
    src = with_probe()
    app(src, "web", [W1, W2, W3], sessionAffinity="ClientIP")
    result = probe(src, "http://web/hostname", count=20)
    assert result.ok_count == 20
    assert len(result.backends) == 1


def test_session_affinity_is_remembered_across_probes_and_expires() -> None:
    src = with_probe()
    app(
        src,
        "web",
        [W1, W2, W3],
        sessionAffinity="ClientIP",
        sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10}},
    )
    now = [0.0]
    plane = DataPlane(src, clock=lambda: now[0])
    request = ProbeRequest("http", "http://web/hostname", NS)
    first = plane.probe(request).backends
    # the remembered endpoint wins even over the hash choice once it is stored
    key = next(iter(plane.affinity._entries))
    other = next(p for p in ("web-0", "web-1", "web-2") if p not in first)
    other_ip = src.get("Pod", other, NS)["status"]["podIP"]  # type: ignore[index]
    plane.affinity._entries[key] = (other_ip, now[0])
    assert plane.probe(request).backends == [other]
    now[0] = 100.0
    assert plane.probe(request).backends == first


# -- LoadBalancer (cloud-provider-kind) ---------------------------------------------------------


def test_loadbalancer_cluster_policy_backend_sees_a_node_ip() -> None:
    src = cluster()
    app(src, "web", [W2], type="LoadBalancer", lb_ip="172.18.0.50")
    result = probe(src, "http://172.18.0.50/clientip", source="host", count=10)
    assert result.ok_count == 10
    seen = {a.client_ip for a in result.attempts}
    assert seen <= {NODE_IP[W1], NODE_IP[W3], "10.244.2.1"}
    assert NODE_IP[CP] not in seen  # control plane is excluded from load balancers


def test_loadbalancer_local_policy_sees_envoy_ip_on_healthy_nodes() -> None:
    src = cluster()
    app(
        src,
        "web",
        [W1, W2],
        type="LoadBalancer",
        lb_ip="172.18.0.50",
        externalTrafficPolicy="Local",
    )
    result = probe(src, "http://172.18.0.50/clientip", source="host", count=10)
    assert result.ok_count == 10
    assert {a.client_ip for a in result.attempts} == {"172.18.0.50"}


def test_loadbalancer_local_policy_sends_only_to_healthy_nodes() -> None:
    """cloud-provider-kind proxy.go: Envoy health-checks each node's healthCheckNodePort and
    sets healthy_panic_threshold 0, so one node with the endpoint takes every request."""
    src = cluster()
    app(src, "web", [W2], type="LoadBalancer", lb_ip="172.18.0.50", externalTrafficPolicy="Local")
    result = probe(src, "http://172.18.0.50/hostname", source="host", count=20)
    assert result.ok_count == 20


def test_loadbalancer_local_policy_without_any_endpoint_resets() -> None:
    src = cluster()
    app(src, "web", [], type="LoadBalancer", lb_ip="172.18.0.50", externalTrafficPolicy="Local")
    assert probe(src, "http://172.18.0.50/", source="host").errors == ["reset"]
    assert failure(src, "http://172.18.0.50/", source="host") == "lb-no-healthy-node"


def test_loadbalancer_wrong_port_is_refused() -> None:
    src = cluster()
    app(src, "web", [W2], type="LoadBalancer", lb_ip="172.18.0.50")
    assert probe(src, "http://172.18.0.50:8080/", source="host").errors == ["refused"]


# -- ExternalName -------------------------------------------------------------------------------


def _vhost_target(src: FakeSource) -> None:
    nginx = [
        {
            "name": "nginx",
            "image": "nginx:1.27",
            "env": [{"name": "NGINX_HOST", "value": "shop.example.com"}],
        }
    ]
    app(
        src,
        "web",
        [W2],
        ns="other",
        containers=nginx,
        ports=[{"name": "http", "port": 80, "targetPort": 80}],
    )
    src.add(service("shop", type="ExternalName", externalName="web.other.svc.cluster.local"))


def test_externalname_keeps_the_alias_as_host_and_a_vhost_answers_404() -> None:
    src = with_probe()
    _vhost_target(src)
    result = probe(src, "http://shop/")
    assert result.attempts[0].status == 404
    t = trace(src, ProbeRequest("http", "http://shop/", NS))
    assert t.failure == "host-mismatch"
    fixed = probe(src, "http://shop/", headers={"Host": "shop.example.com"})
    assert fixed.attempts[0].status == 200


def test_externalname_to_the_internet_is_unresolvable() -> None:
    src = with_probe()
    src.add(service("ext", type="ExternalName", externalName="example.com"))
    assert probe(src, "http://ext/").errors == ["unresolvable"]
    assert failure(src, "http://ext/") == "externalname-unresolvable"


# -- DNS and TCP probes -------------------------------------------------------------------------


def test_dns_probe_records() -> None:
    src = with_probe()
    svc, _ = app(src, "web", [W1])
    a = probe(src, "web", protocol="dns")
    assert a.attempts[0].records == (svc["spec"]["clusterIP"],)
    srv = probe(src, "_http._tcp.web", protocol="dns", record_type="SRV")
    assert srv.attempts[0].records == ("0 100 80 web.lab.svc.cluster.local",)
    missing = probe(src, "nope", protocol="dns")
    assert missing.errors == ["nxdomain"]


def test_tcp_probe_connects_and_reports_the_backend() -> None:
    src = with_probe()
    app(src, "web", [W1])
    result = probe(src, "web:80", protocol="tcp")
    assert result.attempts[0].ok and result.attempts[0].backend == "web-0"


def test_pause_pod_listens_on_nothing() -> None:
    src = with_probe()
    pause = [{"name": "p", "image": AGNHOST, "args": ["pause"]}]
    app(src, "idle", [W1], containers=pause)
    assert probe(src, "http://idle/").errors == ["refused"]


def test_selectorless_service_with_hand_made_slice() -> None:
    src = with_probe()
    backend = pod("ext-0", W3, labels={"role": "x"})
    svc = service("manual", selector=None)
    slices = endpoint_slices(svc, [backend])
    slices[0]["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] = "me"
    src.add(backend, svc, *slices)
    assert probe(src, "http://manual/hostname").attempts[0].body == "ext-0"
    slices[0]["endpoints"][0]["addresses"] = ["10.99.0.1"]
    assert failure(src, "http://manual/") == "unknown-address"


def test_router_is_shared_by_trace_and_probe() -> None:
    src = with_probe()
    app(src, "web", [W1, W2, W3])
    request = ProbeRequest("http", "http://web/hostname", NS)
    journey = Router(src).run(request, 0)
    assert trace(src, request).attempt == journey.attempt
    assert DataPlane(src).probe(request).attempts[0] == journey.attempt
