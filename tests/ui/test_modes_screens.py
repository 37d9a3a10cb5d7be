"""The exam and drill screens: Pilot flows and SVG snapshots at 80x24 and 120x40.

The screens get a fake clock (`app.exam_clock`), so the countdown on screen is stable and
the time limit is reached by moving the clock, not by waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.ui.helpers import MakeApp, press, screen_text, type_text
from tutor.app.app import KubeTutorApp
from tutor.app.modes_menu import open_drill, open_exam, open_review
from tutor.app.screens.drill import DrillScreen
from tutor.app.screens.exam import ExamScreen
from tutor.app.screens.review import ReviewScreen
from tutor.modes.clock import FakeClock
from tutor.modes.review import ReviewDeck
from tutor.progress.store import ProgressStore

MODES_PACK = Path(__file__).parent / "modes_pack"
"""The UI pack with a drill declared on its fix lab."""
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
Compare = Callable[..., bool]


async def settle(app: KubeTutorApp, pilot: Pilot[None]) -> None:
    """Wait for the screen's workers and the messages they post."""
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot.pause()
        busy = getattr(app.screen, "busy", "")
        if not busy:
            return
    raise AssertionError("the screen's work did not finish")


def _app(make_app: MakeApp) -> tuple[KubeTutorApp, FakeClock]:
    app = make_app(MODES_PACK)
    clock = FakeClock()
    app.exam_clock = clock  # type: ignore[attr-defined]
    return app, clock


def test_an_exam_finished_by_the_clock_shows_the_report(
    make_app: MakeApp, store: ProgressStore
) -> None:
    asyncio.run(_exam_by_the_clock(make_app, store))


async def _exam_by_the_clock(make_app: MakeApp, store: ProgressStore) -> None:
    """3 questions and the lab in 10 minutes: one answer, two skips, the lab started, then
    the clock runs out: the lab is graded by its checks and the report explains everything."""
    app, clock = _app(make_app)
    async with app.run_test(size=(120, 40)) as pilot:
        open_exam(app, 3, 1, 10)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExamScreen)
        assert "10:00 left · item 1 of 4" in screen_text(app)
        clock.advance(65)
        await press(pilot, "ctrl+n")
        await settle(app, pilot)
        assert "08:55 left · item 2 of 4" in screen_text(app)
        await press(pilot, "ctrl+n")
        await settle(app, pilot)
        await press(pilot, "ctrl+n")
        await settle(app, pilot)
        text = screen_text(app)
        assert "Lab: The Service that selects nothing" in text
        assert "Namespace kt-01-fix-selector on sim" in text
        assert "Why:" not in text  # no explanations while the clock runs
        clock.advance(600)
        screen._tick()
        await settle(app, pilot)
        text = screen_text(app)
        assert "finished · score 0%" in text and "the clock ran out" in text
        report = screen.run.report()
        assert report.reason == "time"
        lab = report.results["lab:01-fix-selector"].lab
        assert lab is not None and not lab.passed  # graded on the start files
        assert "Why:" in text
    (row,) = store.export()["exam_attempts"]
    assert row["fingerprint"] == report.paper.fingerprint


def test_a_drill_grades_the_cause_then_the_fix(make_app: MakeApp, store: ProgressStore) -> None:
    asyncio.run(_drill_cause_then_fix(make_app, store))


async def _drill_cause_then_fix(make_app: MakeApp, store: ProgressStore) -> None:
    app, clock = _app(make_app)
    async with app.run_test(size=(120, 40)) as pilot:
        open_drill(app, "01-fix-selector")
        await pilot.pause()
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        assert "every call to web is refused" in screen_text(app).replace("`", "")
        clock.advance(42)
        await type_text(pilot, "the selector is wrong")
        await press(pilot, "enter")
        text = screen_text(app)
        assert "Root cause: Partly right" in text and "Missing: what does not match." in text
        assert "wbe" not in text  # the answer is not given away before the fix
        await press(pilot, "c")
        await settle(app, pilot)
        assert screen.run.fix is not None and not screen.run.fix.passed
        assert screen.session is not None and screen.session.solve().ok
        await press(pilot, "c")
        await settle(app, pilot)
        text = screen_text(app)
        assert "Drill over" in text and "app: wbe" in text
    (row,) = store.export()["drill_attempts"]
    assert row["verdict"] == "partial" and row["fixed"] == 1


def _exam_then(keys: list[str], *, expire: bool = False) -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KubeTutorApp)
        open_exam(app, 3, 1, 10)
        await pilot.pause()
        for key in keys:
            await press(pilot, key)
            await settle(app, pilot)
        if expire:
            app.exam_clock.advance(601)  # type: ignore[attr-defined]
            screen = app.screen
            assert isinstance(screen, ExamScreen)
            screen._tick()
            await settle(app, pilot)

    return run_before


