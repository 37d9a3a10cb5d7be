"""Cluster DNS: the Kubernetes DNS spec as CoreDNS on kind answers it."""

from __future__ import annotations

from fixtures_dataplane import (
    NS,
    W1,
    W2,
    W3,
    app,
    cluster,
    endpoint_slices,
    pod,
    service,
)

from tutor.cluster.sim.dns import ClusterDns


def test_search_path_and_ndots() -> None:
    dns = ClusterDns(cluster())
    assert dns.search_path("shop") == [
        "shop.svc.cluster.local",
        "svc.cluster.local",
        "cluster.local",
    ]
    assert dns.candidates("web", "shop")[0] == "web.shop.svc.cluster.local"
    assert dns.candidates("web", "shop")[-1] == "web"
    # five dots or more: as-is first
    assert dns.candidates("a.b.c.d.e.f", "shop")[0] == "a.b.c.d.e.f"
    assert dns.candidates("web.shop.svc.cluster.local.", "x") == ["web.shop.svc.cluster.local"]


def test_clusterip_service_has_a_record_even_without_endpoints() -> None:
    src = cluster()
    svc = service("web", selector={"app": "nothing"}, cluster_ip="10.96.0.50")
    src.add(svc)
    answer = ClusterDns(src).resolve("web", namespace=NS)
    assert answer.rcode == "NOERROR"
    assert answer.values == ("10.96.0.50",)
    assert answer.name == "web.lab.svc.cluster.local"
    assert answer.error is None


def test_short_name_works_only_in_the_same_namespace() -> None:
    src = cluster()
    app(src, "web", [W1], ns="shop", cluster_ip="10.96.0.51")
    dns = ClusterDns(src)
    assert dns.resolve("web", namespace=NS).rcode == "NXDOMAIN"
    assert dns.resolve("web.shop", namespace=NS).values == ("10.96.0.51",)
    assert dns.resolve("web.shop.svc.cluster.local", namespace=NS).values == ("10.96.0.51",)
    missing = dns.resolve("nope", namespace=NS)
    assert missing.error == "nxdomain"
    assert missing.tried[0] == "nope.lab.svc.cluster.local"


def test_kubernetes_default_resolves_to_first_service_ip() -> None:
    answer = ClusterDns(cluster()).resolve("kubernetes.default", namespace=NS)
    assert answer.values == ("10.96.0.1",)
    assert answer.name == "kubernetes.default.svc.cluster.local"


def test_headless_one_record_per_ready_endpoint() -> None:
    src = cluster()
    svc, pods = app(src, "db", [W1, W2, W3], headless=True, ready=[True, True, False])
    answer = ClusterDns(src).resolve("db", namespace=NS)
    ips = {p["status"]["podIP"] for p in pods[:2]}
    assert set(answer.values) == ips
    assert pods[2]["status"]["podIP"] not in answer.values


def test_headless_without_ready_endpoints_is_nxdomain() -> None:
    src = cluster()
    app(src, "db", [W1], headless=True, ready=[False])
    answer = ClusterDns(src).resolve("db", namespace=NS)
    assert answer.rcode == "NXDOMAIN"
    assert answer.failure == "no-ready-endpoints"
    src2 = cluster()
    src2.add(service("db", selector={"app": "db"}, headless=True))
    assert ClusterDns(src2).resolve("db", namespace=NS).failure == "no-endpoints"


def test_per_endpoint_hostname_records_statefulset_style() -> None:
    src = cluster()
    svc = service("db", selector={"app": "db"}, headless=True)
    pods = [
        pod(f"db-{i}", node, labels={"app": "db"}, hostname=f"db-{i}", subdomain="db")
        for i, node in enumerate([W1, W2])
    ]
    src.add(svc, *pods, *endpoint_slices(svc, pods))
    answer = ClusterDns(src).resolve("db-1.db", namespace=NS)
    assert answer.values == (pods[1]["status"]["podIP"],)
    assert ClusterDns(src).resolve("db-7.db", namespace=NS).rcode == "NXDOMAIN"


