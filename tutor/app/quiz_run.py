"""One attempt at a lesson's quiz: the current question, grades so far, the score, resuming.

An attempt is stored (with its seed) as soon as the quiz opens, so reopening the quiz resumes
it at the first unanswered question in the same order, or, once it is finished, shows its
result and a review of the wrong answers until the learner retakes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.content.loader import Lesson
from tutor.content.models import ChoiceQuestionBase, OrderQuestion, Question
from tutor.progress.store import ProgressStore
from tutor.quiz import shuffle
from tutor.quiz.grading import Answer, Grade, grade
from tutor.quiz.scoring import QuizScore, score_attempt


@dataclass
class QuizRun:
    """Asks the questions of one quiz in order and records every graded answer."""

    lesson: Lesson
    store: ProgressStore
    questions: list[Question] = field(default_factory=list)
    index: int = 0
    grades: dict[str, Grade] = field(default_factory=dict)
    answers: dict[str, Answer] = field(default_factory=dict)
    """The answers behind `grades`, for the review."""
    seed: str | None = None
    """The attempt's shuffle seed: the same choice and item order on resume and review."""
    attempt: int | None = None
    """The stored attempt's id."""
    resumed: bool = False
    """True when this run continues (or shows) an attempt from an earlier visit."""

    @classmethod
    def start(cls, lesson: Lesson, store: ProgressStore, *, fresh: bool = False) -> QuizRun:
        """Resume the last attempt (or show its result), or start a new one when there is
        none or `fresh` is asked for (Retake)."""
        questions = [] if lesson.quiz is None else list(lesson.quiz.questions)
        asked: list[Question] = [q for q in questions if q.type != "predict"]
        last = None if fresh else store.last_quiz_attempt(lesson.id)
        if last is None:
            seed = shuffle.new_seed()
            attempt = store.start_quiz_attempt(lesson.id, seed)
            return cls(lesson, store, asked, seed=seed, attempt=attempt)
        run = cls(lesson, store, asked, seed=last.seed, attempt=last.id, resumed=True)
        by_id = {q.id: q for q in asked}
        for question_id, recorded in last.answers.items():
            question = by_id.get(question_id)
            if question is None:
                continue  # the question left the quiz since: nothing to resume
            try:
                run.grades[question_id] = grade(question, recorded["answer"])
            except ValueError:
                continue  # its answer no longer fits the question: ask it again
            run.answers[question_id] = recorded["answer"]
        unanswered = [n for n, q in enumerate(asked) if q.id not in run.grades]
        run.index = len(asked) if last.finished or not unanswered else unanswered[0]
        if run.finished and not last.finished:
            run._finish()
        return run

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

    def choice_order(self, question: ChoiceQuestionBase) -> list[str]:
        """The choice keys in this attempt's order."""
        return shuffle.choice_order(question, self.seed)

    def item_order(self, question: OrderQuestion) -> list[int]:
        """The order items start in for this attempt."""
        return shuffle.display_order(question, self.seed)

    def answer(self, answer: Answer) -> Grade:
        """Grade and record an answer to the current question; ValueError if it has no shape.

        An answer that cannot be read (a YAML syntax error) is returned with `retry` set and
        is not recorded: the question stays open."""
        question = self.current
        if question is None:
            raise ValueError("the quiz is over")
        result = grade(question, answer)
        if result.retry:
            return result
        self.grades[question.id] = result
        self.answers[question.id] = answer
        self.store.record_answer(
            self.lesson.id, question.id, answer, result.correct, result.score, attempt=self.attempt
        )
        return result

    def advance(self) -> None:
        """Move on to the next question; after the last one the attempt is closed and scored."""
        was_finished = self.finished
        self.index = min(self.index + 1, len(self.questions))
        if self.finished and not was_finished:
            self._finish()

    def _finish(self) -> None:
        if self.attempt is not None:
            result = self.result
            self.store.finish_quiz_attempt(self.attempt, result.score, result.passed)

    @property
    def result(self) -> QuizScore:
        """The attempt's score and verdict (the one measure the CLI and export use too)."""
        credits = {qid: g.score for qid, g in self.grades.items()}
        return score_attempt((q.id for q in self.questions), credits, self.pass_mark)

    @property
    def right(self) -> int:
        """Questions answered fully right."""
        return self.result.right

    @property
    def score(self) -> float:
        """Mean credit over all questions (unanswered count as 0)."""
        return self.result.score

    @property
    def pass_mark(self) -> float:
        """The score needed to pass."""
        return self.lesson.quiz.pass_mark if self.lesson.quiz else 1.0

    @property
    def passed(self) -> bool:
        """Whether the score reaches the pass mark."""
        return self.result.passed

    def wrong(self) -> list[tuple[Question, Grade | None]]:
        """Questions not answered fully right (None: skipped), for the review."""
        return [
            (q, self.grades.get(q.id))
            for q in self.questions
            if q.id not in self.grades or not self.grades[q.id].correct
        ]
