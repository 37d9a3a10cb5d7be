"""Derive `wire_schema.json` (field numbers, names and types of Kubernetes' protobuf messages)
from the `generated.proto` files of the `k8s.io/api` and `k8s.io/apimachinery` modules.

kubectl sends typed creates (`kubectl create deployment`, `expose`, `run`, `create namespace`)
as `application/vnd.kubernetes.protobuf`; the simulator's server decodes them with this table.
Run: `go mod download k8s.io/api@v0.37.2 k8s.io/apimachinery@v0.37.2`, then
`python make_wire_schema.py "$(go env GOMODCACHE)"`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

VERSION = "v0.37.2"
FILES = (
    f"k8s.io/apimachinery@{VERSION}/pkg/apis/meta/v1/generated.proto",
    f"k8s.io/apimachinery@{VERSION}/pkg/runtime/generated.proto",
    f"k8s.io/apimachinery@{VERSION}/pkg/util/intstr/generated.proto",
    f"k8s.io/apimachinery@{VERSION}/pkg/api/resource/generated.proto",
    f"k8s.io/api@{VERSION}/core/v1/generated.proto",
    f"k8s.io/api@{VERSION}/apps/v1/generated.proto",
    f"k8s.io/api@{VERSION}/batch/v1/generated.proto",
    f"k8s.io/api@{VERSION}/networking/v1/generated.proto",
    f"k8s.io/api@{VERSION}/discovery/v1/generated.proto",
    f"k8s.io/api@{VERSION}/autoscaling/v1/generated.proto",
    f"k8s.io/api@{VERSION}/policy/v1/generated.proto",
    f"k8s.io/api@{VERSION}/authorization/v1/generated.proto",  # kubectl auth can-i
    f"k8s.io/api@{VERSION}/rbac/v1/generated.proto",  # kubectl create role|rolebinding
    f"k8s.io/api@{VERSION}/authentication/v1/generated.proto",  # kubectl create token
)
SCALARS = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float"}
_FIELD = re.compile(r"^\s*(optional|repeated)\s+([.\w]+)\s+(\w+)\s*=\s*(\d+)")
_MAP = re.compile(r"^\s*map<\s*(\w+)\s*,\s*([.\w]+)\s*>\s+(\w+)\s*=\s*(\d+)")


def parse(text: str) -> tuple[str, dict[str, dict[str, list[str]]]]:
    """(package, {message: {field number: [name, label, type(, value type)]}})."""
    package = re.search(r"^package\s+([\w.]+);", text, re.M)
    assert package is not None
    pkg = package.group(1)
    messages: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    depth = 0
    for line in text.splitlines():
        code = line.split("//")[0]
        start = re.match(r"^\s*message\s+(\w+)\s*\{", code)
        if start and depth == 0:
            current = messages.setdefault(f"{pkg}.{start.group(1)}", {})
        depth += code.count("{") - code.count("}")
        if current is None or depth != 1:
            if depth == 0:
                current = None
            continue
        field = _FIELD.match(code)
        if field:
            label, kind, name, number = field.groups()
            current[number] = [name, "r" if label == "repeated" else "o", qualify(kind, pkg)]
            continue
        mapped = _MAP.match(code)
        if mapped:
            key, value, name, number = mapped.groups()
            current[number] = [name, "m", qualify(key, pkg), qualify(value, pkg)]
    return pkg, messages


def qualify(kind: str, pkg: str) -> str:
    """A scalar, or a message's full name without the leading dot."""
    if kind in SCALARS:
        return kind
    return kind[1:] if kind.startswith(".") else f"{pkg}.{kind}"


def main(modcache: str) -> None:
    """Write wire_schema.json beside this script."""
    schema: dict[str, dict[str, list[str]]] = {}
    for relative in FILES:
        _, messages = parse((Path(modcache) / relative).read_text(encoding="utf-8"))
        schema.update(messages)
    out = Path(__file__).with_name("wire_schema.json")
    out.write_text(json.dumps(schema, separators=(",", ":"), sort_keys=True), encoding="utf-8")
    print(f"{len(schema)} messages -> {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
