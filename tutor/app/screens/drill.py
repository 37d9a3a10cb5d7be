"""The break-fix drill screen: the symptom and a running clock; the learner writes the root
cause (graded against the lab's key facts, with what was missing), then fixes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Markdown, Static
from textual.worker import Worker, WorkerState

from tutor.app.glyphs import glyphs
from tutor.cluster.base import Cluster
from tutor.content.loader import Lab
from tutor.labs.session import LabResult, LabSession
from tutor.modes.clock import Clock, mmss
from tutor.modes.drill import DrillRun
from tutor.modes.records import save_drill
from tutor.modes.text import cause_markdown, drill_end_markdown, lab_lines
from tutor.progress.store import ProgressStore


class DrillScreen(Screen[None]):
    """Symptom, then cause, then fix; the report at the end."""

    DEFAULT_CSS = """
    #drill-clock { padding: 0 1; background: $boost; text-style: bold; }
    #drill-body { height: 1fr; padding: 0 1; }
    #drill-note { color: $text-muted; }
    #cause { margin: 1 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "check", "Check the fix", tooltip="Run the lab's checks"),
        Binding("ctrl+e", "end", "End drill", tooltip="Stop and see the root cause"),
        Binding("escape", "back", "Back", tooltip="Leave the drill"),
    ]

    def __init__(
        self,
        lab: Lab,
        *,
        store: ProgressStore | None,
        open_cluster: Callable[[], Cluster],
        plain: bool = False,
        blink: bool = True,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self.lab = lab
        self.store = store
        self.open_cluster = open_cluster
        self.plain = plain
        self.blink = blink
        self.run = DrillRun(lab, clock=clock)
        self.session: LabSession | None = None
        self.ended = False
        self.busy = "Starting"

    def _clock_line(self) -> str:
        phase = "done" if self.ended else "fix it" if self.run.cause else "find the cause"
        busy = f" · {self.busy}" if self.busy else ""
        return f"Drill · {mmss(self.run.timer.elapsed())} · {phase}{busy}"

    def compose(self) -> ComposeResult:
        marks = glyphs(self.plain)
        yield Header(icon=marks.icon)
        yield Static(self._clock_line(), id="drill-clock", markup=False)
        with VerticalScroll(id="drill-body"):
            if self.ended:
                text = drill_end_markdown(self.run, right=marks.right, wrong=marks.wrong)
                yield Markdown(text, id="drill-report")
            else:
                yield Markdown(f"## A user reports\n\n> {self.run.symptom}", id="symptom")
                yield Static(self._where(), id="drill-note", markup=False)
                if self.run.cause is None:
                    yield Input(
                        placeholder="The root cause, in a sentence or two; Enter submits",
                        id="cause",
                    )
                else:
                    yield Markdown(cause_markdown(self.run.cause), id="cause-grade")
                    yield Markdown(self._fix_text(), id="fix-result")
        with Horizontal(id="drill-actions", classes="actions"):
            if self.ended:
                yield Button("Back (Esc)", id="back", compact=True)
            else:
                if self.run.cause is not None:
                    yield Button("Check the fix (c)", id="check", compact=True)
                yield Button("End drill (Ctrl+E)", id="end", compact=True)
        yield Footer()

    def _where(self) -> str:
        if self.session is None:
            return "Setting up the broken system..."
        return (
            f"It runs in namespace {self.session.namespace} on {self.session.cluster.backend}. "
            "Investigate with kubectl (`kube-tutor sim kubeconfig` sets it up); the clock is running."
        )

    def _fix_text(self) -> str:
        if self.run.fix is None:
            return "Now fix it with kubectl (or edit the workspace and `kube-tutor lab apply`), then press **c**."
        marks = glyphs(self.plain)
        return "\n".join(lab_lines(self.run.fix, marks.right, marks.wrong))

    def on_mount(self) -> None:
        """Start the lab and the clock."""
        self.sub_title = f"Break-fix drill: {self.lab.spec.title}"
        self.set_interval(1.0, self._tick)
        self._start()
        if self.query("#cause"):
            cause = self.query_one("#cause", Input)
            cause.cursor_blink = self.blink
            cause.focus()

    def _tick(self) -> None:
        # a tick can fall inside `recompose`, when the clock line is not mounted for a moment
        for clock in self.query("#drill-clock").results(Static):
            clock.update(self._clock_line())

    @work(thread=True, exclusive=True, group="drill", exit_on_error=False)
    def _start(self) -> str:
        self.session = LabSession(self.lab, self.open_cluster(), store=self.store)
        report = self.session.reset()
        return "" if report.ok else f"The lab could not start: {report.error or report.problems[0]}"

    @work(thread=True, exclusive=True, group="drill", exit_on_error=False)
    def _check(self) -> LabResult:
        assert self.session is not None
        result = self.session.check(wait=0.0 if self.session.cluster.backend == "sim" else 20.0)
        self.run.submit_fix(result)
        return result

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The lab started, or a check round is back."""
        if event.worker.group != "drill" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
        ):
            return
        self.busy = ""
        if event.state == WorkerState.ERROR:
            self.notify(str(event.worker.error), severity="error")
        elif isinstance(event.worker.result, str):
            note = event.worker.result or self._where()
            self.query_one("#drill-note", Static).update(note)
            self.refresh_bindings()  # Check needs the session that just started
        elif self.run.fix is not None and self.run.fix.passed:
            await self._finish()
            return
        else:
            self.query_one("#fix-result", Markdown).update(self._fix_text())
        self._tick()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """Grade the written cause; then the fix."""
        if event.input.id != "cause":
            return
        self.run.submit_cause(event.value)
        await self.recompose()
        self.query_one("#check").focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Check once the cause is written; End while it runs; Back always."""
        if action == "check":
            return not self.ended and self.run.cause is not None and self.session is not None
        if action == "end":
            return not self.ended
        return True

    def action_check(self) -> None:
        """Run the lab's checks."""
        self.busy = "Checking"
        self._tick()
        self._check()

    async def _finish(self) -> None:
        self.ended = True
        self.run.timer.stop()
        if self.store is not None:
            save_drill(self.store, self.run)
        await self.recompose()
        self.query_one("#back").focus()
        self.refresh_bindings()

    async def action_end(self) -> None:
        """Stop and see the root cause."""
        if not self.ended:
            await self._finish()

    def action_back(self) -> None:
        """Leave the drill."""
        self.dismiss()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """The buttons under the drill."""
        action = {"check": "check", "end": "end", "back": "back"}.get(event.button.id or "")
        if action:
            await self.run_action(action)
