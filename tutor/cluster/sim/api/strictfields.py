"""Strict field decoding: the unknown fields kube-apiserver refuses with `fieldValidation=Strict`."""

from __future__ import annotations

from typing import Any

from tutor.cluster.sim.api.openapi import (
    CRD_GROUP,
    META,
    _definitions,
    crd_version,
    definition_name,
)

Obj = dict[str, Any]

_MAX_STRICT_ERRORS = 100  # sigs.k8s.io/json kubernetes_patch.go saveStrictError


def unknown_fields(obj: Obj) -> list[str]:
    """Strict decoding errors for the unknown fields of an object, in the API server's words
    and order: `unknown field "spec.selectr"`, `unknown field "spec.ports[0].nam"`.

    The server joins them as `strict decoding error: <e1>, <e2>` (k8s.io/apimachinery
    runtime/error.go `strictDecodingError.Error`). Empty for an unknown kind.

    - Built-in kinds: the body is decoded into the Go type by sigs.k8s.io/json with
      DisallowUnknownFields (k8s.io/apimachinery runtime/serializer/json `unmarshal` ->
      `kjson.UnmarshalStrict`); errors come in document order, each path the field stack
      joined as `a.b[0].c` (internal/golang/encoding/json/kubernetes_patch.go
      `newFieldError`), deduplicated, at most 100, quoted with Go's strconv.Quote.
    - Gateway API kinds (CRDs): k8s.io/apiextensions-apiserver customresource_handler.go
      `unstructuredSchemaCoercer.apply` first decodes `metadata` strictly into ObjectMeta
      after re-encoding it (Go sorts map keys, so in key order), then prunes fields the
      structural schema does not declare (schema/pruning/algorithm.go: `apiVersion`, `kind`
      and `metadata` at the root are skipped; the paths are sorted); `schemaCoercingDecoder`
      words each as `unknown field "%s"`.
    """
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return []
    group, _, version = api_version.rpartition("/")
    if group == CRD_GROUP:
        crd_ver = crd_version(kind, version)
        if crd_ver is None:
            return []
        paths: list[str] = []
        metadata = obj.get("metadata")
        if isinstance(metadata, dict):
            meta_errors: list[str] = []
            _go_strict(_sorted_json(metadata), {"$ref": META + "ObjectMeta"}, [], meta_errors)
            paths += ["metadata." + p for p in meta_errors]
        pruned: list[str] = []
        _prune(obj, crd_ver["schema"], [], pruned, root=True)
        paths += sorted(pruned)
        return [f'unknown field "{p}"' for p in paths]
    try:
        model = definition_name(group, version, kind)
    except KeyError:
        return []
    found: list[str] = []
    _go_strict(obj, {"$ref": model}, [], found)
    return [f"unknown field {_go_quote(p)}" for p in found]


def _sorted_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_json(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_json(v) for v in value]
    return value


def _resolve(schema: Obj) -> Obj:
    defs = _definitions()
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _join(stack: list[str], key: str) -> list[str]:
    return [*stack, ".", key] if stack else [key]


def _go_strict(value: Any, schema: Obj, stack: list[str], found: list[str]) -> None:
    """Walk like encoding/json decoding into the Go type the schema describes."""
    schema = _resolve(schema)
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is not None:
            for key, item in value.items():
                if key in props:
                    if item is not None:
                        _go_strict(item, props[key], _join(stack, key), found)
                else:
                    path = "".join(stack) + "." + key if stack else key
                    if path not in found and len(found) < _MAX_STRICT_ERRORS:
                        found.append(path)
        elif isinstance(extra, dict):
            for key, item in value.items():
                if item is not None:
                    _go_strict(item, extra, _join(stack, key), found)
        # An object schema with neither is a raw value (RawExtension, FieldsV1): no checks.
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            if item is not None:
                _go_strict(item, schema["items"], [*stack, f"[{i}]"], found)


_META_FIELDS = ("apiVersion", "kind", "metadata")


def _prune(
    value: Any, schema: Obj | None, stack: list[str], found: list[str], *, root: bool = False
) -> None:
    """pruning/algorithm.go `prune`, recording the paths of the fields it would drop."""
    if schema is not None and schema.get("x-kubernetes-preserve-unknown-fields"):
        _skip_prune(value, schema, stack, found)
        return
    if isinstance(value, dict):
        embedded = root or bool(schema and schema.get("x-kubernetes-embedded-resource"))
        props = (schema or {}).get("properties", {})
        extra = (schema or {}).get("additionalProperties")
        for key, item in value.items():
            if schema is None:
                found.append("".join(_join(stack, key)))
                continue
            if embedded and key in _META_FIELDS:
                continue
            if key in props:
                _prune(item, props[key], _join(stack, key), found)
            elif extra is not None and extra is not False:
                _prune(item, extra if isinstance(extra, dict) else None, _join(stack, key), found)
            elif key not in _META_FIELDS or stack:
                found.append("".join(_join(stack, key)))
    elif isinstance(value, list):
        items = (schema or {}).get("items") if schema is not None else None
        for i, item in enumerate(value):
            _prune(item, items if isinstance(items, dict) else None, [*stack, f"[{i}]"], found)


def _skip_prune(value: Any, schema: Obj, stack: list[str], found: list[str]) -> None:
    if isinstance(value, dict):
        embedded = bool(schema.get("x-kubernetes-embedded-resource"))
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if embedded and key in _META_FIELDS:
                continue
            if key in props:
                _prune(item, props[key], _join(stack, key), found)
            elif isinstance(extra, dict):
                _prune(item, extra, _join(stack, key), found)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _skip_prune(item, schema["items"], [*stack, f"[{i}]"], found)


def _go_quote(text: str) -> str:
    """Go's strconv.Quote for the characters field names use (printable runes stay)."""
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x80 else f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)
