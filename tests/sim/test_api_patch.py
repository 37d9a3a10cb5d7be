"""The simulator API's patch forms: JSON patch, merge patch, strategic merge patch, server-side apply.

Upstream rules are cited per test: gopkg.in/evanphx/json-patch.v4 (patch.go, merge.go; v4.13 as
k8s.io/apiserver go.mod pins it), k8s.io/apiserver pkg/endpoints/handlers/patch.go,
k8s.io/apimachinery pkg/util/strategicpatch/patch.go and pkg/util/managedfields/internal/
conflict.go, sigs.k8s.io/structured-merge-diff v6.4.2 merge/update.go and typed/*.go.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tutor.cluster.base import ClusterError
from tutor.cluster.sim.api import schemagen
from tutor.cluster.sim.api.fieldpaths import from_fields_v1, path_string, to_fields_v1
from tutor.cluster.sim.api.patch import (
    ApplyConflict,
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    record_update,
    server_side_apply,
)
from tutor.cluster.sim.cluster import SimCluster
from tutor.content.lint import gateway_schema_dir, gateway_schemas_missing

ROOT = Path(__file__).resolve().parents[2]
LABS = ROOT / "labs"
GATEWAY_SCHEMAS = gateway_schema_dir() or ROOT / "no-gateway-schemas"  # as lint finds them

SVC: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
    "spec": {
        "selector": {"app": "web"},
        "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
    },
}

DEPLOY: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "registry.k8s.io/e2e-test-images/agnhost:2.39",
                        "args": ["netexec", "--http-port=8080"],
                        "ports": [{"containerPort": 8080, "name": "http"}],
                        "env": [{"name": "A", "value": "1"}],
                    }
                ]
            },
        },
    },
}


def _copy(obj: Any) -> Any:
    return json.loads(json.dumps(obj))


# -- JSON patch --------------------------------------------------------------------------------


def test_json_patch_operations_and_inputs_untouched() -> None:
    before = _copy(SVC)
    out = apply_json_patch(
        SVC,
        [
            {"op": "add", "path": "/metadata/labels/tier", "value": "front"},
            {"op": "replace", "path": "/spec/ports/0/port", "value": 81},
            {"op": "test", "path": "/spec/selector/app", "value": "web"},
            {"op": "copy", "from": "/spec/selector", "path": "/metadata/annotations"},
            {"op": "move", "from": "/metadata/labels/app", "path": "/metadata/labels/name"},
            {"op": "add", "path": "/spec/ports/-", "value": {"port": 443}},
            {"op": "remove", "path": "/spec/ports/-2"},  # v4 accepts negative indexes
        ],
    )
    assert out["metadata"]["labels"] == {"tier": "front", "name": "web"}
    assert out["metadata"]["annotations"] == {"app": "web"}
    assert out["spec"]["ports"] == [{"port": 443}]
    assert before == SVC


@pytest.mark.parametrize(
    ("ops", "detail"),
    [
        # patch.go `remove` wraps partialDoc.remove's "Unable to remove nonexistent key".
        (
            [{"op": "remove", "path": "/metadata/labels/nope"}],
            "error in remove for path: '/metadata/labels/nope': Unable to remove nonexistent "
            "key: nope: missing value",
        ),
        (
            [{"op": "add", "path": "/spec/nothing/here", "value": 1}],
            'add operation does not apply: doc is missing path: "/spec/nothing/here": missing value',
        ),
        (
            [{"op": "test", "path": "/spec/selector/app", "value": "db"}],
            "testing value /spec/selector/app failed: test failed",
        ),
        (
            [{"op": "replace", "path": "/spec/ports/5", "value": 1}],
            "replace operation does not apply: doc is missing key: /spec/ports/5: missing value",
        ),
        (
            [{"op": "add", "path": "/spec/ports/x", "value": 1}],
            "error in add for path: '/spec/ports/x': value was not a proper array index: 'x': "
            'strconv.Atoi: parsing "x": invalid syntax',
        ),
        ([{"op": "frob", "path": "/a"}], "Unexpected kind: frob"),
    ],
)
def test_json_patch_errors_are_422_with_the_generic_message(ops: Any, detail: str) -> None:
    # handlers/patch.go applyJSPatch: errors.NewGenericServerResponse(422, ...) whose message is
    # fixed ("the server rejected our request due to an error in our request").
    with pytest.raises(PatchError) as caught:
        apply_json_patch(SVC, ops)
    assert caught.value.code == 422
    assert caught.value.reason == "Invalid"
    assert str(caught.value) == "the server rejected our request due to an error in our request"
    assert caught.value.detail == detail


def test_json_patch_v4_quirks() -> None:
    # partialDoc.get never fails, so replace of a missing key adds it; test of a missing key
    # against null passes (patch.go `replace`, `test`).
    out = apply_json_patch(SVC, [{"op": "replace", "path": "/spec/type", "value": "NodePort"}])
    assert out["spec"]["type"] == "NodePort"
    apply_json_patch(SVC, [{"op": "test", "path": "/spec/missing", "value": None}])
    with pytest.raises(PatchError) as caught:
        apply_json_patch(SVC, {"op": "add"})
    assert caught.value.code == 400


# -- merge patch -------------------------------------------------------------------------------


def test_merge_patch_rfc7386() -> None:
    out = apply_merge_patch(
        SVC,
        {"metadata": {"labels": {"app": None, "x": "1"}}, "spec": {"ports": [{"port": 90}]}},
    )
    assert out["metadata"]["labels"] == {"x": "1"}
    assert out["spec"]["ports"] == [{"port": 90}]  # lists replace
    assert out["spec"]["selector"] == {"app": "web"}
    assert SVC["metadata"]["labels"] == {"app": "web"}
    # A new object's nulls are pruned (merge.go `pruneNulls`).
    assert apply_merge_patch({}, {"a": {"b": None, "c": 1}}) == {"a": {"c": 1}}
    with pytest.raises(PatchError) as caught:
        apply_merge_patch(SVC, None)
    assert (caught.value.code, caught.value.message) == (400, "Invalid JSON Patch")


# -- strategic merge patch ---------------------------------------------------------------------


def test_strategic_merge_by_keys_from_the_schema() -> None:
    out = apply_strategic_merge_patch(
        DEPLOY,
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "web", "env": [{"name": "B", "value": "2"}]},
                            {"name": "side", "image": "busybox"},
                        ]
                    }
                }
            }
        },
        "Deployment",
    )
    containers = out["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["web", "side"]
    # env merges by name (types.go `patchMergeKey:"name"`), args untouched.
    assert containers[0]["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert containers[0]["args"] == ["netexec", "--http-port=8080"]


def test_strategic_service_ports_merge_on_port_and_directives() -> None:
    # ServiceSpec.Ports: patchMergeKey "port" (listMapKeys port+protocol are for apply).
    out = apply_strategic_merge_patch(
        SVC, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}, "Service"
    )
    assert out["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": 9090}]
    deleted = apply_strategic_merge_patch(
        SVC, {"spec": {"ports": [{"port": 80, "$patch": "delete"}]}}, "Service"
    )
    assert deleted["spec"]["ports"] == []
    replaced = apply_strategic_merge_patch(
        SVC, {"spec": {"selector": {"$patch": "replace", "tier": "db"}}}, "Service"
    )
    assert replaced["spec"]["selector"] == {"tier": "db"}
    merged = apply_strategic_merge_patch(SVC, {"spec": {"selector": {"tier": "db"}}}, "Service")
    assert merged["spec"]["selector"] == {"app": "web", "tier": "db"}
    nulled = apply_strategic_merge_patch(SVC, {"metadata": {"labels": {"app": None}}}, "Service")
    assert nulled["metadata"]["labels"] == {}


def test_strategic_atomic_lists_replace_and_finalizers_merge() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "finalizers": ["a"]},
        "spec": {"tolerations": [{"key": "x", "operator": "Exists"}], "containers": []},
    }
    out = apply_strategic_merge_patch(
        pod,
        {
            "metadata": {"finalizers": ["b"]},
            "spec": {"tolerations": [{"key": "y", "operator": "Exists"}]},
        },
        "Pod",
    )
    assert out["metadata"]["finalizers"] == ["a", "b"]
    assert out["spec"]["tolerations"] == [{"key": "y", "operator": "Exists"}]
    out = apply_strategic_merge_patch(
        out, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, "Pod"
    )
    assert out["metadata"]["finalizers"] == ["b"]


def test_strategic_merge_on_a_custom_resource_is_415() -> None:
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {}}
    with pytest.raises(PatchError) as caught:
        apply_strategic_merge_patch(route, {"spec": {}}, "HTTPRoute")
    assert caught.value.code == 415
    assert caught.value.message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )


# -- field sets and the schema file ------------------------------------------------------------


def test_schema_file_matches_the_upstream_schemas() -> None:
    pytest.importorskip("kubernetes_validate", reason="needs the test extra (kubernetes-validate)")
    if not GATEWAY_SCHEMAS.is_dir():
        pytest.skip(gateway_schemas_missing())
    assert schemagen.OUTPUT.read_text() == schemagen.render(schemagen.build(GATEWAY_SCHEMAS))


def test_fields_v1_round_trip_and_path_strings() -> None:
    applied = server_side_apply(None, SVC, manager="m", force=False, now="2026-01-01T00:00:00Z")
    entry = applied["metadata"]["managedFields"][0]
    assert entry["fieldsV1"] == {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {
            "f:ports": {
                'k:{"port":80,"protocol":"TCP"}': {
                    ".": {},
                    "f:name": {},
                    "f:port": {},
                    "f:targetPort": {},
                }
            },
            # ServiceSpec.selector is x-kubernetes-map-type: atomic in 1.37.
            "f:selector": {},
        },
    }
    assert to_fields_v1(from_fields_v1(entry["fieldsV1"])) == entry["fieldsV1"]
    assert (
        path_string(("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}', "f:targetPort"))
        == '.spec.ports[port=80,protocol="TCP"].targetPort'
    )


# -- server-side apply -------------------------------------------------------------------------


def test_apply_removes_what_the_manager_dropped_but_keeps_other_owners() -> None:
    live = server_side_apply(None, SVC, manager="kube-tutor", force=True)
    labelled = _copy(live)
    labelled["metadata"]["labels"]["team"] = "blue"
    labelled["metadata"]["managedFields"] = record_update(
        live, labelled, manager="kubectl-label", operation="Update"
    )
    smaller = _copy(SVC)
    del smaller["metadata"]["labels"]
    out = server_side_apply(labelled, smaller, manager="kube-tutor", force=True)
    # merge/update.go `prune`: app was kube-tutor's alone and is gone; team is kubectl-label's.
    assert out["metadata"]["labels"] == {"team": "blue"}
    assert [m["manager"] for m in out["metadata"]["managedFields"]] == [
        "kube-tutor",
        "kubectl-label",
    ]


def test_conflict_message_and_causes() -> None:
    live = server_side_apply(None, SVC, manager="kubectl-client-side-apply", force=True)
    live["metadata"]["managedFields"][0]["operation"] = "Update"
    del live["metadata"]["managedFields"][0]["time"]
    changed = _copy(SVC)
    changed["spec"]["selector"] = {"app": "api"}
    with pytest.raises(ApplyConflict) as caught:
        server_side_apply(live, changed, manager="kube-tutor", force=False)
    # managedfields/internal/conflict.go getConflictMessage and printManager.
    assert caught.value.message() == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: '
        ".spec.selector"
    )
    assert caught.value.causes() == [
        {
            "type": "FieldManagerConflict",
            "message": 'conflict with "kubectl-client-side-apply" using v1',
            "field": ".spec.selector",
        }
    ]
    forced = server_side_apply(live, changed, manager="kube-tutor", force=True)
    assert forced["spec"]["selector"] == {"app": "api"}
    owners = {m["manager"]: m["fieldsV1"] for m in forced["metadata"]["managedFields"]}
    assert "f:selector" in owners["kube-tutor"]["f:spec"]
    assert "f:selector" not in owners["kubectl-client-side-apply"]["f:spec"]
    # The same value is shared ownership, not a conflict (update.go compares values).
    server_side_apply(live, SVC, manager="kube-tutor", force=False)


def test_two_conflicts_are_grouped_by_manager() -> None:
    live = server_side_apply(None, DEPLOY, manager="edit", force=True)
    for entry in live["metadata"]["managedFields"]:
        entry["operation"] = "Update"
        entry["time"] = "2026-01-01T00:00:00Z"
    changed = _copy(DEPLOY)
    changed["spec"]["replicas"] = 3
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx"
    with pytest.raises(ApplyConflict) as caught:
        server_side_apply(live, changed, manager="kube-tutor", force=False)
    assert caught.value.message() == (
        'Apply failed with 2 conflicts: conflicts with "edit" using apps/v1 at '
        "2026-01-01T00:00:00Z:\n- .spec.replicas\n"
        '- .spec.template.spec.containers[name="web"].image'
    )


def test_learner_edits_survive_unless_kube_tutor_owns_the_field() -> None:
    live = server_side_apply(None, DEPLOY, manager="kube-tutor", force=True)
    edited = _copy(live)
    edited["spec"]["replicas"] = 5  # kube-tutor's field
    edited["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Never"  # not
    edited["metadata"]["managedFields"] = record_update(
        live, edited, manager="kubectl-edit", operation="Update"
    )
    edit_fields = next(
        m for m in edited["metadata"]["managedFields"] if m["manager"] == "kubectl-edit"
    )["fieldsV1"]
    assert "f:replicas" in edit_fields["f:spec"]
    out = server_side_apply(edited, DEPLOY, manager="kube-tutor", force=True)
    assert out["spec"]["replicas"] == 2
    assert out["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Never"


def _lab_docs(folder: Path) -> list[dict[str, Any]]:
    docs = []
    for file in sorted(folder.glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(file.read_text()) if d)
    return docs


def _lab_namespaces(lab: Path) -> list[str]:
    meta = yaml.safe_load((lab / "lab.yaml").read_text())
    return [f"kt-{lab.name[:2]}", *(meta.get("namespaces") or [])]


def _fresh(lab: Path) -> SimCluster:
    cluster = SimCluster()
    for ns in _lab_namespaces(lab):
        cluster.ensure_namespace(ns, {})
    return cluster


def _ssa_into(cluster: SimCluster, docs: list[dict[str, Any]], ns: str) -> None:
    """The server's apply path: SSA onto the stored object, then admission as today."""
    merged = []
    keys = []
    for doc in docs:
        name = doc["metadata"]["name"]
        target = "" if doc["kind"] == "Namespace" else doc["metadata"].get("namespace", ns)
        keys.append((doc["kind"], target, name))
        live = cluster.store.get(*keys[-1])
        merged.append(server_side_apply(live, doc, manager="kube-tutor", force=True))
    cluster.apply(merged, ns)
    # Admission writes a placeholder managedFields entry today; the server stores SSA's.
    for key, obj in zip(keys, merged, strict=True):
        stored = cluster.store.get(*key)
        assert stored is not None
        stored["metadata"]["managedFields"] = obj["metadata"]["managedFields"]


