"""Markdown for the app's exam and drill screens (no Textual: the screens render it)."""

from __future__ import annotations

from tutor.checks.verdict import Status
from tutor.labs.session import LabResult
from tutor.modes.clock import mmss
from tutor.modes.drill import CauseGrade, DrillRun
from tutor.modes.exam import ExamReport
from tutor.quiz.review import given_answer, right_answer

VERDICT_WORDS = {
    "right": "Right",
    "partial": "Partly right",
    "wrong": "Not the cause",
    "empty": "Empty",
}


def first_line(text: str) -> str:
    """The first line of a prompt (reports list items by it)."""
    return text.strip().splitlines()[0] if text.strip() else ""


def lab_lines(result: LabResult, right: str, wrong: str) -> list[str]:
    """One line per check with its verdict in words, then why it failed."""
    lines = []
    for verdict in result.verdicts:
        mark = right if verdict.status is Status.PASS else wrong
        lines.append(f"- {mark} {verdict.status.value} **{verdict.check_id}**: {verdict.title}")
        if verdict.status is not Status.PASS:
            lines.append(f"  - {verdict.message}")
            lines.extend(f"  - why ({d.hop}): {d.message}" for d in verdict.diagnoses)
    return lines


def report_markdown(report: ExamReport, *, right: str = "✓", wrong: str = "✗") -> str:
    """The end of an exam: score, per-topic scores, then every item with its explanation,
    each lab's verdicts and diagnoses, and the time spent on it."""
    ended = "the clock ran out" if report.reason == "time" else "you ended it"
    parts = [
        f"# Exam finished: {report.score:.0%}",
        f"Paper `{report.paper.fingerprint}` (seed `{report.paper.seed}`); {ended} after "
        f"{mmss(report.seconds)}.",
        "## By topic\n\n"
        + "\n".join(f"- {t.score:.0%} {t.topic} ({t.items} items)" for t in report.topics()),
        "## Every item",
    ]
    for number, item in enumerate(report.paper.items, 1):
        result = report.results.get(item.key)
        spent = mmss(report.spent.get(item.key, 0.0))
        lines: list[str]
        if item.question is not None:
            question = item.question
            graded = result.grade if result is not None else None
            if graded is None:
                word = f"{wrong} not answered"
            elif graded.correct:
                word = f"{right} right"
            else:
                word = f"{wrong} wrong ({graded.score:.0%})"
            lines = [f"**{number}.** {word} · {spent} · {first_line(question.prompt)}"]
            if graded is not None and result is not None:
                lines.append(
                    f"- Your answer: {given_answer(question, result.answer, report.paper.seed)}"
                )
                lines.extend(f"- {remark}" for remark in graded.feedback)
            answer = right_answer(question, report.paper.seed)
            if answer:
                lines.append(f"- Right answer: {answer}")
            lines.append(f"- Why: {question.explanation.strip()}")
        else:
            assert item.lab is not None
            if result is None or result.lab is None:
                lines = [f"**{number}.** {wrong} not reached · lab {item.lab.spec.title}"]
            else:
                word = f"{right} passed" if result.lab.passed else f"{wrong} not passed"
                lines = [f"**{number}.** {word} · {spent} · lab {item.lab.spec.title}"]
                lines += lab_lines(result.lab, right, wrong)
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def cause_markdown(graded: CauseGrade) -> str:
    """The verdict on a written cause and what it left out (never the answer itself)."""
    total = len(graded.found) + len(graded.missing)
    head = f"**Root cause: {VERDICT_WORDS[graded.verdict]}** ({len(graded.found)} of {total} key facts)"
    return "\n\n".join([head, *graded.feedback()])


def drill_end_markdown(run: DrillRun, *, right: str = "✓", wrong: str = "✗") -> str:
    """The end of a drill: the cause as the lab declares it, the fix's verdicts, the time."""
    fixed = bool(run.fix and run.fix.passed)
    parts = [
        f"# Drill {'done' if run.done else 'over'}: {run.lab.spec.title}",
        f"{mmss(run.timer.elapsed())} in all. Fix: {right + ' passed' if fixed else wrong + ' not passed'}.",
    ]
    if run.cause is not None:
        parts.append(cause_markdown(run.cause))
        parts.append(f"Your cause: {run.cause_text or '(none)'}")
    parts.append(
        "**The root cause**\n\n"
        + "\n".join(
            f"- {right if run.cause and f.fact in run.cause.found else wrong} {f.detail}"
            for f in run.facts
        )
    )
    if run.fix is not None:
        parts.append("\n".join(lab_lines(run.fix, right, wrong)))
    return "\n\n".join(parts) + "\n"
