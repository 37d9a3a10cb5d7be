"""The lab screen: the task, the workspace in an editor, the live check list, hints, traces.

Cluster work (start, apply, check, reset, solve, trace) runs in a thread worker that reports
back by message, one job at a time; while one runs, the keys that need the cluster wait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.events import DescendantBlur, DescendantFocus
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, Static, TabbedContent, TabPane, TextArea

from tutor.app.glyphs import glyphs
from tutor.app.messages import OpenLesson
from tutor.app.screens.confirm import ConfirmDialog
from tutor.app.widgets.check_list import CheckLine, CheckList
from tutor.app.widgets.trace_view import TraceView
from tutor.app.widgets.workspace_editor import WorkspaceEditor
from tutor.checks.context import Unresolved
from tutor.checks.registry import title_of
from tutor.cluster.base import Cluster, ClusterError
from tutor.content.loader import Course, Lab
from tutor.labs.session import ApplyReport, LabResult, LabSession
from tutor.labs.trace import TraceReport, check_request, check_to_trace, run_trace, target_request
from tutor.labs.workspace import manifest_files, workspace_root
from tutor.progress.store import ProgressStore

BACKEND_NAMES = {"sim": "simulator", "kind": "kind cluster", "context": "your cluster"}
CLUSTER_ACTIONS = {"apply", "check", "hint", "trace", "reset", "solve"}
BUSY_NOTES = {
    "open": "Starting the lab...",
    "apply": "Applying the workspace, then checking...",
    "check": "Checking...",
    "reset": "Resetting to the start files...",
    "solve": "Applying the reference solution...",
}
DONE_NOTES = {
    "open": "Lab started.",
    "resume": "Your files from last time were applied.",
    "apply": "Applied.",
    "reset": "Back to the start files.",
    "solve": "Solution applied.",
}


def lab_markdown(course: Course, lab: Lab) -> str:
    """The lab's task, what it practises, and how to work on it from this screen."""
    spec = lab.spec
    lesson = course.lesson(spec.lesson)
    practises = lesson.meta.title if lesson else spec.lesson
    needs = ", ".join(spec.requires) or "nothing special"
    return (
        f"{spec.task.strip()}\n\n"
        f"*A {spec.kind} lab, about {spec.minutes} min. Practises: {practises} (key o). "
        f"Needs: {needs}.*\n\n"
        "**How to work**\n\n"
        "- **e** opens the workspace files; **Ctrl+S** saves, applies and checks them; "
        "**Esc** leaves the editor.\n"
        "- **c** checks again; **h** gives a hint for the first failing check, one step "
        "more each time.\n"
        "- **t** traces a request hop by hop; **r** starts over; **s** applies the solution.\n"
    )


