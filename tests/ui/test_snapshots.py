"""SVG snapshots of every screen at 80x24 and 120x40 (pytest-textual-snapshot, pinned Textual)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.ui.helpers import BROKEN_PACK, MakeApp

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

# Key presses from the course map to each screen of tests/ui/pack.
SCREENS = {
    "home": [],
    "lesson": ["enter"],
    "quiz_question": ["down", "down", "enter", "down"],
    "quiz_feedback": ["down", "down", "enter", "a", "c", "ctrl+s"],
    # With the UI tests' quiz seed, `b` is ClusterIP and the order starts Client, Pod, Service.
    "quiz_yaml": ["enter", "q", "b", "ctrl+s", "n", "a", "b", "ctrl+s", "n", "f", "ctrl+s", "n"]
    + ["p", "o", "r", "t", "enter", "n", "down", "d", "ctrl+s", "n"],
    "help": ["f1"],
}
# The lab screen's snapshots (after its cluster work) are in test_lab_screen_snapshots.py.

Compare = Callable[..., bool]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(
    snap_compare: Compare, make_app: MakeApp, screen: str, size: tuple[int, int]
) -> None:
    """Each screen of the app over the fixed pack."""
    assert snap_compare(make_app(), press=SCREENS[screen], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_home_with_broken_content(
    snap_compare: Compare, make_app: MakeApp, size: tuple[int, int]
) -> None:
    """The notice naming the broken file above the course map."""
    assert snap_compare(make_app(BROKEN_PACK), terminal_size=size)


def test_plain_quiz_feedback(snap_compare: Compare, make_app: MakeApp) -> None:
    """Plain mode: no colour, ASCII marks and borders."""
    keys = SCREENS["quiz_feedback"]
    assert snap_compare(make_app(plain=True), press=keys, terminal_size=(80, 24))
