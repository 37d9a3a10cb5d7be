"""The review screen: what is due (FSRS), asked again with its explanation; due labs to redo."""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Markdown, Static

from tutor.app.glyphs import glyphs
from tutor.app.messages import OpenLab
from tutor.app.widgets.grade_view import GradeView
from tutor.app.widgets.question_view import QuestionView
from tutor.content.loader import Course
from tutor.modes.review import ReviewRun
from tutor.progress.store import ProgressStore


class ReviewScreen(Screen[None]):
    """Asks each due question once; lists due labs, each opened with its button."""

    DEFAULT_CSS = """
    #review-status { padding: 0 1; background: $boost; text-style: bold; }
    #review-body { height: 1fr; padding: 0 1; }
    #review-note { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Submit", priority=True, tooltip="Submit the answer"),
        Binding("ctrl+n", "next", "Next", priority=True, tooltip="Next due question"),
        Binding("escape", "back", "Back", tooltip="Leave the review"),
    ]

    def __init__(
        self,
        course: Course,
        store: ProgressStore,
        *,
        plain: bool = False,
        blink: bool = True,
        now: float | None = None,
    ) -> None:
        super().__init__()
        self.run = ReviewRun(store, course, time.time() if now is None else now)
        self.plain = plain
        self.blink = blink
        self.answered = False

    def _status(self) -> str:
        run = self.run
        if run.current is None:
            return f"Review · {len(run.grades)} answered · {len(run.labs)} labs to redo"
        return f"Review · question {run.index + 1} of {len(run.questions)} · {run.current[0]}"

    def compose(self) -> ComposeResult:
        yield Header(icon=glyphs(self.plain).icon)
        yield Static(self._status(), id="review-status", markup=False)
        current = self.run.current
        with VerticalScroll(id="review-body"):
            if current is not None:
                yield QuestionView(current[1], blink=self.blink, id="question")
                yield Static("", id="review-note", markup=False)
            else:
                right = sum(1 for g in self.run.grades.values() if g.correct)
                lines = [f"# Review: {right} of {len(self.run.grades)} right"]
                if not self.run.questions and not self.run.labs:
                    lines.append("Nothing is due. What goes wrong comes back here when it is due.")
                if self.run.labs:
                    lines.append("Labs due: do them again, without hints if you can.")
                yield Markdown("\n\n".join(lines), id="review-done")
                for card in self.run.labs:
                    lab_id = card.item.removeprefix("lab:")
                    yield Button(f"Lab {lab_id} ({card.reason})", id=f"lab-{lab_id}", compact=True)
        with Horizontal(id="review-actions", classes="actions"):
            if current is not None:
                yield Button("Submit (Ctrl+S)", id="submit", compact=True)
                yield Button("Next (Ctrl+N)", id="next", compact=True)
            yield Button("Back (Esc)", id="back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        """Title the screen and focus the answer."""
        self.sub_title = "Review"
        self._focus()

    def _focus(self) -> None:
        if self.run.current is not None:
            self.query_one(QuestionView).answer_widget.focus()
        else:
            self.query_one("#back").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Submit before the grade, Next after it."""
        if action == "submit":
            return self.run.current is not None and not self.answered
        if action == "next":
            return self.run.current is not None
        return True

    def action_submit(self) -> None:
        """Submit the answer on screen."""
        if self.run.current is not None and not self.answered:
            self.query_one(QuestionView).submit()

    async def on_question_view_answered(self, message: QuestionView.Answered) -> None:
        """Grade, record (the card moves) and explain."""
        note = self.query_one("#review-note", Static)
        if self.answered or message.answer is None:
            if message.answer is None:
                note.update("Nothing to submit yet: give an answer first.")
            return
        try:
            graded = self.run.answer(message.answer)
        except ValueError as exc:
            note.update(f"That answer cannot be graded: {exc}.")
            return
        view = self.query_one(QuestionView)
        view.show_grade(graded)
        if graded.retry:
            note.update("; ".join(graded.feedback))
            return
        self.answered = True
        note.update("")
        shown = GradeView(message.question, graded, plain=self.plain)
        await self.query_one("#review-body").mount(shown)
        self.query_one("#next").focus()
        self.refresh_bindings()

    async def action_next(self) -> None:
        """The next due question (a skipped one stays due)."""
        self.run.advance()
        self.answered = False
        await self.recompose()
        self._focus()
        self.refresh_bindings()

    def action_back(self) -> None:
        """Leave the review."""
        self.dismiss()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """Submit, Next, Back, or open a due lab."""
        button = event.button.id or ""
        if button.startswith("lab-"):
            self.post_message(OpenLab(button.removeprefix("lab-")))
        elif button in ("submit", "next", "back"):
            await self.run_action(button)