class LabScreen(Screen[None]):
    """Works on one lab: edit the workspace, apply it, and watch the checks turn green."""

    # Checks and traces have long lines: side by side only when both get 80 columns.
    HORIZONTAL_BREAKPOINTS = [(0, "-stacked"), (160, "-side")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to where the lab was opened"),
        Binding("a", "apply", "Apply", tooltip="Save edits, apply the workspace and check"),
        Binding("c", "check", "Check", tooltip="Run the checks again"),
        Binding("h", "hint", "Hint", tooltip="Next hint for the first failing check"),
        Binding("t", "trace", "Trace", tooltip="Trace the first failing traffic check's request"),
        Binding("r", "reset", "Reset", tooltip="Back to the start files (asks first)"),
        Binding("s", "solve", "Solve", tooltip="Apply the reference solution (asks first)"),
        Binding("e", "edit", "Edit", show=False, tooltip="Edit the workspace files"),
        Binding("i", "task", "Task", show=False, tooltip="Show the task"),
        Binding(
            "o",
            "lesson",
            "Lesson",
            show=False,
            tooltip="Open its lesson (the one this lab practises)",
        ),
    ]

    class RoundDone(Message):
        """A job on the cluster finished: what was applied and how the checks went."""

        def __init__(
            self,
            job: str,
            session: LabSession | None,
            report: ApplyReport | None = None,
            result: LabResult | None = None,
            error: str | None = None,
            internal: bool = False,
        ) -> None:
            super().__init__()
            self.job = job
            self.session = session
            self.report = report
            self.result = result
            self.error = error
            self.internal = internal
            """True when the error is a bug in kube-tutor, not the cluster's answer."""

    class TraceDone(Message):
        """A trace finished (or could not be made, with the reason)."""

        def __init__(self, target: str, report: TraceReport | None, error: str = "") -> None:
            super().__init__()
            self.target = target
            self.report = report
            self.error = error

    def __init__(
        self,
        course: Course,
        lab: Lab,
        *,
        store: ProgressStore | None,
        open_cluster: Callable[[], Cluster],
        backend: str,
        plain: bool,
        blink: bool = True,
    ) -> None:
        super().__init__()
        self.course = course
        self.lab = lab
        self.store = store
        self.open_cluster = open_cluster
        self.backend = backend
        self.plain = plain
        self.blink = blink
        self.workspace = workspace_root() / lab.id
        self.session: LabSession | None = None
        self.result: LabResult | None = None
        self.busy = False
        self.apply_waiting = False
        used = store.hints_used(lab.id) if store is not None else {}
        self.hints = {h.check: h.tiers[: used.get(h.check, 0)] for h in lab.spec.hints}

    def compose(self) -> ComposeResult:
        yield Header(icon=glyphs(self.plain).icon)
        with Horizontal(id="lab-status"):
            yield Static(
                f"Cluster: {BACKEND_NAMES.get(self.backend, self.backend)}", id="lab-backend"
            )
            yield Static("", id="lab-note", markup=False)
        with Horizontal(id="lab-main"):
            with TabbedContent(id="lab-tabs"):
                with TabPane("Task (i)", id="pane-task"), VerticalScroll(id="lab-task"):
                    yield Markdown(lab_markdown(self.course, self.lab), open_links=False)
                with TabPane("Files (e)", id="pane-files"):
                    yield WorkspaceEditor(self.workspace, blink=self.blink, id="workspace")
                with TabPane("Trace (t)", id="pane-trace"):
                    yield TraceView(plain=self.plain, blink=self.blink, id="trace")
            lines = [CheckLine(spec.id, title_of(spec)) for spec in self.lab.spec.checks]
            yield CheckList(lines, plain=self.plain, id="check-list")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        """Show what is known at once, then start the lab (or apply the kept workspace)."""
        self.sub_title = f"Lab: {self.lab.spec.title}"
        await self.query_one(CheckList).show_hints(self.hints)
        self.query_one("#lab-task").focus()
        if self.workspace.is_dir():
            await self.query_one(WorkspaceEditor).load()
        self._start("open")

    # -- running jobs -------------------------------------------------------------------

    def _note(self, text: str) -> None:
        self.query_one("#lab-note", Static).update(text)

    def _start(self, job: str, target: str | None = None) -> None:
        self.busy = True
        if job != "trace":
            self.query_one(CheckList).show_checking()
            self._note(BUSY_NOTES.get(job, ""))
        self.refresh_bindings()
        self._run(job, target)

    @work(thread=True, group="lab", exit_on_error=False)
    def _run(self, job: str, target: str | None) -> None:
        try:
            message: Message = self._job(job, target)
        except Exception as exc:  # any failure must end the busy state
            error = f"{type(exc).__name__}: {exc}"
            message = self.RoundDone(job, self.session, error=error, internal=True)
        self.post_message(message)

    def _job(self, job: str, target: str | None) -> Message:
        """Runs in the worker thread: the cluster calls of one job."""
        session = self.session
        report: ApplyReport | None = None
        try:
            if session is None:
                session = LabSession(
                    self.lab, self.open_cluster(), store=self.store, workspace=self.workspace
                )
                kept = self.workspace.is_dir() and bool(manifest_files(self.workspace))
                report = session.apply() if kept else session.start()
                job = "resume" if kept and job == "open" else job
            if job == "trace":
                return self._trace(session, target)
            if job == "apply" and report is None:
                report = session.apply()
            elif job == "reset":
                report = session.reset()
            elif job == "solve":
                report = session.solve()
            failed = report is not None and not report.ok and job not in ("open", "resume")
            return self.RoundDone(job, session, report, None if failed else session.check())
        except ClusterError as exc:
            return self.RoundDone(job, session, report, error=str(exc))

    def _trace(self, session: LabSession, target: str | None) -> Message:
        ctx = session.context()
        try:
            if target is None:
                verdicts = self.result.verdicts if self.result else []
                spec = check_to_trace(self.lab.spec.checks, verdicts)
                traced = check_request(ctx, spec) if spec else None
                if traced is None:
                    return self.TraceDone("", None, "This lab has no traffic check to trace.")
            else:
                traced = target_request(ctx, target)
            return self.TraceDone(traced.label, run_trace(ctx, traced))
        except Unresolved as exc:
            return self.TraceDone(target or "", None, f"Cannot trace this yet: {exc}.")

    async def on_lab_screen_round_done(self, message: RoundDone) -> None:
        """Show what the job did: problems with file and line, or the new check states."""
        self.busy = False
        self.session = message.session or self.session
        editor = self.query_one(WorkspaceEditor)
        if message.job in ("open", "resume", "reset", "solve"):
            await editor.load()
        else:
            await editor.sync()
        checks = self.query_one(CheckList)
        if message.result is not None:
            self.result = message.result
            await checks.show_verdicts(message.result.verdicts)
            self._note(self._summary(message.job, message.result))
        report = message.report
        if report is not None and not report.ok:
            await self._show_problems(report)
        elif message.error and message.internal:
            await checks.show_problems([message.error], "Something went wrong in kube-tutor:")
            self._note("An internal error stopped this step; r resets the lab if it persists.")
        elif message.error:
            await checks.show_problems([message.error], "The cluster did not answer:")
            self._note("The cluster could not be reached; press c to try again.")
        self.refresh_bindings()
        if self.apply_waiting:
            self.apply_waiting = False
            self._start("apply")

    def _summary(self, job: str, result: LabResult) -> str:
        done = DONE_NOTES.get(job, "Checked.")
        if result.passed:
            return f"{done} Every check passes: lab done!"
        passed = sum(1 for v in result.verdicts if v.passed)
        return f"{done} {passed} of {len(result.verdicts)} checks pass."

    async def _show_problems(self, report: ApplyReport) -> None:
        shown = []
        for problem in report.problems:
            where = problem.file.name + (f":{problem.line}" if problem.line else "")
            shown.append(f"{where}: {problem.message}")
        if report.error and not report.problems:
            shown.append(report.error)
        await self.query_one(CheckList).show_problems(shown)
        self._note(f"Nothing was applied: fix {len(shown)} problem(s) in the files first.")
        first = report.problems[0] if report.problems else None
        if first is not None and first.file.parent == self.workspace:
            self.query_one(TabbedContent).active = "pane-files"
            self.query_one(WorkspaceEditor).show_line(first.file.name, first.line)

    def on_lab_screen_trace_done(self, message: TraceDone) -> None:
        """Show the trace (or why there is none)."""
        self.busy = False
        view = self.query_one(TraceView)
        if message.target:
            view.set_target(message.target)
        if message.report is not None:
            view.show_report(message.report)
        else:
            view.show_message(message.error)
        self.refresh_bindings()

    # -- keys ---------------------------------------------------------------------------

    def _editing(self) -> bool:
        return isinstance(self.focused, TextArea) or (
            self.focused is not None and self.focused.id == "trace-target"
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letter keys hide while typing; cluster keys grey out while a job runs."""
        if action in CLUSTER_ACTIONS | {"edit", "task", "lesson"} and self._editing():
            return False
        if action in CLUSTER_ACTIONS and self.busy:
            return None
        if action == "hint" and self.result is None:
            return None
        return True

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """The keys on offer depend on where the focus is."""
        self.refresh_bindings()

    def on_descendant_blur(self, event: DescendantBlur) -> None:
        """The keys on offer depend on where the focus is."""
        self.refresh_bindings()

    def action_apply(self) -> None:
        """Save the edits, apply the workspace and check."""
        self.query_one(WorkspaceEditor).save()
        self._start("apply")

    def on_workspace_editor_saved(self, message: WorkspaceEditor.Saved) -> None:
        """Ctrl+S in the editor: apply what was saved (after the job running now, if any)."""
        names = ", ".join(path.name for path in message.paths) or "nothing changed"
        if self.busy:
            self.apply_waiting = True
            self._note(f"Saved ({names}); it is applied when the current job ends.")
        else:
            self._start("apply")

    def on_workspace_editor_left(self, message: WorkspaceEditor.Left) -> None:
        """Esc in the editor's file tabs: go to the check list."""
        self.query_one(CheckList).focus()

    def action_check(self) -> None:
        """Run the checks again."""
        self._start("check")

    async def action_hint(self) -> None:
        """The next hint tier for the first failing check that has hints."""
        if self.session is None or self.result is None:
            return
        hint = self.session.hint(result=self.result)
        if hint is None:
            self._note("No hint needed: every check that has hints passes.")
            return
        tiers = next(h.tiers for h in self.lab.spec.hints if h.check == hint.check_id)
        last = len(self.hints.get(hint.check_id, [])) >= hint.tier
        self.hints[hint.check_id] = tiers[: hint.tier]
        await self.query_one(CheckList).show_hints(self.hints, newest=hint.check_id)
        self._note(
            f"That was the last hint for {hint.check_id}: it gives the fix."
            if last
            else f"Hint {hint.tier} of {hint.tiers} for {hint.check_id}, under the check."
        )

    def action_trace(self) -> None:
        """Trace the request of the first failing traffic check."""
        self.query_one(TabbedContent).active = "pane-trace"
        self.query_one("#trace-scroll").focus()
        self.query_one(TraceView).show_tracing("the failing check's request")
        self._start("trace")

    def on_trace_view_requested(self, message: TraceView.Requested) -> None:
        """Trace a target the learner typed."""
        if self.busy:
            self.query_one(TraceView).show_message("Busy: try again when the check ends.")
            return
        self.query_one(TraceView).show_tracing(message.target)
        self._start("trace", message.target)

    def action_reset(self) -> None:
        """Back to the start files, after asking."""
        question = "Delete what you applied and replace your files with the start files?"
        self.app.push_screen(
            ConfirmDialog("Reset the lab", question, "Reset"), self._confirmed("reset")
        )

    def action_solve(self) -> None:
        """Apply the reference solution, after asking."""
        question = "Replace your files with the reference solution and apply it?"
        self.app.push_screen(
            ConfirmDialog("Show the solution", question, "Solve"), self._confirmed("solve")
        )

    def _confirmed(self, job: str) -> Callable[[bool | None], None]:
        def answer(yes: bool | None) -> None:
            if yes and not self.busy:
                self._start(job)

        return answer

    def action_edit(self) -> None:
        """Show the workspace files and focus the editor."""
        self.query_one(TabbedContent).active = "pane-files"
        self.query_one(WorkspaceEditor).editor.focus()

    def action_task(self) -> None:
        """Show the task."""
        self.query_one(TabbedContent).active = "pane-task"
        self.query_one("#lab-task").focus()

    def action_back(self) -> None:
        """Back to where the lab was opened from."""
        self.dismiss()

    def action_lesson(self) -> None:
        """Open the lesson this lab practises."""
        if self.course.lesson(self.lab.spec.lesson) is not None:
            self.post_message(OpenLesson(self.lab.spec.lesson))
