"""Builds `schema_types.json` (list types, map types and patch strategies) from upstream schemas.

The API server's merge rules live in the OpenAPI extensions of each field: for strategic merge patch
`x-kubernetes-patch-strategy`/`x-kubernetes-patch-merge-key` (from the Go struct tags
`patchStrategy`/`patchMergeKey` in k8s.io/api), for server-side apply `x-kubernetes-list-type`,
`x-kubernetes-list-map-keys` and `x-kubernetes-map-type` (the `+listType`/`+mapType` markers that
sigs.k8s.io/structured-merge-diff reads). This module distils them from the JSON schemas shipped by
`kubernetes-validate` (Kubernetes 1.37) and from the Gateway API CRDs' `openAPIV3Schema`, keeping
only what merging needs, so the server needs neither package at run time.

Run `python -m tutor.cluster.sim.api.schemagen GATEWAY_CRD_DIR` to rewrite the file; a test checks
that the checked-in file matches a fresh build.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

Obj = dict[str, Any]

KUBERNETES_VERSION = "1.37.0"
OUTPUT = Path(__file__).with_name("schema_types.json")

CORE_KINDS = {
    "v1": ["Namespace", "Pod", "Service", "ConfigMap", "Secret", "Endpoints", "Event", "Node"],
    "apps/v1": ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"],
    "discovery.k8s.io/v1": ["EndpointSlice"],
    "networking.k8s.io/v1": ["Ingress", "IngressClass", "ServiceCIDR", "IPAddress"],
    "events.k8s.io/v1": ["Event"],
    "autoscaling/v1": ["Scale"],
}
"""Kinds the simulator serves (their schemas, and every type they reach, are kept)."""

GATEWAY_CRDS = (
    "crd_gatewayclasses.yaml",
    "crd_gateways.yaml",
    "crd_httproutes.yaml",
    "crd_referencegrants.yaml",
)

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def _extensions(schema: Obj) -> Obj:
    """The merge-related extensions of one property, in the compact form."""
    out: Obj = {}
    if "x-kubernetes-patch-strategy" in schema:
        out["ps"] = schema["x-kubernetes-patch-strategy"]
    if "x-kubernetes-patch-merge-key" in schema:
        out["pk"] = schema["x-kubernetes-patch-merge-key"]
    return out


class _Builder:
    def __init__(self, definitions: Obj) -> None:
        self.definitions = definitions
        self.types: dict[str, Obj] = {}

    def ref_name(self, ref: str) -> str:
        return ref.rsplit("/", 1)[-1]

    def core_type(self, name: str) -> None:
        """Add a named core type and everything it reaches."""
        if name in self.types:
            return
        definition = self.definitions[name]
        entry: Obj = {}
        self.types[name] = entry
        if definition.get("x-kubernetes-map-type") == "atomic":
            entry["atomic"] = True
        fields: Obj = {}
        for field, prop in sorted((definition.get("properties") or {}).items()):
            compact = self.core_node(prop)
            if compact is not None:
                fields[field] = compact
        if fields:
            entry["f"] = fields

    def core_node(self, prop: Obj) -> Obj | None:
        """The compact form of a property (None for a plain scalar)."""
        ext = _extensions(prop)
        if "$ref" in prop:
            name = self.ref_name(prop["$ref"])
            target = self.definitions[name]
            if "properties" not in target and target.get("type") not in (
                "object",
                ["object", "null"],
            ):
                return ext or None  # int-or-string, Quantity, Time: scalars
            self.core_type(name)
            return {"r": name, **ext}
        kind = prop.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "array" in kinds:
            items = prop.get("items") or {}
            out: Obj = {"l": prop.get("x-kubernetes-list-type", "atomic"), **ext}
            if "x-kubernetes-list-map-keys" in prop:
                out["k"] = prop["x-kubernetes-list-map-keys"]
            element = self.core_node(items)
            if element is not None:
                out["e"] = element
            return out
        if "object" in kinds and "additionalProperties" in prop:
            out = {"a": self.core_node(prop["additionalProperties"] or {}) or {}, **ext}
            if prop.get("x-kubernetes-map-type") == "atomic":
                out["atomic"] = True
            return out
        return ext or None

    def crd_node(self, schema: Obj, name: str) -> Obj | None:
        """The compact form of an inline CRD schema node; object nodes become named types."""
        kind = schema.get("type")
        if kind == "array":
            out: Obj = {"l": schema.get("x-kubernetes-list-type", "atomic")}
            if "x-kubernetes-list-map-keys" in schema:
                out["k"] = schema["x-kubernetes-list-map-keys"]
            element = self.crd_node(schema.get("items") or {}, name + "[]")
            if element is not None:
                out["e"] = element
            return out
        if kind == "object" and "properties" in schema:
            entry: Obj = {}
            self.types[name] = entry
            if schema.get("x-kubernetes-map-type") == "atomic":
                entry["atomic"] = True
            fields: Obj = {}
            for field, prop in sorted(schema["properties"].items()):
                if name.endswith(":") and field == "metadata":
                    self.core_type(OBJECT_META)
                    fields[field] = {"r": OBJECT_META}
                    continue
                compact = self.crd_node(prop, f"{name}.{field}")
                if compact is not None:
                    fields[field] = compact
            if fields:
                entry["f"] = fields
            return {"r": name}
        if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
            out = {"a": self.crd_node(schema["additionalProperties"], name + "{}") or {}}
            if schema.get("x-kubernetes-map-type") == "atomic":
                out["atomic"] = True
            return out
        return None


def build(gateway_crds: Path) -> Obj:
    """The compact schema document (kinds -> root type, types -> fields)."""
    import kubernetes_validate
    import yaml

    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    definitions = json.loads(
        (base / f"v{KUBERNETES_VERSION}-local" / "_definitions.json").read_text()
    )["$defs"]
    builder = _Builder(definitions)
    kinds: dict[str, str] = {}
    for name, definition in sorted(definitions.items()):
        for gvk in definition.get("x-kubernetes-group-version-kind") or []:
            api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            if gvk["kind"] in CORE_KINDS.get(api_version, ()):
                builder.core_type(name)
                kinds[f"{api_version}/{gvk['kind']}"] = name
    for file in GATEWAY_CRDS:
        crd = yaml.safe_load((gateway_crds / file).read_text())
        group = crd["spec"]["group"]
        kind = crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served"):
                continue
            root = f"{group}/{version['name']}/{kind}"
            builder.crd_node(version["schema"]["openAPIV3Schema"], root + ":")
            kinds[root] = root + ":"
    return {
        "source": f"kubernetes-validate {KUBERNETES_VERSION}; Gateway API CRDs "
        + ", ".join(GATEWAY_CRDS),
        "kinds": dict(sorted(kinds.items())),
        "types": dict(sorted(builder.types.items())),
    }


def render(document: Obj) -> str:
    """The file's text (one type per line keeps diffs readable)."""
    lines = ["{", f'"source": {json.dumps(document["source"])},', '"kinds": {']
    kinds = list(document["kinds"].items())
    for i, (key, value) in enumerate(kinds):
        lines.append(
            f"{json.dumps(key)}: {json.dumps(value)}" + ("," if i < len(kinds) - 1 else "")
        )
    lines.append("},")
    lines.append('"types": {')
    types = list(document["types"].items())
    for i, (key, value) in enumerate(types):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
        lines.append(f"{json.dumps(key)}: {text}" + ("," if i < len(types) - 1 else ""))
    lines.append("}")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - a developer's tool
    OUTPUT.write_text(render(build(Path(sys.argv[1]))))
