"""Course-wide progress: marks per item, a summary with a bar, and the learner's next step.

Shared by the course map, the lab screen and the CLI (`kube-tutor progress`, `lab check`), so
every place names the same next step. No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # type-only: keeps pydantic and the models off the start-up path
    from tutor.content.index import CourseView as Course
    from tutor.content.index import LessonView as Lesson
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
        return f"{summary.correct}/{total} right" + (", passed" if self.quiz_passed(lesson) else "")

    def quiz_passed(self, lesson: Lesson) -> bool:
        """At least the pass mark of the questions answered right (each at least once)."""
        total = gradable_count(lesson)
        summary = self.quizzes.get(lesson.id)
        pass_mark = lesson.quiz.pass_mark if lesson.quiz is not None else 1.0
        return total > 0 and summary is not None and summary.correct >= pass_mark * total

    def quiz_done(self, lesson: Lesson) -> bool:
        """Every question answered right at least once."""
        summary = self.quizzes.get(lesson.id)
        return summary is not None and summary.correct >= gradable_count(lesson) > 0

    def lab_mark(self, lab_id: str) -> str:
        """`passed` or `not passed yet`."""
        return "passed" if lab_id in self.labs_passed else "not passed yet"


@dataclass(frozen=True)
class Tally:
    """Done out of total for one kind of item."""

    done: int
    total: int


@dataclass(frozen=True)
class Summary:
    """The course at a glance: lessons read, quizzes passed, labs done."""

    lessons: Tally
    quizzes: Tally
    labs: Tally

    @property
    def fraction(self) -> float:
        """Share of every item done (0..1)."""
        total = self.lessons.total + self.quizzes.total + self.labs.total
        done = self.lessons.done + self.quizzes.done + self.labs.done
        return done / total if total else 0.0

    def bar(self, width: int = 20, *, plain: bool = False) -> str:
        """`[#######-------------] 35%` (plain) or the same with block characters."""
        filled = round(self.fraction * width)
        full, empty = ("#", "-") if plain else ("█", "░")
        return f"[{full * filled}{empty * (width - filled)}] {self.fraction:.0%}"

    def line(self) -> str:
        """`Lessons 3/14 read, quizzes 1/14 passed, labs 2/19 done` (fits 80 columns with a
        bar of 12 in front)."""
        return (
            f"Lessons {self.lessons.done}/{self.lessons.total} read, "
            f"quizzes {self.quizzes.done}/{self.quizzes.total} passed, "
            f"labs {self.labs.done}/{self.labs.total} done"
        )


def summarise(course: Course, progress: CourseProgress) -> Summary:
    """Count what is done over the whole course."""
    quizzed = [lesson for lesson in course.lessons if gradable_count(lesson)]
    return Summary(
        lessons=Tally(
            sum(lesson.id in progress.read for lesson in course.lessons), len(course.lessons)
        ),
        quizzes=Tally(sum(progress.quiz_passed(lesson) for lesson in quizzed), len(quizzed)),
        labs=Tally(sum(lab.id in progress.labs_passed for lab in course.labs), len(course.labs)),
    )


StepKind = Literal["lab", "quiz", "lesson", "done"]


@dataclass(frozen=True)
class NextStep:
    """What to do next, and how to get there from the app and from the shell."""

    kind: StepKind
    id: str
    """Lab id or lesson id (empty when the course is done)."""
    title: str

    def words(self) -> str:
        """`lab 03-readiness-probe: The Pod that is not ready` in plain words."""
        if self.kind == "done":
            return "nothing left: every lesson read, every quiz passed, every lab done"
        if self.kind == "quiz":
            return f"the quiz of lesson {self.id}: {self.title}"
        return f"{self.kind} {self.id}: {self.title}"

    def command(self) -> str:
        """The shell command that takes the step (empty when the course is done)."""
        return {
            "lab": f"kube-tutor lab start {self.id}",
            "quiz": f"kube-tutor quiz {self.id}",
            "lesson": f"kube-tutor lesson {self.id}",
            "done": "",
        }[self.kind]

    def cli_line(self) -> str:
        """`Next: lab 03-...: title. Run `kube-tutor lab start 03-...`.`"""
        if self.kind == "done":
            return f"Next: {self.words()}. Well done!"
        return f"Next: {self.words()}. Run `{self.command()}`."


def next_step(course: Course, progress: CourseProgress, after: str | None = None) -> NextStep:
    """The step after finishing lab or lesson `after` (or from the start of the course).

    Stays with the lesson first (its other labs, then its quiz), then moves on: the next lesson
    not read, or the next lab not done, in course order; wraps round to anything left earlier.
    """
    lessons = course.lessons
    lab = course.lab(after) if after else None
    here = course.lesson(lab.spec.lesson if lab is not None else after or "")
    if here is not None:
        for other in course.labs_of(here.id):
            if other.id != after and other.id not in progress.labs_passed:
                return NextStep("lab", other.id, other.spec.title)
        if gradable_count(here) and not progress.quiz_passed(here):
            return NextStep("quiz", here.id, here.meta.title)
    start = lessons.index(here) + 1 if here is not None else 0
    for lesson in [*lessons[start:], *lessons[:start]]:
        if lesson.id not in progress.read:
            return NextStep("lesson", lesson.id, lesson.meta.title)
        for other in course.labs_of(lesson.id):
            if other.id != after and other.id not in progress.labs_passed:
                return NextStep("lab", other.id, other.spec.title)
        if gradable_count(lesson) and not progress.quiz_passed(lesson):
            return NextStep("quiz", lesson.id, lesson.meta.title)
    return NextStep("done", "", "")
