"""What kube-apiserver's decoder refuses before any validation, and CRD defaults.

`[]byte` fields (Secret `data`, ConfigMap `binaryData`) are base64-decoded by Go's
encoding/base64 with the offsets of `CorruptInputError`; the answers differ per verb (all
recorded from kube-apiserver 1.37.2 in tests/controlplane/test_differential.py, cases
`secret-data-not-base64` and `configmap-binarydata-short-quantum`). A Gateway API object is
defaulted from its CRD's openAPIV3Schema (apiextensions-apiserver
pkg/apiserver/schema/defaulting/algorithm.go)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
import yaml

from tests.conftest import SimApi
from tutor.cluster.base import InvalidObjectError
from tutor.cluster.guard import Target
from tutor.cluster.kube_errors import error_from_status
from tutor.cluster.sim.admission.crd_defaults import apply_crd_defaults
from tutor.cluster.sim.cluster import SimCluster
from tutor.cluster.sim.gobase64 import corrupt_offset

# Go 1.26 `json.Unmarshal` into []byte, one line per input (recorded with a 10-line Go program
# against the same strings; 4,000 random strings of the alphabet "ABCab09+/=\n\r.-_ " agreed).
GO_ANSWERS = {
    "": None,
    "YWJj": None,
    "YWJjZA==": None,
    "YWJj\nZA==": None,
    "YWJ": 0,
    "YWJjZA": 4,
    "Y": 0,
    "YQ=": 3,
    "YQ==x": 4,
    "YQ=\n=": None,
    "=": 0,
    "YW=j": 2,
    "LS0tLS1CRUdJTi...": 14,
}


@pytest.mark.parametrize("text", list(GO_ANSWERS))
def test_base64_offsets_are_gos(text: str) -> None:
    assert corrupt_offset(text) == GO_ANSWERS[text]


def _secret(**data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "tls"},
        "type": "kubernetes.io/tls",
        "data": data,
    }


def test_the_in_process_simulator_refuses_a_value_that_is_not_base64() -> None:
    cluster = SimCluster()
    cluster.ensure_namespace("lab", {})
    with pytest.raises(InvalidObjectError) as raised:
        cluster.apply([_secret(**{"tls.crt": "LS0tLS1CRUdJTi...", "tls.key": "a2V5"})], "lab")
    assert [(p.path, p.message) for p in raised.value.problems] == [
        ("data", "illegal base64 data at input byte 14")
    ]
    assert "stringData" in raised.value.hint
    assert cluster.get("Secret", "tls", "lab") is None


def _request(api: SimApi, method: str, path: str, body: Any, content_type: str) -> tuple[int, Any]:
    import ssl

    config = yaml.safe_load(api.kubeconfig.read_text())
    user = config["users"][0]["user"]
    cluster = config["clusters"][0]["cluster"]
    context = ssl.create_default_context()
    context.load_verify_locations(
        cadata=__import__("base64").b64decode(cluster["certificate-authority-data"]).decode()
    )
    request = urllib.request.Request(api.url + path, json.dumps(body).encode(), method=method)
    request.add_header("Authorization", f"Bearer {user['token']}")
    request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_api_server_answers_bad_base64_as_kubernetes_does(sim_api: SimApi) -> None:
    ns = f"t-{uuid.uuid4().hex[:8]}"
    sim_api.cluster.ensure_namespace(ns, {})
    bad = {**_secret(**{"tls.crt": "LS0tLS1CRUdJTi...", "tls.key": "a2V5"})}
    bad["metadata"] = {"name": "s", "namespace": ns}
    code, body = _request(
        sim_api, "POST", f"/api/v1/namespaces/{ns}/secrets", bad, "application/json"
    )
    assert (code, body["reason"]) == (400, "BadRequest")
    assert body["message"] == (
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 14'
    )
    code, body = _request(
        sim_api,
        "PATCH",
        f"/api/v1/namespaces/{ns}/secrets/s?fieldManager=x&force=true",
        bad,
        "application/apply-patch+yaml",
    )
    assert code == 500
    assert body["message"] == (
        f"failed to convert new object ({ns}/s; /v1, Kind=Secret) to proper version: unable "
        "to convert unstructured object to /v1, Kind=Secret: error decoding from json: "
        "illegal base64 data at input byte 14"
    )


TARGET = Target(backend="context", context="practice", kubeconfig="", server="")


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (
            400,
            'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at '
            "input byte 14",
        ),
        (
            500,
            "failed to convert new object (default/s; /v1, Kind=Secret) to proper version: "
            "unable to convert unstructured object to /v1, Kind=Secret: error decoding from "
            "json: illegal base64 data at input byte 14",
        ),
    ],
)
def test_a_refused_decode_is_the_learners_invalid_object_not_an_outage(
    status: int, message: str
) -> None:
    """Before: a 500 from server-side apply read "could not apply right now, wait a moment"."""
    raw = json.dumps({"kind": "Status", "message": message, "code": status}).encode()
    error = error_from_status(status, raw, "apply Secret s", TARGET, kind="Secret", name="s")
    assert isinstance(error, InvalidObjectError)
    assert [(p.path, p.message) for p in error.problems] == [
        ("data", "illegal base64 data at input byte 14")
    ]
    assert error.message.startswith("Secret s could not be read, so nothing was applied")


def test_gateway_is_defaulted_from_its_crd_schema() -> None:
    gateway: dict[str, Any] = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "edge"},
        "spec": {
            "gatewayClassName": "cloud-provider-kind",
            "listeners": [
                {
                    "name": "https",
                    "port": 443,
                    "protocol": "HTTPS",
                    "tls": {"certificateRefs": [{"name": "shop-tls"}]},
                }
            ],
        },
    }
    apply_crd_defaults(gateway)
    listener = gateway["spec"]["listeners"][0]
    assert listener["tls"]["mode"] == "Terminate"
    assert listener["tls"]["certificateRefs"] == [
        {"group": "", "kind": "Secret", "name": "shop-tls"}
    ]
    assert listener["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    assert [c["type"] for c in gateway["status"]["conditions"]] == ["Accepted", "Programmed"]


def test_defaults_keep_what_was_written_and_leave_built_in_kinds_alone() -> None:
    route: dict[str, Any] = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "edge"},
        "spec": {
            "listeners": [
                {
                    "name": "tls",
                    "tls": {
                        "mode": "Passthrough",
                        "certificateRefs": [{"group": "core", "kind": "Other", "name": "x"}],
                    },
                }
            ]
        },
    }
    apply_crd_defaults(route)
    tls = route["spec"]["listeners"][0]["tls"]
    assert tls["mode"] == "Passthrough"
    assert tls["certificateRefs"][0] == {"group": "core", "kind": "Other", "name": "x"}
    service: dict[str, Any] = {"apiVersion": "v1", "kind": "Service", "metadata": {}, "spec": {}}
    apply_crd_defaults(service)
    assert service == {"apiVersion": "v1", "kind": "Service", "metadata": {}, "spec": {}}


def test_a_value_of_the_wrong_type_names_its_field() -> None:
    """sigs.k8s.io/json UnmarshalTypeError: the Go struct, then the field stack from the root."""
    message = (
        'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal '
        "string into Go struct field ServiceSpec.spec.publishNotReadyAddresses of type bool"
    )
    raw = json.dumps({"kind": "Status", "message": message, "code": 400}).encode()
    error = error_from_status(400, raw, "apply Service web", TARGET, kind="Service", name="web")
    assert isinstance(error, InvalidObjectError)
    assert error.problems[0].path == "spec.publishNotReadyAddresses"
