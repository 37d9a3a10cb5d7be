"""Exam mode: a seeded paper balanced by topic, sat against the clock, reviewed at the end.

A paper is a pure function of the course, the seed and the chosen length, so two candidates
given the same seed sit the same paper (its `fingerprint` proves it). Nothing is explained
while the clock runs; the report at the end has every explanation, verdict and time spent.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from tutor.modes.clock import Clock, Timer
from tutor.quiz.grading import Answer, Grade, grade

if TYPE_CHECKING:
    from tutor.content.loader import Course, Lab
    from tutor.content.models import Question
    from tutor.labs.session import LabResult

ItemKind = Literal["question", "lab"]


class TimeUp(Exception):
    """An answer arrived after the clock ran out; it is not counted."""


@dataclass(frozen=True)
class ExamItem:
    """One item of a paper: a question of a lesson's quiz, or a lab."""

    kind: ItemKind
    topic: str
    """The lesson id the item belongs to (a lab's `lesson`)."""
    question: Question | None = None
    lab: Lab | None = None

    @property
    def key(self) -> str:
        """`lesson/question-id` or `lab:lab-id`: stable across runs, used in reports."""
        if self.question is not None:
            return f"{self.topic}/{self.question.id}"
        assert self.lab is not None
        return f"lab:{self.lab.id}"


@dataclass(frozen=True)
class Paper:
    """The items of one exam, in the order they are asked, and its time limit."""

    seed: str
    minutes: float
    items: tuple[ExamItem, ...]

    @property
    def fingerprint(self) -> str:
        """A short digest of the items: equal for two candidates sitting the same paper."""
        text = "\n".join(item.key for item in self.items) + f"\n{self.minutes}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def topics(self) -> list[str]:
        """The topics on the paper, in first-appearance order."""
        return list(dict.fromkeys(item.topic for item in self.items))


def _round_robin(
    pools: dict[str, list[Any]], wanted: int, rng: random.Random, kind_of: Callable[[Any], str]
) -> list[tuple[str, Any]]:
    """Take one item per topic in turn (topics in a seeded order) until `wanted` are taken.

    Within a topic the item whose kind (question type) is least represented so far is
    taken first, so a paper spreads over topics first and over question types second.
    """
    order = list(pools)
    rng.shuffle(order)
    for topic in order:
        rng.shuffle(pools[topic])
    taken: list[tuple[str, Any]] = []
    kinds: dict[str, int] = {}
    while len(taken) < wanted and any(pools[t] for t in order):
        for topic in order:
            pool = pools[topic]
            if not pool or len(taken) >= wanted:
                continue
            pick = min(range(len(pool)), key=lambda i: (kinds.get(kind_of(pool[i]), 0), i))
            item = pool.pop(pick)
            kinds[kind_of(item)] = kinds.get(kind_of(item), 0) + 1
            taken.append((topic, item))
    return taken


def draw_paper(
    course: Course,
    *,
    seed: str,
    questions: int = 20,
    labs: int = 3,
    minutes: float = 45,
    topics: Sequence[str] = (),
) -> Paper:
    """Draw a paper from the course: `questions` quiz questions and `labs` labs, balanced by
    topic (lesson), from `topics` only when given. Predict questions need a running lab and
    are left out. Fewer items come back when the course has fewer."""
    chosen = set(topics)
    lesson_order = [lesson.id for lesson in course.lessons if not chosen or lesson.id in chosen]
    rng = random.Random(f"kube-tutor-paper/{seed}")
    question_pools: dict[str, list[Any]] = {
        lesson.id: [q for q in lesson.quiz.questions if q.type != "predict"]
        for lesson in course.lessons
        if lesson.id in lesson_order and lesson.quiz is not None
    }
    lab_pools: dict[str, list[Any]] = {}
    for lab in course.labs:
        if lab.spec.lesson in lesson_order:
            lab_pools.setdefault(lab.spec.lesson, []).append(lab)
    picked_questions = _round_robin(question_pools, questions, rng, lambda q: str(q.type))
    picked_labs = _round_robin(lab_pools, labs, rng, lambda lab: str(lab.spec.kind))
    rank = {lesson_id: n for n, lesson_id in enumerate(lesson_order)}
    # Questions grouped by lesson in course order (a paper reads like the course), labs last.
    asked = sorted(picked_questions, key=lambda pair: rank[pair[0]])
    items = [ExamItem("question", topic, question=q) for topic, q in asked]
    items += [
        ExamItem("lab", topic, lab=lab)
        for topic, lab in sorted(picked_labs, key=lambda p: (rank[p[0]], p[1].id))
    ]
    return Paper(seed, minutes, tuple(items))


@dataclass
class ItemResult:
    """What happened to one item."""

    answer: Answer | None = None
    grade: Grade | None = None
    lab: LabResult | None = None

    @property
    def credit(self) -> float:
        """1 for a right answer or a lab whose every check passes (guards included), partial
        credit as the quiz grader gives it, 0 for anything unanswered."""
        if self.grade is not None:
            return self.grade.score
        if self.lab is not None:
            return 1.0 if self.lab.passed else 0.0
        return 0.0


