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
from tutor.app.modes_menu import open_drill, open_exam
from tutor.app.screens.drill import DrillScreen
from tutor.app.screens.exam import ExamScreen
from tutor.modes.clock import FakeClock
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
