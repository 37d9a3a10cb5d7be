"""A scrolling page of pre-rendered lines: the lesson reader's text.

Rendering a lesson's Markdown is the slow part of moving between lessons (Textual's Markdown
widget mounts a widget per block; even Rich's Markdown took ~40 ms and ran twice per frame,
once to measure and once to paint). Here a page is rendered once, to lines at the view's
width (in a worker for the neighbouring lessons, ahead of time), and painted line by line.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

Lines = list[Strip]


def render_lines(renderable: RenderableType, width: int) -> Lines:
    """A Rich renderable as strips of `width` cells (safe in a worker thread: its own
    console)."""
    console = Console(
        width=width, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    lines = console.render_lines(renderable, console.options.update_width(width), pad=False)
    null = Style.null()  # filters (plain mode's monochrome) expect a style on every segment
    return [
        Strip(
            [Segment(t, s or null, c) for t, s, c in Segment.adjust_line_length(line, width)], width
        )
        for line in lines
    ]


class PageView(ScrollView, can_focus=True):
    """Shows one page of lines; pages are cached by key and width."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: Lines = []
        self.cache: dict[tuple[str, int], Lines] = {}

    @property
    def page_width(self) -> int:
        """Cells a line may use (the view less its scrollbar)."""
        return max(20, self.scrollable_content_region.width or self.size.width or 78)

    def show(self, key: str, make: Callable[[int], RenderableType]) -> None:
        """Show page `key` (rendered by `make(width)` unless cached), from the top."""
        width = self.page_width
        lines = self.cache.get((key, width))
        if lines is None:
            lines = render_lines(make(width), width)
            self.cache[(key, width)] = lines
        self.lines = lines
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.virtual_size = Size(width, len(lines))
        self.refresh()

    def prepare(self, key: str, make: Callable[[int], RenderableType], width: int) -> None:
        """Render a page ahead of time into the cache (call from a worker thread)."""
        if (key, width) not in self.cache:
            self.cache[(key, width)] = render_lines(make(width), width)

    def render_line(self, y: int) -> Strip:
        """One line of the page at the scroll position."""
        index = y + int(self.scroll_offset.y)
        if index >= len(self.lines):
            return Strip.blank(self.size.width)
        return self.lines[index].crop(0, self.size.width)

    @property
    def text(self) -> str:
        """The page as plain text (for tests and screen readers' sake)."""
        return "\n".join(strip.text for strip in self.lines)
