"""A lab as the lab screen runs it: one job at a time on a session, results in words.

No Textual here: the screen calls `LabRun.run` from a worker thread and shows the `JobOutcome`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tutor.checks.context import Unresolved
from tutor.cluster.base import Cluster, ClusterError
from tutor.content.loader import Course, Lab
from tutor.labs.clustermap import ClusterMap, TracedPath, live_map, save_trace
from tutor.labs.session import ApplyReport, Hint, LabResult, LabSession
from tutor.labs.trace import TraceReport, check_request, check_to_trace, run_trace, target_request
from tutor.labs.workspace import manifest_files, workspace_root
from tutor.progress.store import ProgressStore

BUSY_NOTES = {
    "open": "Starting the lab...",
    "apply": "Applying the workspace, then checking...",
    "check": "Checking...",
    "reset": "Resetting to the start files...",
    "solve": "Applying the reference solution...",
}
"""What the status line says while a job runs."""
DONE_NOTES = {
    "open": "Lab started.",
    "resume": "Your files from last time were applied.",
    "apply": "Applied.",
    "reset": "Back to the start files.",
    "solve": "Solution applied.",
}
"""What the status line says when a job is done, before the count of passing checks."""
RELOADS = ("open", "resume", "reset", "solve")
"""Jobs after which the editor reloads the workspace files."""


def lab_markdown(course: Course, lab: Lab) -> str:
    """The lab's task, what it practises, and how to work on it from the lab screen."""
    spec = lab.spec
    lesson = course.lesson(spec.lesson)
    practises = lesson.meta.title if lesson else spec.lesson
    needs = ", ".join(spec.requires) or "nothing special"
    from tutor.labs.session import lab_namespaces, task_text

    task = task_text(lab, *lab_namespaces(lab))
    return (
        f"{task.strip()}\n\n"
        f"*A {spec.kind} lab, about {spec.minutes} min. Practises: {practises} (key o). "
        f"Needs: {needs}.*\n\n"
        "**How to work**\n\n"
        "- **e** opens the workspace files; **Ctrl+S** saves, applies and checks them; "
        "**Esc** leaves the editor.\n"
        "- **c** checks again; **h** gives a hint for the first failing check, one step "
        "more each time.\n"
        "- **t** traces a request hop by hop; **m** shows the live map of the cluster, with "
        "the last traced path.\n"
        "- **r** starts over; **s** applies the solution; once every check passes, **n** opens "
        "the next step.\n"
    )


def summary(job: str, result: LabResult) -> str:
    """`Applied. 1 of 2 checks pass.` or `... Every check passes: lab done!`"""
    done = DONE_NOTES.get(job, "Checked.")
    if result.passed:
        return f"{done} Every check passes: lab done!"
    passed = sum(1 for v in result.verdicts if v.passed)
    return f"{done} {passed} of {len(result.verdicts)} checks pass."


def next_note(course: Course, store: ProgressStore | None, lab: Lab) -> str:
    """`Next: lab 03-...: title (key n).` once a lab is done (empty without a store)."""
    if store is None:
        return ""
    from tutor.progress.summary import CourseProgress, next_step

    step = next_step(course, CourseProgress.load(course, store), lab.id)
    if step.kind == "done":
        return f"Next: {step.words()}."
    return f"Next: {step.words()} (key n)."


def problem_lines(report: ApplyReport) -> list[str]:
    """Why nothing was applied, one line per problem: `service.yaml:7: ...`."""
    shown = []
    for problem in report.problems:
        where = problem.file.name + (f":{problem.line}" if problem.line else "")
        shown.append(f"{where}: {problem.message}")
    if report.error and not report.problems:
        shown.append(report.error)
    return shown


@dataclass(frozen=True)
class JobOutcome:
    """What one job did."""

    job: str
    """The job that ran (`open` becomes `resume` when a kept workspace was applied)."""
    report: ApplyReport | None = None
    result: LabResult | None = None
    trace: TraceReport | None = None
    target: str = ""
    """For traces: what was traced, as written."""
    error: str | None = None
    internal: bool = False
    """True when the error is a bug in kube-tutor, not the cluster's answer."""
    map: ClusterMap | None = None
    """The lab's cluster as it is after the job (for the Map tab)."""


