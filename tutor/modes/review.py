"""Review that comes back: a spaced-repetition deck over what went wrong, scheduled by FSRS.

The deck follows the progress store. An item enters it when a question is answered wrong
(in a quiz, a review or an exam), a lab check round fails or a lab's hints are shown; after that, the latest outcome since the
card's last review rates it (right or passed: Good; passed with hints shown: Hard; wrong or
failed: Again) and the `fsrs` library moves its due date. Fuzzing is off so dates are
reproducible (the same history gives the same schedule on every machine).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import fsrs

from tutor.quiz.grading import Answer, Grade, grade

if TYPE_CHECKING:
    from tutor.content.loader import Course
    from tutor.content.models import Question
    from tutor.progress.store import ProgressStore


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _ts(moment: datetime) -> float:
    return moment.timestamp()


@dataclass(frozen=True)
class Outcome:
    """One thing that happened to an item, read from the progress store."""

    item: str
    """`q:lesson/question` or `lab:lab-id`."""
    at: float
    ok: bool
    hinted: bool = False
    reason: str = ""
    """Why the item enters the deck, when this outcome is its first lapse."""


@dataclass(frozen=True)
class DueItem:
    """A card that is due (or will be)."""

    item: str
    reason: str
    due: float


def question_item(lesson_id: str, question_id: str) -> str:
    """The deck key of a quiz question."""
    return f"q:{lesson_id}/{question_id}"


def lab_item(lab_id: str) -> str:
    """The deck key of a lab."""
    return f"lab:{lab_id}"


class ReviewDeck:
    """The review cards kept in the progress store's `review_cards` table."""

    def __init__(self, store: ProgressStore, scheduler: fsrs.Scheduler | None = None) -> None:
        self.store = store
        self.scheduler = scheduler or fsrs.Scheduler(enable_fuzzing=False)

    # -- reading the store ----------------------------------------------------------

    def _outcomes(self) -> list[Outcome]:
        outcomes: list[Outcome] = []
        with self.store.transaction() as db:
            for lesson, question, correct, at in db.execute(
                "SELECT lesson_id, question_id, correct, at FROM quiz_answers ORDER BY at, id"
            ):
                item = question_item(lesson, question)
                outcomes.append(Outcome(item, at, bool(correct), reason="answered wrong"))
            hints = list(db.execute("SELECT lab_id, MIN(at) FROM hints_used GROUP BY lab_id"))
            hint_times: dict[str, list[float]] = {}
            for lab, at in db.execute("SELECT lab_id, at FROM hints_used ORDER BY at"):
                hint_times.setdefault(lab, []).append(at)
            for lab, passed, at in db.execute(
                "SELECT lab_id, passed, at FROM lab_attempts ORDER BY at, id"
            ):
                outcomes.append(Outcome(lab_item(lab), at, bool(passed), reason="lab failed"))
            exam_rows = list(db.execute("SELECT report, at FROM exam_attempts ORDER BY id"))
        for report, at in exam_rows:
            # Exam answers count too (only those given: an item not reached says nothing).
            for entry in json.loads(report).get("items", []):
                key = str(entry.get("key", ""))
                if entry.get("kind") == "question" and entry.get("answered"):
                    lesson, _, question = key.partition("/")
                    item = question_item(lesson, question)
                    ok = bool(entry.get("correct"))
                    outcomes.append(Outcome(item, at, ok, reason="wrong in an exam"))
                elif entry.get("kind") == "lab" and entry.get("graded"):
                    ok = bool(entry.get("passed"))
                    outcomes.append(Outcome(key, at, ok, reason="failed in an exam"))
        for lab, first in hints:
            outcomes.append(Outcome(lab_item(lab), first, False, True, reason="hints used"))
        # A pass after hints were shown (since the previous outcome) is rated Hard.
        outcomes.sort(key=lambda o: o.at)
        last_at: dict[str, float] = {}
        marked: list[Outcome] = []
        for outcome in outcomes:
            lab_id = outcome.item.removeprefix("lab:")
            if outcome.item.startswith("lab:") and outcome.ok:
                since = last_at.get(outcome.item, float("-inf"))
                hinted = any(since < t <= outcome.at for t in hint_times.get(lab_id, []))
                outcome = Outcome(outcome.item, outcome.at, True, hinted, outcome.reason)
            last_at[outcome.item] = outcome.at
            marked.append(outcome)
        return marked

    def _cards(self) -> dict[str, tuple[fsrs.Card, str, float]]:
        with self.store.transaction() as db:
            rows = list(db.execute("SELECT item, reason, card, reviewed FROM review_cards"))
        return {
            item: (fsrs.Card.from_json(card), reason, seen) for item, reason, card, seen in rows
        }

    def _save(self, item: str, card: fsrs.Card, reason: str, reviewed: float) -> None:
        assert card.due is not None
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO review_cards (item, reason, card, due, reviewed) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (item) DO UPDATE SET "
                "card = excluded.card, due = excluded.due, reviewed = excluded.reviewed",
                (item, reason, card.to_json(), _ts(card.due), reviewed),
            )

    # -- scheduling -----------------------------------------------------------------

    @staticmethod
    def rating(outcome: Outcome) -> fsrs.Rating:
        """Good when right, Hard when passed with hints shown, Again when wrong or failed."""
        if not outcome.ok:
            return fsrs.Rating.Again
        return fsrs.Rating.Hard if outcome.hinted else fsrs.Rating.Good

    def sync(self) -> int:
        """Bring the deck up to date with the store; returns how many cards changed."""
        cards = self._cards()
        latest: dict[str, Outcome] = {}
        lapses: dict[str, Outcome] = {}
        for outcome in self._outcomes():
            known = cards.get(outcome.item)
            if known is None:
                if outcome.item not in lapses:
                    if outcome.ok:
                        continue  # right first time: nothing to review
                    lapses[outcome.item] = outcome
                    continue
                if outcome.at > lapses[outcome.item].at:
                    latest[outcome.item] = outcome
            elif outcome.at > known[2]:
                latest[outcome.item] = outcome
        changed = 0
        for item, lapse in lapses.items():
            card, _ = self.scheduler.review_card(
                fsrs.Card(due=_dt(lapse.at)), fsrs.Rating.Again, _dt(lapse.at)
            )
            cards[item] = (card, lapse.reason, lapse.at)
            self._save(item, card, lapse.reason, lapse.at)
            changed += 1
        for item, outcome in latest.items():
            card, reason, _ = cards[item]
            card, _ = self.scheduler.review_card(card, self.rating(outcome), _dt(outcome.at))
            self._save(item, card, reason, outcome.at)
            changed += item not in lapses
        return changed

    def review(self, item: str, rating: fsrs.Rating, at: float) -> float:
        """Rate one card directly (e.g. a review answered outside the store); its new due."""
        known = self._cards().get(item)
        if known is None:
            raise KeyError(f"no review card for {item!r}")
        card, reason, _ = known
        card, _ = self.scheduler.review_card(card, rating, _dt(at))
        self._save(item, card, reason, at)
        assert card.due is not None
        return _ts(card.due)

    def items(self) -> list[DueItem]:
        """Every card, soonest due first."""
        with self.store.transaction() as db:
            rows = list(db.execute("SELECT item, reason, due FROM review_cards ORDER BY due"))
        return [DueItem(item, reason, due) for item, reason, due in rows]

    def due(self, now: float) -> list[DueItem]:
        """Cards due at `now` (seconds since the epoch), soonest first."""
        return [card for card in self.items() if card.due <= now]


