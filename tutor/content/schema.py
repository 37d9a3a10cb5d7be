"""JSON Schemas of the content files, exported so authors' editors can complete and check them."""

from __future__ import annotations

import ast
import inspect
import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tutor.content import models

SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "lesson.schema.json": models.LessonMeta,
    "quiz.schema.json": models.Quiz,
    "lab.schema.json": models.LabSpec,
}
"""File name of each exported schema, and the model it describes."""

_TITLES = {
    models.LessonMeta: "kube-tutor lesson front matter (lessons/NN-slug/lesson.md)",
    models.Quiz: "kube-tutor quiz (lessons/NN-slug/quiz.yaml)",
    models.LabSpec: "kube-tutor lab (labs/NN-slug/lab.yaml)",
}


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one content model, with field docs as descriptions."""
    schema = model.model_json_schema(mode="validation")
    classes = {cls.__name__: cls for cls in _model_classes()}
    for name, part in [(model.__name__, schema), *schema.get("$defs", {}).items()]:
        cls = classes.get(name)
        if cls is not None:
            _describe_properties(part, cls)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": _TITLES.get(model, model.__name__),
        **{key: value for key, value in schema.items() if key != "title"},
    }


def export_schemas(folder: Path) -> list[Path]:
    """Write every content schema into `folder` (created if needed); return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMA_FILES.items():
        path = folder / name
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written


def render(model: type[BaseModel]) -> str:
    """The schema of `model` as stable, diff-friendly JSON text."""
    return json.dumps(schema_of(model), indent=2, ensure_ascii=False) + "\n"


def _describe_properties(schema: dict[str, Any], cls: type[BaseModel]) -> None:
    docs: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        docs.update(_field_docs(base))
    for name, prop in schema.get("properties", {}).items():
        if name in docs and "description" not in prop:
            prop["description"] = docs[name]


def _model_classes() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, BaseModel)
    ]


@cache
def _field_docs(cls: type) -> dict[str, str]:
    """Docstrings written under the fields of a class in the models module."""
    if cls.__module__ != models.__name__:
        return {}
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    docs = {}
    for field, doc in zip(body, body[1:], strict=False):
        if (
            isinstance(field, ast.AnnAssign)
            and isinstance(field.target, ast.Name)
            and isinstance(doc, ast.Expr)
            and isinstance(doc.value, ast.Constant)
            and isinstance(doc.value.value, str)
        ):
            docs[field.target.id] = inspect.cleandoc(doc.value.value)
    return docs
