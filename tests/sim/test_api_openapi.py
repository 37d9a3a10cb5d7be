"""OpenAPI documents and strict decoding of the simulator's API server (tutor.cluster.sim.api.openapi)."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest

from tutor.cluster.sim.api import openapi
from tutor.cluster.sim.api.data import build_schemas
from tutor.content.lint import gateway_schema_dir, gateway_schemas_missing

Obj = dict[str, Any]


def _all_refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                found.add(value)
            elif key not in ("enum", "default", "example"):
                found |= _all_refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _all_refs(item)
    return found


def _keys(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties":
                for prop in value.values():
                    found |= _keys(prop)
            elif key not in ("enum", "default", "example"):
                found.add(key)
                found |= _keys(value)
    elif isinstance(node, list):
        for item in node:
            found |= _keys(item)
    return found


def test_data_file_is_what_the_generator_makes_from_its_sources() -> None:
    """schemas.json is derived, never edited: rebuilding it from kubernetes-validate 1.37.0 and
    the Gateway API v1.6.1 CRDs gives the committed bytes."""
    folder = gateway_schema_dir()
    if folder is None:
        pytest.skip(gateway_schemas_missing())
    rebuilt = build_schemas.render(build_schemas.build(folder))
    assert rebuilt == openapi.DATA_FILE.read_text(encoding="utf-8")


def test_v3_index_lists_every_served_group_version_with_the_hash_of_its_bytes() -> None:
    """kube-openapi handler3: `paths` -> `serverRelativeURL` with `?hash=` SHA-512 upper hex."""
    index = openapi.openapi_v3_index()["paths"]
    assert set(index) == {s.openapi_path for s in openapi.SERVED}
    assert {"api/v1", "apis/apps/v1", "apis/gateway.networking.k8s.io/v1"} <= set(index)
    for path, entry in index.items():
        body = openapi.openapi_v3_json(path)
        assert body is not None
        digest = hashlib.sha512(body).hexdigest().upper()
        assert entry["serverRelativeURL"] == f"/openapi/v3/{path}?hash={digest}"
        assert json.loads(body) == openapi.openapi_v3(path)
    assert openapi.openapi_v3("apis/batch/v1") is None


@pytest.mark.parametrize("served", openapi.SERVED, ids=lambda s: f"{s.group_version}/{s.kind}")
def test_patch_operation_offers_field_validation_for_each_kind(served: openapi.ServedKind) -> None:
    """cli-runtime query_param_verifier_v3.go `supportsQueryParamV3`: a PATCH operation whose
    single-object `x-kubernetes-group-version-kind` is the GVK lists `fieldValidation` in the
    query; kubectl patcher.go `gvkSupportsPatchOpenAPIV3` uses strategic merge patch only when
    the body accepts it, which CRDs' (apiextensions builder.go `buildRoute`) do not."""
    doc = openapi.openapi_v3(served.openapi_path)
    assert doc is not None
    gvk = {"group": served.group, "version": served.version, "kind": served.kind}
    base = f"/{served.openapi_path}/"
    base += f"namespaces/{{namespace}}/{served.plural}" if served.namespaced else served.plural
    patch = doc["paths"][base + "/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == gvk
    query = {p["name"] for p in patch["parameters"] if p["in"] == "query"}
    assert {"fieldValidation", "fieldManager", "dryRun", "force"} <= query
    smp = "application/strategic-merge-patch+json" in patch["requestBody"]["content"]
    assert smp is (served.group != openapi.CRD_GROUP)
    # explain's template finds the GVK on the list path too, then the schema that lists it.
    assert doc["paths"][base]["get"]["x-kubernetes-group-version-kind"] == gvk
    model = openapi.definition_name(served.group, served.version, served.kind)
    assert gvk in doc["components"]["schemas"][model]["x-kubernetes-group-version-kind"]


def _v3_resolve(doc: Obj, schema: Obj) -> Obj:
    """strategicpatch/meta.go `resolve`: take allOf[0], then follow a components ref."""
    if schema.get("allOf"):
        schema = schema["allOf"][0]
    ref = schema.get("$ref")
    if ref:
        schema = doc["components"]["schemas"][ref.removeprefix("#/components/schemas/")]
    return schema


def test_patch_metadata_reaches_kubectl_through_v3_refs() -> None:
    """The lookups PatchMetaFromOpenAPIV3 does for `spec.ports` of a Service and
    `spec.template.spec.containers[].ports` of a Deployment find the merge keys."""
    core = openapi.openapi_v3("api/v1")
    assert core is not None
    svc = core["components"]["schemas"]["io.k8s.api.core.v1.Service"]
    spec = _v3_resolve(core, svc["properties"]["spec"])
    ports = spec["properties"]["ports"]
    assert ports["x-kubernetes-patch-merge-key"] == "port"
    assert ports["x-kubernetes-patch-strategy"] == "merge"
    assert ports["x-kubernetes-list-map-keys"] == ["port", "protocol"]
    port = _v3_resolve(core, ports["items"])
    assert port["properties"]["targetPort"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}
    ]
    apps = openapi.openapi_v3("apis/apps/v1")
    assert apps is not None
    deployment = apps["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
    node = _v3_resolve(apps, deployment["properties"]["spec"])
    node = _v3_resolve(apps, node["properties"]["template"])
    pod_spec = _v3_resolve(apps, node["properties"]["spec"])
    containers = pod_spec["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    container = _v3_resolve(apps, containers["items"])
    assert container["properties"]["ports"]["x-kubernetes-list-map-keys"] == [
        "containerPort",
        "protocol",
    ]


def test_every_ref_resolves_inside_its_document() -> None:
    """Each group/version document is self-contained, as kubectl fetches them one by one."""
    for path in openapi.openapi_v3_index()["paths"]:
        doc = openapi.openapi_v3(path)
        assert doc is not None
        names = set(doc["components"]["schemas"])
        for ref in _all_refs(doc):
            assert ref.startswith("#/components/schemas/"), ref
            assert ref.removeprefix("#/components/schemas/") in names, (path, ref)
    v2 = openapi.openapi_v2()
    for ref in _all_refs(v2):
        assert ref.removeprefix("#/definitions/") in v2["definitions"], ref


def test_v2_is_plain_swagger_2() -> None:
    """Swagger 2.0 has no oneOf/anyOf/nullable nor type lists (gnostic's OpenAPIv2 model)."""
    v2 = openapi.openapi_v2()
    assert v2["swagger"] == "2.0"
    assert not _keys(v2["definitions"]) & {"oneOf", "anyOf", "nullable", "allOf", "$defs"}
    types = [s.get("type") for s in v2["definitions"].values()]
    assert all(t is None or isinstance(t, str) for t in types)
    int_or_string = v2["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert int_or_string == {"format": "int-or-string", "type": "string"}
    # kubernetes-validate's converter pins apiVersion/kind with an enum; the server has none.
    assert "enum" not in v2["definitions"]["io.k8s.api.core.v1.Service"]["properties"]["kind"]


def test_crd_schema_published_like_the_apiextensions_builder() -> None:
    """builder.go `buildKubeNative`: metadata is ObjectMeta, apiVersion/kind added, model name
    `io.k8s.networking.gateway.v1.HTTPRoute`; the CRD's own fields are kept."""
    doc = openapi.openapi_v3("apis/gateway.networking.k8s.io/v1")
    assert doc is not None
    route = doc["components"]["schemas"]["io.k8s.networking.gateway.v1.HTTPRoute"]
    assert route["properties"]["metadata"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    ]
    assert {"apiVersion", "kind", "spec", "status"} <= set(route["properties"])
    assert "hostnames" in route["properties"]["spec"]["properties"]
    assert "x-kubernetes-validations" not in json.dumps(route)
    listed = doc["components"]["schemas"]["io.k8s.networking.gateway.v1.HTTPRouteList"]
    assert listed["x-kubernetes-group-version-kind"][0]["kind"] == "HTTPRouteList"


def test_documents_are_built_once_and_quickly() -> None:
    """Cached per process; the figures go to the report (`-s` shows them)."""
    for cached in (openapi._data, openapi.openapi_v2, openapi.openapi_v2_json, openapi.openapi_v3,
                   openapi.openapi_v3_json, openapi.openapi_v3_hash, openapi.openapi_v3_index):  # fmt: skip
        cached.cache_clear()
    start = time.perf_counter()
    v2 = openapi.openapi_v2_json()
    docs = {p: openapi.openapi_v3_json(p) for p in openapi.openapi_v3_index()["paths"]}
    elapsed = time.perf_counter() - start
    assert openapi.openapi_v2_json() is v2
    assert all(openapi.openapi_v3_json(p) is body for p, body in docs.items())
    sizes = {p: len(b or b"") for p, b in docs.items()}
    print(f"\nopenapi v2 {len(v2):,} bytes; v3 {sizes}; built in {elapsed * 1000:.0f} ms")
    assert elapsed < 5.0


# -- strict decoding ---------------------------------------------------------------------


def test_builtin_unknown_fields_in_document_order_with_list_indexes() -> None:
    """sigs.k8s.io/json strict decoding: document order, `a.b[0].c` paths, `unknown field %q`."""
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "lables": {"app": "web"}, "labels": {"any-key": "ok"}},
        "spec": {
            "selectr": {"app": "web"},
            "ports": [{"port": 80, "targetPort": 8080}, {"port": 81, "nam": "x"}],
        },
    }
    assert openapi.unknown_field_problems(service) == [
        'unknown field "metadata.lables"',
        'unknown field "spec.selectr"',
        'unknown field "spec.ports[1].nam"',
    ]


def test_builtin_nested_and_deduplicated() -> None:
    """Errors deep in a pod template; the same path twice is reported once (saveStrictError)."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "nginx",
                            "imagePullPolcy": "Always",
                            "ports": [{"containerPort": 80, "protocl": "TCP"}],
                        },  # fmt: skip
                    ],
                    "nodeSelectr": {},
                },
            },
        },
    }
    assert openapi.unknown_field_problems(deployment) == [
        'unknown field "spec.template.spec.containers[0].imagePullPolcy"',
        'unknown field "spec.template.spec.containers[0].ports[0].protocl"',
        'unknown field "spec.template.spec.nodeSelectr"',
    ]


def test_valid_objects_and_unknown_kinds_have_no_problems() -> None:
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"},
                 "data": {"nginx.conf": "x"}}  # fmt: skip
    assert openapi.unknown_field_problems(configmap) == []
    managed = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "managedFields": [{"manager": "m", "fieldsV1": {"f:spec": {}}}]},
        "spec": {
            "containers": [{"name": "c", "image": "i", "resources": {"limits": {"cpu": "1"}}}]
        },
    }
    assert openapi.unknown_field_problems(managed) == []  # FieldsV1 and Quantity maps are raw
    assert openapi.unknown_field_problems({"apiVersion": "batch/v1", "kind": "Job"}) == []


def test_crd_metadata_first_then_pruned_paths_sorted() -> None:
    """customresource_handler.go `unstructuredSchemaCoercer.apply`: metadata (re-encoded, so
    key order) first, then pruning/algorithm.go paths sorted; root meta fields skipped."""
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r", "lables": {}, "annotatons": {}},
        "spec": {
            "rules": [{"backendRefs": [{"name": "web", "port": 80, "wieght": 1}]}],
            "parentRefs": [{"name": "gw", "sectionNme": "http"}],
            "hostname": ["a.example.com"],
        },
        "extra": True,
    }
    assert openapi.unknown_field_problems(route) == [
        'unknown field "metadata.annotatons"',
        'unknown field "metadata.lables"',
        'unknown field "extra"',
        'unknown field "spec.hostname"',
        'unknown field "spec.parentRefs[0].sectionNme"',
        'unknown field "spec.rules[0].backendRefs[0].wieght"',
    ]
    good = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "g"},
        "spec": {
            "from": [{"group": "", "kind": "Service", "namespace": "a"}],
            "to": [{"group": "", "kind": "Service"}],
        },  # fmt: skip
    }
    assert openapi.unknown_field_problems(good) == []
