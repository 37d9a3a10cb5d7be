"""The quiz screen: one question at a time, feedback after each answer, then the score."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Markdown, Static

from tutor.app.glyphs import Glyphs, glyphs
from tutor.app.quiz_run import QuizRun
from tutor.app.widgets.grade_view import GradeView
from tutor.app.widgets.question_view import QuestionView
from tutor.content.loader import Lesson
from tutor.progress.store import ProgressStore
from tutor.quiz.review import given_answer, right_answer

TYPE_NAMES = {
    "single": "one answer",
    "multi": "several answers",
    "truefalse": "true or false",
    "text": "short text",
    "order": "put in order",
    "yaml": "fix the YAML",
}


def score_markdown(run: QuizRun, marks: Glyphs) -> str:
    """The final score with a line per question, then a review of the wrong answers."""
    result = run.result
    lines = [
        f"# Quiz finished: {result.right} of {result.total} right",
        f"**{result.sentence()}**",
    ]
    if run.resumed:
        lines.append("This is your last result. Press **r** to take the quiz again.")
    rows = []
    for number, question in enumerate(run.questions, 1):
        graded = run.grades.get(question.id)
        if graded is None:
            word = f"{marks.todo} skipped"
        elif graded.correct:
            word = f"{marks.right} right"
        else:
            word = f"{marks.wrong} wrong ({graded.score:.0%})"
        rows.append(f"{number}. {word}: {question.prompt.strip().splitlines()[0]}")
    lines.append("\n".join(rows))
    wrong = run.wrong()
    if wrong:
        lines.append("## Review of the answers that were not right")
        for question, graded in wrong:
            number = run.questions.index(question) + 1
            given = (
                "skipped"
                if graded is None
                else given_answer(question, run.answers.get(question.id), run.seed)
            )
            entry = [
                f"**{number}.** {question.prompt.strip().splitlines()[0]}",
                f"- Your answer: {given}",
            ]
            right = right_answer(question, run.seed)
            if right:
                entry.append(f"- Right answer: {right}")
            entry.append(f"- Why: {question.explanation.strip()}")
            lines.append("\n".join(entry))
    lines.append("Press **r** to take the quiz again, **Esc** to go back.")
    return "\n\n".join(lines) + "\n"


class QuizScreen(Screen[None]):
    """Asks a lesson's questions, shows how each answer was graded and records it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Leave the quiz (answers so far are saved)"),
        Binding("ctrl+s", "submit", "Submit", priority=True, tooltip="Submit the answer"),
        Binding("n", "next", "Next question", tooltip="Next question, once answered"),
        Binding("r", "retake", "Retake quiz", tooltip="Take the quiz again (after the score)"),
    ]

    def __init__(
        self, lesson: Lesson, store: ProgressStore, *, plain: bool, blink: bool = True
    ) -> None:
        super().__init__()
        self.session = QuizRun.start(lesson, store)
        """Resumes the last attempt (or shows its result) when there is one."""
        self.plain = plain
        self.blink = blink
        self.grade_shown: GradeView | None = None

    def _status(self) -> str:
        run = self.session
        question = run.current
        if question is None:
            return f"{run.lesson.meta.title}: quiz finished"
        return (
            f"Question {run.index + 1} of {len(run.questions)} · {TYPE_NAMES.get(question.type, '')}"
            f" · {question.difficulty} · {run.right} right so far"
            + (" · resumed" if run.resumed else "")
        )

    def compose(self) -> ComposeResult:
        yield Header(icon=glyphs(self.plain).icon)
        yield Static(self._status(), id="quiz-status", markup=False)
        question = self.session.current
        with VerticalScroll(id="quiz-body"):
            if question is None:
                yield Markdown(score_markdown(self.session, glyphs(self.plain)), id="quiz-score")
            else:
                yield QuestionView(
                    question, seed=self.session.seed, blink=self.blink, id="question"
                )
                yield Static("", id="quiz-message", markup=False)
        with Horizontal(id="quiz-actions", classes="actions"):
            if question is None:
                yield Button("Retake (r)", id="retake", compact=True)
                yield Button("Back (Esc)", id="back", compact=True)
            else:
                last = self.session.index + 1 == len(self.session.questions)
                yield Button("Submit (Ctrl+S)", id="submit", compact=True)
                yield Button("See score (n)" if last else "Next (n)", id="next", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        """Title the screen and focus the answer."""
        self.sub_title = f"Quiz: {self.session.lesson.meta.title}"
        self._focus_start()

    def _focus_start(self) -> None:
        self.grade_shown = None
        if self.session.current is None:
            self.query_one("#retake").focus()
        else:
            self.query_one(QuestionView).answer_widget.focus()
            self.query_one("#next").disabled = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Submit before grading, Next after it, Retake at the end."""
        if action == "submit":
            return False if self.session.finished else (not self.session.answered or None)
        if action == "next":
            return False if self.session.finished else (self.session.answered or None)
        if action == "retake":
            return self.session.finished
        return True

    def action_submit(self) -> None:
        """Submit the answer on screen."""
        if not self.session.finished and not self.session.answered:
            self.query_one(QuestionView).submit()

    async def on_question_view_answered(self, message: QuestionView.Answered) -> None:
        """Grade the answer, record it and show the verdict."""
        note = self.query_one("#quiz-message", Static)
        if self.session.answered:
            return
        if message.answer is None:
            note.update("Nothing to submit yet: give an answer first.")
            return
        try:
            result = self.session.answer(message.answer)
        except ValueError as exc:
            note.update(f"That answer cannot be graded: {exc}.")
            return
        view = self.query_one(QuestionView)
        if result.retry:
            # The YAML could not be read: say where, keep the editor open, count nothing.
            where = f"YAML error on line {result.line}" if result.line else "YAML error"
            note.update(f"{where}: {'; '.join(result.feedback)}")
            view.show_grade(result)
            return
        note.update("")
        view.show_grade(result)
        self.grade_shown = GradeView(
            message.question, result, plain=self.plain, seed=self.session.seed
        )
        await self.query_one("#quiz-body").mount(self.grade_shown)
        self.query_one("#quiz-status", Static).update(self._status())
        self.query_one("#submit").disabled = True
        next_button = self.query_one("#next")
        next_button.disabled = False
        next_button.focus()
        self.grade_shown.scroll_visible(top=True, animate=False)
        self.refresh_bindings()

    async def action_next(self) -> None:
        """The next question, or the score after the last one."""
        if not self.session.answered:
            return
        self.session.advance()
        await self.recompose()
        self._focus_start()
        self.refresh_bindings()

    async def action_retake(self) -> None:
        """Start again from the first question."""
        if self.session.finished:
            self.session = QuizRun.start(self.session.lesson, self.session.store, fresh=True)
            await self.recompose()
            self._focus_start()
            self.refresh_bindings()

    def action_back(self) -> None:
        """Leave the quiz (answers given so far are saved)."""
        self.dismiss()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """The Submit, Next, Retake and Back buttons."""
        actions = {"submit": "submit", "next": "next", "retake": "retake", "back": "back"}
        action = actions.get(event.button.id or "")
        if action:
            await self.run_action(action)
