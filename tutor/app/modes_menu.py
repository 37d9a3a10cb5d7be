"""Command palette entries for the study modes (exams, a break-fix drill, review) and the
instructor's class report."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

EXAM_SIZES = ((6, 1, 10), (20, 3, 45))
"""(questions, labs, minutes) of the exams offered in the palette."""


def open_exam(app: Any, questions: int, labs: int, minutes: float, seed: str | None = None) -> None:
    """Draw a paper from the whole course and open the exam screen."""
    from tutor.app.screens.exam import ExamScreen
    from tutor.modes.exam import draw_paper
    from tutor.quiz.shuffle import new_seed

    if app.course is None:
        return
    paper = draw_paper(
        app.course, seed=seed or new_seed(), questions=questions, labs=labs, minutes=minutes
    )
    app.push_screen(
        ExamScreen(
            paper,
            store=app.store,
            open_cluster=app.lab_cluster,
            plain=app.plain,
            blink=app.blink,
            clock=getattr(app, "exam_clock", None),
        )
    )


def open_drill(app: Any, lab_id: str | None = None, seed: str | None = None) -> None:
    """Open a break-fix drill on a lab the learner has not mastered."""
    from tutor.app.screens.drill import DrillScreen
    from tutor.modes.drill import drill_labs, pick_drill
    from tutor.modes.records import mastered_labs

    if app.course is None or app.store is None:
        return
    lab = (
        next((x for x in drill_labs(app.course) if x.id == lab_id), None)
        if lab_id
        else pick_drill(app.course, mastered_labs(app.store), seed=seed)
    )
    if lab is not None:
        app.push_screen(
            DrillScreen(
                lab,
                store=app.store,
                open_cluster=app.lab_cluster,
                plain=app.plain,
                blink=app.blink,
                clock=getattr(app, "exam_clock", None),
            )
        )


def open_review(app: Any, now: float | None = None) -> None:
    """Open the review of what is due."""
    from tutor.app.screens.review import ReviewScreen

    if app.course is not None and app.store is not None:
        app.push_screen(
            ReviewScreen(app.course, app.store, plain=app.plain, blink=app.blink, now=now)
        )


def open_class_report(app: Any) -> None:
    """Open the class report of the app's cluster (`app.class_cluster`, else the labs')."""
    from tutor.app.screens.class_report import ClassReportScreen

    def load(name: str) -> Any:
        from tutor.modes.classroom_report import report_from_cluster

        opener = app.class_cluster or app.lab_cluster
        return report_from_cluster(opener(), name)

    app.push_screen(ClassReportScreen(load, plain=app.plain))


def review_label(store: Any) -> str:
    """`Review (3 due)` for the palette and the course map."""
    import time

    from tutor.modes.review import due_count

    return f"Review ({due_count(store, time.time())} due)"


def mode_entries(app: Any) -> list[tuple[str, str, Callable[[], object]]]:
    """(name, help, callback) for the palette."""
    entries: list[tuple[str, str, Callable[[], object]]] = [
        (
            f"Exam: {q} questions + {n} lab{'s' if n != 1 else ''} in {m} minutes",
            "A timed paper from the whole course; explanations at the end",
            partial(open_exam, app, q, n, m),
        )
        for q, n, m in EXAM_SIZES
    ]
    entries.append(
        (
            "Drill: break-fix",
            "A fix lab posed by its symptom: explain the root cause, then fix it",
            partial(open_drill, app),
        )
    )
    entries.append(
        (
            "Class report: learners x labs and quizzes",
            "Instructors: a classroom's live results (kube-tutor class init), read again with r",
            partial(open_class_report, app),
        )
    )
    if app.store is not None:
        entries.append(
            (
                review_label(app.store),
                "Questions answered wrong and labs failed or done with hints, when due",
                partial(open_review, app),
            )
        )
    return entries
