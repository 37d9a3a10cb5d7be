"""The differential suite: the same manifests and the same refused requests on the real API
server and on the simulator, answers and read-back objects compared after normalising what
legitimately differs (uids, times, resource versions, generated names, allocated addresses).

Every difference is an exact-match failure unless allowed_differences.yaml lists it with its
reason; an entry that matches nothing any more fails `test_allow_list_has_no_stale_entries`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.controlplane.compare import (
    AllowList,
    Difference,
    Endpoint,
    apply_outcome,
    diff,
    normalise,
    settle,
    sim_api_endpoint,
)
from tests.controlplane.conftest import PLANE, PREFIX
from tutor.cluster.base import Obj
from tutor.cluster.kube import RESOURCES, KubeCluster
from tutor.content.loader import load_course
from tutor.labs.session import localise

pytestmark = pytest.mark.controlplane

REPO = Path(__file__).resolve().parents[2]
SUMMARY: dict[str, Any] = {"cases": 0, "objects": 0, "skipped": Counter()}
"""Figures the terminal summary prints (conftest's `pytest_terminal_summary`)."""


def record(differences: list[Difference]) -> None:
    """Append the differences to `$KT_CONTROLPLANE_REPORT` (JSON lines), for triage."""
    target = os.environ.get("KT_CONTROLPLANE_REPORT")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as out:
        for d in differences:
            row = {"case": d.case, "subject": d.subject, "path": d.path, "key": d.key}
            row.update(real=repr(d.real), sim=repr(d.sim))
            out.write(json.dumps(row) + "\n")


@dataclass
class Case:
    """One set of manifests applied together, with the namespaces they mention."""

    name: str
    objects: list[Obj]
    namespaces: list[str] = field(default_factory=list)
    """Namespace names the manifests use besides the case's main one."""


def _namespaces_of(objects: list[Obj]) -> list[str]:
    seen: dict[str, None] = {}
    for obj in objects:
        namespace = (obj.get("metadata") or {}).get("namespace")
        if namespace:
            seen.setdefault(namespace, None)
        for ref in (obj.get("spec") or {}).get("parentRefs") or []:
            if ref.get("namespace"):
                seen.setdefault(ref["namespace"], None)
        for rule in (obj.get("spec") or {}).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                if ref.get("namespace"):
                    seen.setdefault(ref["namespace"], None)
        for source in (obj.get("spec") or {}).get("from") or []:
            if source.get("namespace"):
                seen.setdefault(source["namespace"], None)
    return list(seen)


def manifest_cases() -> list[Case]:
    """Every lab's start/, solution/ and wrong/<variant>/ folder, every manifest code block of
    the lessons and every YAML quiz solution, as the linter finds them."""
    from tutor.content.lint import _all_manifests  # the one place that finds them all

    course = load_course([], builtin=True)
    groups: dict[str, list[Obj]] = {}
    for path, line, doc, source in _all_manifests(course, []):
        relative = path.relative_to(REPO)
        parts = relative.parts
        if parts[0] == "labs":
            # labs/<lab>/<start|solution>, or labs/<lab>/wrong/<variant>: one apply each
            key = "/".join(parts[: 4 if parts[2] == "wrong" else 3])
        elif source is not None:
            key = f"{relative}:{source[1]}"  # one fenced block
        else:
            key = f"{relative}:{line}"  # one quiz solution
        groups.setdefault(key, []).append(doc)
    cases = []
    for name, docs in sorted(groups.items()):
        usable = []
        for doc in docs:
            kind = doc.get("kind")
            resource = RESOURCES.get(kind) if isinstance(kind, str) else None
            if resource is None or not resource.namespaced:
                SUMMARY["skipped"][f"{kind} (not a namespaced kind kube-tutor applies)"] += 1
                continue
            usable.append(doc)
        if usable:
            cases.append(Case(name, usable, _namespaces_of(usable)))
    return cases


CASES = manifest_cases()


ALLOW = AllowList.load()
"""Shared by the module's tests so the stale-entry test sees every use."""


@pytest.fixture(scope="module")
def allow_list() -> AllowList:
    return ALLOW


@pytest.fixture(scope="module")
def sim(sim_api_session: Any) -> Endpoint:
    """The simulator's API server (tests/conftest.py's session server), as the kube backend
    sees it; `sim_endpoint()` would compare against the in-process SimCluster instead."""
    return sim_api_endpoint(sim_api_session.kubeconfig, sim_api_session.context, PREFIX)


@pytest.fixture(scope="module")
def real(kube: KubeCluster) -> Endpoint:
    return Endpoint("real", kube, real=True)


def _case_namespaces(index: int, case: Case) -> tuple[str, dict[str, str]]:
    main = f"cp-d{index}"
    return main, {name: f"{main}-{n}" for n, name in enumerate(case.namespaces, 1)}


def _views(
    endpoint: Endpoint, objects: list[Obj], namespaces: list[str]
) -> Iterator[tuple[str, Any]]:
    """What to compare after an apply: each applied object as read back, the EndpointSlices of
    each Service, and a summary of the Pods (owner, phase, readiness) of each namespace."""
    cluster = endpoint.cluster
    for obj in objects:
        meta = obj["metadata"]
        subject = f"{obj['kind']} {meta['name']}"
        yield subject, cluster.get(obj["kind"], meta["name"], meta.get("namespace"))
        if obj["kind"] == "Service":
            slices = cluster.list(
                "EndpointSlice",
                meta.get("namespace"),
                {"kubernetes.io/service-name": meta["name"]},
            )
            for item in slices:
                # Pod names are random: order the endpoints by where they run instead
                item["endpoints"] = sorted(
                    item.get("endpoints") or [],
                    key=lambda e: (
                        str(e.get("hostname")),  # StatefulSet Pods keep their names
                        str(e.get("zone")),
                        str(e.get("nodeName")),
                        str(e.get("conditions")),
                    ),
                )
            managed = [
                s
                for s in slices
                if s["metadata"]["labels"].get("endpointslice.kubernetes.io/managed-by")
                != "kube-tutor"
            ]
            yield (
                f"EndpointSlice {meta['name']}",
                sorted(managed, key=lambda s: (s.get("addressType", ""), _slice_key(s))),
            )
    for namespace in namespaces:
        pods = []
        for pod in cluster.list("Pod", namespace):
            owners = pod["metadata"].get("ownerReferences") or [{}]
            ready = any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in pod.get("status", {}).get("conditions") or []
            )
            pods.append((owners[0].get("kind", "-"), pod.get("status", {}).get("phase"), ready))
        yield f"Pods {namespace}", sorted(pods)


