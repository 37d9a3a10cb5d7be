"""Progress marks in words, computed from the store for the course map (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # type-only: keeps pydantic and the models off the start-up path
    from tutor.content.loader import Course, Lesson
    from tutor.progress.store import ProgressStore, QuizSummary


def gradable_count(lesson: Lesson) -> int:
    """Questions of the lesson's quiz that can be answered offline (all but `predict`)."""
    if lesson.quiz is None:
        return 0
    return sum(1 for question in lesson.quiz.questions if question.type != "predict")


@dataclass(frozen=True)
class CourseProgress:
    """What the learner has done, as the course map shows it."""

    read: set[str] = field(default_factory=set)
    """Ids of lessons read."""
    quizzes: dict[str, QuizSummary] = field(default_factory=dict)
    """Quiz summary per lesson id."""
    labs_passed: set[str] = field(default_factory=set)
    """Ids of labs passed."""

    @classmethod
    def load(cls, course: Course, store: ProgressStore) -> CourseProgress:
        """Read the progress of every lesson and lab of the course."""
        return cls(
            read=store.lessons_read(),
            quizzes={lesson.id: store.quiz_summary(lesson.id) for lesson in course.lessons},
            labs_passed=store.labs_passed(),
        )

    def lesson_mark(self, lesson: Lesson) -> str:
        """`read` or `unread`."""
        return "read" if lesson.id in self.read else "unread"

    def quiz_mark(self, lesson: Lesson) -> str:
        """`3/6 right` (right at least once / questions), or how many questions there are."""
        total = gradable_count(lesson)
        summary = self.quizzes.get(lesson.id)
        if summary is None or summary.answered == 0:
            return f"{total} questions, not started"
        return f"{summary.correct}/{total} right"

    def quiz_done(self, lesson: Lesson) -> bool:
        """Every question answered right at least once."""
        summary = self.quizzes.get(lesson.id)
        return summary is not None and summary.correct >= gradable_count(lesson) > 0

    def lab_mark(self, lab_id: str) -> str:
        """`passed` or `not passed yet`."""
        return "passed" if lab_id in self.labs_passed else "not passed yet"
