"""A text editor for YAML answers, with highlighting from a small built-in highlighter."""

from __future__ import annotations

from textual.widgets import TextArea

from tutor.app.yaml_highlight import highlight_line


class YamlEditor(TextArea):
    """Edits a manifest; keys, values, dashes and comments are highlighted."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(
            text,
            id=id,
            show_line_numbers=True,
            tab_behavior="focus",
            soft_wrap=False,
        )

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
