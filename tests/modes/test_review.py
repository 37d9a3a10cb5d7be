"""Review scheduling with FSRS over what the progress store records: due dates move."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import fsrs
import pytest

from tutor.modes.review import ReviewDeck, lab_item, question_item
from tutor.progress.store import ProgressStore

T0 = 1_800_000_000.0
MINUTE = 60.0
DAY = 86_400.0


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "p.db")


def _at(moment: float):  # type: ignore[no-untyped-def]
    """Freeze the store's clock (it stamps rows with time.time())."""
    return mock.patch("tutor.progress.store.time.time", return_value=moment)


def test_right_first_time_is_not_reviewed_a_wrong_answer_is(store: ProgressStore) -> None:
    with _at(T0):
        store.record_answer("01-x", "right-one", "a", True, 1.0)
        store.record_answer("01-x", "wrong-one", "b", False, 0.0)
    deck = ReviewDeck(store)
    assert deck.sync() == 1
    (card,) = deck.items()
    assert card.item == question_item("01-x", "wrong-one") and card.reason == "answered wrong"
    # FSRS's first learning step after Again is one minute.
    assert card.due == pytest.approx(T0 + MINUTE)
    assert deck.due(T0) == [] and [c.item for c in deck.due(T0 + MINUTE)] == [card.item]
    assert deck.sync() == 0  # nothing new: nothing moves


def test_right_answers_push_the_due_date_out_and_a_lapse_pulls_it_back(
    store: ProgressStore,
) -> None:
    item = question_item("01-x", "q")
    with _at(T0):
        store.record_answer("01-x", "q", "b", False, 0.0)
    deck = ReviewDeck(store)
    deck.sync()
    dues = [deck.items()[0].due]
    moment = T0
    for _ in range(3):
        moment = max(moment, dues[-1]) + MINUTE
        with _at(moment):
            store.record_answer("01-x", "q", "a", True, 1.0)
        assert deck.sync() == 1
        dues.append(deck.items()[0].due)
    # Each right answer moves the card further out than the one before.
    intervals = [b - a for a, b in zip(dues, dues[1:], strict=False)]
    assert all(later > earlier for earlier, later in zip(intervals, intervals[1:], strict=False))
    assert dues[-1] - moment >= DAY  # out of learning: days, not minutes
    lapse_at = dues[-1] + DAY
    with _at(lapse_at):
        store.record_answer("01-x", "q", "b", False, 0.0)
    deck.sync()
    (card,) = deck.items()
    assert card.item == item
    assert card.due < lapse_at + DAY  # relearning: due again within the day


def test_labs_failed_or_hinted_enter_the_deck_and_a_hinted_pass_is_rated_hard(
    store: ProgressStore,
) -> None:
    with _at(T0):
        store.record_lab("02-lab", "sim", False, {})
    with _at(T0 + 10):
        store.record_hint("03-lab", "endpoints", 1)
    with _at(T0 + 20):
        store.record_lab("03-lab", "sim", True, {})
        store.record_lab("04-lab", "sim", True, {})  # passed first time: not reviewed
    deck = ReviewDeck(store)
    deck.sync()
    reasons = {c.item: c.reason for c in deck.items()}
    assert reasons == {lab_item("02-lab"): "lab failed", lab_item("03-lab"): "hints used"}
    # The same history through the scheduler by hand: Again at T0+10, Hard at T0+20.
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    from datetime import UTC, datetime

    def dt(s: float) -> datetime:
        return datetime.fromtimestamp(s, UTC)

    card, _ = scheduler.review_card(fsrs.Card(due=dt(T0 + 10)), fsrs.Rating.Again, dt(T0 + 10))
    hard, _ = scheduler.review_card(card, fsrs.Rating.Hard, dt(T0 + 20))
    good, _ = scheduler.review_card(card, fsrs.Rating.Good, dt(T0 + 20))
    due = {c.item: c.due for c in deck.items()}[lab_item("03-lab")]
    assert hard.due is not None and good.due is not None
    assert due == pytest.approx(hard.due.timestamp())
    assert hard.due != good.due


def test_a_direct_review_moves_the_card(store: ProgressStore) -> None:
    with _at(T0):
        store.record_answer("01-x", "q", "b", False, 0.0)
    deck = ReviewDeck(store)
    deck.sync()
    item = question_item("01-x", "q")
    again = deck.review(item, fsrs.Rating.Again, T0 + 120)
    good = ReviewDeck(store).review(item, fsrs.Rating.Good, again + 1)
    assert good > again
    with pytest.raises(KeyError):
        deck.review("q:none/none", fsrs.Rating.Good, T0)


def test_exam_answers_feed_the_deck(store: ProgressStore) -> None:
    """A wrong exam answer enters the deck; a right one and an item never reached do not."""
    from tutor.content.loader import load_course
    from tutor.content.models import SingleQuestion
    from tutor.modes.clock import FakeClock
    from tutor.modes.exam import ExamRun, draw_paper
    from tutor.modes.records import save_exam

    course = load_course()
    paper = draw_paper(course, seed="deck", questions=30, labs=0, minutes=0)
    singles = [i for i in paper.items if isinstance(i.question, SingleQuestion)][:2]
    assert len(singles) == 2
    run = ExamRun(paper, clock=FakeClock())
    wrong_key, right_key = singles[0].key, singles[1].key
    while (item := run.current) is not None:
        question = item.question
        if item.key in (wrong_key, right_key) and isinstance(question, SingleQuestion):
            if item.key == right_key:
                run.answer(question.answer)
            else:
                run.answer(next(k for k in question.choices if k != question.answer))
        run.advance()
    save_exam(store, run.report())
    deck = ReviewDeck(store)
    deck.sync()
    cards = {c.item: c.reason for c in deck.items()}
    assert cards == {f"q:{wrong_key}": "wrong in an exam"}
