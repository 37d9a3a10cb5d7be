"""`kube-tutor drill`: an interview-style break-fix drill: the symptom, a timer, your root
cause in a sentence or two (graded against the lab's key facts), then the fix."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import TYPE_CHECKING

from tutor.modes.clock import mmss

if TYPE_CHECKING:
    from tutor.labs.session import LabSession
    from tutor.modes.drill import CauseGrade, DrillRun


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `drill` command."""
    from tutor.cli import add_global_options
    from tutor.cli.lab import add_backend_options

    p = sub.add_parser("drill", help="break-fix drill: explain the root cause, then fix it")
    p.add_argument("id", nargs="?", help="a fix lab (default: one you have not mastered)")
    p.add_argument("--seed", help="pick the lab with this seed (reproducible)")
    p.add_argument("--cause", help="the root cause, instead of typing it when asked")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON at the end")
    add_backend_options(p)
    add_global_options(p)
    p.set_defaults(handler=cmd_drill)


def cmd_drill(args: argparse.Namespace) -> int:
    """Run one drill; exit 0 when the cause is right and the checks pass."""
    from tutor.cli.course import load
    from tutor.labs.backends import open_backend
    from tutor.labs.session import LabSession
    from tutor.modes.drill import DrillRun, drill_labs, pick_drill
    from tutor.modes.records import mastered_labs, save_drill
    from tutor.progress.store import ProgressStore

    course = load(args)
    store = ProgressStore()
    if args.id:
        lab = next((x for x in drill_labs(course) if args.id in (x.id, x.id[:2])), None)
        if lab is None:
            names = ", ".join(x.id for x in drill_labs(course))
            print(f"kube-tutor: no drill {args.id!r}; drills: {names}.", file=sys.stderr)
            return 2
    else:
        lab = pick_drill(course, mastered_labs(store), seed=args.seed)
        if lab is None:
            print("kube-tutor: no fix lab declares a drill.", file=sys.stderr)
            return 2
    session = LabSession(lab, open_backend(args.backend, args.context, None), store=store)
    report = session.reset()
    if not report.ok:
        print(
            f"kube-tutor: the drill could not start: {report.error or report.problems[0]}",
            file=sys.stderr,
        )
        return 1
    run = DrillRun(lab)
    out = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    with out:
        _drill(args, run, session)
    save_drill(store, run)
    if args.json:
        print(json.dumps(run.to_json(), indent=2))
    return 0 if run.done else 1


def _drill(args: argparse.Namespace, run: DrillRun, session: LabSession) -> None:
    from tutor.cli.course import _read_line
    from tutor.cli.lab import print_result

    print(f"Break-fix drill. A user reports:\n\n  {run.symptom}\n")
    print(
        f"The system is in namespace {session.namespace} on {session.cluster.backend} "
        f"(workspace {session.workspace}). Investigate with kubectl; the clock is running."
    )
    text = args.cause
    if text is None:
        print("\nWhen you know, write the root cause in one or two sentences (empty line ends):")
        lines: list[str] = []
        while (line := _read_line("> ")) is not None and line.strip():
            lines.append(line)
        text = " ".join(lines)
    graded = run.submit_cause(text)
    print_cause(graded)
    print(
        "\nNow fix it (kubectl, or edit the workspace and `kube-tutor lab apply "
        f"{run.lab.id}`). Press Enter to check; q then Enter stops."
    )
    while True:
        line = _read_line(f"[{mmss(run.timer.elapsed())}] check? ")
        if line is None or line.strip().lower() == "q":
            break
        result = session.check(wait=0.0 if session.cluster.backend == "sim" else 20.0)
        run.submit_fix(result)
        print_result(result)
        if result.passed:
            break
    print("\nThe root cause: " + "; ".join(f.detail for f in run.facts) + ".")
    fixed = "fixed" if run.fix and run.fix.passed else "not fixed"
    cause = run.cause.verdict if run.cause else "empty"
    print(f"\nDrill {run.lab.id}: cause {cause}, {fixed}, in {mmss(run.timer.elapsed())}.")


def print_cause(graded: CauseGrade) -> None:
    """The verdict on the written cause and what it left out."""
    words = {
        "right": "RIGHT",
        "partial": "PARTLY RIGHT",
        "wrong": "NOT THE CAUSE",
        "empty": "EMPTY",
    }
    print(
        f"\nRoot cause: {words[graded.verdict]} ({len(graded.found)} of "
        f"{len(graded.found) + len(graded.missing)} key facts)."
    )
    for line in graded.feedback():
        print(f"  {line}")
