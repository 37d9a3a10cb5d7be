"""`KubeCluster`'s real HTTP calls through the official client, against the API stand-in."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.api.conftest import StandIn
from tutor.cluster.base import (
    Cluster,
    ForbiddenError,
    InvalidObjectError,
    NotFoundError,
    RefusedContextError,
    UnreachableError,
)
from tutor.cluster.connect import open_cluster
from tutor.cluster.guard import Target
from tutor.cluster.kube import KubeCluster

NS = "kt-01-first-service"


def web_service(node_port: int | None = None, name: str = "web-np") -> dict[str, Any]:
    port: dict[str, Any] = {"name": "http", "port": 80, "targetPort": "http"}
    if node_port is not None:
        port["nodePort"] = node_port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [port]},
    }


def config_map(name: str = "settings", value: str = "1") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": {"greeting": value},
    }


def patches(api: StandIn) -> list[Any]:
    return [r for r in api.requests() if r.method.value == "PATCH"]


# -- the protocol ---------------------------------------------------------------------------


def test_kube_cluster_satisfies_the_cluster_protocol(cluster: KubeCluster) -> None:
    assert isinstance(cluster, Cluster)
    assert cluster.backend == "kind"


def test_get_reads_one_object_and_none_when_absent(cluster: KubeCluster, standin: StandIn) -> None:
    service = cluster.get("Service", "web", NS)
    assert service is not None and service["spec"]["clusterIP"] == "10.96.12.7"
    assert cluster.get("Service", "nope", NS) is None
    paths = [r.url.path for r in standin.requests()]
    assert f"/api/v1/namespaces/{NS}/services/web" in paths


def test_list_sends_the_label_selector_and_restores_kind(
    cluster: KubeCluster, standin: StandIn
) -> None:
    slices = cluster.list("EndpointSlice", NS, {"kubernetes.io/service-name": "web"})
    assert [s["metadata"]["name"] for s in slices] == ["web-8tkxq"]
    assert slices[0]["kind"] == "EndpointSlice"
    assert slices[0]["apiVersion"] == "discovery.k8s.io/v1"
    request = standin.requests()[-1]
    assert request.url.path == f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices"
    assert request.params["labelSelector"] == "kubernetes.io/service-name=web"
    assert cluster.list("Pod", NS, {"app": "db"}) == []


def test_list_cluster_wide_kinds(cluster: KubeCluster) -> None:
    nodes = cluster.list("Node")
    assert len(nodes) == 4
    zones = sorted(n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes)
    assert zones == ["zone-a", "zone-a", "zone-b", "zone-c"]


def test_events_oldest_first(cluster: KubeCluster) -> None:
    reasons = [e["reason"] for e in cluster.events(NS)]
    assert reasons == ["Scheduled", "Started"]


def test_capabilities_from_nodes_and_classes(cluster: KubeCluster) -> None:
    caps = cluster.capabilities()
    assert {"dns", "zones", "nodeport-host"} <= caps
    # the test machine runs no cloud-provider-kind started by kube-tutor
    assert "loadbalancer" not in caps


# -- apply ----------------------------------------------------------------------------------


def test_apply_is_a_dry_run_then_server_side_apply_with_field_manager(
    cluster: KubeCluster, standin: StandIn
) -> None:
    results = cluster.apply([web_service(30080), config_map()], NS)
    assert [(r.kind, r.name, r.namespace, r.action) for r in results] == [
        ("Service", "web-np", NS, "created"),
        ("ConfigMap", "settings", NS, "created"),
    ]
    sent = patches(standin)
    assert len(sent) == 4
    dry, real = sent[:2], sent[2:]
    assert [r.params.get("dryRun") for r in dry] == ["All", "All"]
    assert all("dryRun" not in r.params for r in real)
    for request in sent:
        assert request.headers["Content-Type"] == "application/apply-patch+yaml"
        assert request.params["fieldManager"] == "kube-tutor"
        assert request.params["force"] == "true"
    assert real[0].url.path == f"/api/v1/namespaces/{NS}/services/web-np"
    assert real[0].data["metadata"]["namespace"] == NS
    stored = cluster.get("Service", "web-np", NS)
    assert stored is not None and stored["spec"]["ports"][0]["nodePort"] == 30080


def test_apply_again_reports_unchanged_then_configured(cluster: KubeCluster) -> None:
    cluster.apply([config_map()], NS)
    assert [r.action for r in cluster.apply([config_map()], NS)] == ["unchanged"]
    assert [r.action for r in cluster.apply([config_map(value="2")], NS)] == ["configured"]


def test_invalid_object_applies_nothing_and_names_the_field(
    cluster: KubeCluster, standin: StandIn
) -> None:
    with pytest.raises(InvalidObjectError) as caught:
        cluster.apply([config_map(), web_service(80)], NS)
    error = caught.value
    assert [p.path for p in error.problems] == ["spec.ports[0].nodePort"]
    assert "30000-32767" in error.problems[0].message
    assert "nothing was applied" in error.message
    assert (error.kind, error.name) == ("Service", "web-np")
    assert all(r.params.get("dryRun") == "All" for r in patches(standin))
    assert cluster.get("ConfigMap", "settings", NS) is None  # the valid one was not applied


def test_kind_refuses_an_out_of_range_node_port_before_any_request(
    cluster: KubeCluster, standin: StandIn
) -> None:
    """A real API server's dry run does not check the nodePort range (portallocator's
    dry-run `Allocate` only asks whether the port is taken), so on kind, whose range is the
    API server's default 30000-32767, kube-tutor checks it itself: the Service is never
    sent, and the error reads like the API server's 422."""
    with pytest.raises(InvalidObjectError) as caught:
        cluster.apply([config_map(), web_service(32768)], NS)
    error = caught.value
    assert [p.path for p in error.problems] == ["spec.ports[0].nodePort"]
    assert error.problems[0].message == (
        "Invalid value: 32768: provided port is not in the valid range. "
        "The range of valid ports is 30000-32767"
    )
    assert (error.kind, error.name) == ("Service", "web-np")
    assert "nothing was applied" in error.message
    assert not [r for r in patches(standin) if "/services/" in r.url.path]
    assert all(r.params.get("dryRun") == "All" for r in patches(standin))
    assert cluster.get("ConfigMap", "settings", NS) is None


