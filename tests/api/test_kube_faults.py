"""Issue 10 items 1, 6, 9, 12, 13 and 15 through the real client against the kmock stand-in.

Error bodies are the API server's own (cited at each)."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import StandIn
from tutor.cluster.base import InvalidObjectError, RefusedContextError
from tutor.cluster.kube import KubeCluster, NamespaceTerminatingError

NS = "kt-01-first-service"


def test_kubernetes_client_pin_matches_the_api_kube_tutor_uses() -> None:
    """Item 1: `param_serialize` exists from kubernetes 37, so pyproject allows only 37."""
    import kubernetes.client

    text = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    spec = re.search(r'"kubernetes>=(\d+),<(\d+)"', text)
    assert spec is not None and (int(spec.group(1)), int(spec.group(2))) == (37, 38)
    assert int(kubernetes.__version__.split(".")[0]) == 37
    assert hasattr(kubernetes.client.ApiClient, "param_serialize")


def test_old_client_is_refused_with_the_fix() -> None:
    from tutor.cluster.base import UnreachableError
    from tutor.cluster.guard import Target

    class OldClient:  # what kubernetes 31-36 has: no param_serialize
        configuration = type("C", (), {"proxy": None})()

    with pytest.raises(UnreachableError, match="too old"):
        KubeCluster(Target("context", "c", "", None, "x"), api_client=OldClient())


def test_typed_patch_500_is_a_field_problem(cluster: KubeCluster, standin: StandIn) -> None:
    """Item 6: server-side apply of a misspelt field answers 500 "failed to create typed
    patch object ... field not declared in schema" (kubernetes issue #139253)."""
    path = f"/api/v1/namespaces/{NS}/services/web"
    standin.handler.faults["PATCH", path] = (
        500,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "message": f"failed to create typed patch object ({NS}/web; /v1, Kind=Service): "
            ".spec.selectr: field not declared in schema",
            "reason": "InternalError",
            "code": 500,
        },
    )
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selectr": {"app": "web"}},
    }
    with pytest.raises(InvalidObjectError) as caught:
        cluster.apply([service], NS)
    assert [p.path for p in caught.value.problems] == ["spec.selectr"]
    assert (caught.value.kind, caught.value.name) == ("Service", "web")
    assert "busy" not in caught.value.message


def test_watch_on_an_unserved_kind_backs_off(cluster: KubeCluster, standin: StandIn) -> None:
    """Item 9: ReferenceGrant is not declared in the stand-in (404, as a Gateway kind before
    its CRD is installed); waiting for it must not hammer the server."""
    notes: list[str] = []
    before = len(standin.requests())
    started = time.monotonic()
    assert cluster.wait_for("ReferenceGrant", NS, bool, 3.0, on_wait=notes.append) is False
    assert 2.5 < time.monotonic() - started < 5
    sent = len(standin.requests()) - before
    assert sent <= 6, f"{sent} requests in 3 s"
    assert notes and "does not serve ReferenceGrant" in notes[0]
    assert "cloud-provider-kind" in notes[0]


def test_idle_watch_is_one_request_per_kind(cluster: KubeCluster, standin: StandIn) -> None:
    """Item 13: repeated `wait_for_change` keeps one watch per kind open instead of a list
    and a watch per kind each time (28 requests a second before)."""
    cluster.ensure_namespace("kt-06-idle", {})
    before = len(standin.requests())
    for _ in range(6):
        assert cluster.wait_for_change("kt-06-idle", 0.3) is False
    sent = standin.requests()[before:]
    watches = [r for r in sent if r.params.get("watch") == "true"]
    lists = [r for r in sent if r.params.get("watch") != "true"]
    assert len(watches) == 7 and len(lists) == 7, (len(watches), len(lists))
    # and a change between two calls is not lost
    other = KubeCluster(cluster.target, api_client=cluster._api, request_timeout=5)
    other.apply(
        [
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "late"},
                "spec": {"ports": [{"port": 80}]},
            }
        ],
        "kt-06-idle",
    )
    time.sleep(0.5)
    assert cluster.wait_for_change("kt-06-idle", 0.1) is True


