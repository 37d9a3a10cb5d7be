"""Every diagnoser: it names its misconception when present and stays quiet when not."""

from __future__ import annotations

from typing import Any

from tests.unit.fake_cluster import NS, FakeCluster, endpoint_slice, http_ok, pod, service
from tutor.checks.context import CheckContext
from tutor.checks.registry import DIAGNOSERS, load_builtins
from tutor.checks.verdict import Diagnosis
from tutor.cluster.base import Obj

load_builtins()


def diagnose(
    name: str,
    objects: list[Obj],
    params: dict[str, Any] | None = None,
    manifests: list[Obj] | None = None,
    namespaces: dict[str, str] | None = None,
    events: list[Obj] | None = None,
) -> Diagnosis | None:
    cluster = FakeCluster(objects)
    cluster.event_list = events or []
    ctx = CheckContext(cluster, NS, namespaces or {}, tuple(manifests or ()))
    return DIAGNOSERS[name](ctx, params or {"service": "web"})


WEB = [pod("web-1", {"app": "web"})]


def test_every_named_diagnoser_is_registered() -> None:
    wanted = {
        "selector-mismatch",
        "targetport-mismatch",
        "named-port-missing",
        "readiness-failing",
        "wrong-namespace",
        "nodeport-invalid",
        "local-no-endpoint",
        "externalname-host",
        "ingressclass-no-controller",
        "wrong-pathtype",
        "route-not-attached",
        "backend-not-permitted",
    }
    assert wanted <= set(DIAGNOSERS)


def test_selector_mismatch() -> None:
    found = diagnose("selector-mismatch", [service("web", {"app": "frontend"}), *WEB])
    assert found is not None and found.hop == "Service -> EndpointSlice"
    assert "app=frontend" in found.message and any("app=web" in e for e in found.evidence)
    assert diagnose("selector-mismatch", [service("web", {"app": "web"}), *WEB]) is None


def test_selector_mismatch_found_from_url() -> None:
    objects = [service("web", {"app": "web"}), service("api", {"app": "nope"}), *WEB]
    found = diagnose("selector-mismatch", objects, {"url": "http://api/hostname"})
    assert found is not None and "Service api" in found.message


def test_wrong_namespace() -> None:
    elsewhere = pod("web-1", {"app": "web"}, ns="default")
    found = diagnose("wrong-namespace", [service("web", {"app": "web"}), elsewhere])
    assert found is not None and "default" in found.message
    assert diagnose("wrong-namespace", [service("web", {"app": "web"}), *WEB]) is None


def test_readiness_failing_uses_probe_and_events() -> None:
    probe = {"httpGet": {"path": "/readyz", "port": 9090}}
    pods = [pod("web-1", {"app": "web"}, ready=False, probe=probe)]
    events = [{"reason": "Unhealthy", "message": "Readiness probe failed: connection refused"}]
    found = diagnose("readiness-failing", [service("web", {"app": "web"}), *pods], events=events)
    assert found is not None and any("9090" in e for e in found.evidence)
    assert any("connection refused" in e for e in found.evidence)
    assert diagnose("readiness-failing", [service("web", {"app": "web"}), *WEB]) is None


def test_targetport_mismatch() -> None:
    found = diagnose("targetport-mismatch", [service("web", {"app": "web"}, target=80), *WEB])
    assert found is not None and "8080" in found.message
    assert (
        diagnose("targetport-mismatch", [service("web", {"app": "web"}, target=8080), *WEB]) is None
    )


def test_named_port_missing() -> None:
    found = diagnose(
        "named-port-missing", [service("web", {"app": "web"}, target="http-web"), *WEB]
    )
    assert found is not None and "http-web" in found.message
    assert (
        diagnose("named-port-missing", [service("web", {"app": "web"}, target="http"), *WEB])
        is None
    )


def test_nodeport_invalid_range_and_taken() -> None:
    manifest = service("web", {"app": "web"}, type="NodePort")
    manifest["spec"]["ports"][0]["nodePort"] = 8080
    found = diagnose("nodeport-invalid", [], manifests=[manifest])
    assert found is not None and "30000-32767" in found.message
    other = service("shop", {"app": "shop"}, type="NodePort", ns="other")
    other["spec"]["ports"][0]["nodePort"] = 30081
    manifest["spec"]["ports"][0]["nodePort"] = 30081
    taken = diagnose("nodeport-invalid", [other], manifests=[manifest])
    assert taken is not None and "other/shop" in taken.message
    manifest["spec"]["ports"][0]["nodePort"] = 30082
    assert diagnose("nodeport-invalid", [other], manifests=[manifest]) is None


def test_local_no_endpoint() -> None:
    svc = service("web", {"app": "web"}, type="NodePort", externalTrafficPolicy="Local")
    slice_ = endpoint_slice("web", [("10.244.3.5", True, "kube-tutor-worker3")])
    params = {"from": "host", "url": "http://{node_ip:kube-tutor-worker}:30083/"}
    found = diagnose("local-no-endpoint", [svc, slice_], {**params, "service": "web"})
    assert found is not None and "kube-tutor-worker" in found.message
    params["url"] = "http://{node_ip:kube-tutor-worker3}:30083/"
    assert diagnose("local-no-endpoint", [svc, slice_], {**params, "service": "web"}) is None


