"""`kube-tutor lab start|check|hint|reset|solve|apply|watch ID`: labs from the shell."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.checks.verdict import Verdict
    from tutor.labs.session import ApplyReport, LabResult, LabSession

ACTIONS = ("start", "apply", "check", "hint", "reset", "solve", "watch")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `lab` command."""
    from tutor.cli import add_global_options

    p = sub.add_parser(
        "lab",
        help="work on a lab: start, apply, check, hint, reset, solve, watch",
        description="apply and solve check after applying (exit 1 only when nothing was "
        "applied); check exits 1 when a check does not pass; watch stops when the lab is done.",
    )
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("id", help="lab id or its number")
    add_backend_options(p)
    p.add_argument("--json", action="store_true", help="check: print the result document")
    p.add_argument(
        "--wait", type=float, default=None, help="check: seconds to wait for pending checks"
    )
    p.add_argument("--check", dest="check_id", help="hint: the check to get a hint for")
    p.add_argument(
        "--no-check",
        action="store_true",
        help="apply, solve: only apply, without the check round that follows",
    )
    add_global_options(p)
    p.set_defaults(handler=cmd_lab)


def add_backend_options(p: argparse.ArgumentParser) -> None:
    """`--backend`, `--context` and `--namespace-prefix` (shared with `trace`)."""
    p.add_argument(
        "--backend",
        choices=["sim", "kind", "context"],
        default=None,
        help="practice cluster (default: kind when it is up, else the simulator)",
    )
    p.add_argument("--context", help="with --backend context: the kubeconfig context to use")
    p.add_argument(
        "--namespace-prefix", help="with --backend context: prefix for your lab namespaces"
    )


def open_session(args: argparse.Namespace) -> LabSession | None:
    """Find the lab and open a session on the chosen backend; print why not on failure."""
    from tutor.cli import number_matches
    from tutor.cli.course import load
    from tutor.cluster.base import ClusterError
    from tutor.labs.backends import open_backend
    from tutor.labs.session import LabSession
    from tutor.progress.store import ProgressStore

    course = load(args)
    matches = [
        lab
        for lab in course.labs
        if args.id in (lab.id, lab.id.split("-", 1)[0]) or number_matches(args.id, lab.id[:2])
    ]
    exact = [lab for lab in matches if lab.id == args.id]
    if len(matches) > 1 and not exact:
        # A --content pack may number a lab like a built-in one: never pick one silently.
        ids = ", ".join(lab.id for lab in matches)
        print(
            f"kube-tutor: {args.id!r} matches several labs ({ids}); give the full id.",
            file=sys.stderr,
        )
        return None
    chosen = exact or matches
    lab = chosen[0] if chosen else None
    if lab is None:
        print(f"kube-tutor: no lab {args.id!r}; see `kube-tutor list labs`.", file=sys.stderr)
        return None
    try:
        cluster = open_backend(args.backend, args.context, args.namespace_prefix)
    except ClusterError as exc:
        print(f"kube-tutor: {exc}", file=sys.stderr)
        return None
    args.course = course  # for the next step after a lab is done
    return LabSession(lab, cluster, store=ProgressStore(), prefix=args.namespace_prefix)