def _objects(cluster: SimCluster, docs: list[dict[str, Any]], ns: str) -> dict[str, Any]:
    out = {}
    for doc in docs:
        target = doc["metadata"].get("namespace", ns)
        obj = cluster.get(doc["kind"], doc["metadata"]["name"], target)
        assert obj is not None
        for field in ("managedFields", "resourceVersion", "uid", "creationTimestamp"):
            obj["metadata"].pop(field, None)
        out[f"{doc['kind']}/{target}/{doc['metadata']['name']}"] = obj
    return out


LAB_DIRS = sorted(p for p in LABS.iterdir() if (p / "start").is_dir())


@pytest.mark.parametrize("lab", LAB_DIRS, ids=[p.name for p in LAB_DIRS])
def test_lab_manifests_come_out_as_the_current_apply_makes_them(lab: Path) -> None:
    ns = _lab_namespaces(lab)[0]
    start, solution = _lab_docs(lab / "start"), _lab_docs(lab / "solution")
    today, ssa = _fresh(lab), _fresh(lab)
    try:
        today.apply(start, ns)
    except ClusterError as refused:
        # A start the API server refuses (lab 08's nodePort 8080) is refused the same way.
        with pytest.raises(ClusterError) as again:
            _ssa_into(ssa, start, ns)
        assert again.value.message == refused.message
    else:
        _ssa_into(ssa, start, ns)
        assert _objects(ssa, start, ns) == _objects(today, start, ns)
    today.apply(solution, ns)
    _ssa_into(ssa, solution, ns)
    assert _objects(ssa, solution, ns) == _objects(today, solution, ns)


def test_one_apply_of_a_lab_deployment_and_service_is_fast() -> None:
    live_d = server_side_apply(None, DEPLOY, manager="kube-tutor", force=True)
    live_s = server_side_apply(None, SVC, manager="kube-tutor", force=True)
    rounds = 200
    began = time.perf_counter()
    for _ in range(rounds):
        server_side_apply(live_d, DEPLOY, manager="kube-tutor", force=True)
        server_side_apply(live_s, SVC, manager="kube-tutor", force=True)
    per_pair = (time.perf_counter() - began) / rounds
    print(f"SSA of Deployment+Service onto live objects: {per_pair * 1000:.3f} ms")
    assert per_pair < 0.005  # aim < 1 ms; generous bound for a loaded CI machine