def _slice_key(item: Obj) -> str:
    """A user's slice by its name; a controller's (generated name) after them."""
    meta = item.get("metadata") or {}
    return "~" if meta.get("generateName") else str(meta.get("name"))


def _localised(case: Case, main: str, mapping: dict[str, str]) -> list[Obj]:
    objects = []
    for obj in case.objects:
        copy = localise(obj, mapping)
        copy.setdefault("metadata", {}).setdefault("namespace", main)
        objects.append(copy)
    return objects


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.name for c in CASES])
def test_manifests_read_back_alike(
    index: int, real: Endpoint, sim: Endpoint, allow_list: AllowList
) -> None:
    case = CASES[index]
    if not PLANE["plane"].gateway_api and any(
        str(o.get("apiVersion", "")).startswith("gateway.networking.k8s.io/") for o in case.objects
    ):
        pytest.skip("the Gateway API CRDs are not beside the project (../shared/schemas)")
    main, mapping = _case_namespaces(index, case)
    namespaces = [main, *mapping.values()]
    placeholders = {main: "<ns>", **{v: f"<ns:{k}>" for k, v in mapping.items()}}
    objects = _localised(case, main, mapping)
    differences: list[Difference] = []
    try:
        for endpoint in (real, sim):
            for namespace in namespaces:
                endpoint.cluster.ensure_namespace(namespace, {})
        outcomes = {e.name: apply_outcome(e, objects, main) for e in (real, sim)}
        if outcomes["real"] != outcomes["sim"]:
            differences.append(
                Difference(
                    case.name, "apply", "outcome", outcomes["real"].shown(), outcomes["sim"].shown()
                )
            )
        elif outcomes["real"].result == "ok":
            settle(real, namespaces)
            seen = {e.name: dict(_views(e, objects, namespaces)) for e in (real, sim)}
            for subject, real_view in seen["real"].items():
                sim_view = seen["sim"].get(subject)
                SUMMARY["objects"] += 1
                differences += diff(
                    case.name,
                    subject,
                    normalise(real_view, namespaces=placeholders),
                    normalise(sim_view, namespaces=placeholders),
                )
    finally:
        for endpoint in (real, sim):
            # Services first and at once: a nodePort is free again for the next case
            for obj in objects:
                if obj["kind"] == "Service":
                    endpoint.cluster.delete(
                        "Service", obj["metadata"]["name"], obj["metadata"]["namespace"]
                    )
            for namespace in namespaces:
                endpoint.cluster.delete_namespace(namespace, wait=False)
    SUMMARY["cases"] += 1
    record(differences)
    unexplained = allow_list.judge("objects", differences)
    assert [d.shown() for d in unexplained] == []


