"""`policy-service-port` is right or silent: it fires when an ingress rule on the Service's
Pods allows the Service port but not the Pod port (policies are judged after kube-proxy's
DNAT: kube-network-policies `pkg/dataplane/controller.go`, POSTROUTING before SNAT), and stays
silent on the near misses."""

from __future__ import annotations

import copy
from typing import Any

from tests.unit.fake_cluster import NS, FakeCluster, pod, service
from tutor.checks.context import CheckContext
from tutor.checks.registry import DIAGNOSERS, load_builtins
from tutor.cluster.base import Obj

load_builtins()


def allow(
    port: Any, *, selector: dict[str, str] | None = None, types: list[str] | None = None
) -> Obj:
    spec: Obj = {
        "podSelector": {"matchLabels": selector if selector is not None else {"app": "web"}},
        "ingress": [{"ports": [{"protocol": "TCP", "port": port}]}],
    }
    if types is not None:
        spec["policyTypes"] = types
    return {"kind": "NetworkPolicy", "metadata": {"name": "web-in", "namespace": NS}, "spec": spec}


BASE = [
    pod("web-1", {"app": "web"}, ports=[{"name": "http", "containerPort": 8080}]),
    service("web", {"app": "web"}),
]


def fires(objects: list[Obj]) -> str | None:
    ctx = CheckContext(FakeCluster(copy.deepcopy(objects)), NS, {}, ())
    found = DIAGNOSERS["policy-service-port"](ctx, {"service": "web"})
    return found.message if found else None


def test_fires_when_the_rule_names_the_service_port() -> None:
    message = fires([*BASE, allow(80)])
    assert message is not None and "port 80" in message and "port 8080" in message


def test_silent_when_the_rule_allows_the_pod_port() -> None:
    assert fires([*BASE, allow(8080)]) is None
    assert fires([*BASE, allow("http")]) is None  # the named container port resolves to 8080


def test_silent_when_the_policy_does_not_select_the_pods() -> None:
    assert fires([*BASE, allow(80, selector={"app": "other"})]) is None


def test_silent_for_an_egress_only_policy() -> None:
    assert fires([*BASE, allow(80, types=["Egress"])]) is None


def test_silent_when_service_and_pod_ports_are_equal() -> None:
    same = [BASE[0], service("web", {"app": "web"}, port=8080, target=8080)]
    assert fires([*same, allow(8080)]) is None
