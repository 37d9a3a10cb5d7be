"""The exam screen: a timed paper, one item at a time, the clock always in view; no
explanations until the end, then the report with every answer, verdict and time spent."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Markdown, Static
from textual.worker import Worker, WorkerState

from tutor.app.glyphs import glyphs
from tutor.app.screens.confirm import ConfirmDialog
from tutor.app.widgets.question_view import QuestionView
from tutor.cluster.base import Cluster
from tutor.content.loader import Lab
from tutor.labs.session import LabResult, LabSession
from tutor.modes.clock import Clock, mmss
from tutor.modes.exam import ExamRun, Paper, TimeUp
from tutor.modes.records import save_exam
from tutor.modes.text import report_markdown
from tutor.progress.store import ProgressStore


class ExamScreen(Screen[None]):
    """Sits a paper: answers are recorded silently; a lab is graded when left or at time."""

    DEFAULT_CSS = """
    #exam-clock { padding: 0 1; background: $boost; text-style: bold; }
    #exam-body { height: 1fr; padding: 0 1; }
    #exam-note { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Submit", priority=True, tooltip="Record the answer, go on"),
        Binding(
            "ctrl+n", "next", "Next / skip", priority=True, tooltip="Go on (a lab is graded now)"
        ),
        # Plain n as well where no text field takes the key (a lab, a choice list).
        Binding("n", "next", "Next / skip", show=False),
        # Priority: the YAML editor would take Ctrl+E as "end of line".
        Binding(
            "ctrl+e", "end", "End exam", priority=True, tooltip="End the exam and see the report"
        ),
        Binding("escape", "back", "Back", tooltip="Leave (after the report)"),
    ]

    def __init__(
        self,
        paper: Paper,
        *,
        store: ProgressStore | None,
        open_cluster: Callable[[], Cluster],
        plain: bool = False,
        blink: bool = True,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.open_cluster = open_cluster
        self.plain = plain
        self.blink = blink
        self.sessions: dict[str, LabSession] = {}
        self.run = ExamRun(paper, check_lab=self._check_lab, clock=clock)
        self.busy = ""
        """What a worker is doing now (the clock line says so), or ''."""
        self.saved = False

    # -- labs (called from worker threads) ---------------------------------------------

    def _session(self, lab: Lab) -> LabSession:
        if lab.id not in self.sessions:
            self.sessions[lab.id] = LabSession(lab, self.open_cluster(), store=self.store)
        return self.sessions[lab.id]

    def _check_lab(self, lab: Lab) -> LabResult:
        session = self._session(lab)
        return session.check(wait=0.0 if session.cluster.backend == "sim" else 20.0)

    # -- layout -------------------------------------------------------------------------

    def _clock_line(self) -> str:
        run = self.run
        paper = run.paper
        if run.finished:
            return f"Exam {paper.fingerprint} · finished · score {run.report().score:.0%}"
        left = run.timer.remaining()
        clock = f"{mmss(left)} left" if left is not None else f"{mmss(run.timer.elapsed())} spent"
        item = run.current
        where = f"item {run.index + 1} of {len(paper.items)}"
        topic = f" · {item.topic}" if item is not None else ""
        busy = f" · {self.busy}" if self.busy else ""
        return f"{clock} · {where}{topic}{busy}"

    def compose(self) -> ComposeResult:
        yield Header(icon=glyphs(self.plain).icon)
        yield Static(self._clock_line(), id="exam-clock", markup=False)
        item = self.run.current
        with VerticalScroll(id="exam-body"):
            if item is None:
                marks = glyphs(self.plain)
                text = report_markdown(self.run.report(), right=marks.right, wrong=marks.wrong)
                yield Markdown(text, id="exam-report")
            elif item.question is not None:
                yield QuestionView(
                    item.question, seed=self.run.paper.seed, blink=self.blink, id="question"
                )
                yield Static("", id="exam-note", markup=False)
            else:
                assert item.lab is not None
                yield Markdown(f"## Lab: {item.lab.spec.title}\n\n{item.lab.spec.task.strip()}")
                yield Static("Starting the lab...", id="exam-note", markup=False)
        with Horizontal(id="exam-actions", classes="actions"):
            if item is None:
                yield Button("Back (Esc)", id="back", compact=True)
            else:
                if item.question is not None:
                    yield Button("Submit (Ctrl+S)", id="submit", compact=True)
                yield Button("Next (Ctrl+N)", id="next", compact=True)
                yield Button("End exam (Ctrl+E)", id="end", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        """Start the clock's refresh and the first item."""
        paper = self.run.paper
        self.sub_title = f"Exam {paper.fingerprint} (seed {paper.seed})"
        self.set_interval(1.0, self._tick)
        self._enter_item()

    def _enter_item(self) -> None:
        item = self.run.current
        if item is None:
            self._save()
            self.query_one("#exam-body").focus()  # the report scrolls with the keys
        elif item.question is not None:
            self.query_one(QuestionView).answer_widget.focus()
        else:
            assert item.lab is not None
            self.busy = "Starting the lab"
            self._start_lab(item.lab)

    def _save(self) -> None:
        if not self.saved and self.store is not None:
            save_exam(self.store, self.run.report())
            self.saved = True

    # -- the clock ----------------------------------------------------------------------

    def _tick(self) -> None:
        if not self.busy and not self.run.finished and self.run.timer.expired:
            self._step("Time is up: grading", lambda: self.run.finish(reason="time"))
            return
        self._show_clock()

    def _show_clock(self) -> None:
        # A tick can fall inside `recompose` (between removing and mounting the children):
        # the clock line is then not there for a moment, and the next tick draws it.
        for clock in self.query("#exam-clock").results(Static):
            clock.update(self._clock_line())

    # -- workers ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="exam-lab", exit_on_error=False)
    def _start_lab(self, lab: Lab) -> str:
        session = self._session(lab)
        report = session.reset()
        if not report.ok:
            return f"The lab could not start: {report.error or report.problems[0]}"
        return (
            f"Namespace {session.namespace} on {session.cluster.backend}. Work with kubectl "
            "(`kube-tutor sim kubeconfig` sets it up) or edit the workspace and run "
            f"`kube-tutor lab apply {lab.id}`. Press n when done: the lab is graded by its checks."
        )

    def _step(self, busy: str, action: Callable[[], None]) -> None:
        self.busy = busy
        self._show_clock()
        self._do(action)

    @work(thread=True, exclusive=True, group="exam-step", exit_on_error=False)
    def _do(self, action: Callable[[], None]) -> None:
        action()

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A lab started, or a step (grading a lab, moving on) finished."""
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        if event.worker.group == "exam-lab":
            self.busy = ""
            self._show_clock()
            self.refresh_bindings()
            note = str(
                event.worker.result if event.state == WorkerState.SUCCESS else event.worker.error
            )
            if self.query("#exam-note"):
                self.query_one("#exam-note", Static).update(note)
        elif event.worker.group == "exam-step":
            self.busy = ""
            if event.state == WorkerState.ERROR:
                self.notify(f"Could not grade the lab: {event.worker.error}", severity="error")
            await self.recompose()
            self._enter_item()
            self.refresh_bindings()

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Submit on questions; Next and End while the exam runs; Back after it."""
        item = self.run.current
        if action == "submit":
            return item is not None and item.question is not None and not self.busy
        if action in ("next", "end"):
            return item is not None and not self.busy
        if action == "back":
            return self.run.finished
        return True

    def action_submit(self) -> None:
        """Submit the answer on screen."""
        if self.run.current is not None and self.run.current.question is not None:
            self.query_one(QuestionView).submit()

    def on_question_view_answered(self, message: QuestionView.Answered) -> None:
        """Record the answer silently and go on; a YAML slip is pointed out, not counted."""
        note = self.query_one("#exam-note", Static)
        if message.answer is None:
            note.update("Nothing to submit yet: give an answer, or press Ctrl+N to skip.")
            return
        try:
            graded = self.run.answer(message.answer)
        except TimeUp:
            self._step("Time is up: grading", lambda: None)
            return
        except ValueError as exc:
            note.update(f"That answer cannot be graded: {exc}.")
            return
        if graded.retry:
            note.update(f"Not counted: {'; '.join(graded.feedback)}")
            return
        self._step("Recorded", self.run.advance)

    def action_next(self) -> None:
        """Go on without answering (a lab is graded by its checks now)."""
        busy = "Grading the lab" if self.run.current and self.run.current.lab else "Skipped"
        self._step(busy, self.run.advance)

    def action_end(self) -> None:
        """End the exam now, after a confirmation."""

        def answered(yes: bool | None) -> None:
            if yes:
                self._step("Ending: grading", self.run.finish)

        self.app.push_screen(
            ConfirmDialog("End the exam?", "Unanswered items count 0.", "End exam"), answered
        )

    def action_back(self) -> None:
        """Leave after the report."""
        if self.run.finished:
            self.dismiss()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """The buttons under the item."""
        action = {"submit": "submit", "next": "next", "end": "end", "back": "back"}.get(
            event.button.id or ""
        )
        if action:
            await self.run_action(action)
