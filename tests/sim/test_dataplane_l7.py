"""Ingress and Gateway API routing as cloud-provider-kind's Envoy does it."""

from __future__ import annotations

from typing import Any

from fixtures_dataplane import (
    CP,
    NODE_IP,
    NS,
    W1,
    W2,
    FakeSource,
    app,
    backend_rule,
    cluster,
    gateway,
    httproute,
    ing_rule,
    ingress,
    probe_pod,
)

from tutor.cluster.base import ProbeAttempt, ProbeRequest
from tutor.cluster.sim.dataplane import DataPlane
from tutor.cluster.sim.trace import trace

ING_IP = "172.18.0.100"
GW_IP = "172.18.0.200"


def get(src: FakeSource, url: str, host: str | None = None, **kw: Any) -> ProbeAttempt:
    headers = {"Host": host} if host else {}
    request = ProbeRequest("http", url, NS, source=kw.pop("source", "host"), headers=headers)
    return DataPlane(src).probe(request).attempts[0]


def why(src: FakeSource, url: str, host: str | None = None) -> str | None:
    headers = {"Host": host} if host else {}
    return trace(src, ProbeRequest("http", url, NS, source="host", headers=headers)).failure


def shop() -> FakeSource:
    src = cluster()
    app(src, "api", [W1])
    app(src, "web", [W2])
    src.add(
        ingress(
            "shop",
            [
                ing_rule(
                    "shop.example.com",
                    ("Prefix", "/api", "api", 80),
                    ("Prefix", "/", "web", 80),
                    ("Exact", "/exact", "api", 80),
                )
            ],
        )
    )
    return src


# -- Ingress ------------------------------------------------------------------------------------


def test_ingress_prefix_matches_whole_path_elements() -> None:
    src = shop()
    assert get(src, f"http://{ING_IP}/api/v1/x", "shop.example.com").backend == "api-0"
    assert get(src, f"http://{ING_IP}/api", "shop.example.com").backend == "api-0"
    assert get(src, f"http://{ING_IP}/apiary", "shop.example.com").backend == "web-0"
    assert get(src, f"http://{ING_IP}/exact", "shop.example.com").backend == "api-0"
    assert get(src, f"http://{ING_IP}/exact/more", "shop.example.com").backend == "web-0"


def test_ingress_without_matching_host_is_404() -> None:
    src = shop()
    answer = get(src, f"http://{ING_IP}/", "other.example.com")
    assert answer.status == 404 and answer.backend is None
    assert why(src, f"http://{ING_IP}/", "other.example.com") == "no-ingress-rule"


def test_ingress_backend_goes_through_the_control_plane_node() -> None:
    src = shop()
    answer = get(src, f"http://{ING_IP}/clientip", "shop.example.com")
    assert answer.client_ip == NODE_IP[CP]


def test_ingress_backend_without_ready_endpoints_is_503() -> None:
    src = cluster()
    app(src, "web", [W2], ready=[False])
    src.add(ingress("shop", [ing_rule(None, ("Prefix", "/", "web", 80))]))
    answer = get(src, f"http://{ING_IP}/")
    assert answer.status == 503
    assert why(src, f"http://{ING_IP}/") == "no-ready-endpoints"


def test_ingress_missing_backend_service_is_500() -> None:
    src = cluster()
    src.add(ingress("shop", [ing_rule(None, ("Prefix", "/", "ghost", 80))]))
    assert get(src, f"http://{ING_IP}/").status == 500
    assert why(src, f"http://{ING_IP}/") == "backend-not-found"


def test_ingress_of_an_unhandled_class_is_not_programmed() -> None:
    src = shop()
    src.add(
        ingress(
            "legacy",
            [ing_rule("legacy.example.com", ("Prefix", "/", "web", 80))],
            class_name="nginx",
            ip=None,
        )
    )
    assert get(src, f"http://{ING_IP}/", "legacy.example.com").status == 404
    assert why(src, f"http://{ING_IP}/", "legacy.example.com") == "ingress-class-unhandled"


def test_ingress_default_backend_and_wildcards_follow_gateway_semantics() -> None:
    src = cluster()
    app(src, "web", [W2])
    app(src, "api", [W1])
    src.add(
        ingress(
            "wild",
            [ing_rule("*.example.com", ("Prefix", "/", "api", 80))],
            default_backend={"name": "web", "port": {"number": 80}},
        )
    )
    # cloud-provider-kind's known deviation: *.example.com matches several labels
    assert get(src, f"http://{ING_IP}/hostname", "a.b.example.com").backend == "api-0"
    assert get(src, f"http://{ING_IP}/hostname", "example.com").backend == "web-0"


def test_ingress_address_has_no_listener_on_other_ports() -> None:
    src = shop()
    answer = get(src, f"http://{ING_IP}:8080/", "shop.example.com")
    assert answer.error == "refused"


def test_ingress_reachable_from_a_pod_too() -> None:
    src = shop().add(probe_pod())
    answer = get(src, f"http://{ING_IP}/hostname", "shop.example.com", source="probe")
    assert answer.backend == "web-0"


# -- Gateway API --------------------------------------------------------------------------------


def store() -> FakeSource:
    src = cluster()
    app(src, "store", [W1])
    app(src, "store-v2", [W2])
    src.add(gateway("gw", [{"name": "http", "port": 80, "protocol": "HTTP"}]))
    return src


def test_httproute_accepted_by_status_routes_by_host_and_path() -> None:
    src = store()
    src.add(
        httproute(
            "store",
            "gw",
            [backend_rule("store", path=("PathPrefix", "/"))],
            hostnames=["store.example.com"],
            accepted=True,
        )
    )
    assert get(src, f"http://{GW_IP}/hostname", "store.example.com").backend == "store-0"
    assert get(src, f"http://{GW_IP}/", "other.example.com").status == 404
    assert why(src, f"http://{GW_IP}/", "other.example.com") == "no-route-match"


