"""Wrong fixes of a lab (`labs/NN-slug/wrong/<name>/`): reading them and applying one.

A wrong fix is what a learner might plausibly try instead of the real fix: its folder holds
`wrong.yaml` (what it must trip) and manifests that replace or add to the start/ files.
Applying one builds a workspace from start/ plus those files, applies it to a lab that was
reset to start/ (so immutable fields behave as they would for the learner), then runs the
scripted `kubectl:` edits on the live objects.
"""

from __future__ import annotations

import copy
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from tutor.cluster.base import ClusterError
from tutor.content.loader import Lab, Problem, validation_problems
from tutor.content.models import WrongFix
from tutor.content.yamlsrc import YamlSyntaxError, parse_yaml
from tutor.labs.workspace import manifest_files

if TYPE_CHECKING:
    from tutor.cluster.base import Cluster, Obj

WRONG_FILE = "wrong.yaml"


@dataclass
class WrongFixDir:
    """One wrong fix folder: its name, the parsed `wrong.yaml` (None when it is broken) and
    the problems found reading it."""

    name: str
    folder: Path
    spec: WrongFix | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def manifests(self) -> list[Path]:
        """The manifests of the folder (everything but wrong.yaml)."""
        return [p for p in manifest_files(self.folder) if p.name != WRONG_FILE]


def wrong_fixes(lab: Lab) -> list[WrongFixDir]:
    """Every wrong fix of a lab, in name order."""
    root = lab.folder / "wrong"
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        problems: list[Problem] = []
        path = folder / WRONG_FILE
        if not path.is_file():
            problems.append(Problem(folder, None, f"wrong fix {folder.name!r} has no {WRONG_FILE}"))
            found.append(WrongFixDir(folder.name, folder, None, problems))
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(path, None, f"cannot read file: {exc}"))
            found.append(WrongFixDir(folder.name, folder, None, problems))
            continue
        found.append(_parse(folder, path, text))
    return found


def _parse(folder: Path, path: Path, text: str) -> WrongFixDir:
    try:
        source = parse_yaml(text)
    except YamlSyntaxError as exc:
        return WrongFixDir(folder.name, folder, None, [Problem(path, exc.line, exc.message)])
    if not isinstance(source.data, dict):
        problem = Problem(path, 1, "expected a mapping of keys to values")
        return WrongFixDir(folder.name, folder, None, [problem])
    try:
        return WrongFixDir(folder.name, folder, WrongFix.model_validate(source.data))
    except ValidationError as exc:
        return WrongFixDir(folder.name, folder, None, validation_problems(path, source, exc))


def build_workspace(lab: Lab, wrong: WrongFixDir, target: Path) -> None:
    """Fill `target` with start/ files, minus `remove`, plus the wrong fix's manifests."""
    target.mkdir(parents=True, exist_ok=True)
    for old in manifest_files(target):
        old.unlink()
    removed = set(wrong.spec.remove if wrong.spec else ())
    for path in manifest_files(lab.start_dir):
        if path.name not in removed:
            shutil.copy2(path, target / path.name)
    for path in wrong.manifests:
        shutil.copy2(path, target / path.name)


def run_edit(cluster: Cluster, namespace: str, edit: str) -> list[Obj]:
    """Apply one scripted edit (`label KIND NAME|-l SELECTOR k=v... [--overwrite]`) to live
    objects in `namespace`; returns the changed objects. A label edit on a Pod is what a
    learner does with `kubectl label pod`: the Pod changes, its owner does not."""
    words = shlex.split(edit)
    if len(words) < 4 or words[0] != "label":
        raise ValueError(f"unsupported edit {edit!r}")
    kind = _kind(words[1])
    rest = [w for w in words[2:] if w != "--overwrite"]
    if rest[0] == "-l":
        selector = dict(pair.split("=", 1) for pair in rest[1].split(","))
        targets = cluster.list(kind, namespace, selector)
        changes = rest[2:]
    else:
        one = cluster.get(kind, rest[0], namespace)
        targets = [one] if one is not None else []
        changes = rest[1:]
    edited = []
    for obj in targets:
        new = copy.deepcopy(obj)
        labels = new.setdefault("metadata", {}).setdefault("labels", {})
        for change in changes:
            if change.endswith("-") and "=" not in change:
                labels.pop(change[:-1], None)
            else:
                key, value = change.split("=", 1)
                labels[key] = value
        edited.append(new)
    for obj in edited:
        _update(cluster, obj)
    return edited


def _update(cluster: Cluster, obj: Obj) -> None:
    """Write one changed object as an update (what `kubectl label` sends), not as a
    server-side apply: an apply would be refused for fields a controller owns."""
    update = getattr(cluster, "update", None)
    if callable(update):
        update(obj)
        return
    store = getattr(cluster, "store", None)
    controllers = getattr(cluster, "controllers", None)
    if cluster.backend != "sim" or store is None or controllers is None:
        raise ClusterError(f"scripted edits are not supported on {cluster.backend}")
    # The simulator's update path: store the object, then let the controllers react.
    store.tick()
    store.put(obj)
    controllers.run()


def delete_files(cluster: Cluster, namespace: str, files: list[Path]) -> None:
    """Delete the live objects of these manifests (what `kubectl delete -f` does)."""
    from tutor.content.yamlsrc import parse_yaml_documents

    for path in files:
        for doc, _ in parse_yaml_documents(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind"):
                meta = doc.get("metadata") or {}
                cluster.delete(
                    str(doc["kind"]), str(meta.get("name", "")), meta.get("namespace", namespace)
                )


_KINDS = {
    "pod": "Pod",
    "pods": "Pod",
    "po": "Pod",
    "service": "Service",
    "svc": "Service",
    "deployment": "Deployment",
    "deploy": "Deployment",
    "endpointslice": "EndpointSlice",
    "namespace": "Namespace",
    "ns": "Namespace",
}


def _kind(word: str) -> str:
    return _KINDS.get(word.lower(), word)
