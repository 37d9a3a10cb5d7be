"""Kinds the simulator serves beside the Service ones: DaemonSet, Endpoints (with EndpointSlice
mirroring), ServiceAccount, and the Events controllers write (naming their object's uid).

Upstream rules are cited in the modules under test (`tutor/cluster/sim/daemonset.py`,
`endpoints_mirror.py`, `serviceaccounts.py`), all after k8s.io/kubernetes v1.37.2.
"""

from __future__ import annotations

from typing import Any

import pytest

from tutor.cluster.base import ProbeRequest
from tutor.cluster.sim.cluster import SimCluster

NS = "lab"
Obj = dict[str, Any]
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.39"


@pytest.fixture
def cluster() -> SimCluster:
    c = SimCluster()
    c.ensure_namespace(NS, {"kube-tutor.dev/lab": "t"})
    return c


def daemonset(tolerations: list[Obj] | None = None) -> Obj:
    pod_spec: Obj = {"containers": [{"name": "a", "image": AGNHOST, "args": ["netexec"]}]}
    if tolerations is not None:
        pod_spec["tolerations"] = tolerations
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": pod_spec},
        },
    }


def pods(c: SimCluster) -> list[Obj]:
    return [p for p in c.list("Pod", NS) if p["metadata"]["name"].startswith("agent-")]


def test_daemonset_runs_one_pod_per_worker_not_on_the_tainted_control_plane(
    cluster: SimCluster,
) -> None:
    """NodeShouldRunDaemonPod: kind's control plane has the NoSchedule control-plane taint."""
    cluster.apply([daemonset()], NS)
    nodes = sorted(p["spec"]["nodeName"] for p in pods(cluster))
    assert nodes == ["kube-tutor-worker", "kube-tutor-worker2", "kube-tutor-worker3"]
    pod = pods(cluster)[0]
    keys = {(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]}
    assert ("node.kubernetes.io/not-ready", "NoExecute") in keys
    assert ("node.kubernetes.io/unschedulable", "NoSchedule") in keys
    term = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["nodeSelectorTerms"][0]["matchFields"][0]["values"] == [pod["spec"]["nodeName"]]
    assert pod["metadata"]["labels"]["pod-template-generation"] == "1"
    status = cluster.get("DaemonSet", "agent", NS)["status"]  # type: ignore[index]
    assert status["desiredNumberScheduled"] == status["numberReady"] == 3


def test_daemonset_with_the_control_plane_toleration_runs_everywhere(cluster: SimCluster) -> None:
    toleration = {
        "key": "node-role.kubernetes.io/control-plane",
        "operator": "Exists",
        "effect": "NoSchedule",
    }
    cluster.apply([daemonset([toleration])], NS)
    assert len({p["spec"]["nodeName"] for p in pods(cluster)}) == 4


def test_daemonset_replaces_a_deleted_pod_and_rolls_a_new_template(cluster: SimCluster) -> None:
    cluster.apply([daemonset()], NS)
    victim = pods(cluster)[0]
    cluster.delete("Pod", victim["metadata"]["name"], NS)
    after = pods(cluster)
    assert len(after) == 3 and victim["metadata"]["name"] not in {
        p["metadata"]["name"] for p in after
    }
    changed = daemonset()
    changed["spec"]["template"]["spec"]["containers"][0]["args"] = ["netexec", "--http-port=9090"]
    cluster.apply([changed], NS)
    hashes = {p["metadata"]["labels"]["controller-revision-hash"] for p in pods(cluster)}
    assert len(pods(cluster)) == 3 and len(hashes) == 1
    assert hashes != {victim["metadata"]["labels"]["controller-revision-hash"]}


