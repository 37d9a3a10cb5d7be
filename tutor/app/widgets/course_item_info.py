"""Details of the course item under the cursor: a lesson's summary, a quiz or a lab."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from tutor.app.marks import CourseProgress, gradable_count
from tutor.app.widgets.course_tree import CourseItem

if TYPE_CHECKING:  # type-only: keeps pydantic and the models off the start-up path
    from tutor.content.index import CourseView as Course


def describe(item: CourseItem | None, course: Course, progress: CourseProgress) -> str:
    """Plain text about one item of the course map."""
    if item is None:
        return "Choose a lesson, quiz or lab with the arrow keys; Enter opens it."
    if item.kind == "lab":
        lab = course.lab(item.id)
        if lab is None:
            return ""
        needs = ", ".join(lab.spec.requires) or "nothing special"
        return (
            f"Lab: {lab.spec.title}\n\n{lab.spec.kind} lab, about {lab.spec.minutes} min; "
            f"needs {needs}.\n{len(lab.spec.checks)} checks. Status: {progress.lab_mark(lab.id)}."
        )
    lesson = course.lesson(item.id)
    if lesson is None:
        return ""
    if item.kind == "quiz":
        pass_mark = lesson.quiz.pass_mark if lesson.quiz else 1.0
        return (
            f"Quiz: {lesson.meta.title}\n\n{gradable_count(lesson)} questions; "
            f"pass mark {pass_mark:.0%}.\nStatus: {progress.quiz_mark(lesson)}."
        )
    objectives = "\n".join(f"- {objective}" for objective in lesson.meta.objectives)
    return (
        f"{lesson.meta.title}\n\n{lesson.meta.summary}\n\nYou will be able to:\n{objectives}\n\n"
        f"About {lesson.meta.minutes} min, Kubernetes {lesson.meta.kubernetes}. "
        f"Status: {progress.lesson_mark(lesson)}."
    )


class CourseItemInfo(Static):
    """Shows what the highlighted lesson, quiz or lab is about and how far the learner got."""

    def show_item(self, item: CourseItem | None, course: Course, progress: CourseProgress) -> None:
        """Describe an item (None: a short how-to)."""
        self.update(describe(item, course, progress))
