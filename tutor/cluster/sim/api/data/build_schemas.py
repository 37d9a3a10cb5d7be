"""Regenerate `schemas.json`: the OpenAPI data the simulator's API server serves.

Run from the repository root with the test extra installed:

    python -m tutor.cluster.sim.api.data.build_schemas [GATEWAY_CRD_FOLDER]

Sources (both pinned, nothing is written by hand):
- core kinds: the Kubernetes 1.37 definitions bundled in `kubernetes-validate==1.37.0`
  (`kubernetes-json-schema/v1.37.0-local/_definitions.json`, a JSON Schema rendering of the
  API server's `/openapi/v2`); only the definitions the served kinds reach are kept, turned
  back into Swagger 2.0 form;
- Gateway API kinds: the v1.6.1 standard-channel CRDs (default folder
  `../shared/schemas/gateway-api-v1.6.1`), their served versions' `openAPIV3Schema` (without
  the CEL `x-kubernetes-validations`, which no client reads from OpenAPI), printer columns,
  names and scope.

The runtime reads only the output file, so neither source has to be installed to serve.
`tests/sim/test_api_openapi.py` rebuilds it and compares, so it cannot drift from them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tutor.cluster.sim.api.openapi import CRD_GROUP
from tutor.cluster.sim.api.openapi import DESCRIBED as SERVED

KUBERNETES_VALIDATE_FOLDER = "kubernetes-json-schema/v1.37.0-local"
GATEWAY_BUNDLE = "v1.6.1"
OUTPUT = Path(__file__).with_name("schemas.json")
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
EXTRA_ROOTS = (
    META + "DeleteOptions",
    META + "Status",
    META + "WatchEvent",
    META + "Patch",
    "io.k8s.api.autoscaling.v1.Scale",
)
"""Definitions every served group's operations refer to besides its kinds."""


def default_gateway_folder() -> Path:
    """The folder `kube-tutor lint` validates Gateway API manifests with:
    `$KUBE_TUTOR_GATEWAY_SCHEMAS`, else `../shared/schemas/gateway-api-v1.6.1`."""
    from tutor.content.lint import gateway_schema_dir

    folder = gateway_schema_dir()
    if folder is None:
        raise SystemExit("Gateway API CRDs not found: pass their folder as the argument")
    return folder


