"""The larger check vocabulary: cross-object checks, collections, combinators and
`{pod_ip:POD}`, each on a passing and a failing fixture, and their parameters linted."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.unit.fake_cluster import NS, FakeCluster, endpoint_slice, pod, service
from tutor.checks.context import CheckContext
from tutor.checks.expect import ValueExpect
from tutor.checks.registry import run_check, spec_problems
from tutor.checks.verdict import Status
from tutor.cluster.base import Obj
from tutor.content.models import CheckSpec
from tutor.core.typedpath import MISSING


def run(objects: list[Obj], backend: str = "fake", **spec: Any) -> Any:
    cluster = FakeCluster(objects)
    cluster.backend = backend
    return run_check(CheckSpec(id="c", **spec), CheckContext(cluster, NS))


def deployment(labels: dict[str, str], ports: list[dict[str, Any]] | None = None) -> Obj:
    container = {
        "name": "c",
        "image": "agnhost",
        "ports": ports or [{"name": "http", "containerPort": 8080}],
    }
    return {
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NS},
        "spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}},
    }


def node(name: str, zone: str) -> Obj:
    labels = {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone}
    return {"kind": "Node", "metadata": {"name": name, "labels": labels}}


def test_selector_matches_template() -> None:
    spec = {"type": "selector_matches_template", "service": "web", "workload": {"name": "web"}}
    ok = run([service("web", {"app": "web"}), deployment({"app": "web", "tier": "x"})], **spec)
    assert ok.status is Status.PASS
    # Relabelled Pods would match today, but the template decides what the next rollout makes.
    bad = run([service("web", {"app": "frontend"}), deployment({"app": "web"})], **spec)
    assert bad.status is Status.FAIL and "app=frontend" in " ".join(bad.evidence)


def test_template_port() -> None:
    spec = {"type": "template_port", "service": "web", "workload": {"name": "web"}}
    assert run([service("web", {}, target="http"), deployment({})], **spec).passed
    assert run([service("web", {}, target=8080), deployment({})], **spec).passed
    missing = run([service("web", {}, target="http-web"), deployment({})], **spec)
    assert missing.status is Status.FAIL and "http-web" in missing.message


def test_reference_exists() -> None:
    ingress = {
        "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": NS},
        "spec": {"ingressClassName": "nginx"},
    }
    cls = {"kind": "IngressClass", "metadata": {"name": "nginx"}}
    spec = {
        "type": "reference_exists",
        "kind": "Ingress",
        "name": "shop",
        "path": "spec.ingressClassName",
        "target_kind": "IngressClass",
        "target_cluster_scoped": True,
    }
    assert run([ingress, cls], **spec).passed
    gone = run([ingress], **spec)
    assert gone.status is Status.FAIL and "nginx" in gone.message


def test_object_count() -> None:
    pods = [pod("a", {"app": "web"}), pod("b", {"app": "web"}), pod("c", {"app": "api"})]
    assert run(pods, type="object_count", kind="Pod", selector={"app": "web"}, count=2).passed
    assert not run(
        pods, type="object_count", kind="Pod", selector={"app": "web"}, count=">=3"
    ).passed


def _ingress(path_type: str) -> Obj:
    paths = [{"path": "/", "pathType": "Prefix"}, {"path": "/api", "pathType": path_type}]
    return {
        "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": NS},
        "spec": {"rules": [{"http": {"paths": paths}}]},
    }


def test_list_item_selects_by_several_fields() -> None:
    spec = {
        "type": "list_item",
        "kind": "Ingress",
        "name": "shop",
        "path": "spec.rules[*].http.paths",
        "where": {"path": "/api", "pathType": "Prefix"},
    }
    assert run([_ingress("Prefix")], **spec).passed
    # `paths[path=/api]` alone would find the item; both fields together do not.
    failed = run([_ingress("Exact")], **spec)
    assert failed.status is Status.FAIL and 'pathType="Exact"' in " ".join(failed.evidence)


def test_list_item_judges_a_field_of_the_picked_item() -> None:
    spec = {
        "type": "list_item",
        "kind": "Service",
        "name": "web",
        "path": "spec.ports",
        "where": {"port": 80},
        "field": "targetPort",
        "expect": {"matches": "[a-z]+"},
    }
    assert run([service("web", {}, target="http")], **spec).passed
    assert not run([service("web", {}, target=8080)], **spec).passed


def test_slice_entry_port_as_one_unit_and_pod_addresses() -> None:
    objects = [
        service("web", {"app": "web"}),
        pod("web-1", {"app": "web"}, ip="10.244.1.10"),
        endpoint_slice("web", [("10.244.1.10", True, "w1")]),
    ]
    whole = {"name": "http", "port": 8080, "protocol": "TCP"}
    spec = {"type": "slice_entry", "service": "web", "port": whole, "pod_ips_of": {"app": "web"}}
    assert run(objects, **spec).passed
    # The right number with another name is not the entry the Service port uses.
    wrong_name = {**spec, "port": {**whole, "name": "web"}}
    assert not run(objects, **wrong_name).passed
    objects[1]["status"]["podIP"] = "10.244.9.9"
    assert not run(objects, **spec).passed


def test_node_coverage() -> None:
    nodes = [node("w1", "zone-a"), node("w2", "zone-b")]
    both = endpoint_slice("web", [("10.0.0.1", True, "w1"), ("10.0.0.2", True, "w2")])
    one = endpoint_slice("web", [("10.0.0.1", True, "w1")])
    svc = service("web", {"app": "web"})
    assert run([svc, both, *nodes], type="node_coverage", service="web").passed
    bare = run([svc, one, *nodes], type="node_coverage", service="web")
    assert bare.status is Status.FAIL and "w2" in bare.message
    in_zone_a = {"topology.kubernetes.io/zone": "zone-a"}
    assert run(
        [svc, one, *nodes], type="node_coverage", service="web", node_selector=in_zone_a
    ).passed


def test_pod_ip_placeholder() -> None:
    ctx = CheckContext(FakeCluster([pod("db-0", {"app": "db"}, ip="10.244.2.7")]), NS)
    assert ctx.expand("{pod_ip:db-0}:5432") == "10.244.2.7:5432"
    slice_ = endpoint_slice("db", [("10.244.2.7", True, "w1")])
    objects = [service("db", {"app": "db"}), pod("db-0", {"app": "db"}, ip="10.244.2.7"), slice_]
    assert run(objects, type="slice_entry", service="db", addresses=["{pod_ip:db-0}"]).passed


@pytest.mark.parametrize(
    ("expect", "good", "bad"),
    [
        ({"not": {"equals": "All"}}, "Same", "All"),
        ({"absent_or": {"equals": "Cluster"}}, MISSING, "Local"),
        ({"any_of": [{"equals": "Selector"}, {"equals": "Same"}]}, "Same", "All"),
        ({"all_of": [{"gte": 30000}, {"lte": 32767}]}, 30080, 8080),
        ({"gte": 2}, 3, 1),
        ({"lt": 10}, 9, 10),
    ],
)
def test_combinators_and_comparisons(expect: dict[str, Any], good: Any, bad: Any) -> None:
    condition = ValueExpect.model_validate(expect)
    assert condition.check(good) is None
    assert condition.check(bad)


def test_absent_or_in_an_object_field_check() -> None:
    spec = {
        "type": "object_field",
        "kind": "Service",
        "name": "web",
        "path": "spec.publishNotReadyAddresses",
        "expect": {"absent_or": {"equals": False}},
    }
    assert run([service("web", {})], **spec).passed
    assert not run([service("web", {}, publishNotReadyAddresses=True)], **spec).passed


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        (
            {
                "type": "list_item",
                "kind": "Ingress",
                "name": "x",
                "path": "spec..a",
                "where": {"a": 1},
            },
            "empty segment",
        ),
        (
            {"type": "list_item", "kind": "Ingress", "name": "x", "path": "spec.a", "where": {}},
            "where",
        ),
        ({"type": "object_count", "kind": "Pod", "count": "lots"}, "not a count"),
        (
            {"type": "selector_matches_template", "service": "web", "workload": {"nom": "web"}},
            "unknown parameter",
        ),
        ({"type": "slice_entry", "service": "web", "port": {"number": 80}}, "unknown parameter"),
        (
            {"type": "reference_exists", "kind": "Ingress", "name": "x", "path": "spec.a"},
            "target_kind",
        ),
        (
            {
                "type": "object_field",
                "kind": "S",
                "name": "w",
                "path": "spec",
                "expect": {"gte": 1, "lt": 3},
            },
            "exactly one",
        ),
        (
            {
                "type": "object_field",
                "kind": "S",
                "name": "w",
                "path": "spec",
                "expect": {"not": {"teleport": 1}},
            },
            "unknown parameter",
        ),
    ],
)
def test_bad_parameters_are_lint_errors(spec: dict[str, Any], fragment: str) -> None:
    problems = spec_problems(CheckSpec(id="c", **spec))
    assert any(fragment in p for p in problems), problems


# -- verdicts that end --------------------------------------------------------------------


def _lb_pending() -> list[Obj]:
    return [service("web", {"app": "web"}, type="LoadBalancer")]


def test_pending_carries_a_deadline_then_fails() -> None:
    """Off the simulator, a LoadBalancer without an address is pending until `timeout` after
    it was first seen pending; then it fails, and the diagnosers run."""
    cluster = FakeCluster(_lb_pending())
    spec = CheckSpec(id="c", type="loadbalancer_ip", service="web", timeout=30)
    now = time.time()
    waiting = run_check(spec, CheckContext(cluster, NS), pending_since=now, now=now + 5)
    assert waiting.status is Status.PENDING and waiting.deadline == pytest.approx(now + 30)
    assert waiting.to_json()["deadline"].endswith("Z")
    late = run_check(spec, CheckContext(cluster, NS), pending_since=now, now=now + 31)
    assert late.status is Status.FAIL and late.deadline is None and "30 s" in late.message


def test_pending_on_the_simulator_fails_at_once() -> None:
    verdict = run(_lb_pending(), backend="sim", type="loadbalancer_ip", service="web")
    assert verdict.status is Status.FAIL and "will not change" in verdict.message
