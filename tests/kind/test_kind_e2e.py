"""On a real kind cluster: capabilities, real traffic, every lab proved, clean-up."""

from __future__ import annotations

from typing import Any

import pytest

from tutor.cluster.base import Cluster, ProbeRequest
from tutor.cluster.kind import AGNHOST_IMAGE, CAPABILITIES, KindLifecycle

pytestmark = pytest.mark.kind

NS = "kt-e2e-traffic"


def _lab_ids() -> list[str]:
    try:
        from tutor.content.loader import load_course

        return [lab.id for lab in load_course([]).labs]
    except Exception:  # the course is linted elsewhere; here it only names the labs
        return []


def _web(replicas: int = 2) -> list[dict[str, Any]]:
    labels = {"app": "web"}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": AGNHOST_IMAGE,
                                "args": ["netexec", "--http-port=8080"],
                                "ports": [{"name": "http", "containerPort": 8080}],
                                "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080}},
                            }
                        ]
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {
                "type": "NodePort",
                "selector": labels,
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}],
            },
        },
    ]


def _ready_endpoints(slices: list[dict[str, Any]]) -> int:
    return sum(
        1
        for s in slices
        for e in s.get("endpoints") or []
        if (e.get("conditions") or {}).get("ready")
    )


def test_status_reports_every_capability(lifecycle: KindLifecycle, kind_cluster: Cluster) -> None:
    status = lifecycle.status()
    assert status.cluster_exists and len(status.nodes) == 4
    assert sorted(zone for _, _, zone in status.nodes) == ["zone-a", "zone-a", "zone-b", "zone-c"]
    assert set(status.capabilities) == set(CAPABILITIES), status.missing
    assert kind_cluster.capabilities() == set(CAPABILITIES)


def test_real_traffic_in_cluster_and_from_the_host(kind_cluster: Cluster) -> None:
    cluster: Any = kind_cluster
    cluster.ensure_namespace(NS, {"kube-tutor.dev/lab": "e2e"})
    try:
        cluster.apply(_web(), NS)
        selector = {"kubernetes.io/service-name": "web"}
        assert cluster.wait_for(
            "EndpointSlice",
            NS,
            lambda slices: (
                _ready_endpoints(
                    [
                        s
                        for s in slices
                        if s["metadata"].get("labels", {}).get("kubernetes.io/service-name")
                        == "web"
                    ]
                )
                == 2
            ),
            180,
        ), cluster.list("EndpointSlice", NS, selector)
        pods = {p["metadata"]["name"] for p in cluster.list("Pod", NS, {"app": "web"})}

        inside = cluster.probe(ProbeRequest("http", "http://web/hostname", NS, count=10))
        assert inside.ok_count == 10, inside.errors
        assert set(inside.backends) <= pods and inside.backends

        service = cluster.get("Service", "web", NS)
        dns = cluster.probe(ProbeRequest("dns", "web", NS))
        assert dns.attempts[0].records == (service["spec"]["clusterIP"],)
        missing = cluster.probe(ProbeRequest("dns", "no-such-service", NS))
        assert missing.errors == ["nxdomain"]
        refused = cluster.probe(ProbeRequest("tcp", "web:81", NS, timeout=2))
        assert refused.ok_count == 0

        host = cluster.probe(
            ProbeRequest("http", "http://127.0.0.1:30080/hostname", NS, source="host", count=5)
        )
        assert host.ok_count == 5, host.errors
        assert set(host.backends) <= pods
    finally:
        cluster.delete_namespace(NS)


@pytest.mark.parametrize("lab_id", _lab_ids())
def test_every_lab_is_proved_on_kind(lab_id: str, kind_cluster: Cluster) -> None:
    from tutor.content.loader import load_course
    from tutor.labs.prove import prove_lab

    lab = next(lab for lab in load_course([]).labs if lab.id == lab_id)
    proof = prove_lab(lab, kind_cluster, wait=120.0)
    assert proof.ok, "\n".join(proof.problems)


def test_clean_removes_only_lab_namespaces(lifecycle: KindLifecycle, kind_cluster: Cluster) -> None:
    cluster: Any = kind_cluster
    cluster.ensure_namespace("kt-e2e-clean", {"kube-tutor.dev/lab": "e2e"})
    removed = lifecycle.clean()
    assert "kt-e2e-clean" in removed
    assert cluster.get("Namespace", "kt-e2e-clean") is None
    assert cluster.get("Namespace", "kube-system") is not None
