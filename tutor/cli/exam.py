"""`kube-tutor exam`: a timed paper of questions and labs; explanations only at the end."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

from tutor.modes.clock import mmss

if TYPE_CHECKING:
    from tutor.cluster.base import Cluster
    from tutor.content.loader import Lab
    from tutor.labs.session import LabResult, LabSession
    from tutor.modes.exam import ExamReport, ExamRun


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `exam` command."""
    from tutor.cli import add_global_options
    from tutor.cli.lab import add_backend_options

    p = sub.add_parser("exam", help="sit a timed exam: questions and labs, reviewed at the end")
    p.add_argument("--topic", action="append", default=[], help="a lesson id or number; repeatable")
    p.add_argument("--questions", type=int, default=20, help="how many questions (default 20)")
    p.add_argument("--labs", type=int, default=3, help="how many labs (default 3)")
    p.add_argument("--minutes", type=float, default=45, help="time limit (default 45; 0: none)")
    p.add_argument("--seed", help="sit the same paper as someone else: give their seed")
    p.add_argument("--show-paper", action="store_true", help="print the paper's items and exit")
    p.add_argument("--json", action="store_true", help="print the report as JSON at the end")
    add_backend_options(p)
    add_global_options(p)
    p.set_defaults(handler=cmd_exam)


class _Alarm(Exception):
    """The exam's time limit interrupted a prompt."""


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Interrupt a blocking prompt when the time is up (POSIX timers, main thread only);
    elsewhere the clock is still checked after each answer."""
    if not seconds or not hasattr(signal, "setitimer"):
        yield
        return

    def ring(signum: int, frame: FrameType | None) -> None:
        raise _Alarm

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class LabDesk:
    """Starts exam labs on one practice cluster and grades them by their checks."""

    def __init__(self, args: argparse.Namespace, store: Any) -> None:
        self.args = args
        self.store = store
        self._cluster: Cluster | None = None
        self.sessions: dict[str, LabSession] = {}

    def session(self, lab: Lab) -> LabSession:
        """The lab's session, on a cluster opened on first use."""
        from tutor.labs.backends import open_backend
        from tutor.labs.session import LabSession

        if self._cluster is None:
            self._cluster = open_backend(self.args.backend, self.args.context, None)
        if lab.id not in self.sessions:
            self.sessions[lab.id] = LabSession(lab, self._cluster, store=self.store)
        return self.sessions[lab.id]

    def check(self, lab: Lab) -> LabResult:
        """One round of the lab's checks (guards included)."""
        session = self.session(lab)
        wait = 0.0 if session.cluster.backend == "sim" else 20.0
        return session.check(wait=wait)


def cmd_exam(args: argparse.Namespace) -> int:
    """Draw the paper, sit it on the terminal, print the report; exit 0 when >= 70%."""
    from tutor.cli.course import load
    from tutor.modes.exam import ExamRun, draw_paper, topics_in
    from tutor.quiz.shuffle import new_seed

    course = load(args)
    topics, unknown = topics_in(course, args.topic)
    if unknown:
        print(
            f"kube-tutor: no lesson {', '.join(unknown)}; see `kube-tutor list lessons`.",
            file=sys.stderr,
        )
        return 2
    seed = args.seed or new_seed()
    paper = draw_paper(
        course,
        seed=seed,
        questions=args.questions,
        labs=args.labs,
        minutes=args.minutes,
        topics=topics,
    )
    if not paper.items:
        print("kube-tutor: the course has nothing to ask on these topics.", file=sys.stderr)
        return 2
    if args.show_paper:
        items = [{"key": i.key, "kind": i.kind, "topic": i.topic} for i in paper.items]
        if args.json:
            print(
                json.dumps(
                    {"seed": seed, "fingerprint": paper.fingerprint, "items": items}, indent=2
                )
            )
        else:
            print(f"Paper {paper.fingerprint} (seed {seed}), {paper.minutes:g} minutes:")
            print("\n".join(f"  {n}. {i['key']}" for n, i in enumerate(items, 1)))
        return 0
    from tutor.modes.records import save_exam
    from tutor.progress.store import ProgressStore

    store = ProgressStore()
    desk = LabDesk(args, store)
    run = ExamRun(paper, check_lab=desk.check)
    # With --json the prompts go to stderr so stdout carries only the report.
    out = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    with out:
        _sit(run, desk)
    report = run.report()
    save_exam(store, report)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print_report(report)
    return 0 if report.score >= 0.7 else 1


