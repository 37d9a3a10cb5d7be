"""Type checks of learner manifests, worded as the Kubernetes API server words them.

A manifest with a value of the wrong JSON type (`metadata.namespace: [kube-system]`,
`spec: hello`, `ports: {port: 80}`) never reaches a cluster: the API server would refuse it
at decoding, and code that reads the object (the simulator, the checks) must not meet it.

The server's answer, for a built-in kind, is a 400 Bad Request whose message is built in
k8s.io/apiserver `pkg/endpoints/handlers/rest.go` `transformDecodeError`:

    Service in version "v1" cannot be handled as a Service: json: cannot unmarshal object
    into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort

The part after the colon is Go's `encoding/json` `UnmarshalTypeError` (sigs.k8s.io/json, used
by k8s.io/apimachinery `pkg/runtime/serializer/json/json.go`, keeps its wording): the JSON
value kind, the Go struct holding the field, the JSON path of fields (list indexes are not
part of it) and the Go type. A map value keeps the struct of the map field
(`ObjectMeta.metadata.labels of type string`). `apiVersion` and `kind` are read first by
apimachinery `pkg/runtime/serializer/json/meta.go` `SimpleMetaFactory.Interpret`, which says
`couldn't get version/kind; json parse error: ...` about an anonymous struct.

Only the fields the course's kinds use are typed here; other fields are left to the schema
checks (lint) and the cluster. Custom resources (Gateway API) get the metadata checks only.
"""

from __future__ import annotations

import base64
import datetime
import math
from dataclasses import dataclass, field
from typing import Any

from tutor.cluster.base import Obj


@dataclass(frozen=True)
class Shape:
    """The Go type of a field: `json` is the JSON kind it takes (`object`, `array`, `string`,
    `integer`, `number`, `bool`, `intstr`); `item` is a list's item or a map's value;
    `fields` a struct's fields (by JSON name), or the name of a struct defined below."""

    go: str
    json: str
    item: Shape | None = None
    fields: str | None = None


STR = Shape("string", "string")
INT32 = Shape("int32", "integer")
INT64 = Shape("int64", "integer")
BOOL = Shape("bool", "bool")
INTSTR = Shape("intstr.IntOrString", "intstr")
MAP_STR = Shape("map[string]string", "object", item=STR)
LIST_STR = Shape("[]string", "array", item=STR)


def _named(go: str) -> Shape:
    """A named string type such as `v1.ServiceType`."""
    return Shape(go, "string")


def _struct(name: str, package: str = "v1") -> Shape:
    return Shape(f"{package}.{name}", "object", fields=name)


def _list(name: str, package: str = "v1") -> Shape:
    return Shape(f"[]{package}.{name}", "array", item=_struct(name, package))


_PROTOCOL = _named("v1.Protocol")