class LabRun:
    """One lab on one cluster, for the screen: the session (opened by the first job), the
    last check round, and the hint tiers taken."""

    def __init__(
        self,
        lab: Lab,
        store: ProgressStore | None,
        open_cluster: Callable[[], Cluster],
        workspace: Path | None = None,
    ) -> None:
        self.lab = lab
        self.store = store
        self.open_cluster = open_cluster
        self.workspace = workspace or workspace_root() / lab.id
        self.session: LabSession | None = None
        self.result: LabResult | None = None
        used = store.hints_used(lab.id) if store is not None else {}
        self.hints: dict[str, Sequence[str]] = {
            h.check: h.tiers[: used.get(h.check, 0)] for h in lab.spec.hints
        }
        """Check id -> the hint tiers shown so far."""

    def run(self, job: str, target: str | None = None) -> JobOutcome:
        """Run a job (`open`, `apply`, `check`, `reset`, `solve`, `trace`); never raises."""
        try:
            outcome = self._run(job, target)
        except Exception as exc:  # a bug must not leave the screen waiting forever
            outcome = JobOutcome(job, error=f"{type(exc).__name__}: {exc}", internal=True)
        if outcome.result is not None:
            self.result = outcome.result
        if self.session is not None and outcome.error is None:
            outcome = replace(outcome, map=self.cluster_map())
        return outcome

    def cluster_map(self) -> ClusterMap | None:
        """The map of the lab's cluster now, with the last trace (None when unreadable)."""
        session = self.session
        if session is None:
            return None
        try:
            return live_map(session)
        except ClusterError:
            return None

    def _run(self, job: str, target: str | None) -> JobOutcome:
        report: ApplyReport | None = None
        try:
            session = self.session
            if session is None:
                cluster = self.open_cluster()
                session = LabSession(self.lab, cluster, store=self.store, workspace=self.workspace)
                self.session = session
                kept = self.workspace.is_dir() and bool(manifest_files(self.workspace))
                report = session.apply() if kept else session.start()
                job = "resume" if kept and job == "open" else job
            if job == "trace":
                return self._trace(session, target)
            if job == "apply" and report is None:
                report = session.apply()
            elif job in ("reset", "solve"):
                report = session.reset() if job == "reset" else session.solve()
            failed = report is not None and not report.ok and job not in ("open", "resume")
            return JobOutcome(job, report, None if failed else session.check())
        except ClusterError as exc:
            return JobOutcome(job, report, error=str(exc))

    def _trace(self, session: LabSession, target: str | None) -> JobOutcome:
        ctx = session.context()
        try:
            if target is None:
                verdicts = self.result.verdicts if self.result else []
                spec = check_to_trace(self.lab.spec.checks, verdicts)
                traced = check_request(ctx, spec) if spec else None
                if traced is None:
                    return JobOutcome("trace", error="This lab has no traffic check to trace.")
            else:
                traced = target_request(ctx, target)
            report = run_trace(ctx, traced)
            save_trace(self.lab.id, TracedPath.from_report(report))  # the map highlights it
            return JobOutcome("trace", trace=report, target=traced.label)
        except Unresolved as exc:
            return JobOutcome("trace", target=target or "", error=f"Cannot trace this yet: {exc}.")

    def kubectl_line(self) -> str:
        """How to point kubectl at this lab's cluster (empty before the lab opened, or on an
        in-process simulator that kubectl cannot reach)."""
        session = self.session
        target = getattr(session.cluster, "target", None) if session is not None else None
        if session is None or target is None:
            return ""
        from tutor.labs.kubectl import kubectl_setup

        return kubectl_setup(target, session.namespace)

    def wait_for_change(self, timeout: float) -> bool:
        """Block until the lab's cluster changes (kubectl in another terminal, a controller)
        or `timeout` passes; False at once when the cluster cannot be watched."""
        session = self.session
        if session is None or getattr(session.cluster, "target", None) is None:
            return False
        try:
            return session.cluster.wait_for_change(session.namespace, timeout)
        except ClusterError:
            return False

    def hint(self) -> tuple[Hint | None, str]:
        """The next hint tier for the first failing check with hints, and what to say."""
        if self.session is None or self.result is None:
            return None, "Check first: hints follow the failing check."
        hint = self.session.hint(result=self.result)
        if hint is None:
            return None, "No hint needed: every check that has hints passes."
        tiers = next(h.tiers for h in self.lab.spec.hints if h.check == hint.check_id)
        last = len(self.hints.get(hint.check_id, [])) >= hint.tier
        self.hints[hint.check_id] = tiers[: hint.tier]
        if last:
            return hint, f"That was the last hint for {hint.check_id}: it gives the fix."
        return hint, f"Hint {hint.tier} of {hint.tiers} for {hint.check_id}, under the check."