def _sit(run: ExamRun, desk: LabDesk) -> None:
    paper = run.paper
    questions = sum(1 for i in paper.items if i.kind == "question")
    limit = f"{paper.minutes:g} minutes" if paper.minutes > 0 else "no time limit"
    print(
        f"Exam {paper.fingerprint}: {questions} questions and {len(paper.items) - questions} "
        f"labs, {limit}. Seed {paper.seed} (give it to someone to sit the same paper).\n"
        "No explanations until the end. An empty answer skips; Ctrl-D ends the exam."
    )
    try:
        while (item := run.current) is not None:
            number = run.index + 1
            left = run.timer.remaining()
            clock = f"{mmss(left)} left · " if left is not None else ""
            print(f"\n[{clock}item {number}/{len(paper.items)} · {item.topic}]")
            with deadline(left):
                if item.question is not None:
                    if not _ask_question(run):
                        run.finish()
                        break
                else:
                    assert item.lab is not None
                    if not _work_lab(item.lab, desk):
                        run.finish()
                        break
            run.advance()
    except _Alarm:
        print("\n\nTime is up.")
        run.finish(reason="time")


def _ask_question(run: ExamRun) -> bool:
    """Ask the current question until it is answered or skipped; False when input ended."""
    from tutor.cli.course import _ask
    from tutor.modes.exam import TimeUp

    item = run.current
    assert item is not None and item.question is not None
    print(f"[{item.question.type}] {item.question.prompt.rstrip()}")
    while True:
        answer = _ask(item.question, run.paper.seed)
        if answer is None:
            return False
        if answer == "" or answer == []:
            print("  skipped")
            return True
        try:
            graded = run.answer(answer)
        except TimeUp:
            raise _Alarm from None
        except ValueError as exc:
            print(f"  That answer cannot be graded: {exc}. Try again (empty line skips).")
            continue
        if graded.retry:  # a YAML slip: say where, do not count it, ask again
            print(f"  {'; '.join(graded.feedback)}")
            continue
        print("  recorded")
        return True


def _work_lab(lab: Lab, desk: LabDesk) -> bool:
    """Start the lab, show its task, wait until the candidate moves on."""
    from tutor.cli.course import _read_line

    session = desk.session(lab)
    report = session.reset()
    if not report.ok:
        print(f"  The lab could not start: {report.error or report.problems[0]}")
        return True
    print(f"Lab: {lab.spec.title}\n\n{lab.spec.task.strip()}\n")
    print(
        f"Namespace {session.namespace} on {session.cluster.backend}; workspace "
        f"{session.workspace}. Use kubectl or edit the workspace and "
        f"`kube-tutor lab apply {lab.id}` in another terminal."
    )
    line = _read_line("Press Enter when you are done (the lab is graded when you move on): ")
    return line is not None


def print_report(report: ExamReport) -> None:
    """Scores per topic, then every item with its answer, explanation, verdicts and time."""
    from tutor.cli.lab import print_result
    from tutor.quiz.review import given_answer, right_answer

    data = report.to_json()
    ended = "by the clock" if report.reason == "time" else "by you"
    print(f"\n== Exam {data['fingerprint']} (seed {data['seed']}), ended {ended} ==")
    print(f"Score {report.score:.0%} in {mmss(report.seconds)}.\n\nBy topic:")
    for topic in report.topics():
        print(f"  {topic.score:>4.0%}  {topic.topic} ({topic.items} items)")
    for number, item in enumerate(report.paper.items, 1):
        result = report.results.get(item.key)
        spent = mmss(report.spent.get(item.key, 0.0))
        print(f"\n{number}. {item.key}  [{spent}]")
        if item.question is not None:
            question = item.question
            print(f"   {question.prompt.strip().splitlines()[0]}")
            if result is None or result.grade is None:
                print("   Not answered.")
            else:
                mark = "RIGHT" if result.grade.correct else f"NOT QUITE ({result.grade.score:.0%})"
                print(
                    f"   {mark}. Your answer: {given_answer(question, result.answer, report.paper.seed)}"
                )
                for remark in result.grade.feedback:
                    print(f"   - {remark}")
            right = right_answer(question, report.paper.seed)
            if right:
                print(f"   Right answer: {right}")
            print(f"   Why: {question.explanation.strip()}")
        elif result is not None and result.lab is not None:
            print_result(result.lab)
        else:
            print("   Not reached.")
