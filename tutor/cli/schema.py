"""`kube-tutor schema`: write the JSON Schemas of lesson, quiz and lab files for editors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `schema` command."""
    p = sub.add_parser(
        "schema", help="write JSON Schemas of lesson.md front matter, quiz.yaml and lab.yaml"
    )
    p.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=Path("schemas"),
        help="where to write them (default: ./schemas)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when the files in FOLDER differ from the models",
    )
    p.set_defaults(handler=cmd_schema)


def cmd_schema(args: argparse.Namespace) -> int:
    """Export the schemas, or check that the exported ones are current."""
    from tutor.content.schema import SCHEMA_FILES, export_schemas, render

    if args.check:
        stale = []
        for name, model in SCHEMA_FILES.items():
            path = args.folder / name
            current = path.read_text(encoding="utf-8") if path.is_file() else None
            if current != render(model):
                stale.append(path)
        for path in stale:
            print(f"{path}: out of date; run `kube-tutor schema {args.folder}`", file=sys.stderr)
        return 1 if stale else 0
    for path in export_schemas(args.folder):
        print(path)
    print(
        "Point your editor's YAML support at these files, for example with a first line\n"
        "`# yaml-language-server: $schema=<path>/quiz.schema.json` in quiz.yaml.",
        file=sys.stderr,
    )
    return 0
