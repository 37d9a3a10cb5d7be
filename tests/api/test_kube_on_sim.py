"""`KubeCluster` (the official client, the one client path) against the simulator's API
server: the same calls kube-tutor makes on kind, answered as a real API server answers them."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import SimApi
from tutor.cluster.base import ConflictError, ForbiddenError, InvalidObjectError, NotFoundError
from tutor.cluster.guard import Target
from tutor.cluster.kube import KubeCluster

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.39"


@pytest.fixture
def kube(sim_api: SimApi) -> KubeCluster:
    """A KubeCluster for the session's simulator server."""
    # The session's server keeps its files in a temporary folder, outside the data folder
    # `resolve_sim_target` insists on; the target is built as it would build it.
    target = Target(
        backend="sim",
        context=sim_api.context,
        kubeconfig=str(sim_api.kubeconfig),
        server=sim_api.url,
    )
    return KubeCluster(target)


@pytest.fixture
def ns(kube: KubeCluster) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    kube.ensure_namespace(name, {})
    return name


def _svc(name: str, **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80}], **spec},
    }


def test_apply_reports_created_unchanged_configured(kube: KubeCluster, ns: str) -> None:
    assert [r.action for r in kube.apply([_svc("web")], ns)] == ["created"]
    assert [r.action for r in kube.apply([_svc("web")], ns)] == ["unchanged"]
    changed = _svc("web", sessionAffinity="ClientIP")
    assert [r.action for r in kube.apply([changed], ns)] == ["configured"]
    live = kube.get("Service", "web", ns)
    assert live is not None and live["spec"]["sessionAffinity"] == "ClientIP"
    assert live["spec"]["clusterIP"].startswith("10.96.")


def test_invalid_object_is_a_422_with_field_paths_and_nothing_applied(
    kube: KubeCluster, ns: str
) -> None:
    good = _svc("good")
    bad = _svc("bad", type="NodePort", ports=[{"port": 80, "nodePort": 80}])
    with pytest.raises(InvalidObjectError) as raised:
        kube.apply([good, bad], ns)
    assert any(p.path == "spec.ports[0].nodePort" for p in raised.value.problems)
    assert kube.get("Service", "good", ns) is None  # the dry run found it: nothing applied


def test_taken_node_port_is_a_conflict(kube: KubeCluster, ns: str) -> None:
    kube.apply([_svc("one", type="NodePort", ports=[{"port": 80, "nodePort": 30555}])], ns)
    with pytest.raises((ConflictError, InvalidObjectError)) as raised:
        kube.apply([_svc("two", type="NodePort", ports=[{"port": 80, "nodePort": 30555}])], ns)
    assert "30555" in str(raised.value)


def test_unknown_kind_and_missing_objects(kube: KubeCluster, ns: str) -> None:
    assert kube.get("Service", "nothing", ns) is None
    assert kube.delete("Service", "nothing", ns) is False
    with pytest.raises(NotFoundError):
        kube.apply([{"apiVersion": "v1", "kind": "Teapot", "metadata": {"name": "x"}}], ns)


def test_delete_namespace_waits_through_terminating(kube: KubeCluster) -> None:
    name = f"t-{uuid.uuid4().hex[:8]}"
    kube.ensure_namespace(name, {})
    kube.apply([_svc("web")], name)
    began = time.monotonic()
    kube.delete_namespace(name)
    assert kube.get("Namespace", name) is None
    assert kube.get("Service", "web", name) is None
    assert time.monotonic() - began < 10


def test_wait_for_change_wakes_on_a_watch_event(kube: KubeCluster, ns: str) -> None:
    timer = threading.Timer(0.5, lambda: kube.apply([_svc("late")], ns))
    timer.start()
    began = time.monotonic()
    try:
        assert kube.wait_for_change(ns, 10.0) is True
    finally:
        timer.join()
    assert time.monotonic() - began < 5


def test_probe_goes_through_the_simulators_data_plane(kube: KubeCluster, ns: str) -> None:
    from tutor.cluster.base import ProbeRequest

    result = kube.probe(ProbeRequest("dns", "kubernetes.default", ns))
    assert result.ok_count == 1
    assert result.attempts[0].records == ("10.96.0.1",)