# -- admission: what the API server refuses, and how it says so ------------------------------


def _svc(name: str = "web", **spec: Any) -> Obj:
    body: dict[str, Any] = {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


def _deploy(name: str = "web", labels: dict[str, str] | None = None, **spec: Any) -> Obj:
    labels = labels or {"app": name}
    body: dict[str, Any] = {
        "replicas": 1,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
        },
    }
    body.update(spec)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": body}


def _ingress(path: str, path_type: str) -> Obj:
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    rule = {"http": {"paths": [{"path": path, "pathType": path_type, "backend": backend}]}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {"ingressClassName": "nginx", "rules": [rule]},
    }


_NP = {"type": "NodePort"}
ADMISSION: list[tuple[str, list[Obj], list[Obj]]] = [
    # (case, applied first and accepted by both, then the request under test)
    ("nodeport-out-of-range", [], [_svc(**_NP, ports=[{"port": 80, "nodePort": 8080}])]),
    (
        "nodeport-taken",
        [_svc("first", **_NP, ports=[{"port": 80, "nodePort": 30300}])],
        [_svc("second", **_NP, ports=[{"port": 80, "nodePort": 30300}])],
    ),
    ("port-name-required", [], [_svc(ports=[{"port": 80}, {"port": 81}])]),
    (
        "port-name-duplicate",
        [],
        [_svc(ports=[{"name": "http", "port": 80}, {"name": "http", "port": 81}])],
    ),
    ("port-out-of-range", [], [_svc(ports=[{"port": 70000}])]),
    (
        "target-port-name-too-long",
        [],
        [_svc(ports=[{"port": 80, "targetPort": "a-very-long-port-name"}])],
    ),
    ("cluster-ip-out-of-range", [], [_svc(clusterIP="10.0.0.5")]),
    ("cluster-ip-immutable", [_svc(clusterIP="10.96.50.50")], [_svc(clusterIP="10.96.50.51")]),
    (
        "type-change-to-externalname-keeps-cluster-ip",
        [_svc()],
        [_svc(type="ExternalName", externalName="example.com", selector=None, ports=None)],
    ),
    ("external-traffic-policy-on-cluster-ip", [], [_svc(externalTrafficPolicy="Local")]),
    (
        "session-affinity-timeout",
        [],
        [
            _svc(
                sessionAffinity="ClientIP",
                sessionAffinityConfig={"clientIP": {"timeoutSeconds": 0}},
            )
        ],
    ),
    ("traffic-distribution-unknown", [], [_svc(trafficDistribution="Nearest")]),
    ("service-name-uppercase", [], [_svc("Web")]),
    (
        "externalname-invalid",
        [],
        [_svc(type="ExternalName", externalName="not a name", selector=None)],
    ),
    ("selector-does-not-match-template", [], [_deploy(labels={"app": "other"})]),
    (
        "deployment-selector-immutable",
        [_deploy()],
        [
            _deploy(
                selector={"matchLabels": {"app": "web", "v": "2"}},
                template={
                    "metadata": {"labels": {"app": "web", "v": "2"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            )
        ],
    ),
    ("ingress-path-without-slash", [], [_ingress("api", "Prefix")]),
    ("ingress-path-type-unknown", [], [_ingress("/api", "Begins")]),
    ("misspelt-field-selectr", [], [_svc(selectr={"app": "web"}, selector=None)]),
    # []byte fields are base64-decoded by the API server's JSON decoder (Go's
    # encoding/base64 CorruptInputError offsets; tutor/cluster/sim/gobase64.py)
    (
        "secret-data-not-base64",
        [],
        [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "tls"},
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": "LS0tLS1CRUdJTi...", "tls.key": "a2V5"},
            }
        ],
    ),
    (
        "configmap-binarydata-short-quantum",
        [],
        [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "blob"},
                "binaryData": {"a": "YWJjZA"},
            }
        ],
    ),
]
"""Refusals the course teaches (lessons 01-14) and the simulator issue's fidelity list."""