EXAM_STATES = {
    "question": ([], False),
    "lab": (["ctrl+n", "ctrl+n", "ctrl+n"], False),
    "report": (["ctrl+n", "ctrl+n", "ctrl+n"], True),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("state", list(EXAM_STATES))
def test_exam_screen(
    snap_compare: Compare, make_app: MakeApp, state: str, size: tuple[int, int]
) -> None:
    """The exam on a question, on its lab, and the report after the clock ran out."""
    keys, expire = EXAM_STATES[state]
    app, _ = _app(make_app)
    assert snap_compare(app, run_before=_exam_then(keys, expire=expire), terminal_size=size)


def _drill_then(cause: str | None) -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KubeTutorApp)
        open_drill(app, "01-fix-selector")
        await pilot.pause()
        await settle(app, pilot)
        if cause is not None:
            await type_text(pilot, cause)
            await press(pilot, "enter", "c")
            await settle(app, pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("state", ["symptom", "cause"])
def test_drill_screen(
    snap_compare: Compare, make_app: MakeApp, state: str, size: tuple[int, int]
) -> None:
    """The drill with its symptom, and after a partly right cause and one check round."""
    app, _ = _app(make_app)
    cause = None if state == "symptom" else "the selector is wrong"
    assert snap_compare(app, run_before=_drill_then(cause), terminal_size=size)


def _wrong_answer_an_hour_ago(store: ProgressStore) -> float:
    """A wrong answer and a failed lab recorded an hour ago: both are due now."""
    import time as clock_module
    from unittest import mock

    now = clock_module.time()
    with mock.patch("tutor.progress.store.time.time", return_value=now - 3600):
        store.record_answer("02-endpoints", "ready-word", "healthy", False, 0.0)
        store.record_lab("01-fix-selector", "sim", False, {})
    return now


def test_review_is_on_the_course_map_and_a_right_answer_moves_the_card(
    make_app: MakeApp, store: ProgressStore
) -> None:
    now = _wrong_answer_an_hour_ago(store)

    async def main() -> None:
        app = make_app(MODES_PACK)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert app.screen.sub_title == "Course map · Review (2 due)"
            open_review(app, now)
            await pilot.pause()
            assert isinstance(app.screen, ReviewScreen)
            assert "question 1 of 1 · 02-endpoints" in screen_text(app)
            await type_text(pilot, "ready")
            await press(pilot, "enter")
            assert "Only endpoints whose" in screen_text(app)  # review explains at once
            await press(pilot, "ctrl+n")
            text = screen_text(app)
            assert "Review: 1 of 1 right" in text and "Lab 01-fix-selector (lab failed)" in text
            await press(pilot, "escape")
            assert app.screen.sub_title == "Course map · Review (1 due)"

    asyncio.run(main())
    deck = ReviewDeck(store)
    due = {card.item: card.due for card in deck.items()}
    assert due["q:02-endpoints/ready-word"] > now  # answered right: pushed out
    assert due["lab:01-fix-selector"] <= now


def _review_then(keys: list[str]) -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KubeTutorApp) and app.store is not None
        now = _wrong_answer_an_hour_ago(app.store)
        open_review(app, now)
        await pilot.pause()
        for key in keys:
            await press(pilot, key)

    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("state", ["question", "done"])
def test_review_screen(
    snap_compare: Compare, make_app: MakeApp, state: str, size: tuple[int, int]
) -> None:
    """Review on its due question, and at the end with the due lab to redo."""
    keys = [] if state == "question" else ["r", "e", "a", "d", "y", "enter", "ctrl+n"]
    assert snap_compare(make_app(MODES_PACK), run_before=_review_then(keys), terminal_size=size)


def test_the_palette_offers_exams_a_drill_and_review(make_app: MakeApp) -> None:
    async def main() -> None:
        app = make_app(MODES_PACK)
        app.exam_clock = FakeClock()  # type: ignore[attr-defined]
        async with app.run_test(size=(120, 40)) as pilot:
            await press(pilot, "ctrl+p")
            await type_text(pilot, "Exam: 6 questions")
            await press(pilot, "enter")
            screen = app.screen
            assert isinstance(screen, ExamScreen)
            assert screen.run.paper.minutes == 10
            # The pack has 8 questions and one lab: 6 + 1 asked.
            assert len(screen.run.paper.items) == 7
            await press(pilot, "ctrl+e", "y")
            await settle(app, pilot)
            assert screen.run.finished and screen.run.reason == "finished"
            await press(pilot, "escape", "ctrl+p")
            await type_text(pilot, "Drill: break")
            await press(pilot, "enter")
            await settle(app, pilot)
            assert isinstance(app.screen, DrillScreen)

    asyncio.run(main())


def test_a_clock_tick_while_the_screen_recomposes_does_not_crash(make_app: MakeApp) -> None:
    """The exam and drill clocks tick every second; `recompose` (moving to the next item)
    removes the clock line for a moment. A tick then must wait for the next one, not raise
    NoMatches (seen in a loaded test run: the app died with a traceback)."""
    asyncio.run(_tick_without_clock(make_app))


async def _tick_without_clock(make_app: MakeApp) -> None:
    app, _ = _app(make_app)
    async with app.run_test(size=(80, 24)) as pilot:
        open_exam(app, 3, 1, 10)
        await pilot.pause()
        exam = app.screen
        assert isinstance(exam, ExamScreen)
        await exam.query_one("#exam-clock").remove()
        exam._tick()
        await pilot.pause()
        assert app.screen is exam and app.return_code is None
        await press(pilot, "ctrl+e")
        await settle(app, pilot)
        app.pop_screen()
        open_drill(app, "01-fix-selector")
        await settle(app, pilot)
        drill = app.screen
        await drill.query_one("#drill-clock").remove()
        drill._tick()  # type: ignore[attr-defined]
        await pilot.pause()
        assert app.screen is drill and app.return_code is None
