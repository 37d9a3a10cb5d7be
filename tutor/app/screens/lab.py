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
from tutor.app.lab_run import (
    BUSY_NOTES,
    RELOADS,
    JobOutcome,
    LabRun,
    lab_markdown,
    next_note,
    problem_lines,
    summary,
)
from tutor.app.messages import OpenLab, OpenLesson, OpenQuiz
from tutor.app.screens.confirm import ConfirmDialog
from tutor.app.widgets.check_list import CheckLine, CheckList
from tutor.app.widgets.cluster_map_view import ClusterMapView
from tutor.app.widgets.trace_view import TraceView
from tutor.app.widgets.workspace_editor import WorkspaceEditor
from tutor.checks.registry import title_of
from tutor.cluster.base import Cluster
from tutor.content.loader import Course, Lab
from tutor.labs.session import ApplyReport
from tutor.progress.store import ProgressStore

BACKEND_NAMES = {"sim": "simulator", "kind": "kind cluster", "context": "your cluster"}
CLUSTER_ACTIONS = {"apply", "check", "hint", "trace", "reset", "solve"}


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
        Binding(
            "y",
            "copy_kubectl",
            "Copy kubectl setup",
            show=False,
            tooltip="Copy the line that points kubectl at this lab's cluster",
        ),
        Binding("n", "next_step", "Next step", tooltip="Open what comes after this lab"),
        Binding("i", "task", "Task", show=False, tooltip="Show the task"),
        Binding(
            "m",
            "map",
            "Map",
            show=False,
            tooltip="Show the live map of the lab's cluster (nodes, Pods, Services, routes)",
        ),
        Binding(
            "o",
            "lesson",
            "Lesson",
            show=False,
            tooltip="Open its lesson (the one this lab practises)",
        ),
    ]

    class ClusterChanged(Message):
        """Something in the lab's namespace changed outside this screen."""

    class JobDone(Message):
        """A job on the cluster finished (its outcome says what it did)."""

        def __init__(self, outcome: JobOutcome) -> None:
            super().__init__()
            self.outcome = outcome

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
        solve_refusal: str | None = None,
    ) -> None:
        super().__init__()
        self.solve_refusal = solve_refusal
        """Why Solve is refused (an instructor's locked solution key), or None."""
        self.course = course
        self.lab = lab
        self.backend = backend
        self.plain = plain
        self.blink = blink
        self.run = LabRun(lab, store, open_cluster)
        self.workspace = self.run.workspace
        self.busy = False
        self.apply_waiting = False

    def compose(self) -> ComposeResult:
        yield Header(icon=glyphs(self.plain).icon)
        with Horizontal(id="lab-status"):
            yield Static(
                f"Cluster: {BACKEND_NAMES.get(self.backend, self.backend)}", id="lab-backend"
            )
            yield Static("", id="lab-note", markup=False)
        yield Static("", id="lab-kubectl", markup=False).set_styles("display: none;")
        with Horizontal(id="lab-main"):
            with TabbedContent(id="lab-tabs"):
                with TabPane("Task (i)", id="pane-task"), VerticalScroll(id="lab-task"):
                    yield Markdown(lab_markdown(self.course, self.lab), open_links=False)
                with TabPane("Files (e)", id="pane-files"):
                    yield WorkspaceEditor(
                        self.workspace, blink=self.blink, plain=self.plain, id="workspace"
                    )
                with TabPane("Trace (t)", id="pane-trace"):
                    yield TraceView(plain=self.plain, blink=self.blink, id="trace")
                with TabPane("Map (m)", id="pane-map"):
                    yield ClusterMapView(plain=self.plain, id="cluster-map")
            lines = [
                CheckLine(spec.id, title_of(spec), role=spec.role) for spec in self.lab.spec.checks
            ]
            yield CheckList(lines, plain=self.plain, id="check-list")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        """Show what is known at once, then start the lab (or apply the kept workspace)."""
        self.sub_title = f"Lab: {self.lab.spec.title}"
        await self.query_one(CheckList).show_hints(self.run.hints)
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
        self._work(job, target)

    @work(thread=True, group="lab", exit_on_error=False)
    def _work(self, job: str, target: str | None) -> None:
        self.post_message(self.JobDone(self.run.run(job, target)))

    async def on_lab_screen_job_done(self, message: JobDone) -> None:
        """Show what the job did: problems with file and line, or the new check states."""
        self.busy = False
        outcome = message.outcome
        line = self.run.kubectl_line()
        if line:
            shown = self.query_one("#lab-kubectl", Static)
            shown.update(f"kubectl (y copies): {line}")
            shown.display = True
            self._watch_cluster()
        if outcome.map is not None:
            self.query_one(ClusterMapView).show_map(outcome.map)
        if outcome.job == "trace":
            self._show_trace(outcome)
        else:
            await self._show_round(outcome)
        self.refresh_bindings()
        if self.apply_waiting:
            self.apply_waiting = False
            self._start("apply")

    async def _show_round(self, outcome: JobOutcome) -> None:
        editor = self.query_one(WorkspaceEditor)
        await (editor.load() if outcome.job in RELOADS else editor.sync())
        checks = self.query_one(CheckList)
        if outcome.result is not None:
            await checks.show_verdicts(outcome.result.verdicts)
            note = summary(outcome.job, outcome.result)
            if outcome.result.passed:
                note = f"{note} {next_note(self.course, self.run.store, self.lab)}"
            self._note(note)
        if outcome.report is not None and not outcome.report.ok:
            await self._show_problems(outcome.report)
        elif outcome.error and outcome.internal:
            await checks.show_problems([outcome.error], "Something went wrong in kube-tutor:")
            self._note("An internal error stopped this step; r resets the lab if it persists.")
        elif outcome.error:
            await checks.show_problems([outcome.error], "The cluster did not answer:")
            self._note("The cluster could not be reached; press c to try again.")

    async def _show_problems(self, report: ApplyReport) -> None:
        shown = problem_lines(report)
        await self.query_one(CheckList).show_problems(shown)
        self._note(f"Nothing was applied: fix {len(shown)} problem(s) in the files first.")
        first = report.problems[0] if report.problems else None
        if first is not None and first.file.parent == self.workspace:
            self.query_one(TabbedContent).active = "pane-files"
            self.query_one(WorkspaceEditor).show_line(first.file.name, first.line)

    def _show_trace(self, outcome: JobOutcome) -> None:
        view = self.query_one(TraceView)
        if outcome.target:
            view.set_target(outcome.target)
        if outcome.trace is not None:
            view.show_report(outcome.trace)
        else:
            view.show_message(outcome.error or "")

    @work(thread=True, group="lab-watch", exclusive=True, exit_on_error=False)
    def _watch_cluster(self) -> None:
        """Re-check when the cluster changes (kubectl in another pane): the list turns green
        by itself."""
        from textual.worker import get_current_worker

        worker = get_current_worker()
        while not worker.is_cancelled:
            if self.run.wait_for_change(5.0) and not worker.is_cancelled:
                self.post_message(self.ClusterChanged())

    def on_lab_screen_cluster_changed(self, message: ClusterChanged) -> None:
        """Check again, unless a job runs (its own round shows the new state)."""
        if not self.busy:
            self._start("check")

    def action_copy_kubectl(self) -> None:
        """Copy the kubectl setup line to the clipboard."""
        line = self.run.kubectl_line()
        if line:
            self.app.copy_to_clipboard(line)
            self._note("Copied: paste it in another terminal to use kubectl on this lab.")

    # -- keys ---------------------------------------------------------------------------

    def _editing(self) -> bool:
        return isinstance(self.focused, TextArea) or (
            self.focused is not None and self.focused.id == "trace-target"
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letter keys hide while typing; cluster keys grey out while a job runs."""
        if action in CLUSTER_ACTIONS | {"edit", "task", "lesson", "next_step", "map"} and (
            self._editing()
        ):
            return False
        if action in CLUSTER_ACTIONS and self.busy:
            return None
        if action == "hint" and self.run.result is None:
            return None
        if action == "next_step":
            # Offered once the lab is done: the status line names the step.
            return self.run.result is not None and self.run.result.passed
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
        hint, note = self.run.hint()
        if hint is not None:
            await self.query_one(CheckList).show_hints(self.run.hints, newest=hint.check_id)
        self._note(note)

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
        """Apply the reference solution, after asking (unless the course pack locks it)."""
        if self.solve_refusal is not None:
            self._note(self.solve_refusal)
            return
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

    def action_map(self) -> None:
        """Show the live map of the lab's cluster."""
        self.query_one(TabbedContent).active = "pane-map"
        self.query_one(ClusterMapView).focus()

    def action_task(self) -> None:
        """Show the task."""
        self.query_one(TabbedContent).active = "pane-task"
        self.query_one("#lab-task").focus()

    def action_back(self) -> None:
        """Back to where the lab was opened from."""
        self.dismiss()

    def action_next_step(self) -> None:
        """Open the next lab, quiz or lesson (the one the status line names)."""
        from tutor.progress.summary import CourseProgress, next_step

        if self.run.store is None:
            return
        step = next_step(self.course, CourseProgress.load(self.course, self.run.store), self.lab.id)
        if step.kind == "lab":
            self.dismiss()
            self.app.post_message(OpenLab(step.id))
        elif step.kind == "quiz":
            self.dismiss()
            self.app.post_message(OpenQuiz(step.id))
        elif step.kind == "lesson":
            self.dismiss()
            self.app.post_message(OpenLesson(step.id))

    def action_lesson(self) -> None:
        """Open the lesson this lab practises."""
        if self.course.lesson(self.lab.spec.lesson) is not None:
            self.post_message(OpenLesson(self.lab.spec.lesson))
