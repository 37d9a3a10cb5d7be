"""A lab's workspace: the learner's copy of `start/`, read into objects with file lines.

Reading is all-or-nothing: one syntax error anywhere, or one object that is not a proper
Kubernetes object (a value of the wrong type included, see `tutor.labs.shapes`) or strays out
of the lab's namespaces, and nothing is applied. Files that are not regular files (a FIFO
would block the read forever), too big, or not UTF-8 are refused with their line.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.cluster.base import FieldProblem, InvalidObjectError, Obj
from tutor.content.loader import Problem
from tutor.content.yamlsrc import (
    FastLoader,
    SourceError,
    YamlSyntaxError,
    line_in_document,
    parse_yaml_documents,
    read_source,
)
from tutor.core.dirs import data_dir
from tutor.labs.shapes import json_compatible, shape_errors

MANIFEST_GLOBS = ("*.yaml", "*.yml")
MANIFEST_GLOBS_SUFFIXES = (".yaml", ".yml")

CLUSTER_SCOPED = {
    "Namespace",
    "Node",
    "IngressClass",
    "GatewayClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "RuntimeClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "CertificateSigningRequest",
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


def _yaml_entries(folder: Path) -> list[Path]:
    files: set[Path] = set()
    for pattern in MANIFEST_GLOBS:
        files.update(folder.glob(pattern))
    return sorted(files)


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)  # follows a link to its target
    except OSError:
        return False


def manifest_files(folder: Path) -> list[Path]:
    """YAML files of a folder, in name order (the order they are applied).

    Only regular files: opening a FIFO named `x.yaml` would wait for a writer forever.
    """
    return [path for path in _yaml_entries(folder) if _regular(path)]


def special_files(folder: Path) -> list[Path]:
    """Entries named like manifests that are not regular files (FIFOs, devices, folders,
    broken links): reported, never opened."""
    return [path for path in _yaml_entries(folder) if not _regular(path)]


def copy_manifests(source: Path, target: Path) -> None:
    """Make the YAML files of `target` those of `source`, all at once or not at all.

    The new workspace is built in a temporary folder beside `target` (other files of the
    workspace, such as the simulator journal, are carried over), then swapped in by two
    renames; a full disk or a crash while copying leaves the old workspace as it was.
    Raises `OSError` when the copy fails (the temporary folder is removed).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        for path in manifest_files(source):
            shutil.copy2(path, staging / path.name)
        if target.is_dir():
            for kept in target.iterdir():
                if kept.name.endswith(MANIFEST_GLOBS_SUFFIXES) or not _regular(kept):
                    continue
                shutil.copy2(kept, staging / kept.name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.is_dir():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rmdir(old)  # only the unique name is wanted: rename needs it free
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(target)



def read_manifests(folder: Path, allowed_namespaces: set[str]) -> ReadResult:
    """Parse every manifest in `folder`; report every problem with its file and line."""
    result = ReadResult()
    for path in special_files(folder):
        result.problems.append(
            Problem(path, None, "not a regular file (a FIFO, device, folder or broken link); remove it")
        )
    for path in manifest_files(folder):
        try:
            text = read_source(path)
            documents = parse_yaml_documents(text)
        except (SourceError, YamlSyntaxError) as exc:
            result.problems.append(Problem(path, exc.line, exc.message))
            continue
        for index, (raw, line) in enumerate(documents):
            found = _typed_problems(raw, text, line)
            doc = json_compatible(raw)[0] if not found else None
            problem = None if found else _object_problem(doc, allowed_namespaces)
            if problem:
                found.append((line, problem))
            if found or not isinstance(doc, dict):
                result.problems.extend(Problem(path, at, message) for at, message in found)
            else:
                result.objects.append(SourcedObject(doc, path, line, text, index))
    if not result.objects and not result.problems:
        result.problems.append(Problem(folder, None, "no manifests to apply (*.yaml)"))
    return result


def _typed_problems(doc: Any, text: str, line: int) -> list[tuple[int, str]]:
    """Values of the wrong type in one document, each at its own line."""
    if not isinstance(doc, dict):
        return []  # `_object_problem` says what a manifest must be
    converted, error = json_compatible(doc)
    errors = [error] if error is not None else shape_errors(converted)
    return [(line_in_document(text, line, e.loc) or line, e.message) for e in errors]


def _object_problem(doc: Any, allowed_namespaces: set[str]) -> str | None:
    if not isinstance(doc, dict):
        return "a manifest must be a mapping with apiVersion, kind and metadata"
    missing = [key for key in ("apiVersion", "kind") if not doc.get(key)]
    if missing:
        return f"missing {' and '.join(missing)}"
    if doc["kind"] == "List" or str(doc["kind"]).endswith("List"):
        return (
            f"a {doc['kind']} holds other objects; write each object as its own document "
            "(separated by ---)"
        )
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
        having = [
            s for s in candidates if problem.path and _resolves(s.obj, problem.path, resolve, MISSING)
        ]
        # The refused value is often quoted in the message (`kind: Unsupported value: "Job"`):
        # the object holding that value is the one to blame, not the first with the field.
        source = next(
            (s for s in having if _quoted_in(s.obj, problem.path, problem.message, resolve)),
            having[0] if having else (candidates[0] if candidates else None),
        )
        if source is None:
            continue
        line = _field_line(source, problem.path) if problem.path else source.line
        what = f"{source.obj.get('kind')} {source.obj.get('metadata', {}).get('name')}"
        where = f"{problem.path}: " if problem.path else ""
        found.append(Problem(source.file, line, f"{what}: {where}{problem.message}"))
    return found


def _quoted_in(obj: Obj, path: str, message: str, resolve: Any) -> bool:
    """True when the scalar at `path` of `obj` appears quoted in the cluster's message."""
    try:
        value = resolve(obj, path)
    except ValueError:
        return False
    return isinstance(value, str | int | float) and f'"{value}"' in message


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