def test_services_are_written_before_other_kinds(cluster: KubeCluster, standin: StandIn) -> None:
    """The one check a dry run skips is the Service's port allocation, so Services are
    written right after Namespaces; the results keep that order."""
    results = cluster.apply([config_map(), web_service(30081)], NS)
    assert [r.kind for r in results] == ["Service", "ConfigMap"]
    real = [r for r in patches(standin) if "dryRun" not in r.params]
    assert [r.url.path.rsplit("/", 2)[-2] for r in real] == ["services", "configmaps"]


def test_several_invalid_objects_are_reported_together(cluster: KubeCluster) -> None:
    with pytest.raises(InvalidObjectError) as caught:
        cluster.apply([web_service(80, "a"), web_service(99999, "b")], NS)
    assert "2 objects are invalid" in caught.value.message
    assert len(caught.value.problems) == 2


def test_object_namespace_is_kept_and_server_fields_dropped(
    cluster: KubeCluster, standin: StandIn
) -> None:
    copied = config_map()
    copied["metadata"].update(
        namespace="kt-01-other", resourceVersion="12345", uid="abc", managedFields=[{}]
    )
    copied["status"] = {"whatever": True}
    cluster.apply([copied], NS)
    body = patches(standin)[-1].data
    assert body["metadata"]["namespace"] == "kt-01-other"
    assert "resourceVersion" not in body["metadata"] and "managedFields" not in body["metadata"]
    assert "status" not in body