STRUCTS: dict[str, dict[str, Shape]] = {
    "ObjectMeta": {
        "name": STR,
        "generateName": STR,
        "namespace": STR,
        "labels": MAP_STR,
        "annotations": MAP_STR,
        "finalizers": LIST_STR,
    },
    "LabelSelector": {"matchLabels": MAP_STR},
    "Service": {"metadata": _struct("ObjectMeta"), "spec": _struct("ServiceSpec")},
    "ServiceSpec": {
        "ports": _list("ServicePort"),
        "selector": MAP_STR,
        "clusterIP": STR,
        "clusterIPs": LIST_STR,
        "type": _named("v1.ServiceType"),
        "externalIPs": LIST_STR,
        "sessionAffinity": _named("v1.ServiceAffinity"),
        "externalName": STR,
        "externalTrafficPolicy": _named("v1.ServiceExternalTrafficPolicy"),
        "internalTrafficPolicy": _named("v1.ServiceInternalTrafficPolicy"),
        "healthCheckNodePort": INT32,
        "publishNotReadyAddresses": BOOL,
        "ipFamilies": Shape("[]v1.IPFamily", "array", item=_named("v1.IPFamily")),
        "ipFamilyPolicy": _named("v1.IPFamilyPolicy"),
        "allocateLoadBalancerNodePorts": BOOL,
        "loadBalancerClass": STR,
        "trafficDistribution": STR,
    },
    "ServicePort": {
        "name": STR,
        "protocol": _PROTOCOL,
        "appProtocol": STR,
        "port": INT32,
        "targetPort": INTSTR,
        "nodePort": INT32,
    },
    "Deployment": {"metadata": _struct("ObjectMeta"), "spec": _struct("DeploymentSpec")},
    "DeploymentSpec": {
        "replicas": INT32,
        "selector": _struct("LabelSelector"),
        "template": _struct("PodTemplateSpec"),
        "minReadySeconds": INT32,
    },
    "StatefulSet": {"metadata": _struct("ObjectMeta"), "spec": _struct("StatefulSetSpec")},
    "StatefulSetSpec": {
        "replicas": INT32,
        "selector": _struct("LabelSelector"),
        "template": _struct("PodTemplateSpec"),
        "serviceName": STR,
    },
    "Pod": {"metadata": _struct("ObjectMeta"), "spec": _struct("PodSpec")},
    "PodTemplateSpec": {"metadata": _struct("ObjectMeta"), "spec": _struct("PodSpec")},
    "PodSpec": {
        "containers": _list("Container"),
        "nodeName": STR,
        "hostname": STR,
        "subdomain": STR,
        "nodeSelector": MAP_STR,
    },
    "Container": {
        "name": STR,
        "image": STR,
        "command": LIST_STR,
        "args": LIST_STR,
        "ports": _list("ContainerPort"),
        "readinessProbe": Shape("v1.Probe", "object", fields="Probe"),
    },
    "ContainerPort": {
        "name": STR,
        "containerPort": INT32,
        "hostPort": INT32,
        "protocol": _PROTOCOL,
    },
    "Probe": {
        "httpGet": _struct("HTTPGetAction"),
        "tcpSocket": _struct("TCPSocketAction"),
        "initialDelaySeconds": INT32,
        "periodSeconds": INT32,
        "failureThreshold": INT32,
    },
    "HTTPGetAction": {"path": STR, "port": INTSTR, "host": STR},
    "TCPSocketAction": {"port": INTSTR, "host": STR},
    "ConfigMap": {"metadata": _struct("ObjectMeta"), "data": MAP_STR},
    "EndpointSlice": {
        "metadata": _struct("ObjectMeta"),
        "addressType": _named("v1.AddressType"),
        "endpoints": _list("Endpoint"),
        "ports": _list("EndpointPort"),
    },
    "Endpoint": {"addresses": LIST_STR, "nodeName": STR, "hostname": STR},
    "EndpointPort": {"name": STR, "protocol": _PROTOCOL, "port": INT32, "appProtocol": STR},
    "Ingress": {"metadata": _struct("ObjectMeta"), "spec": _struct("IngressSpec")},
    "IngressSpec": {"ingressClassName": STR, "rules": _list("IngressRule")},
    "IngressRule": {"host": STR},
}
"""Go structs by name: field JSON name -> its shape (k8s.io/api core/v1, apps/v1,
discovery/v1, networking/v1 types.go)."""

KINDS = {
    "Service",
    "Deployment",
    "StatefulSet",
    "Pod",
    "ConfigMap",
    "EndpointSlice",
    "Ingress",
}
"""Built-in kinds typed field by field; any other kind gets the metadata checks only."""


@dataclass
class ShapeError:
    """A value of the wrong type: where it is (keys and indexes) and the server's words."""

    loc: tuple[str | int, ...]
    message: str


@dataclass
class _Walk:
    errors: list[ShapeError] = field(default_factory=list)


