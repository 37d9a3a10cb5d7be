"""Every check type on a passing and a failing fixture, and the three verdict states."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.fake_cluster import NS, FakeCluster, endpoint_slice, failing, http_ok, pod, service
from tutor.checks.context import CheckContext
from tutor.checks.registry import run_check, spec_problems
from tutor.checks.verdict import Status
from tutor.cluster.base import ProbeAttempt, ProbeRequest
from tutor.content.models import CheckSpec


def run(cluster: FakeCluster, **spec: Any) -> Any:
    check = CheckSpec(id="c", **spec)
    assert spec_problems(check) == []
    return run_check(check, CheckContext(cluster, NS))


WEB_PODS = [pod(f"web-{i}", {"app": "web"}, ip=f"10.244.1.{i}") for i in range(3)]
WEB_SLICE = endpoint_slice("web", [(f"10.244.1.{i}", True, "kube-tutor-worker") for i in range(3)])


def test_object_field_pass_and_fail() -> None:
    cluster = FakeCluster([service("web", {"app": "web"}, sessionAffinity="ClientIP")])
    ok = run(
        cluster,
        type="object_field",
        kind="Service",
        name="web",
        path="spec.sessionAffinity",
        expect={"equals": "ClientIP"},
    )
    assert ok.status is Status.PASS
    bad = run(
        cluster,
        type="object_field",
        kind="Service",
        name="web",
        path="spec.type",
        expect={"equals": "NodePort"},
    )
    assert bad.status is Status.FAIL and "ClusterIP" in bad.message
    missing = run(
        cluster,
        type="object_field",
        kind="Service",
        name="nope",
        path="spec.type",
        expect={"exists": True},
    )
    assert missing.status is Status.FAIL and "does not exist" in missing.message


def test_object_exists() -> None:
    cluster = FakeCluster([service("web", {"app": "web"})])
    assert run(cluster, type="object_exists", kind="Service", name="web").passed
    assert not run(cluster, type="object_exists", kind="Service", name="web", present=False).passed


def test_selector_pods_counts_ready_and_reports_pending() -> None:
    cluster = FakeCluster([service("web", {"app": "web"}), *WEB_PODS])
    assert run(cluster, type="selector_pods", service="web", ready=3).passed
    starting = pod("web-9", {"app": "web"}, ready=False, phase="Pending")
    cluster = FakeCluster([service("web", {"app": "web"}), starting])
    verdict = run(cluster, type="selector_pods", service="web", ready=1)
    assert verdict.status is Status.PENDING and verdict.progress == "0/1 ready"


def test_endpoints_ready_with_port_and_not_ready() -> None:
    cluster = FakeCluster([service("web", {"app": "web"}), *WEB_PODS, WEB_SLICE])
    assert run(
        cluster, type="endpoints_ready", service="web", ready=3, not_ready=0, port=8080
    ).passed
    wrong_port = run(cluster, type="endpoints_ready", service="web", ready=3, port=9090)
    assert (
        wrong_port.status is Status.FAIL
        and "0 ready endpoint(s) on port 9090" in wrong_port.message
    )
    half = endpoint_slice("web", [("10.244.1.1", True, "n"), ("10.244.1.2", False, "n")])
    cluster = FakeCluster([service("web", {"app": "web"}), *WEB_PODS, half])
    verdict = run(cluster, type="endpoints_ready", service="web", ready=">=2")
    assert verdict.status is Status.FAIL and "1 ready" in verdict.message


def test_endpoints_ready_hints() -> None:
    hinted = endpoint_slice("web", [("10.244.1.1", True, "n")], hints=True)
    cluster = FakeCluster([service("web", {"app": "web"}), hinted])
    assert run(cluster, type="endpoints_ready", service="web", ready=1, hints=True).passed
    cluster = FakeCluster(
        [service("web", {"app": "web"}), endpoint_slice("web", [("10.244.1.1", True, "n")])]
    )
    assert not run(cluster, type="endpoints_ready", service="web", ready=1, hints=True).passed


def test_service_allocation() -> None:
    svc = service("web", {"app": "web"}, type="NodePort")
    svc["spec"]["ports"][0]["nodePort"] = 30080
    cluster = FakeCluster([svc])
    assert run(
        cluster,
        type="service_allocation",
        service="web",
        service_type="NodePort",
        node_port=30080,
        cluster_ip_in="10.96.0.0/16",
    ).passed
    verdict = run(cluster, type="service_allocation", service="web", node_port=30082)
    assert verdict.status is Status.FAIL and "30080, not 30082" in verdict.message
    headless = run(cluster, type="service_allocation", service="web", headless=True)
    assert not headless.passed


def test_loadbalancer_ip_pending_then_pass() -> None:
    svc = service("web", {"app": "web"}, type="LoadBalancer")
    assert run(FakeCluster([svc]), type="loadbalancer_ip", service="web").status is Status.PENDING
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "172.18.0.100", "ipMode": "Proxy"}]}}
    assert run(FakeCluster([svc]), type="loadbalancer_ip", service="web").passed
    classy = service("web", {"app": "web"}, type="LoadBalancer", loadBalancerClass="example.com/lb")
    assert run(FakeCluster([classy]), type="loadbalancer_ip", service="web").status is Status.FAIL


def test_condition_on_route_parent() -> None:
    route = {
        "kind": "HTTPRoute",
        "metadata": {"name": "store", "namespace": NS},
        "status": {
            "parents": [
                {
                    "parentRef": {"name": "gw"},
                    "conditions": [
                        {"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners"}
                    ],
                }
            ]
        },
    }
    verdict = run(
        FakeCluster([route]),
        type="condition",
        kind="HTTPRoute",
        name="store",
        condition="Accepted",
        parent="gw",
    )
    assert verdict.status is Status.FAIL and "NotAllowedByListeners" in verdict.message
    route["status"]["parents"][0]["conditions"][0].update(status="True", reason="Accepted")
    assert run(
        FakeCluster([route]),
        type="condition",
        kind="HTTPRoute",
        name="store",
        condition="Accepted",
        parent="gw",
    ).passed
    no_parent = run(
        FakeCluster([route]),
        type="condition",
        kind="HTTPRoute",
        name="store",
        condition="Accepted",
        parent="other",
    )
    assert no_parent.status is Status.PENDING


def test_http_status_backends_and_affinity() -> None:
    cluster = FakeCluster([], http_ok(["web-a", "web-b", "web-c"]))
    assert run(
        cluster,
        type="http",
        url="http://web/",
        count=6,
        expect={"status": 200, "distinct_backends": ">=2"},
    ).passed
    sticky = run(cluster, type="http", url="http://web/", count=6, expect={"same_backend": True})
    assert sticky.status is Status.FAIL and "3 backends" in sticky.message
    wrong = run(cluster, type="http", url="http://web/", expect={"backend_prefix": "api-"})
    assert not wrong.passed
    assert (
        run(
            FakeCluster([], http_ok(["x"], status=404)),
            type="http",
            url="http://w/",
            expect={"status": 200},
        ).status
        is Status.FAIL
    )


def test_http_error_expectations() -> None:
    refused = FakeCluster([], failing("refused"))
    assert run(refused, type="http", url="http://ghost/", expect={"error": "refused"}).passed
    verdict = run(refused, type="http", url="http://ghost/", expect={"status": 200})
    assert verdict.status is Status.FAIL and "refused" in verdict.message
    assert not run(refused, type="http", url="http://ghost/", expect={"error": "timeout"}).passed


def test_http_client_ip_preserved() -> None:
    kept = FakeCluster([], http_ok(["web-a"], client_ip="172.18.0.1:5555", source_ip="172.18.0.1"))
    assert run(
        kept,
        type="http",
        **{"from": "host"},
        url="http://1.2.3.4/",
        expect={"client_ip": "preserved"},
    ).passed
    snat = FakeCluster([], http_ok(["web-a"], client_ip="172.18.0.3:5555", source_ip="172.18.0.1"))
    verdict = run(
        snat,
        type="http",
        **{"from": "host"},
        url="http://1.2.3.4/",
        expect={"client_ip": "preserved"},
    )
    assert verdict.status is Status.FAIL and "172.18.0.3" in verdict.message


def test_tcp_connect_and_refuse() -> None:
    ok = FakeCluster([], lambda r: [ProbeAttempt(ok=True)])
    assert run(ok, type="tcp", target="web:80").passed
    assert run(
        FakeCluster([], failing("refused")),
        type="tcp",
        target="ghost:80",
        connect=False,
        error="refused",
    ).passed
    assert not run(
        FakeCluster([], failing("timeout")),
        type="tcp",
        target="ghost:80",
        connect=False,
        error="refused",
    ).passed


def test_dns_records_and_nxdomain() -> None:
    pods = [pod(f"db-{i}", {"app": "db"}, ip=f"10.244.2.{i}") for i in range(3)]

    def answer(request: ProbeRequest) -> list[ProbeAttempt]:
        if request.target.startswith("db."):
            return [ProbeAttempt(ok=True, records=tuple(f"10.244.2.{i}" for i in range(3)))]
        return [ProbeAttempt(ok=False, error="nxdomain")]

    cluster = FakeCluster(pods, answer)
    assert run(
        cluster, type="dns", name="db.{ns}.svc.cluster.local", pod_ips_of={"app": "db"}
    ).passed
    assert run(cluster, type="dns", name="db.{ns}.svc.cluster.local", records=3).passed
    assert not run(cluster, type="dns", name="db.{ns}.svc.cluster.local", records=1).passed
    assert run(cluster, type="dns", name="nope.{ns}.svc.cluster.local", nxdomain=True).passed
    assert cluster.probes[0].target == f"db.{NS}.svc.cluster.local"


def test_placeholders_pending_until_address() -> None:
    svc = service("web", {"app": "web"}, type="LoadBalancer")
    cluster = FakeCluster([svc], http_ok(["web-a"]))
    verdict = run(
        cluster, type="http", **{"from": "host"}, url="http://{lb_ip:web}/", expect={"status": 200}
    )
    assert verdict.status is Status.PENDING and not cluster.probes
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "172.18.0.100"}]}}
    assert run(
        cluster, type="http", **{"from": "host"}, url="http://{lb_ip:web}/", expect={"status": 200}
    ).passed
    assert cluster.probes[-1].target == "http://172.18.0.100/"


def test_probe_sent_once_per_round() -> None:
    cluster = FakeCluster([], http_ok(["web-a"]))
    ctx = CheckContext(cluster, NS)
    spec = CheckSpec(id="c", type="http", url="http://web/", expect={"status": 200})
    run_check(spec, ctx)
    run_check(spec, ctx)
    assert len(cluster.probes) == 1


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"type": "http", "url": "x", "expect": {"stauts": 200}}, "unknown parameter"),
        ({"type": "endpoints_ready", "service": "web", "ready": ">> 2"}, "not a count"),
        (
            {
                "type": "object_field",
                "kind": "Service",
                "name": "w",
                "path": "spec..x",
                "expect": {"equals": 1},
            },
            "empty segment",
        ),
        (
            {
                "type": "object_field",
                "kind": "Service",
                "name": "w",
                "path": "spec",
                "expect": {"equals": 1, "exists": True},
            },
            "exactly one",
        ),
        ({"type": "teleport"}, "unknown check type"),
        ({"type": "dns", "name": "a", "diagnose": ["psychic"]}, "unknown diagnoser"),
    ],
)
def test_bad_specs_are_lint_errors(spec: dict[str, Any], fragment: str) -> None:
    problems = spec_problems(CheckSpec(id="c", **spec))
    assert any(fragment in p for p in problems), problems


def test_verdict_json_is_stable() -> None:
    verdict = run(FakeCluster([]), type="endpoints_ready", service="web", ready=1)
    doc = verdict.to_json()
    assert set(doc) == {
        "id",
        "title",
        "family",
        "role",
        "status",
        "deadline",
        "message",
        "progress",
        "evidence",
        "diagnoses",
    }
    assert doc["status"] == "fail"
    assert doc["role"] == "fix" and doc["deadline"] is None