def test_unknown_kind_is_a_clear_error(cluster: KubeCluster) -> None:
    with pytest.raises(NotFoundError, match="does not know the kind `Servcie`"):
        cluster.apply([{"apiVersion": "v1", "kind": "Servcie", "metadata": {"name": "x"}}], NS)


def test_object_without_name_is_invalid(cluster: KubeCluster) -> None:
    with pytest.raises(InvalidObjectError) as caught:
        cluster.apply([{"apiVersion": "v1", "kind": "Service", "metadata": {}}], NS)
    assert caught.value.problems[0].path == "metadata.name"


# -- namespaces and delete ------------------------------------------------------------------


def test_ensure_namespace_labels_it_as_kube_tutors(cluster: KubeCluster, standin: StandIn) -> None:
    cluster.ensure_namespace("kt-02-nodeport", {"kube-tutor.dev/lab": "02-nodeport"})
    namespace = cluster.get("Namespace", "kt-02-nodeport")
    assert namespace is not None
    labels = namespace["metadata"]["labels"]
    assert labels["kube-tutor.dev/lab"] == "02-nodeport"
    assert labels["app.kubernetes.io/managed-by"] == "kube-tutor"
    request = patches(standin)[-1]
    assert request.url.path == "/api/v1/namespaces/kt-02-nodeport"
    assert request.params["fieldManager"] == "kube-tutor"


def test_lab_namespaces_selects_by_the_lab_label(cluster: KubeCluster, standin: StandIn) -> None:
    assert cluster.lab_namespaces() == [NS]  # not team-payments
    assert standin.requests()[-1].params["labelSelector"] == "kube-tutor.dev/lab"


def test_delete_namespace_waits_until_it_is_gone(cluster: KubeCluster, standin: StandIn) -> None:
    cluster.ensure_namespace("kt-03-gone", {})
    started = time.monotonic()
    cluster.delete_namespace("kt-03-gone", wait=True)
    assert time.monotonic() - started < 5
    assert cluster.get("Namespace", "kt-03-gone") is None
    deletes = [r for r in standin.requests() if r.method.value == "DELETE"]
    assert deletes[-1].url.path == "/api/v1/namespaces/kt-03-gone"


def test_delete_reports_whether_it_existed(cluster: KubeCluster) -> None:
    assert cluster.delete("Service", "web", NS) is True
    assert cluster.delete("Service", "web", NS) is False


def test_system_namespaces_are_never_touched(cluster: KubeCluster, standin: StandIn) -> None:
    before = len(standin.requests())
    with pytest.raises(RefusedContextError):
        cluster.delete_namespace("kube-system")
    with pytest.raises(RefusedContextError):
        cluster.apply([config_map()], "default")
    assert len(standin.requests()) == before


# -- waiting --------------------------------------------------------------------------------


def test_wait_for_change_wakes_on_a_watch_event(cluster: KubeCluster, standin: StandIn) -> None:
    cluster.ensure_namespace("kt-04-quiet", {})
    other = KubeCluster(cluster.target, api_client=cluster._api, request_timeout=5)

    def later() -> None:
        time.sleep(0.5)
        other.apply([web_service(30081)], "kt-04-quiet")

    thread = threading.Thread(target=later)
    started = time.monotonic()
    thread.start()
    assert cluster.wait_for_change("kt-04-quiet", timeout=3) is True
    elapsed = time.monotonic() - started
    thread.join()
    assert 0.3 < elapsed < 2.5
    watches = [r for r in standin.requests() if r.params.get("watch") == "true"]
    assert {r.url.path.rsplit("/", 1)[-1] for r in watches} >= {
        "pods",
        "services",
        "endpointslices",
    }
    assert all(r.params.get("resourceVersion") for r in watches)


def test_wait_for_change_times_out_when_nothing_happens(cluster: KubeCluster) -> None:
    cluster.ensure_namespace("kt-05-still", {})
    started = time.monotonic()
    assert cluster.wait_for_change("kt-05-still", timeout=1.0) is False
    assert 0.9 < time.monotonic() - started < 4