class ReviewRun:
    """One sitting of review: the due questions asked again (explanations shown: review is for
    learning), the due labs listed to redo. Answers go to the store; the deck follows them."""

    def __init__(self, store: ProgressStore, course: Course, now: float) -> None:
        self.store = store
        self.deck = ReviewDeck(store)
        self.deck.sync()
        self.questions: list[tuple[str, Question]] = []
        self.labs: list[DueItem] = []
        for card in self.deck.due(now):
            if card.item.startswith("lab:"):
                if course.lab(card.item.removeprefix("lab:")) is not None:
                    self.labs.append(card)
                continue
            lesson_id, _, question_id = card.item.removeprefix("q:").partition("/")
            lesson = course.lesson(lesson_id)
            quiz = lesson.quiz if lesson is not None else None
            question = (
                next((q for q in quiz.questions if q.id == question_id), None) if quiz else None
            )
            if question is not None:  # a question no longer in the course is not asked
                self.questions.append((lesson_id, question))
        self.index = 0
        self.grades: dict[str, Grade] = {}

    @property
    def current(self) -> tuple[str, Question] | None:
        """The question being asked, or None when all were asked."""
        return self.questions[self.index] if self.index < len(self.questions) else None

    def answer(self, answer: Answer) -> Grade:
        """Grade and record the answer (a YAML slip is not recorded); the card moves."""
        current = self.current
        if current is None:
            raise ValueError("no question is being asked")
        lesson_id, question = current
        graded = grade(question, answer)
        if not graded.retry:
            self.store.record_answer(lesson_id, question.id, answer, graded.correct, graded.score)
            self.grades[question_item(lesson_id, question.id)] = graded
            self.deck.sync()
        return graded

    def advance(self) -> None:
        """The next question."""
        self.index += 1


def due_count(store: ProgressStore, now: float) -> int:
    """How many cards are due now (after bringing the deck up to date)."""
    deck = ReviewDeck(store)
    deck.sync()
    return len(deck.due(now))
