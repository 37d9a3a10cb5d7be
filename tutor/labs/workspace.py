"""A lab's workspace: the learner's copy of `start/`, read into objects with file lines.

Reading is all-or-nothing: one syntax error anywhere, or one object that is not a proper
Kubernetes object or strays out of the lab's namespaces, and nothing is applied.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.cluster.base import FieldProblem, InvalidObjectError, Obj
from tutor.content.loader import Problem
from tutor.content.yamlsrc import FastLoader, YamlSyntaxError, parse_yaml_documents
from tutor.core.dirs import data_dir

MANIFEST_GLOBS = ("*.yaml", "*.yml")

CLUSTER_SCOPED = {
    "Namespace",
    "Node",
    "IngressClass",
    "GatewayClass",
    "ClusterRole",
    "ClusterRoleBinding",
}
"""Kinds without a namespace; lab manifests may not create them (they would outlive the lab)."""


@dataclass(frozen=True)
class SourcedObject:
    """An object from a workspace file and where it came from."""

    obj: Obj
    file: Path
    line: int
    text: str
    """The whole file, for locating fields of this object when the cluster refuses it."""
    index: int
    """Which document of the file it is (0-based)."""


@dataclass
class ReadResult:
    """Objects read from a folder, or the problems that stop them being applied."""

    objects: list[SourcedObject] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def workspace_root() -> Path:
    """Where lab workspaces live."""
    return data_dir() / "workspaces"


def manifest_files(folder: Path) -> list[Path]:
    """YAML files of a folder, in name order (the order they are applied)."""
    files: set[Path] = set()
    for pattern in MANIFEST_GLOBS:
        files.update(folder.glob(pattern))
    return sorted(files)


def copy_manifests(source: Path, target: Path) -> None:
    """Replace the YAML files of `target` with those of `source`."""
    target.mkdir(parents=True, exist_ok=True)
    for old in manifest_files(target):
        old.unlink()
    for path in manifest_files(source):
        shutil.copy2(path, target / path.name)


def read_manifests(folder: Path, allowed_namespaces: set[str]) -> ReadResult:
    """Parse every manifest in `folder`; report every problem with its file and line."""
    result = ReadResult()
    for path in manifest_files(folder):
        try:
            text = path.read_text(encoding="utf-8")
            documents = parse_yaml_documents(text)
        except YamlSyntaxError as exc:
            result.problems.append(Problem(path, exc.line, exc.message))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            result.problems.append(Problem(path, None, f"cannot read file: {exc}"))
            continue
        for index, (doc, line) in enumerate(documents):
            problem = _object_problem(doc, allowed_namespaces)
            if problem:
                result.problems.append(Problem(path, line, problem))
            else:
                result.objects.append(SourcedObject(doc, path, line, text, index))
    if not result.objects and not result.problems:
        result.problems.append(Problem(folder, None, "no manifests to apply (*.yaml)"))
    return result


def _object_problem(doc: Any, allowed_namespaces: set[str]) -> str | None:
    if not isinstance(doc, dict):
        return "a manifest must be a mapping with apiVersion, kind and metadata"
    missing = [key for key in ("apiVersion", "kind") if not doc.get(key)]
    if missing:
        return f"missing {' and '.join(missing)}"
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        return f"{doc['kind']} has no metadata.name"
    if doc["kind"] in CLUSTER_SCOPED:
        return f"{doc['kind']} is cluster-wide; labs only create objects inside their namespaces"
    namespace = metadata.get("namespace")
    if namespace is not None and namespace not in allowed_namespaces:
        allowed = ", ".join(sorted(allowed_namespaces))
        return f"namespace {namespace!r} is not one of this lab's namespaces ({allowed})"
    return None


def locate_refusal(error: InvalidObjectError, objects: list[SourcedObject]) -> list[Problem]:
    """Point the cluster's 422 at the learner's file and line.

    The object is found by kind and name when the error names it, else by the first object
    in which every reported field path exists.
    """
    from tutor.core.typedpath import MISSING, resolve

    candidates = [
        s
        for s in objects
        if (error.kind is None or s.obj.get("kind") == error.kind)
        and (error.name is None or s.obj.get("metadata", {}).get("name") == error.name)
    ] or objects
    problems = error.problems or [FieldProblem("", error.message)]
    found: list[Problem] = []
    for problem in problems:
        source = next(
            (
                s
                for s in candidates
                if problem.path and _resolves(s.obj, problem.path, resolve, MISSING)
            ),
            candidates[0] if candidates else None,
        )
        if source is None:
            continue
        line = _field_line(source, problem.path) if problem.path else source.line
        what = f"{source.obj.get('kind')} {source.obj.get('metadata', {}).get('name')}"
        where = f"{problem.path}: " if problem.path else ""
        found.append(Problem(source.file, line, f"{what}: {where}{problem.message}"))
    return found


def _resolves(obj: Obj, path: str, resolve: Any, missing: Any) -> bool:
    try:
        return bool(resolve(obj, path) is not missing)
    except ValueError:
        return False


def _field_line(source: SourcedObject, path: str) -> int:
    """The file line of a field inside the object's document (its first line if not found)."""
    import yaml

    from tutor.core.typedpath import Index, Key, parse_path

    try:
        nodes = list(yaml.compose_all(source.text, Loader=FastLoader))
        node: Any = [n for n in nodes if n is not None][source.index]
        steps = parse_path(path)
    except (yaml.YAMLError, IndexError, ValueError):
        return source.line
    line = node.start_mark.line
    for step in steps:
        if isinstance(step, Key) and isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == step.name), None)
            if match is None:
                break
            node, line = match, match.start_mark.line
        elif (
            isinstance(step, Index)
            and isinstance(node, yaml.SequenceNode)
            and step.index < len(node.value)
        ):
            node = node.value[step.index]
            line = node.start_mark.line
        else:
            break
    return int(line) + 1