def test_wait_for_uses_watches_until_the_predicate_holds(
    cluster: KubeCluster, standin: StandIn
) -> None:
    other = KubeCluster(cluster.target, api_client=cluster._api, request_timeout=5)
    threading.Timer(0.4, lambda: other.apply([config_map("late")], NS)).start()
    found = cluster.wait_for(
        "ConfigMap", NS, lambda items: any(i["metadata"]["name"] == "late" for i in items), 8
    )
    assert found is True
    assert any(r.params.get("watch") == "true" for r in standin.requests())


# -- errors ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_says_to_run_cluster_up() -> None:
    from kubernetes import client

    url = f"http://127.0.0.1:{_free_port()}"
    configuration = client.Configuration()
    configuration.host = url
    configuration.retries = 0
    cluster = KubeCluster(
        Target("kind", "kind-kube-tutor", "", url, ""),
        api_client=client.ApiClient(configuration),
        request_timeout=2,
    )
    with pytest.raises(UnreachableError) as caught:
        cluster.list("Pod", NS)
    assert "does not answer" in caught.value.message
    assert "kube-tutor cluster up" in caught.value.hint


def test_forbidden_and_conflict_become_plain_messages(
    cluster: KubeCluster, standin: StandIn
) -> None:
    (
        standin.handler["get /api/v1/namespaces/secret-ns/services/x"]
        << 403
        << {
            "kind": "Status",
            "code": 403,
            "reason": "Forbidden",
            "message": 'services "x" is forbidden: User "alice" cannot get resource "services"',
        }
    )
    with pytest.raises(ForbiddenError) as caught:
        cluster.get("Service", "x", "secret-ns")
    assert "did not allow" in caught.value.message and "alice" in caught.value.message


def test_open_cluster_through_a_kubeconfig_context(tmp_path: Path, standin: StandIn) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "production",
        "clusters": [
            {"name": "standin", "cluster": {"server": standin.url}},
            {"name": "production", "cluster": {"server": "https://prod.example.com"}},
        ],
        "users": [{"name": "u", "user": {"token": "t0ken"}}],
        "contexts": [
            {"name": "classroom", "context": {"cluster": "standin", "user": "u"}},
            {"name": "production", "context": {"cluster": "production", "user": "u"}},
        ],
    }
    (tmp_path / "config").write_text(yaml.safe_dump(config))
    env = {"KUBECONFIG": str(tmp_path / "config")}
    cluster = open_cluster("context", "classroom", namespace_prefix="alice", env=env)
    cluster.ensure_namespace("alice-kt-01-first-service", {})
    request = standin.requests()[-1]
    assert request.headers["Authorization"] == "Bearer t0ken"
    namespace = cluster.get("Namespace", "alice-kt-01-first-service")
    assert namespace is not None
    assert namespace["metadata"]["labels"]["kube-tutor.dev/learner"] == "alice"
    assert cluster.lab_namespaces() == ["alice-kt-01-first-service"]  # not kt-01-...
    with pytest.raises(RefusedContextError):
        cluster.ensure_namespace("kt-01-first-service", {})


def test_lab_session_uses_the_learners_prefix_in_context_mode(
    tmp_path: Path, standin: StandIn
) -> None:
    from tutor.content.loader import load_course
    from tutor.labs.session import LabSession

    labs = load_course([]).labs
    if not labs:
        pytest.fail("the course has no labs to open")
    target = Target("context", "classroom", "", standin.url, "alice")
    cluster = KubeCluster(target, api_client=_client(standin.url), request_timeout=5)
    session = LabSession(labs[0], cluster, workspace=tmp_path / "ws")
    assert session.namespace == f"alice-kt-{labs[0].id}"
    assert all(target.allows_namespace(ns) for ns in session.all_namespaces)


def _client(url: str) -> Any:
    from kubernetes import client

    configuration = client.Configuration()
    configuration.host = url
    return client.ApiClient(configuration)
