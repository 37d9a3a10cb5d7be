"""`kube-tutor lint`: check the course files (and, with `--prove`, prove every lab)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `lint` command."""
    from tutor.cli import add_global_options

    p = sub.add_parser("lint", help="check every lesson, quiz and lab file; exit 1 on problems")
    p.add_argument("--no-schemas", action="store_true", help="skip Kubernetes schema validation")
    p.add_argument(
        "--prove",
        action="store_true",
        help="also prove each lab: its checks fail on start/ and pass on solution/",
    )
    p.add_argument("--backend", choices=["sim", "kind", "context"], default="sim")
    p.add_argument("--context", help="kubeconfig context for --backend context")
    p.add_argument("--lab", action="append", default=[], help="prove only these labs")
    add_global_options(p)
    p.set_defaults(handler=cmd_lint)


def cmd_lint(args: argparse.Namespace) -> int:
    """Print every problem as `file:line: message`; exit 1 when there is any."""
    from tutor.content.lint import lint_course
    from tutor.content.loader import load_course

    course = load_course(args.content)
    _load_rule_sets()
    report = lint_course(course, schemas=not args.no_schemas)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for problem in report.problems:
        print(problem)
    failed = not report.ok
    questions = sum(1 for _ in course.questions())
    print(
        f"{len(course.lessons)} lessons, {questions} questions, {len(course.labs)} labs: "
        f"{len(report.problems)} problem(s)",
        file=sys.stderr,
    )
    if args.prove:
        try:
            from tutor.labs.prove import prove_labs
        except ModuleNotFoundError:
            print("kube-tutor: lab proving is not available in this build.", file=sys.stderr)
            return 2
        failed = prove_labs(course, args) != 0 or failed
    return 1 if failed else 0


def _load_rule_sets() -> None:
    """Import packages that add lint rules (they register in `EXTRA_RULES`)."""
    import importlib

    for name in ("tutor.checks.lint",):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
