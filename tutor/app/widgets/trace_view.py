"""The trace view: a field for the request to trace, and its path hop by hop."""

from __future__ import annotations

import textwrap

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from tutor.cluster.sim.trace import WIDTH
from tutor.labs.trace import TraceReport

PROMPT = (
    "Press t to trace the request of the first failing traffic check, or type a target "
    "(http://web/, web:80, or a DNS name) and press Enter."
)


def trace_content(report: TraceReport, plain: bool, width: int = WIDTH) -> Content:
    """The rendered trace at `width`; the failing hop and the verdict lines are coloured
    (and marked)."""
    lines: list[Content] = []
    bad = "[FAIL]" if plain else "✘"
    good = "[ok]" if plain else "✔"
    for line in _fit(report.render(plain=plain, width=width).splitlines(), width):
        if line.startswith(bad) or line.startswith("Why ("):
            lines.append(Content.styled(line, "$text-error bold"))
        elif line.startswith(good):
            lines.append(Content.styled(line, "$text-success"))
        elif line.startswith("Result: "):
            lines.append(Content.styled(line, "bold"))
        else:
            lines.append(Content(line))
    return Content("\n").join(lines)


def _fit(lines: list[str], width: int = WIDTH) -> list[str]:
    """Wrap the few lines longer than the trace width (the `Why` lines) to fit it."""
    fitted: list[str] = []
    for line in lines:
        if len(line) <= width:
            fitted.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()) + 4)
        fitted.extend(textwrap.wrap(line, width, subsequent_indent=indent))
    return fitted


class TraceView(Vertical):
    """Traces one request through the lab's cluster and shows every hop with its reason."""

    class Requested(Message):
        """The learner asked to trace a target they typed."""

        def __init__(self, target: str) -> None:
            super().__init__()
            self.target = target

    def __init__(self, *, plain: bool, blink: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plain = plain
        self.blink = blink
        self.report: TraceReport | None = None
        """The trace on show (drawn again at the new width when the terminal is resized)."""

    def compose(self) -> ComposeResult:
        field = Input(
            placeholder="http://web/, web:80 or a DNS name; Enter traces it",
            id="trace-target",
            select_on_focus=False,  # Backspace must edit the target, not wipe it
        )
        field.cursor_blink = self.blink
        with Horizontal(id="trace-bar"):
            yield Static("Trace", id="trace-label")
            yield field
        with VerticalScroll(id="trace-scroll", can_focus=True):
            yield Static(PROMPT, id="trace-text")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the target field: ask for a trace."""
        event.stop()
        if event.value.strip():
            self.post_message(self.Requested(event.value.strip()))

    def set_target(self, target: str) -> None:
        """Show the target being traced in the field."""
        self.query_one(Input).value = target

    def show_tracing(self, target: str) -> None:
        """Say that a trace is running."""
        self.query_one("#trace-text", Static).update(Content(f"Tracing {target} ..."))

    def _width(self) -> int:
        """Columns the trace may use: the scroll area's, less its padding and scrollbar."""
        scroll = self.query_one("#trace-scroll")
        inner = scroll.scrollable_content_region.width
        return max(40, inner - 1) if inner else WIDTH

    def show_report(self, report: TraceReport) -> None:
        """Show a finished trace, wrapped to the width of the view."""
        self.report = report
        self.query_one("#trace-text", Static).update(
            trace_content(report, self.plain, self._width())
        )
        self.query_one("#trace-scroll").scroll_home(animate=False)

    def on_resize(self) -> None:
        """Reflow the trace to the new width."""
        if self.report is not None:
            self.query_one("#trace-text", Static).update(
                trace_content(self.report, self.plain, self._width())
            )

    def show_message(self, text: str) -> None:
        """Say why there is no trace to show."""
        self.report = None
        self.query_one("#trace-text", Static).update(Content(text))