def cmd_lab(args: argparse.Namespace) -> int:
    """Run one lab action; exit 0 when it succeeded (check: all passed), 1 otherwise."""
    from tutor.cluster.base import ClusterError

    session = open_session(args)
    if session is None:
        return 2
    try:
        return _run(args, session)
    except ClusterError as exc:
        print(f"kube-tutor: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, session: LabSession) -> int:
    if args.action == "start":
        return _start(args, session)
    if args.action in ("apply", "reset", "solve"):
        if args.action == "apply":
            report = session.apply()
        elif args.action == "reset":
            report = session.reset()
        else:
            from tutor.modes.workshop import solve_refusal

            refusal = solve_refusal(getattr(args, "content", None) or [])
            if refusal is not None:
                print(refusal, file=sys.stderr)
                return 1
            report = session.solve()
        print_report(report, session)
        if not report.ok:
            return 1
        if args.action != "reset" and not args.no_check:
            # Like the app: an apply is followed by a check round (--no-check skips it).
            print()
            _check_and_say(args, session)
        return 0
    if args.action == "check":
        result = _check_and_say(args, session)
        return 0 if result.passed else 1
    if args.action == "hint":
        hint = session.hint(args.check_id)
        if hint is None:
            print(
                "No hint needed: every check with hints passes."
                if args.check_id is None
                else f"No hints for check {args.check_id!r}."
            )
            return 0
        print(f"Hint {hint.tier}/{hint.tiers} for check {hint.check_id}:\n{hint.text.strip()}")
        return 0
    return _watch(args, session)


def _start(args: argparse.Namespace, session: LabSession) -> int:
    """Start the lab and always show its task; a refusal of the start files is part of the
    lab (the learner fixes it), so only an unreachable cluster makes the start fail."""
    from tutor.labs.workspace import manifest_files

    kept = [path.name for path in manifest_files(session.workspace)]
    report = session.start()
    if kept:
        print(
            f"Your files from last time were kept ({', '.join(kept)}); "
            f"`kube-tutor lab reset {session.lab.id}` starts over from the start files."
        )
    print_report(report, session)
    if report.error and not report.problems:
        return 1  # the cluster did not answer: the lab did not start
    print(f"\n{session.lab.spec.title}\n")
    print(render_text(session.task().strip(), plain=plain_output(args)))
    files = ", ".join(path.name for path in manifest_files(session.workspace)) or "none"
    print()
    if not report.ok:
        print(
            "The cluster refused the start files (above): that refusal is the problem this "
            "lab asks you to fix. The lab has started."
        )
    print(f"Your files: {files} in {session.workspace}")
    print(
        f"Next: edit them, then `kube-tutor lab apply {session.lab.id}` (applies and checks), "
        f"or `kube-tutor lab watch {session.lab.id}` to apply on every save; "
        f"`kube-tutor lab check {session.lab.id}` checks without applying."
    )
    return 0


def _check_and_say(args: argparse.Namespace, session: LabSession) -> LabResult:
    """One check round, printed (or as JSON), with the next step when every check passes."""
    wait = (
        args.wait if args.wait is not None else (0.0 if session.cluster.backend == "sim" else 30.0)
    )
    result = session.check(wait=wait)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return result
    print_result(result)
    if result.passed:
        print(f"Every check passes: lab done! {next_line(args, session)}")
    return result


def next_line(args: argparse.Namespace, session: LabSession) -> str:
    """What comes after this lab, as a shell command."""
    from tutor.progress.summary import CourseProgress, next_step

    course = getattr(args, "course", None)
    if course is None or session.store is None:
        return ""
    progress = CourseProgress.load(course, session.store)
    return next_step(course, progress, session.lab.id).cli_line()


CLEAR = "\x1b[H\x1b[2J"
"""ANSI: cursor home, clear the screen (lab watch redraws in place on a terminal)."""


def _watch(args: argparse.Namespace, session: LabSession) -> int:
    """Re-apply on save and re-check; redraw in place; stop when every check passes."""
    redraw = sys.stdout.isatty() and not plain_output(args)
    for rounds, (applied, result) in enumerate(session.watch(), 1):  # until done or Ctrl-C
        if redraw:
            print(CLEAR, end="")
        elif rounds > 1:
            print(f"\n-- round {rounds} --")
        if applied is not None:
            print_report(applied, session)
        print_result(result)
        if result.passed:
            print(f"Every check passes: lab done! {next_line(args, session)}")
            print("Stopped watching: the lab is done.")
            return 0
        print(f"-- watching {session.workspace} for saves (Ctrl-C to stop) --", flush=True)
    return 0


def _wrap(text: str, first: str, rest: str) -> list[str]:
    from tutor.cli.text import terminal_width, wrap

    return wrap(text, terminal_width(), first, rest)


def plain_output(args: argparse.Namespace) -> bool:
    """Plain text asked for (--plain or NO_COLOR)."""
    from tutor.cli import plain_requested

    return plain_requested(args)


def render_text(markdown: str, *, plain: bool) -> str:
    """Markdown for the terminal (see `tutor.cli.text`)."""
    from tutor.cli.text import render_markdown

    return render_markdown(markdown, plain=plain)


def print_report(report: ApplyReport, session: LabSession) -> None:
    """Show what an apply did, or every problem with file and line."""
    if report.ok:
        for item in report.applied:
            print(f"{item.kind} {item.name} {item.action}")
        print(
            f"Applied to namespace {session.namespace} on {session.cluster.backend}. "
            f"Workspace: {session.workspace}"
        )
        return
    print("Nothing was applied:", file=sys.stderr)
    for problem in report.problems:
        print(f"  {problem}", file=sys.stderr)
    if report.error and not report.problems:
        print(f"  {report.error}", file=sys.stderr)


def print_result(result: LabResult) -> None:
    """One line per check with its state in words, then the reasons for failures."""
    fixes = [v for v in result.verdicts if v.role != "guard"]
    guards = [v for v in result.verdicts if v.role == "guard"]
    _print_verdicts(fixes)
    if guards:
        print("Still true (do not break these):")
        _print_verdicts(guards)
    done = sum(v.passed for v in result.verdicts)
    print(
        f"{done}/{len(result.verdicts)} checks pass ({result.seconds * 1000:.0f} ms on {result.backend})."
    )
    if not result.passed:
        print(f"Stuck? `kube-tutor lab hint {result.lab_id}`")


def _print_verdicts(verdicts: list[Verdict]) -> None:
    marks = {"pass": "PASS", "fail": "FAIL", "pending": "WAIT"}

    def say(text: str, first: str, rest: str) -> None:
        # Wrapped between words at the terminal's width (never mid-word at its edge).
        print("\n".join(_wrap(text, first, rest)))

    for verdict in verdicts:
        say(f"{verdict.check_id}: {verdict.title}", f"[{marks[verdict.status.value]}] ", "       ")
        if not verdict.passed:
            say(verdict.message, "       ", "       ")
            if verdict.progress:
                say(f"progress: {verdict.progress}", "       ", "         ")
            if verdict.deadline is not None:
                left = max(0.0, verdict.deadline - time.time())
                print(f"       waiting up to {left:.0f} s more")
            for diagnosis in verdict.diagnoses:
                say(f"why ({diagnosis.hop}): {diagnosis.message}", "       ", "         ")
                for line in diagnosis.evidence:
                    say(line, "         - ", "           ")
            for line in verdict.evidence[:4]:
                say(line, "         > ", "           ")
