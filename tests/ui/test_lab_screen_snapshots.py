"""SVG snapshots of the lab screen after its cluster work, at 80x24 and 120x40."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tests.ui.helpers import MakeApp, press
from tests.ui.test_lab_screen import settle
from tutor.app.app import KubeTutorApp

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

# Key presses after the lab of tests/ui/pack has opened and run its first check round.
STATES = {
    "failing": [],
    "hint": ["h", "h"],
    "trace": ["t"],
    "map": ["m"],
    "done": ["s", "y"],
}

Compare = Callable[..., bool]


def keys_then_settle(keys: list[str]) -> Callable[[Pilot[None]], object]:
    """Open the lab from the course map, wait for its checks, press keys, wait again."""

    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KubeTutorApp)
        await press(pilot, "down", "enter")
        await settle(app, pilot)
        for key in keys:
            await press(pilot, key)
            await settle(app, pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("state", list(STATES))
def test_lab_screen(
    snap_compare: Compare, make_app: MakeApp, state: str, size: tuple[int, int]
) -> None:
    """The lab with failing checks, with two hints taken, with a trace shown, its live map,
    and done (the status line names the next step)."""
    app = make_app()
    assert snap_compare(app, run_before=keys_then_settle(STATES[state]), terminal_size=size)


def test_plain_apply_problem_in_editor(snap_compare: Compare, make_app: MakeApp) -> None:
    """Plain mode: a syntax error saved in the editor, shown with file:line, cursor on it."""
    keys = ["e", "ctrl+n", *["down"] * 5, "end", "backspace", "ctrl+s"]
    app = make_app(plain=True)
    assert snap_compare(app, run_before=keys_then_settle(keys), terminal_size=(80, 24))


def test_plain_map_after_trace(snap_compare: Compare, make_app: MakeApp) -> None:
    """Plain mode: the map in ASCII with the traced path and the broken hop in words."""
    app = make_app(plain=True)
    assert snap_compare(app, run_before=keys_then_settle(["t", "m"]), terminal_size=(120, 40))


def test_plain_file_tabs_say_every_state(snap_compare: Compare, make_app: MakeApp) -> None:
    """Plain mode: the file shown is `[x]` in its tab and an edited one says `(edited)`; no
    underline bar or shade carries a state alone (issue 15 item 11)."""
    keys = ["e", "ctrl+n", "x"]
    app = make_app(plain=True)
    assert snap_compare(app, run_before=keys_then_settle(keys), terminal_size=(80, 24))
