"""The live list of a lab's checks: each check's state in a word and a symbol, and why."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tutor.app.glyphs import Glyphs, glyphs
from tutor.checks.verdict import Status, Verdict

WORDS = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.PENDING: "WAIT"}
CLASSES = {Status.PASS: "-pass", Status.FAIL: "-fail", Status.PENDING: "-wait"}
_CODE = re.compile(r"`([^`]+)`")


def state_label(status: Status | None, marks: Glyphs) -> str:
    """`✔ PASS`, `✘ FAIL`, `○ WAIT` (`[+] PASS` ... in plain mode); None: not checked yet."""
    symbol = {Status.PASS: marks.right, Status.FAIL: marks.wrong}.get(
        status or Status.PENDING, marks.waiting
    )
    return f"{symbol} {WORDS.get(status or Status.PENDING)}"


def with_code(text: str, style: str = "bold") -> Content:
    """Plain text whose `inline code` spans are styled (the backticks are dropped)."""
    parts: list[str | tuple[str, str]] = []
    last = 0
    for match in _CODE.finditer(text):
        parts.append(text[last : match.start()])
        parts.append((match.group(1), style))
        last = match.end()
    parts.append(text[last:])
    return Content.assemble(*parts)


@dataclass(frozen=True)
class CheckLine:
    """One check as the list shows it: its id and title, and its verdict once checked."""

    check_id: str
    title: str
    verdict: Verdict | None = None
    role: str = "fix"
    """`fix` or `guard`: guards are shown in their own group, "Still true"."""


class CheckList(VerticalScroll, can_focus=True):
    """Shows every check of a lab with its state, the reason it fails, which hop broke, the
    evidence, and the hints taken so far."""

    def __init__(self, lines: Sequence[CheckLine], *, plain: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines = list(lines)
        self.marks = glyphs(plain)
        self.hints: dict[str, list[str]] = {}
        self.problems: list[str] = []
        self.problem_title = "Nothing was applied:"
        self.checking = False
        self.border_title = "Checks"

    def show_checking(self) -> None:
        """Say that a round of checks is running (the old states stay until it ends)."""
        self.checking = True
        self._title()

    async def show_verdicts(self, verdicts: Sequence[Verdict]) -> None:
        """Show the states of a finished round."""
        found = {v.check_id: v for v in verdicts}
        self.lines = [
            CheckLine(
                line.check_id,
                found[line.check_id].title,
                found[line.check_id],
                found[line.check_id].role,
            )
            if line.check_id in found
            else line
            for line in self.lines
        ]
        self.checking = False
        self.problems = []
        await self.recompose()
        self.scroll_home(animate=False)

    async def show_problems(
        self, problems: Sequence[str], title: str = "Nothing was applied:"
    ) -> None:
        """Show why nothing was applied (each problem names its file and line), or why the
        cluster could not answer, above the checks."""
        self.checking = False
        self.problems = list(problems)
        self.problem_title = title
        await self.recompose()
        self.scroll_home(animate=False)

    async def show_hints(
        self, hints: Mapping[str, Sequence[str]], newest: str | None = None
    ) -> None:
        """Show the hint tiers taken so far, under the check each belongs to; scroll to the
        newest hint of check `newest`."""
        self.hints = {check: list(tiers) for check, tiers in hints.items()}
        await self.recompose()
        if newest and self.hints.get(newest):
            found = self.query(f"#hint-{newest}-{len(self.hints[newest])}")
            if found:
                self.call_after_refresh(self.scroll_to_widget, found.first(), animate=False)

    def _title(self) -> None:
        verdicts = [line.verdict for line in self.lines if line.verdict is not None]
        passed = sum(1 for v in verdicts if v.status is Status.PASS)
        title = f"Checks: {passed} of {len(self.lines)} pass" if verdicts else "Checks"
        self.border_title = f"{title} · checking..." if self.checking else title

    def compose(self) -> ComposeResult:
        self._title()
        if self.problems:
            yield Static(self.problem_title, classes="apply-title", markup=False)
            for problem in self.problems:
                yield Static(f"- {problem}", classes="apply-problem", markup=False)
        shown: dict[tuple[str, str], str] = {}
        fixes = [line for line in self.lines if line.role != "guard"]
        guards = [line for line in self.lines if line.role == "guard"]
        yield from self._group(fixes, shown)
        if guards:
            yield Static("Still true (do not break these):", classes="check-group", markup=False)
            yield from self._group(guards, shown)

    def _group(
        self, lines: Sequence[CheckLine], shown: dict[tuple[str, str], str]
    ) -> ComposeResult:
        for line in lines:
            verdict = line.verdict
            status = verdict.status if verdict else None
            with Horizontal(classes=f"check-head {CLASSES.get(status or Status.PENDING)}"):
                yield Static(state_label(status, self.marks), classes="check-state")
                yield Static(line.title, classes="check-title", markup=False)
            if verdict is None:
                yield Static("Not checked yet.", classes="check-reason")
            elif status is Status.PASS:
                continue  # done: its reason and hints no longer matter
            else:
                yield from self._details(verdict, shown)
            for tier, text in enumerate(self.hints.get(line.check_id, []), 1):
                label = f"Hint {tier}: "
                yield Static(
                    Content.assemble((label, "bold")) + with_code(text.strip()),
                    classes="hint",
                    id=f"hint-{line.check_id}-{tier}",
                )

    def _details(self, verdict: Verdict, shown: dict[tuple[str, str], str]) -> ComposeResult:
        progress = f" ({verdict.progress})" if verdict.progress else ""
        yield Static(verdict.message + progress, classes="check-reason", markup=False)
        for item in verdict.evidence:
            yield Static(f"{self.marks.todo} {item}", classes="evidence", markup=False)
        for diagnosis in verdict.diagnoses:
            head = Content.assemble(("Breaks at ", "bold"), (diagnosis.hop, "bold"), ": ")
            key = (diagnosis.name, diagnosis.message)
            if key in shown:
                yield Static(head + f"the same cause as check {shown[key]!r} above.", classes="why")
                continue
            shown[key] = verdict.check_id
            yield Static(head + diagnosis.message, classes="why")
            for item in diagnosis.evidence:
                yield Static(f"{self.marks.todo} {item}", classes="evidence", markup=False)
            if diagnosis.lesson:
                yield Static(f"See lesson {diagnosis.lesson}.", classes="evidence")
