"""The symbols the app draws: a Unicode set, and an ASCII set for plain mode."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Glyphs:
    """Symbols for marks and markers; every one is paired with a word where it is shown."""

    done: str
    """Before something finished: a lesson read, a quiz passed, a lab passed."""
    todo: str
    """Before something not finished yet."""
    right: str
    """Before a right answer."""
    wrong: str
    """Before a wrong answer."""
    waiting: str
    """Before a lab check that is still converging or not run yet."""
    expanded: str
    """Tree node that is open."""
    collapsed: str
    """Tree node that is closed."""
    guides: tuple[str, str, str, str]
    """Tree guide lines: space, vertical, last branch, branch."""
    icon: str
    """The header icon (it opens the command palette)."""


FANCY = Glyphs(
    done="✔",
    todo="·",
    right="✔",
    wrong="✘",
    waiting="○",
    expanded="▼ ",
    collapsed="▶ ",
    guides=("  ", "│ ", "└─", "├─"),
    icon="⎈",
)
PLAIN = Glyphs(
    done="[x]",
    todo="[ ]",
    right="[+]",
    wrong="[-]",
    waiting="[~]",
    expanded="v ",
    collapsed="> ",
    guides=("  ", "| ", "`-", "|-"),
    icon="*",
)


def glyphs(plain: bool) -> Glyphs:
    """The glyph set for the mode."""
    return PLAIN if plain else FANCY