def test_foreign_namespace_of_the_same_name_is_never_deleted(
    cluster: KubeCluster, standin: StandIn
) -> None:
    """Item 15: `team-payments` has no kube-tutor labels; reset/solve must not delete it."""
    before = len(standin.requests())
    with pytest.raises(RefusedContextError, match="did not make it"):
        cluster.delete_namespace("team-payments")
    with pytest.raises(RefusedContextError, match="did not make it"):
        cluster.ensure_namespace("team-payments", {})
    sent = standin.requests()[before:]
    assert [r.method.value for r in sent] == ["GET", "GET"]  # looked, changed nothing
    assert cluster.get("Namespace", "team-payments") is not None


def _terminating(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {"kube-tutor.dev/lab": "x", "app.kubernetes.io/managed-by": "kube-tutor"},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {
            "phase": "Terminating",
            "conditions": [
                {
                    "type": "NamespaceFinalizersRemaining",
                    "status": "True",
                    "reason": "SomeFinalizersRemain",
                    "message": "Some content in the namespace has finalizers remaining: "
                    "service.kubernetes.io/load-balancer-cleanup in 1 resource instances",
                }
            ],
        },
    }


def test_stuck_namespace_is_waited_for_explained_and_force_cleaned(
    cluster: KubeCluster, standin: StandIn
) -> None:
    """Item 12: the namespace controller's condition (NamespaceFinalizersRemaining) says a
    LoadBalancer Service holds it; kube-tutor says so and can remove that finalizer."""
    standin.seed(
        _terminating("kt-07-stuck"),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "lb",
                "namespace": "kt-07-stuck",
                "finalizers": ["service.kubernetes.io/load-balancer-cleanup"],
            },
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        },
    )
    notes: list[str] = []
    cluster.on_wait = notes.append
    started = time.monotonic()
    with pytest.raises(NamespaceTerminatingError) as caught:
        cluster._wait_terminated(cluster.get("Namespace", "kt-07-stuck") or {}, 1.0)
    assert time.monotonic() - started < 4
    assert "cloud-provider-kind" in caught.value.message and "--force" in caught.value.hint
    assert notes and "still being deleted" in notes[0]
    done = cluster.force_clean_namespace("kt-07-stuck")
    assert done == ["removed finalizer service.kubernetes.io/load-balancer-cleanup from Service lb"]
    patch = [r for r in standin.requests() if r.method.value == "PATCH"][-1]
    assert patch.headers["Content-Type"] == "application/merge-patch+json"


def test_apply_into_a_terminating_namespace_says_so(cluster: KubeCluster, standin: StandIn) -> None:
    """Item 12: the namespace lifecycle admission's 403 (plugin/pkg/admission/namespace/
    lifecycle/admission.go) is not "your credentials lack the rights"."""
    path = f"/api/v1/namespaces/{NS}/configmaps/c"
    standin.handler.faults["PATCH", path] = (
        403,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "message": f'configmaps "c" is forbidden: unable to create new content in namespace {NS} because it is being terminated',
            "reason": "Forbidden",
            "details": {
                "name": "c",
                "kind": "configmaps",
                "causes": [
                    {
                        "reason": "NamespaceTerminating",
                        "message": f"namespace {NS} is being terminated",
                        "field": "metadata.namespace",
                    }
                ],
            },
            "code": 403,
        },
    )
    with pytest.raises(NamespaceTerminatingError) as caught:
        cluster.apply([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}], NS)
    assert "still being deleted" in caught.value.message
    assert "lack the rights" not in str(caught.value)


def test_wait_for_change_threads_end_on_close(cluster: KubeCluster) -> None:
    cluster.ensure_namespace("kt-08-close", {})
    cluster.wait_for_change("kt-08-close", 0.2)
    cluster.close()
    time.sleep(0.5)
    names = [t.name for t in threading.enumerate()]
    assert not any(n.startswith("watch-") and n.endswith("kt-08-close") for n in names)