def test_route_rejected_in_status_is_not_attached() -> None:
    src = store()
    src.add(httproute("store", "gw", [backend_rule("store")], accepted=False))
    assert get(src, f"http://{GW_IP}/").status == 404
    assert why(src, f"http://{GW_IP}/") == "route-not-attached"


def test_empty_status_attachment_is_computed_from_allowed_routes() -> None:
    src = store()
    app(src, "shopfront", [W1], ns="apps")
    src.add(httproute("front", "gw", [backend_rule("shopfront")], ns="apps", parent_ns=NS))
    assert get(src, f"http://{GW_IP}/").status == 404
    assert why(src, f"http://{GW_IP}/") == "route-not-attached"
    src.add(
        gateway(
            "gw",
            [
                {
                    "name": "http",
                    "port": 80,
                    "protocol": "HTTP",
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                }
            ],
        )
    )
    assert get(src, f"http://{GW_IP}/hostname").backend == "shopfront-0"


def test_allowed_routes_selector_uses_namespace_labels() -> None:
    src = store()
    app(src, "shopfront", [W1], ns="apps")
    src.add(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "apps", "labels": {"team": "shop"}},
        },
        gateway(
            "gw",
            [
                {
                    "name": "http",
                    "port": 80,
                    "protocol": "HTTP",
                    "allowedRoutes": {
                        "namespaces": {
                            "from": "Selector",
                            "selector": {"matchLabels": {"team": "shop"}},
                        }
                    },
                }
            ],
        ),
        httproute("front", "gw", [backend_rule("shopfront")], ns="apps", parent_ns=NS),
    )
    assert get(src, f"http://{GW_IP}/hostname").backend == "shopfront-0"


def test_listener_hostname_must_intersect_route_hostnames() -> None:
    src = cluster()
    app(src, "store", [W1])
    src.add(
        gateway(
            "gw", [{"name": "http", "port": 80, "protocol": "HTTP", "hostname": "*.example.com"}]
        ),
        httproute("a", "gw", [backend_rule("store")], hostnames=["store.example.com"]),
        httproute("b", "gw", [backend_rule("store")], hostnames=["store.other.org"]),
    )
    assert get(src, f"http://{GW_IP}/hostname", "store.example.com").backend == "store-0"
    assert get(src, f"http://{GW_IP}/", "store.other.org").status == 404


def test_header_and_query_matches_and_precedence() -> None:
    src = store()
    src.add(
        httproute(
            "store",
            "gw",
            [
                backend_rule("store", path=("PathPrefix", "/")),
                backend_rule(
                    "store-v2",
                    path=("PathPrefix", "/"),
                    headers=[{"name": "X-Version", "value": "2"}],
                ),
                backend_rule(
                    "store-v2", path=("PathPrefix", "/"), query=[{"name": "v", "value": "2"}]
                ),
            ],
        )
    )
    assert get(src, f"http://{GW_IP}/hostname").backend == "store-0"
    request = ProbeRequest(
        "http", f"http://{GW_IP}/hostname", NS, source="host", headers={"X-Version": "2"}
    )
    assert DataPlane(src).probe(request).attempts[0].backend == "store-v2-0"
    assert get(src, f"http://{GW_IP}/hostname?v=2").backend == "store-v2-0"


def test_exact_path_beats_longer_prefix() -> None:
    src = store()
    src.add(
        httproute(
            "store",
            "gw",
            [
                backend_rule("store", path=("PathPrefix", "/hostname/long/prefix")),
                backend_rule("store-v2", path=("Exact", "/hostname")),
                backend_rule("store", path=("PathPrefix", "/")),
            ],
        )
    )
    assert get(src, f"http://{GW_IP}/hostname").backend == "store-v2-0"


def test_cross_namespace_backend_needs_a_reference_grant() -> None:
    src = store()
    app(src, "db-api", [W2], ns="data")
    src.add(httproute("store", "gw", [backend_rule("db-api", ns="data")]))
    assert get(src, f"http://{GW_IP}/").status == 500
    assert why(src, f"http://{GW_IP}/") == "backend-not-permitted"
    src.add(
        {
            "apiVersion": "gateway.networking.k8s.io/v1beta1",
            "kind": "ReferenceGrant",
            "metadata": {"name": "allow-lab", "namespace": "data"},
            "spec": {
                "from": [
                    {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": NS}
                ],
                "to": [{"group": "", "kind": "Service"}],
            },
        }
    )
    assert get(src, f"http://{GW_IP}/hostname").backend == "db-api-0"


def test_weights_split_traffic() -> None:
    src = store()
    src.add(
        httproute(
            "store",
            "gw",
            [
                {
                    "backendRefs": [
                        {"name": "store", "port": 80, "weight": 90},
                        {"name": "store-v2", "port": 80, "weight": 10},
                    ]
                }
            ],
        )
    )
    request = ProbeRequest("http", f"http://{GW_IP}/hostname", NS, source="host", count=40)
    result = DataPlane(src).probe(request)
    counts = {b: sum(1 for a in result.attempts if a.backend == b) for b in result.backends}
    assert counts["store-0"] > counts.get("store-v2-0", 0) > 0


def test_missing_backend_is_500_and_wrong_port_is_refused() -> None:
    src = store()
    src.add(httproute("store", "gw", [backend_rule("ghost")]))
    assert get(src, f"http://{GW_IP}/").status == 500
    assert get(src, f"http://{GW_IP}:8080/").error == "refused"
