"""`kube-tutor progress [summary|export|report|schema|where]`: how far the learner got, the
store as data, or the versioned report document and its schema."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.content.loader import Course
    from tutor.progress.summary import CourseProgress


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `progress` command."""
    from tutor.cli import add_global_options

    p = sub.add_parser(
        "progress",
        help="how far you got (summary, the default), the store as JSON, the versioned report, "
        "or where it is kept",
    )
    p.add_argument(
        "action",
        nargs="?",
        default="summary",
        choices=["summary", "export", "where", "report", "schema"],
        help="export: the raw tables; report: the versioned report document "
        "(schemas/progress-report.schema.json); schema: print that schema",
    )
    p.add_argument("--json", action="store_true", help="summary: print it as JSON")
    p.add_argument("--learner", help="report: the learner's name to put in the document")
    add_global_options(p)
    p.set_defaults(handler=cmd_progress)


def cmd_progress(args: argparse.Namespace) -> int:
    """Print the course-wide summary, the progress store as JSON, or its path."""
    from tutor.progress.store import ProgressStore, default_path

    if args.action == "where":
        print(default_path())
        return 0
    if args.action in ("report", "schema"):
        from tutor.modes.export import SCHEMA, progress_report

        if args.action == "schema":
            print(json.dumps(SCHEMA, indent=2))
            return 0
        from tutor.cli.course import load

        report = progress_report(ProgressStore(), load(args), learner=args.learner)
        print(json.dumps(report, indent=2))
        return 0
    store = ProgressStore()
    if args.action == "export":
        print(json.dumps(store.export(), indent=2))
        return 0
    from tutor.cli import plain_requested
    from tutor.cli.course import load
    from tutor.progress.summary import CourseProgress, next_step, summarise

    course = load(args)
    progress = CourseProgress.load(course, store)
    summary = summarise(course, progress)
    step = next_step(course, progress, _last_item(course, progress))
    if args.json:
        document = {
            "lessons": {"done": summary.lessons.done, "total": summary.lessons.total},
            "quizzes": {"done": summary.quizzes.done, "total": summary.quizzes.total},
            "labs": {"done": summary.labs.done, "total": summary.labs.total},
            "fraction": round(summary.fraction, 4),
            "next": {"kind": step.kind, "id": step.id, "command": step.command()},
        }
        print(json.dumps(document, indent=2))
        return 0
    print(f"Course progress {summary.bar(plain=plain_requested(args))}")
    print(f"{summary.line()}.")
    print(step.cli_line())
    return 0


def _last_item(course: Course, progress: CourseProgress) -> str | None:
    """The furthest lesson read: the next step continues from there."""
    read = [lesson.id for lesson in course.lessons if lesson.id in progress.read]
    return read[-1] if read else None