def _json_kind(value: Any) -> str:
    """The JSON kind as Go's decoder names it (`number 1.5` for a number an int refuses)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _fits(value: Any, shape: Shape) -> tuple[bool, str]:
    """Whether `value` decodes into `shape`, and the JSON kind named when it does not."""
    kind = _json_kind(value)
    if value is None:
        return True, kind  # JSON null leaves a Go field at its zero value
    if shape.json == "object":
        return isinstance(value, dict), kind
    if shape.json == "array":
        return isinstance(value, list), kind
    if shape.json == "string":
        return isinstance(value, str), kind
    if shape.json == "bool":
        return isinstance(value, bool), kind
    if shape.json in ("integer", "intstr"):
        if isinstance(value, str):
            return shape.json == "intstr", kind
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False, kind
        bits = 64 if shape.go == "int64" else 32
        whole = isinstance(value, int) or (math.isfinite(value) and value.is_integer())
        if whole and -(2 ** (bits - 1)) <= int(value) < 2 ** (bits - 1):
            return True, kind
        return False, f"number {value}"
    return True, kind


def _walk(
    value: Any, shape: Shape, struct: str, path: list[str], loc: tuple[str | int, ...], out: _Walk
) -> None:
    ok, kind = _fits(value, shape)
    if not ok:
        go = "int32" if shape.json == "intstr" else shape.go  # IntOrString decodes an int32
        field_path = ".".join(path)
        out.errors.append(
            ShapeError(
                loc,
                f"json: cannot unmarshal {kind} into Go struct field {struct}.{field_path} "
                f"of type {go}",
            )
        )
        return
    if value is None:
        return
    if shape.fields is not None:
        for key, shaped in STRUCTS[shape.fields].items():
            if key in value:
                _walk(value[key], shaped, shape.fields, [*path, key], (*loc, key), out)
    elif shape.json == "array" and shape.item is not None:
        for index, item in enumerate(value):
            _walk(item, shape.item, struct, path, (*loc, index), out)
    elif shape.json == "object" and shape.item is not None:
        for key, item in value.items():
            _walk(item, shape.item, struct, path, (*loc, key), out)


def shape_errors(doc: Obj) -> list[ShapeError]:
    """Every wrongly typed value of one manifest (a mapping), as the API server says it."""
    for key in ("apiVersion", "kind"):
        value = doc.get(key)
        if value is not None and not isinstance(value, str):
            return [
                ShapeError(
                    (key,),
                    "couldn't get version/kind; json parse error: json: cannot unmarshal "
                    f"{_json_kind(value)} into Go struct field .{key} of type string",
                )
            ]
    kind = str(doc.get("kind") or "")
    api_version = str(doc.get("apiVersion") or "")
    version = api_version.rsplit("/", 1)[-1]
    out = _Walk()
    if kind in KINDS:
        _walk(doc, _struct(kind), kind, [], (), out)
    elif "metadata" in doc:
        _walk(doc["metadata"], _struct("ObjectMeta"), kind, ["metadata"], ("metadata",), out)
    for error in out.errors:
        # Go's %q of the version: double quotes (transformDecodeError)
        error.message = (
            f'{kind} in version "{version}" cannot be handled as a {kind}: {error.message}'
        )
    return out.errors


def json_compatible(value: Any, loc: tuple[str | int, ...] = ()) -> tuple[Any, ShapeError | None]:
    """The document as JSON data, the way kubectl's YAML-to-JSON step sees it.

    Keys become strings (`1:` is `"1"`), YAML timestamps become their text, `!!binary`
    becomes base64; NaN and infinity have no JSON form and are refused (with their place).
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = key if isinstance(key, str) else _key_text(key)
            converted, error = json_compatible(item, (*loc, name))
            if error is not None:
                return None, error
            out[name] = converted
        return out, None
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            converted, error = json_compatible(item, (*loc, index))
            if error is not None:
                return None, error
            items.append(converted)
        return items, None
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat(), None
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii"), None
    if isinstance(value, float) and not math.isfinite(value):
        return None, ShapeError(
            loc, f"{value} is not a number JSON can carry; quote it if it is text"
        )
    return value, None


def _key_text(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, tuple | list):  # a YAML `? [a, b]` key
        return str(list(key))
    return str(key)
