"""One run through a lesson's quiz: the current question, grades so far, the final score."""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.content.loader import Lesson
from tutor.content.models import Question
from tutor.progress.store import ProgressStore
from tutor.quiz.grading import Answer, Grade, grade


@dataclass
class QuizRun:
    """Asks the questions of one quiz in order and records every graded answer."""

    lesson: Lesson
    store: ProgressStore
    questions: list[Question] = field(default_factory=list)
    index: int = 0
    grades: dict[str, Grade] = field(default_factory=dict)

    @classmethod
    def start(cls, lesson: Lesson, store: ProgressStore) -> QuizRun:
        """A fresh run over the questions that can be graded offline."""
        questions = [] if lesson.quiz is None else list(lesson.quiz.questions)
        return cls(lesson, store, [q for q in questions if q.type != "predict"])

    @property
    def current(self) -> Question | None:
        """The question being asked, or None when the run is over."""
        return self.questions[self.index] if self.index < len(self.questions) else None

    @property
    def finished(self) -> bool:
        """True once every question was shown."""
        return self.index >= len(self.questions)

    @property
    def answered(self) -> bool:
        """True when the current question has been graded."""
        question = self.current
        return question is not None and question.id in self.grades

    def answer(self, answer: Answer) -> Grade:
        """Grade and record an answer to the current question; ValueError if it has no shape."""
        question = self.current
        if question is None:
            raise ValueError("the quiz is over")
        result = grade(question, answer)
        self.grades[question.id] = result
        self.store.record_answer(self.lesson.id, question.id, answer, result.correct, result.score)
        return result

    def advance(self) -> None:
        """Move on to the next question."""
        self.index = min(self.index + 1, len(self.questions))

    @property
    def right(self) -> int:
        """Questions answered right."""
        return sum(1 for result in self.grades.values() if result.correct)

    @property
    def score(self) -> float:
        """Mean score over all questions (unanswered count as 0)."""
        if not self.questions:
            return 0.0
        return sum(result.score for result in self.grades.values()) / len(self.questions)

    @property
    def pass_mark(self) -> float:
        """The fraction of questions to get right to pass."""
        return self.lesson.quiz.pass_mark if self.lesson.quiz else 1.0

    @property
    def passed(self) -> bool:
        """Whether enough questions were right."""
        return bool(self.questions) and self.right >= self.pass_mark * len(self.questions)
