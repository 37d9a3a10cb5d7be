"""Value types as the API server's JSON decoder checks them, before any validation runs.

kube-apiserver decodes a request body into the Go type of the kind with sigs.k8s.io/json (a
fork of encoding/json). A value of the wrong JSON type (`publishNotReadyAddresses: "yes"`,
`port: "80"`) stops the decoder: the first such error, in document order, becomes a 400
BadRequest (`k8s.io/apiserver` `pkg/endpoints/handlers/rest.go` `transformDecodeError`):

    Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string
    into Go struct field ServiceSpec.spec.publishNotReadyAddresses of type bool

The wording is `UnmarshalTypeError.Error` (`internal/golang/encoding/json/decode.go`): the Go
struct holding the field, the field stack from the root joined with dots (list indexes are not
part of it), and the Go type. Types with their own decoder (IntOrString, Quantity, Time,
RawExtension) accept what they accept and are not checked here. A `[]byte` field (format
`byte`) must be base64: Go's `illegal base64 data at input byte N` (`tutor.cluster.sim.gobase64`).
"""

from __future__ import annotations

from typing import Any

from tutor.cluster.sim.api.openapi import CRD_GROUP, _definitions, definition_name
from tutor.cluster.sim.gobase64 import illegal_base64

Obj = dict[str, Any]

_OWN_DECODERS = (
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    "io.k8s.apimachinery.pkg.api.resource.Quantity",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
    "io.k8s.apimachinery.pkg.runtime.RawExtension",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
)


class _Found(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _go_name(definition: str) -> str:
    """`io.k8s.api.core.v1.ServicePort` -> `v1.ServicePort` (reflect.Type.String)."""
    parts = definition.split(".")
    return ".".join(parts[-2:])


def _go_type(schema: Obj) -> str:
    ref = schema.get("$ref")
    if ref:
        return _go_name(ref.rsplit("/", 1)[-1])
    kind = schema.get("type")
    if kind == "boolean":
        return "bool"
    if kind == "integer":
        return "int64" if schema.get("format") == "int64" else "int32"
    if kind == "number":
        return "float64"
    if kind == "string":
        return "string"
    if kind == "array":
        return "[]" + _go_type(schema.get("items") or {})
    if kind == "object":
        extra = schema.get("additionalProperties")
        return "map[string]" + (_go_type(extra) if isinstance(extra, dict) else "interface {}")
    return "interface {}"


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    return "object"


def _walk(value: Any, schema: Obj, struct: str, stack: list[str]) -> None:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name in _OWN_DECODERS:
            return
        target = _definitions().get(name)
        if target is None:
            return
        if isinstance(value, dict) and target.get("properties") is not None:
            _struct(value, target, name.rsplit(".", 1)[-1], stack)
            return
        if value is not None and not isinstance(value, dict) and "properties" in target:
            _fail(value, _go_name(name), struct, stack)
        return
    kind = schema.get("type")
    if value is None or kind is None:
        return
    if kind == "boolean" and not isinstance(value, bool):
        _fail(value, "bool", struct, stack)
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | float):
            _fail(value, _go_type(schema), struct, stack)
        elif isinstance(value, float) and not value.is_integer():
            _fail(value, _go_type(schema), struct, stack, literal=f"number {value}")
    elif kind == "string" and not isinstance(value, str):
        _fail(value, "string", struct, stack)
    elif kind == "string" and schema.get("format") == "byte":
        # []byte in Go: the decoder base64-decodes it (Secret data, ConfigMap binaryData)
        refusal = illegal_base64(value)
        if refusal is not None:
            raise _Found(refusal)
    elif kind == "array":
        if not isinstance(value, list):
            _fail(value, _go_type(schema), struct, stack)
        items = schema.get("items")
        if isinstance(items, dict):
            for item in value:
                _walk(item, items, struct, stack)
    elif kind == "object":
        if not isinstance(value, dict):
            _fail(value, _go_type(schema), struct, stack)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for item in value.values():
                _walk(item, extra, struct, stack)


def _struct(value: Obj, schema: Obj, struct: str, stack: list[str]) -> None:
    props = schema.get("properties") or {}
    for key, item in value.items():
        prop = props.get(key)
        if prop is not None:
            _walk(item, prop, struct, [*stack, key])


def _fail(value: Any, go_type: str, struct: str, stack: list[str], literal: str = "") -> None:
    raise _Found(
        f"json: cannot unmarshal {literal or _json_kind(value)} into Go struct field "
        f"{struct}.{'.'.join(stack)} of type {go_type}"
    )


def type_error(obj: Obj) -> str | None:
    """The decoder's first type error for a built-in kind's object, or None."""
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    group, _, version = api_version.rpartition("/")
    if group == CRD_GROUP:
        return None
    try:
        model = definition_name(group, version, kind)
    except KeyError:
        return None
    schema = _definitions().get(model.rsplit("/", 1)[-1])
    if schema is None:
        return None
    try:
        _struct(obj, schema, model.rsplit(".", 1)[-1], [])
    except _Found as found:
        return found.message
    return None