@pytest.mark.parametrize("index", range(len(ADMISSION)), ids=[a[0] for a in ADMISSION])
def test_admission_answers_alike(
    index: int, real: Endpoint, sim: Endpoint, allow_list: AllowList
) -> None:
    name, setup, request = ADMISSION[index]
    namespace = f"cp-a{index}"

    def clean(objs: list[Obj]) -> list[Obj]:
        out = []
        for obj in objs:
            copy = json.loads(json.dumps(obj))
            spec = copy.get("spec") or {}
            for key in [k for k, v in spec.items() if v is None]:
                del spec[key]  # None: the field is left out (a plain apply drops it)
            out.append(copy)
        return out

    differences: list[Difference] = []
    try:
        outcomes = {}
        for endpoint in (real, sim):
            endpoint.cluster.ensure_namespace(namespace, {})
            if setup:
                first = apply_outcome(endpoint, clean(setup), namespace)
                assert first.result == "ok", (endpoint.name, first.shown())
            outcomes[endpoint.name] = apply_outcome(endpoint, clean(request), namespace)
        shapes = {
            k: {"result": o.result, "problems": [{"path": p, "message": m} for p, m in o.problems]}
            for k, o in outcomes.items()
        }
        differences += diff(name, "Outcome", shapes["real"], shapes["sim"])
        SUMMARY["admission"] = SUMMARY.get("admission", 0) + 1
        SUMMARY.setdefault("answers", {})[name] = outcomes["real"].shown()
    finally:
        for endpoint in (real, sim):
            for obj in setup + request:
                if obj["kind"] == "Service":
                    endpoint.cluster.delete("Service", obj["metadata"]["name"], namespace)
            endpoint.cluster.delete_namespace(namespace, wait=False)
    record(differences)
    unexplained = allow_list.judge("admission", differences)
    assert [d.shown() for d in unexplained] == []


def test_allow_list_has_no_stale_entries(allow_list: AllowList) -> None:
    """Runs last in this module: every entry of `objects` and `admission` allowed something
    (delete an entry once the simulator matches Kubernetes there)."""
    if SUMMARY["cases"] < len(CASES) or SUMMARY.get("admission", 0) < len(ADMISSION):
        pytest.skip("not every case ran in this session (a -k selection)")
    stale = allow_list.stale("objects") + allow_list.stale("admission")
    assert [f"{e.section}: {e.match} ({e.cases})" for e in stale] == []
