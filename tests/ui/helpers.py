"""Small helpers for Pilot tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from tutor.app.app import KubeTutorApp

PACK = Path(__file__).parent / "pack"
"""Two small lessons (every question type) and one lab; stable text for snapshots."""
BROKEN_PACK = Path(__file__).parent / "broken_pack"
"""One good lesson and one lesson whose front matter is invalid."""

MakeApp = Callable[..., KubeTutorApp]
"""`make_app(pack=PACK, *, plain=False)` from the conftest fixture."""


def screen_text(app: App[Any]) -> str:
    """What the terminal shows now, as plain text."""
    # Textual is pinned exactly, so reading the compositor's strips is stable.
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press keys one at a time, letting the app settle after each."""
    for key in keys:
        await pilot.press(key)
        await pilot.pause()


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type text character by character."""
    await pilot.press(*text)
    await pilot.pause()


async def until(
    app: App[Any], pilot: Pilot[Any], ready: Callable[[], bool], tries: int = 200
) -> None:
    """Let the app run (workers and messages) until `ready()` holds. Background work that
    starts after the first paint (`call_after_refresh`) may not exist yet when a test first
    waits for the workers on a loaded machine, so one wait is not enough."""
    for _ in range(tries):
        await pilot.pause()
        await app.workers.wait_for_complete()
        if ready():
            await pilot.pause()  # what the finished worker posted (a redraw)
            return
    raise AssertionError("the app did not get there")


async def course_loaded(app: KubeTutorApp, pilot: Pilot[Any]) -> None:
    """Wait until the app's background load has the full course and the store."""
    await until(app, pilot, lambda: app.course is not None and app.store is not None)