def test_externalname_host() -> None:
    """Fires on a 404 for the alias; silent on a plain Service (see test_diagnosers_extra
    for the near misses)."""
    alias = {
        "kind": "Service",
        "metadata": {"name": "store", "namespace": NS},
        "spec": {"type": "ExternalName", "externalName": "shop.example.com"},
    }
    params = {"url": "http://store/", "expect": {"status": 200}}
    cluster = FakeCluster([alias], http_ok(["shop-1"], status=404))
    found = DIAGNOSERS["externalname-host"](CheckContext(cluster, NS), params)
    assert found is not None and "Host" in found.message
    plain = FakeCluster([service("web", {"app": "web"})], http_ok(["web-1"], status=404))
    web = {"url": "http://web/", "expect": {"status": 200}}
    assert DIAGNOSERS["externalname-host"](CheckContext(plain, NS), web) is None


def _ingress(class_name: str | None, path_type: str = "Prefix") -> Obj:
    spec: dict[str, Any] = {
        "rules": [
            {
                "http": {
                    "paths": [
                        {
                            "path": "/api",
                            "pathType": path_type,
                            "backend": {"service": {"name": "api", "port": {"number": 80}}},
                        }
                    ]
                }
            }
        ]
    }
    if class_name:
        spec["ingressClassName"] = class_name
    return {"kind": "Ingress", "metadata": {"name": "shop", "namespace": NS}, "spec": spec}


CPK_CLASS = {
    "kind": "IngressClass",
    "metadata": {"name": "cloud-provider-kind"},
    "spec": {"controller": "kind.sigs.k8s.io/ingress-controller"},
}


def test_ingressclass_no_controller() -> None:
    found = diagnose("ingressclass-no-controller", [_ingress("nginx"), CPK_CLASS])
    assert found is not None and "nginx" in found.message and "cloud-provider-kind" in found.message
    other = {
        "kind": "IngressClass",
        "metadata": {"name": "traefik"},
        "spec": {"controller": "traefik.io/ingress-controller"},
    }
    assert (
        diagnose("ingressclass-no-controller", [_ingress("traefik"), other, CPK_CLASS]) is not None
    )
    assert (
        diagnose("ingressclass-no-controller", [_ingress("cloud-provider-kind"), CPK_CLASS]) is None
    )


def test_wrong_pathtype() -> None:
    found = diagnose(
        "wrong-pathtype",
        [_ingress("cloud-provider-kind", "Exact")],
        {"url": "http://1.2.3.4/api/orders"},
    )
    assert found is not None and "Exact" in found.message
    assert (
        diagnose(
            "wrong-pathtype",
            [_ingress("cloud-provider-kind")],
            {"url": "http://1.2.3.4/api/orders"},
        )
        is None
    )
    prefix_miss = diagnose(
        "wrong-pathtype", [_ingress("cloud-provider-kind")], {"url": "http://1.2.3.4/apiary"}
    )
    assert prefix_miss is not None and "whole" in prefix_miss.message


def _gateway(ns: str, allowed: str | None = None) -> Obj:
    listener: dict[str, Any] = {"name": "http", "protocol": "HTTP", "port": 80}
    if allowed:
        listener["allowedRoutes"] = {"namespaces": {"from": allowed}}
    return {
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": ns},
        "spec": {"gatewayClassName": "cloud-provider-kind", "listeners": [listener]},
    }


def _route(ns: str, parent_ns: str | None, backend_ns: str | None = None) -> Obj:
    parent: dict[str, Any] = {"name": "gw"}
    if parent_ns:
        parent["namespace"] = parent_ns
    backend: dict[str, Any] = {"name": "store", "port": 80}
    if backend_ns:
        backend["namespace"] = backend_ns
    return {
        "kind": "HTTPRoute",
        "metadata": {"name": "store", "namespace": ns},
        "spec": {"parentRefs": [parent], "rules": [{"backendRefs": [backend]}]},
    }


def test_route_not_attached() -> None:
    infra = {"infra": "infra"}
    found = diagnose(
        "route-not-attached", [_gateway("infra"), _route(NS, "infra")], namespaces=infra
    )
    assert found is not None and "Same" in found.message
    assert (
        diagnose(
            "route-not-attached", [_gateway("infra", "All"), _route(NS, "infra")], namespaces=infra
        )
        is None
    )
    missing = diagnose(
        "route-not-attached", [_gateway("infra"), _route(NS, None)], namespaces=infra
    )
    assert missing is not None and "does not exist" in missing.message


def test_backend_not_permitted() -> None:
    infra = {"infra": "infra"}
    route = _route("infra", None, backend_ns=NS)
    found = diagnose("backend-not-permitted", [_gateway("infra"), route], namespaces=infra)
    assert found is not None and "ReferenceGrant" in found.message
    grant = {
        "kind": "ReferenceGrant",
        "metadata": {"name": "g", "namespace": NS},
        "spec": {
            "from": [
                {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "infra"}
            ],
            "to": [{"group": "", "kind": "Service"}],
        },
    }
    assert (
        diagnose("backend-not-permitted", [_gateway("infra"), route, grant], namespaces=infra)
        is None
    )