def _to_swagger(node: Any, *, top: bool = False) -> Any:
    """kubernetes-validate's JSON Schema form -> the Swagger 2.0 form `/openapi/v2` has.

    Its converter (openapi2jsonschema) made every optional type nullable (`["string",
    "null"]`), wrote IntOrString/Quantity as `oneOf`, moved refs to `#/$defs/` and pinned
    `apiVersion`/`kind` of top-level kinds with an `enum`; each is undone here.
    """
    if isinstance(node, list):
        return [_to_swagger(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            out[key] = types[0] if len(types) == 1 else types
        elif key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/$defs/", "#/definitions/")
        elif key == "properties" and isinstance(value, dict):
            props = {}
            for name, prop in value.items():
                converted = _to_swagger(prop)
                if top and name in ("apiVersion", "kind") and isinstance(converted, dict):
                    converted.pop("enum", None)
                props[name] = converted
            out[key] = props
        else:
            out[key] = _to_swagger(value)
    return out


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def core_definitions() -> dict[str, Any]:
    """The Swagger definitions reachable from the served core kinds, their lists and the
    meta types operations use; `x-kubernetes-group-version-kind` keeps served versions only."""
    from kubernetes_validate import utils

    raw = utils.schema_contents(f"{KUBERNETES_VALIDATE_FOLDER}/_definitions.json", "1.37.0")
    defs: dict[str, Any] = raw["$defs"]
    served = {(s.group, s.version) for s in SERVED}
    wanted_kinds = {(s.group, s.version, k) for s in SERVED for k in (s.kind, s.kind + "List")}
    roots = [
        name
        for name, schema in defs.items()
        if any(
            (g["group"], g["version"], g["kind"]) in wanted_kinds
            for g in schema.get("x-kubernetes-group-version-kind", [])
        )
    ]
    todo = [*roots, *EXTRA_ROOTS]
    keep: dict[str, Any] = {}
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        schema = _to_swagger(defs[name], top="x-kubernetes-group-version-kind" in defs[name])
        gvks = schema.get("x-kubernetes-group-version-kind")
        if gvks:
            schema["x-kubernetes-group-version-kind"] = [
                g for g in gvks if (g["group"], g["version"]) in served
            ] or gvks[:1]
        keep[name] = schema
        todo.extend(_refs(schema) - keep.keys())
    for name in ("io.k8s.apimachinery.pkg.util.intstr.IntOrString",):
        if name in keep:
            # Swagger 2.0 has no oneOf; the API server writes IntOrString as a formatted string.
            keep[name] = {"format": "int-or-string", "type": "string"}
    quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity"
    if quantity in keep:
        keep[quantity] = {"type": "string"}
    return dict(sorted(keep.items()))


def _strip_validations(node: Any) -> Any:
    """A schema without its CEL rules (`x-kubernetes-validations`), which no client reads."""
    if isinstance(node, list):
        return [_strip_validations(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: _strip_validations(value)
        for key, value in node.items()
        if key != "x-kubernetes-validations"
    }


def gateway_crds(folder: Path) -> list[dict[str, Any]]:
    """The served Gateway API kinds' CRDs, reduced to what the API server publishes."""
    import yaml

    kinds = {s.kind for s in SERVED if s.group == CRD_GROUP}
    crds: list[dict[str, Any]] = []
    for path in sorted(folder.glob("crd_*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not doc or doc["spec"]["names"]["kind"] not in kinds:
                continue
            spec = doc["spec"]
            versions: list[dict[str, Any]] = []
            for version in spec["versions"]:
                if not version.get("served"):
                    continue
                entry: dict[str, Any] = {
                    "name": version["name"],
                    "storage": bool(version.get("storage")),
                    "additionalPrinterColumns": version.get("additionalPrinterColumns", []),
                    "subresources": sorted(version.get("subresources", {})),
                }
                schema = _strip_validations(version["schema"]["openAPIV3Schema"])
                # A version whose schema equals an earlier one's names it instead of a copy.
                same = next((v["name"] for v in versions if v.get("schema") == schema), None)
                entry.update({"schemaFrom": same} if same else {"schema": schema})
                versions.append(entry)
            crds.append(
                {
                    "group": spec["group"],
                    "kind": spec["names"]["kind"],
                    "listKind": spec["names"]["listKind"],
                    "plural": spec["names"]["plural"],
                    "singular": spec["names"]["singular"],
                    "shortNames": spec["names"].get("shortNames", []),
                    "categories": spec["names"].get("categories", []),
                    "scope": spec["scope"],
                    "versions": versions,
                }
            )
    return sorted(crds, key=lambda c: str(c["kind"]))


def build(gateway_folder: Path) -> dict[str, Any]:
    """The whole data file as a dict."""
    return {
        "sources": {
            "kubernetes-validate": f"1.37.0 {KUBERNETES_VALIDATE_FOLDER}/_definitions.json",
            "gateway-api": f"{GATEWAY_BUNDLE} standard channel CRDs",
        },
        "definitions": core_definitions(),
        "crds": gateway_crds(gateway_folder),
    }


def render(data: dict[str, Any]) -> str:
    """Stable text: one definition or CRD per line, so a regenerated file diffs readably."""
    compact = {"separators": (",", ":"), "sort_keys": True, "ensure_ascii": False}
    lines = ["{", f'"sources":{json.dumps(data["sources"], **compact)},', '"definitions":{']  # type: ignore[arg-type]
    defs = list(data["definitions"].items())
    for i, (name, schema) in enumerate(defs):
        comma = "," if i < len(defs) - 1 else ""
        lines.append(f"{json.dumps(name)}:{json.dumps(schema, **compact)}{comma}")  # type: ignore[arg-type]
    lines.append("},")
    lines.append('"crds":[')
    crds = data["crds"]
    for i, crd in enumerate(crds):
        comma = "," if i < len(crds) - 1 else ""
        lines.append(json.dumps(crd, **compact) + comma)  # type: ignore[arg-type]
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Write `schemas.json`; the optional argument is the folder of Gateway API CRDs."""
    folder = Path(argv[0]) if argv else default_gateway_folder()
    text = render(build(folder))
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