def test_labs_proved_through_the_api_server(sim_daemon: Path) -> None:
    """The proof on the product path: the simulator's server process reached through the
    official client (start fails, solution passes, guards hold, wrong fixes trip)."""
    from tutor.cluster.connect import open_sim
    from tutor.content.loader import load_course
    from tutor.labs.prove import prove_lab

    course = load_course()
    for lab_id in ("02-selector-mismatch", "16-gateway-cross-namespace"):
        lab = course.lab(lab_id)
        assert lab is not None
        proof = prove_lab(lab, open_sim(), wait=5.0)
        assert proof.ok, proof.problems


def _limited_kube(sim_api: SimApi, kube: KubeCluster, ns: str, tmp: Path) -> KubeCluster:
    """A KubeCluster holding the token of ServiceAccount `learner` in `ns` (TokenRequest),
    with a kubeconfig of its own."""
    import base64

    import yaml

    kube.apply(
        [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "learner"}}], ns
    )
    answer = kube._request(
        "POST",
        f"/api/v1/namespaces/{ns}/serviceaccounts/learner/token",
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}},
        content_type="application/json",
        what="request a token",
    )
    ca = base64.b64encode(sim_api.server.creds.ca_cert.read_bytes()).decode("ascii")
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "sim", "cluster": {"server": sim_api.url, "certificate-authority-data": ca}}
        ],
        "users": [{"name": "learner", "user": {"token": answer["status"]["token"]}}],
        "contexts": [{"name": "limited", "context": {"cluster": "sim", "user": "learner"}}],
        "current-context": "limited",
    }
    path = tmp / "limited.kubeconfig"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    target = Target(backend="sim", context="limited", kubeconfig=str(path), server=sim_api.url)
    return KubeCluster(target)


def _grant(kube: KubeCluster, ns: str, name: str, rule: dict[str, object]) -> None:
    rbac = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}"
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role"}
    kube._request(
        "POST",
        f"{rbac}/roles",
        body={**role, "metadata": {"name": name}, "rules": [rule]},
        content_type="application/json",
        what="create a Role",
    )
    kube._request(
        "POST",
        f"{rbac}/rolebindings",
        body={
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": "learner", "namespace": ns}],
        },
        content_type="application/json",
        what="create a RoleBinding",
    )


def test_exec_refused_by_rbac_is_told_apart_over_a_real_websocket(
    sim_api: SimApi, kube: KubeCluster, ns: str, tmp_path: Path
) -> None:
    """A token that may read Pods but not `create` `pods/exec`: the API server answers the
    exec upgrade with RBAC's 403 before any WebSocket opens, and the official client turns
    that into `ApiException(status=0)` with websocket-client's `Handshake status 403
    Forbidden` (kubernetes/stream/ws_client.py, websocket_call), which used to read as "the
    cluster does not answer". kube-tutor names the missing right; once granted, exec runs."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "shell", "labels": {"app": "shell"}},
        "spec": {
            "containers": [
                {"name": "shell", "image": AGNHOST, "args": ["netexec", "--http-port=8080"]}
            ]
        },
    }
    kube.apply([pod], ns)
    running = kube.wait_for(
        "Pod", ns, lambda pods: any(p["status"].get("phase") == "Running" for p in pods), 10
    )
    assert running
    limited = _limited_kube(sim_api, kube, ns, tmp_path)
    _grant(kube, ns, "reader", {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]})
    assert limited.get("Pod", "shell", ns) is not None  # the token works, and may read Pods
    command = ["dig", "+search", "+short", "kubernetes.default"]
    with pytest.raises(ForbiddenError) as caught:
        limited.exec("shell", ns, command, 10)
    error = caught.value
    assert error.message == (
        f"The cluster does not let your credentials run commands in Pods (exec into shell "
        f"in {ns}), and traffic probes from inside the cluster need it."
    )
    assert f"auth can-i create pods/exec -n {ns}" in error.hint
    assert "Handshake status 403" in str(error.__cause__)
    _grant(kube, ns, "exec", {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]})
    allowed = limited.exec("shell", ns, command, 10)
    assert allowed[0] == 0, allowed