def service(name: str, selector: dict[str, str] | None) -> Obj:
    spec: Obj = {"ports": [{"port": 80, "targetPort": 8080}]}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def test_endpoints_controller_keeps_endpoints_for_selector_services(cluster: SimCluster) -> None:
    cluster.apply([daemonset(), service("agent", {"app": "agent"})], NS)
    ep = cluster.get("Endpoints", "agent", NS)
    assert ep is not None
    assert ep["metadata"]["labels"]["endpoints.kubernetes.io/managed-by"] == "endpoint-controller"
    (subset,) = ep["subsets"]
    assert sorted(a["ip"] for a in subset["addresses"]) == sorted(
        p["status"]["podIP"] for p in pods(cluster)
    )
    assert subset["addresses"][0]["targetRef"]["kind"] == "Pod"
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP"}]
    # the controller's object follows the Pods, and goes with its Service
    cluster.delete("DaemonSet", "agent", NS)
    assert "subsets" not in (cluster.get("Endpoints", "agent", NS) or {"subsets": 1})
    cluster.delete("Service", "agent", NS)
    assert cluster.get("Endpoints", "agent", NS) is None


def test_manual_endpoints_are_mirrored_into_a_slice_that_routes(cluster: SimCluster) -> None:
    """endpointslicemirroring: a selector-less Service's Endpoints become an EndpointSlice
    (managed-by the mirroring controller, owned by the Endpoints) that kube-proxy uses."""
    cluster.apply([daemonset()], NS)
    target = pods(cluster)[0]["status"]["podIP"]
    manual = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "ext", "labels": {"team": "a"}},
        "subsets": [{"addresses": [{"ip": target}], "ports": [{"port": 8080}]}],
    }
    cluster.apply([service("ext", None), manual], NS)
    slices = cluster.list("EndpointSlice", NS)
    (mirrored,) = [
        s for s in slices if s["metadata"]["labels"].get("kubernetes.io/service-name") == "ext"
    ]
    labels = mirrored["metadata"]["labels"]
    assert labels["endpointslice.kubernetes.io/managed-by"] == (
        "endpointslicemirroring-controller.k8s.io"
    )
    assert labels["team"] == "a"
    assert mirrored["metadata"]["ownerReferences"][0]["kind"] == "Endpoints"
    assert mirrored["endpoints"] == [{"addresses": [target], "conditions": {"ready": True}}]
    result = cluster.probe(ProbeRequest("http", "http://ext/hostname", NS))
    assert result.attempts[0].ok, result.attempts[0]
    assert result.attempts[0].backend == pods(cluster)[0]["metadata"]["name"]
    # skip-mirror takes the slice away
    manual["metadata"]["labels"]["endpointslice.kubernetes.io/skip-mirror"] = "true"
    cluster.apply([manual], NS)
    assert not [
        s for s in cluster.list("EndpointSlice", NS) if s["metadata"]["name"].startswith("ext-")
    ]


def test_bad_endpoints_address_is_refused(cluster: SimCluster) -> None:
    from tutor.cluster.base import InvalidObjectError

    bad = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "x"},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 80}]}],
    }
    with pytest.raises(InvalidObjectError) as err:
        cluster.apply([bad], NS)
    assert "subsets[0].addresses[0].ip" in str(err.value)


def test_every_namespace_has_a_default_service_account(cluster: SimCluster) -> None:
    assert cluster.get("ServiceAccount", "default", NS) is not None
    assert cluster.get("ServiceAccount", "default", "kube-system") is not None
    cluster.delete("ServiceAccount", "default", NS)
    assert cluster.get("ServiceAccount", "default", NS) is not None


def test_events_name_the_uid_of_controller_made_pods(cluster: SimCluster) -> None:
    """kubectl describe finds a Pod's Events by involvedObject.uid: the scheduler's Event must
    carry the uid the Pod was stored with."""
    cluster.apply([daemonset()], NS)
    uids = {p["metadata"]["uid"] for p in pods(cluster)}
    scheduled = [
        e
        for e in cluster.list("Event", NS)
        if e["reason"] == "Scheduled" and e["involvedObject"]["kind"] == "Pod"
    ]
    assert len(scheduled) == 3
    assert {e["involvedObject"]["uid"] for e in scheduled} == uids