def test_pod_without_subdomain_gets_no_hostname_record() -> None:
    src = cluster()
    svc = service("db", selector={"app": "db"}, headless=True)
    pods = [pod("db-0", W1, labels={"app": "db"}, hostname="db-0")]
    src.add(svc, *pods, *endpoint_slices(svc, pods))
    answer = ClusterDns(src).resolve("db-0.db", namespace=NS)
    assert answer.rcode == "NXDOMAIN"
    assert "subdomain" in " ".join(answer.steps)


def test_srv_only_for_named_ports() -> None:
    src = cluster()
    app(
        src,
        "web",
        [W1],
        cluster_ip="10.96.0.60",
        ports=[{"name": "http", "port": 80, "targetPort": 8080}],
    )
    app(src, "anon", [W1], ports=[{"port": 80, "targetPort": 8080}])
    dns = ClusterDns(src)
    srv = dns.resolve("_http._tcp.web.lab.svc.cluster.local", "SRV", namespace=NS)
    assert srv.values == ("0 100 80 web.lab.svc.cluster.local",)
    assert dns.resolve("_http._tcp.anon", "SRV", namespace=NS).rcode == "NXDOMAIN"


def test_headless_srv_per_endpoint_with_endpoint_port() -> None:
    src = cluster()
    svc = service(
        "db",
        selector={"app": "db"},
        headless=True,
        ports=[{"name": "pg", "port": 5432, "targetPort": 8080}],
    )
    pods = [
        pod(f"db-{i}", node, labels={"app": "db"}, hostname=f"db-{i}", subdomain="db")
        for i, node in enumerate([W1, W2, W3])
    ]
    src.add(svc, *pods, *endpoint_slices(svc, pods))
    srv = ClusterDns(src).resolve("_pg._tcp.db", "SRV", namespace=NS)
    assert len(srv.values) == 3
    assert all(v.split()[2] == "8080" for v in srv.values)
    assert {v.split()[3] for v in srv.values} == {
        f"db-{i}.db.lab.svc.cluster.local" for i in range(3)
    }


def test_externalname_cname_and_in_cluster_target_is_followed() -> None:
    src = cluster()
    app(src, "web", [W1], ns="other", cluster_ip="10.96.0.70")
    src.add(service("alias", type="ExternalName", externalName="web.other.svc.cluster.local"))
    dns = ClusterDns(src)
    cname = dns.resolve("alias", "CNAME", namespace=NS)
    assert cname.values == ("web.other.svc.cluster.local",)
    a = dns.resolve("alias", namespace=NS)
    assert a.cnames == ("web.other.svc.cluster.local",)
    assert a.values == ("10.96.0.70",)


def test_externalname_to_outside_is_unresolvable_without_internet() -> None:
    src = cluster()
    src.add(service("ext", type="ExternalName", externalName="example.com"))
    answer = ClusterDns(src).resolve("ext", namespace=NS)
    assert answer.error == "unresolvable"
    assert answer.failure == "externalname-unresolvable"
    assert answer.cnames == ("example.com",)
    assert "Internet" in " ".join(answer.steps)
    # an upstream resolver can be plugged in (a snapshot of a real cluster)
    dns = ClusterDns(src, upstream=lambda name, qtype: ["93.184.215.14"])
    assert dns.resolve("ext", namespace=NS).values == ("93.184.215.14",)


def test_legacy_pod_records_and_ptr() -> None:
    src = cluster()
    app(src, "web", [W1], cluster_ip="10.96.0.80")
    dns = ClusterDns(src)
    assert dns.resolve("10-244-1-7.lab.pod.cluster.local", namespace=None).values == ("10.244.1.7",)
    ptr = dns.resolve("10.96.0.80", "PTR", namespace=NS)
    assert ptr.values == ("web.lab.svc.cluster.local",)


def test_endpoint_name_on_clusterip_service_is_nxdomain() -> None:
    src = cluster()
    app(src, "web", [W1])
    assert ClusterDns(src).resolve("web-0.web", namespace=NS).rcode == "NXDOMAIN"