@dataclass
class ExamRun:
    """A paper being sat: one item at a time, graded silently, timed per item."""

    paper: Paper
    check_lab: Callable[[Lab], LabResult] | None = None
    """Grades a lab by its checks when the candidate moves on or the time runs out."""
    clock: Clock | None = None
    index: int = 0
    results: dict[str, ItemResult] = field(default_factory=dict)
    finished: bool = False
    reason: str = ""
    """Why it ended: `finished` (by the candidate) or `time`."""
    timer: Timer = field(init=False)

    def __post_init__(self) -> None:
        limit = self.paper.minutes * 60 if self.paper.minutes > 0 else None
        self.timer = Timer(limit, self.clock) if self.clock is not None else Timer(limit)
        if self.paper.items:
            self.timer.focus(self.current_key)

    @property
    def current(self) -> ExamItem | None:
        """The item being answered, or None at the end."""
        if self.finished or self.index >= len(self.paper.items):
            return None
        return self.paper.items[self.index]

    @property
    def current_key(self) -> str | None:
        item = self.current
        return item.key if item is not None else None

    def answer(self, answer: Answer) -> Grade:
        """Grade the current question silently. Raises `TimeUp` after the limit (the exam
        is then finished) and `ValueError` when the answer has the wrong shape. A YAML
        answer that cannot be read comes back with `retry` set and is not recorded."""
        item = self.current
        if item is None or item.question is None:
            raise ValueError("the current item is not a question")
        if self.timer.expired:
            self.finish(reason="time")
            raise TimeUp("the time is up; this answer was not counted")
        graded = grade(item.question, answer)
        if not graded.retry:
            self.results[item.key] = ItemResult(answer=answer, grade=graded)
        return graded

    def advance(self) -> None:
        """Move on (an unanswered question counts 0; a lab is graded by its checks now)."""
        item = self.current
        if item is None:
            return
        if self.timer.expired:
            self.finish(reason="time")
            return
        self._grade_lab_if_current()
        self.index += 1
        if self.index >= len(self.paper.items):
            self.finish()
        else:
            self.timer.focus(self.current_key)

    def _grade_lab_if_current(self) -> None:
        item = self.current
        if item is None or item.lab is None or item.key in self.results:
            return
        if self.check_lab is not None:
            self.results[item.key] = ItemResult(lab=self.check_lab(item.lab))

    def tick(self) -> bool:
        """Call now and then: finishes the exam when the time is up. True when it did."""
        if not self.finished and self.timer.expired:
            self.finish(reason="time")
            return True
        return False

    def finish(self, *, reason: str = "finished") -> None:
        """End the exam: the lab on screen is graded, the clock stops."""
        if self.finished:
            return
        self._grade_lab_if_current()
        self.timer.stop()
        self.finished = True
        self.reason = reason

    def report(self) -> ExamReport:
        """The scored paper (call after `finish`)."""
        return ExamReport.of(self)


@dataclass(frozen=True)
class TopicScore:
    """The mean credit over a topic's items."""

    topic: str
    items: int
    credit: float

    @property
    def score(self) -> float:
        """0..1."""
        return self.credit / self.items if self.items else 0.0


@dataclass(frozen=True)
class ExamReport:
    """The end of an exam: overall and per-topic scores, every item with its explanation."""

    paper: Paper
    reason: str
    seconds: float
    spent: dict[str, float]
    results: dict[str, ItemResult]

    @classmethod
    def of(cls, run: ExamRun) -> ExamReport:
        """Score a run."""
        return cls(run.paper, run.reason, run.timer.elapsed(), dict(run.timer.spent), run.results)

    @property
    def score(self) -> float:
        """Mean credit over every item of the paper."""
        items = self.paper.items
        return sum(self.credit(item) for item in items) / len(items) if items else 0.0

    def credit(self, item: ExamItem) -> float:
        """The credit one item earned."""
        result = self.results.get(item.key)
        return result.credit if result is not None else 0.0

    def topics(self) -> list[TopicScore]:
        """Scores per topic, in the paper's order of topics."""
        scores = []
        for topic in self.paper.topics():
            items = [i for i in self.paper.items if i.topic == topic]
            scores.append(TopicScore(topic, len(items), sum(self.credit(i) for i in items)))
        return scores

    def to_json(self) -> dict[str, Any]:
        """The report as data (`kube-tutor exam --json` and the progress store)."""
        return {
            "seed": self.paper.seed,
            "fingerprint": self.paper.fingerprint,
            "minutes": self.paper.minutes,
            "ended_by": self.reason,
            "seconds": round(self.seconds, 1),
            "score": round(self.score, 4),
            "topics": [
                {"topic": t.topic, "items": t.items, "score": round(t.score, 4)}
                for t in self.topics()
            ],
            "items": [self._item_json(item) for item in self.paper.items],
        }

    def _item_json(self, item: ExamItem) -> dict[str, Any]:
        result = self.results.get(item.key) or ItemResult()
        out: dict[str, Any] = {
            "key": item.key,
            "kind": item.kind,
            "topic": item.topic,
            "seconds": round(self.spent.get(item.key, 0.0), 1),
            "credit": round(result.credit, 4),
        }
        if item.question is not None:
            out["type"] = item.question.type
            out["answered"] = result.grade is not None
            out["answer"] = result.answer
            out["correct"] = bool(result.grade and result.grade.correct)
            out["feedback"] = list(result.grade.feedback) if result.grade else []
            out["explanation"] = item.question.explanation.strip()
        elif result.lab is not None:
            out["graded"] = True
            out["passed"] = result.lab.passed
            out["checks"] = [v.to_json() for v in result.lab.verdicts]
        else:
            out["graded"] = False
            out["passed"] = False
            out["checks"] = []
        return out


def topics_in(course: Course, wanted: Iterable[str]) -> tuple[list[str], list[str]]:
    """Resolve topic names (`01`, `1`, `01-services`) to lesson ids; also the unknown ones."""
    found: list[str] = []
    unknown: list[str] = []
    for name in wanted:
        match = next(
            (
                lesson.id
                for lesson in course.lessons
                if name == lesson.id
                or (name.isdigit() and lesson.id[:2].isdigit() and int(name) == int(lesson.id[:2]))
            ),
            None,
        )
        (found if match else unknown).append(match or name)
    return found, unknown
