"""A text editor for YAML, with highlighting from a small built-in highlighter and YAML keys.

Shared by the lab's workspace editor and the quiz's manifest questions. With `indent_keys`,
Enter keeps the indentation (one step more after `key:` or inside a `- ` item) and Tab
indents by two spaces; Esc then leaves the editor (Textual's TextArea moves the focus on).
"""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea

from tutor.app.yaml_highlight import highlight_line

INDENT = 2
"""Spaces per indentation step (the course's manifests use two)."""


def next_indent(line: str) -> str:
    """The indentation of a new line typed after `line` (the text before the cursor)."""
    stripped = line.strip()
    width = len(line) - len(line.lstrip(" "))
    if stripped.startswith("- ") or stripped == "-":
        width += INDENT  # the item's keys line up after the dash
    if stripped.endswith(":") and not stripped.startswith("#"):
        width += INDENT  # a mapping or list opens under this key
    return " " * width


class YamlEditor(TextArea):
    """Edits a manifest; keys, values, dashes and comments are highlighted."""

    def __init__(self, text: str = "", *, id: str | None = None, indent_keys: bool = False) -> None:
        super().__init__(
            text,
            id=id,
            show_line_numbers=True,
            tab_behavior="indent" if indent_keys else "focus",
            soft_wrap=False,
        )
        self.indent_width = INDENT
        self.indent_keys = indent_keys
        """Enter keeps the indentation and Tab indents (the lab's and the quiz's editors)."""

    async def _on_key(self, event: events.Key) -> None:
        if self.indent_keys and event.key == "enter" and not self.read_only:
            event.stop()
            event.prevent_default()
            self._restart_blink()
            start, end = self.selection
            row, column = min(start, end)
            before = self.document.get_line(row)[:column]
            self._replace_via_keyboard("\n" + next_indent(before), start, end)
            return
        await super()._on_key(event)

    def _build_highlight_map(self) -> None:
        # TextArea highlights only through tree-sitter, which is not a dependency here;
        # this fills the same line -> highlights map from a regex highlighter (Textual is
        # pinned exactly, so this private hook is stable).
        self._line_cache.clear()
        self._highlights.clear()
        for number, line in enumerate(self.document.lines):
            found = highlight_line(line)
            if found:
                self._highlights[number] = list(found)

    def go_to_line(self, line: int) -> None:
        """Put the cursor at the start of a 1-based line and show it."""
        row = max(0, min(line - 1, self.document.line_count - 1))
        self.cursor_location = (row, 0)
        self.scroll_cursor_visible(center=True)
