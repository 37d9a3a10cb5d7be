"""Decode Kubernetes' protobuf request bodies (`application/vnd.kubernetes.protobuf`) to JSON.

kubectl sends typed creates in protobuf (`kubectl create namespace|deployment|service`,
`expose`, `run`). The body is the envelope of `k8s.io/apimachinery/pkg/runtime/serializer/
protobuf/protobuf.go`: the magic `k8s\\x00`, then a `runtime.Unknown` holding the `TypeMeta`
and the object's bytes. Field numbers and types come from `data/wire_schema.json`, derived from
the `generated.proto` files of k8s.io/api v0.37.2 (see `data/make_wire_schema.py`).

Go's protobuf marshaller writes non-pointer fields even when they hold their zero value, and
the JSON form omits them (`omitempty`), so zero values are dropped here, except for the few
pointer fields where a zero means something (`replicas: 0`).
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

MAGIC = b"k8s\x00"
META = "k8s.io.apimachinery.pkg.apis.meta.v1"
KEEP_ZERO = frozenset({"replicas", "terminationGracePeriodSeconds", "revisionHistoryLimit"})
GROUP_PACKAGES = {
    "": "k8s.io.api.core",
    "apps": "k8s.io.api.apps",
    "batch": "k8s.io.api.batch",
    "networking.k8s.io": "k8s.io.api.networking",
    "discovery.k8s.io": "k8s.io.api.discovery",
    "autoscaling": "k8s.io.api.autoscaling",
    "policy": "k8s.io.api.policy",
    "authorization.k8s.io": "k8s.io.api.authorization",
    "authentication.k8s.io": "k8s.io.api.authentication",
    "rbac.authorization.k8s.io": "k8s.io.api.rbac",
}

Schema = dict[str, dict[str, list[str]]]


class ProtobufError(ValueError):
    """A body that is not a Kubernetes protobuf object this server can read."""


@cache
def schema() -> Schema:
    """The wire schema (loaded once)."""
    path = Path(__file__).with_name("data") / "wire_schema.json"
    loaded: Schema = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, raw value) for every field of a message."""
    out: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _signed(value: int, bits: int) -> int:
    value &= (1 << 64) - 1
    if value >= 1 << 63:
        value -= 1 << 64
    return value if bits == 64 else int(value)


def _scalar(kind: str, wire: int, value: Any) -> Any:
    if kind in ("int32", "int64", "uint32", "uint64"):
        return _signed(value, 64) if kind.startswith("int") else value
    if kind == "bool":
        return bool(value)
    if kind == "string":
        return bytes(value).decode("utf-8")
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "double":
        return struct.unpack("<d", value)[0]
    if kind == "float":
        return struct.unpack("<f", value)[0]
    raise ProtobufError(f"unknown scalar {kind}")


def _special(name: str, data: bytes) -> tuple[bool, Any]:
    """Messages whose JSON form is not an object."""
    if name in (f"{META}.Time", f"{META}.MicroTime"):
        fields = {n: v for n, _, v in _fields(data)}
        if not fields.get(1) and not fields.get(2):
            return True, None
        moment = datetime.fromtimestamp(_signed(fields.get(1, 0), 64), UTC)
        return True, moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if name == "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
        fields = {n: v for n, _, v in _fields(data)}
        if fields.get(1, 0) == 1:
            return True, bytes(fields.get(3, b"")).decode("utf-8")
        return True, _signed(fields.get(2, 0), 32)
    if name == "k8s.io.apimachinery.pkg.api.resource.Quantity":
        fields = {n: v for n, _, v in _fields(data)}
        return True, bytes(fields.get(1, b"")).decode("utf-8") or None
    if name in ("k8s.io.apimachinery.pkg.runtime.RawExtension", f"{META}.FieldsV1"):
        fields = {n: v for n, _, v in _fields(data)}
        raw = bytes(fields.get(1, b""))
        return True, json.loads(raw) if raw else None
    if name == f"{META}.Duration":
        fields = {n: v for n, _, v in _fields(data)}
        return True, f"{_signed(fields.get(1, 0), 64) / 1e9:g}s"
    return False, None


def _empty(value: Any) -> bool:
    return value in (None, "", 0, False, {}, [])


def decode_message(data: bytes, name: str) -> Any:
    """One message as its JSON form."""
    special, value = _special(name, data)
    if special:
        return value
    fields = schema().get(name)
    if fields is None:
        raise ProtobufError(f"no schema for {name}")
    out: dict[str, Any] = {}
    for number, wire, raw in _fields(data):
        spec = fields.get(str(number))
        if spec is None:
            continue  # a field newer than the schema: ignored, as an older server would
        field_name, label, kind = spec[0], spec[1], spec[2]
        if label == "m":
            entry = {n: (w, v) for n, w, v in _fields(bytes(raw))}
            key = _decode_value(spec[2], *entry.get(1, (2, b"")))
            item = _decode_value(spec[3], *entry.get(2, (2, b"")))
            out.setdefault(field_name, {})[str(key)] = item
            continue
        if label == "r":
            items = out.setdefault(field_name, [])
            if wire == 2 and kind in ("int32", "int64", "bool", "uint32", "uint64"):
                pos, packed = 0, bytes(raw)
                while pos < len(packed):
                    number_value, pos = _varint(packed, pos)
                    items.append(_scalar(kind, 0, number_value))
            else:
                items.append(_decode_value(kind, wire, raw))
            continue
        out[field_name] = _decode_value(kind, wire, raw)
    return {k: v for k, v in out.items() if k in KEEP_ZERO or not _empty(v)}


def _decode_value(kind: str, wire: int, raw: Any) -> Any:
    if kind in ("string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float"):
        return _scalar(kind, wire, raw)
    return decode_message(bytes(raw), kind)


def decode_object(body: bytes) -> dict[str, Any]:
    """A Kubernetes object from its protobuf envelope, as a JSON-shaped dict."""
    if not body.startswith(MAGIC):
        raise ProtobufError("not a Kubernetes protobuf body (no k8s magic)")
    envelope = {n: v for n, _, v in _fields(body[len(MAGIC) :])}
    type_meta = {n: bytes(v).decode() for n, _, v in _fields(bytes(envelope.get(1, b"")))}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    group, _, version = api_version.rpartition("/")
    package = GROUP_PACKAGES.get(group)
    if package is None or not kind:
        raise ProtobufError(f"cannot read {kind or 'an object'} of {api_version} in protobuf")
    obj = decode_message(bytes(envelope.get(2, b"")), f"{package}.{version}.{kind}")
    if not isinstance(obj, dict):
        raise ProtobufError("the body is not an object")
    return {"apiVersion": api_version, "kind": kind, **obj}
