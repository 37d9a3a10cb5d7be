"""The class report screen: a classroom's learners x labs and quizzes, read in a worker from
the same function `kube-tutor class report` prints (tutor.modes.classroom_report)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static
from textual.worker import Worker, WorkerState

from tutor.app.glyphs import glyphs
from tutor.modes.classroom_report import DEFAULT_CLASSROOM, ClassReport

LoadReport = Callable[[str], ClassReport]
"""Reads the report of the classroom of that name (runs in a thread: it does I/O)."""

FOOT_NOTE = (
    "r: read again · Tab: the classroom's name (Enter reads it) · "
    "CSV or HTML: kube-tutor class report --csv / --html FILE"
)


class ClassReportScreen(Screen[None]):
    """Shows a classroom's report; says why when there is none to read, and stays open."""

    DEFAULT_CSS = """
    #class-bar { height: 1; padding: 0 1; }
    #class-bar Label { padding: 0 1 0 0; }
    #class-name { width: 32; height: 1; border: none; padding: 0; }
    #class-status { height: auto; padding: 0 1; text-style: bold; }
    #class-table { height: 1fr; }
    #class-foot { height: auto; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Read again", tooltip="Read the learners' results again"),
        Binding("escape", "back", "Back", tooltip="Leave the class report"),
    ]

    def __init__(
        self, load: LoadReport, *, classroom: str = DEFAULT_CLASSROOM, plain: bool = False
    ) -> None:
        super().__init__()
        self.load = load
        self.classroom = classroom
        self.plain = plain
        self.busy = ""
        """What is being read (empty when idle): tests wait on it, the status line says it."""
        self.report: ClassReport | None = None
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon=glyphs(self.plain).icon)
        with Horizontal(id="class-bar"):
            yield Label("Classroom:")
            yield Input(self.classroom, id="class-name", compact=True)
        yield Static("", id="class-status", markup=False)
        yield DataTable(id="class-table", zebra_stripes=True, cursor_type="row")
        yield Static(FOOT_NOTE, id="class-foot", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Title the screen, start reading, and focus the table."""
        self.sub_title = "Class report"
        self.query_one(DataTable).focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        """Read the classroom named in the field again (off the UI thread)."""
        name = self.query_one("#class-name", Input).value.strip() or DEFAULT_CLASSROOM
        self.classroom = name
        self.busy = f"Reading classroom {name}..."
        self.query_one("#class-status", Static).update(self.busy)
        self._read(name)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the name field reads that classroom."""
        event.stop()
        self.action_refresh()
        self.query_one(DataTable).focus()

    @work(thread=True, exclusive=True, group="class-report", exit_on_error=False)
    def _read(self, name: str) -> ClassReport:
        return self.load(name)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the report read, or why there is none."""
        if event.worker.group != "class-report" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
        ):
            return
        self.busy = ""
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, ClassReport):
            self._show(event.worker.result)
        else:
            self._failed(event.worker.error)

    def _show(self, report: ClassReport) -> None:
        self.report, self.error = report, None
        self.query_one("#class-status", Static).update(report.summary())
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*report.columns)
        for row in report.rows:
            table.add_row(*row)

    def _failed(self, error: BaseException | None) -> None:
        # A missing classroom, an unreachable or refusing cluster: say so, keep the screen.
        words = str(error) or type(error).__name__  # a ClusterError's text carries its hint
        self.report, self.error = None, words
        self.query_one("#class-status", Static).update(f"No class report: {words}")
        self.query_one(DataTable).clear(columns=True)

    def action_back(self) -> None:
        """Back to where the report was opened."""
        self.dismiss()
