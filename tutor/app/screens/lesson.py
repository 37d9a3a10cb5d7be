"""The lesson reader: the lesson's Markdown, with keys for the next lesson, its quiz and labs."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalScroll, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Markdown

from tutor.app.glyphs import glyphs
from tutor.app.marks import gradable_count
from tutor.app.messages import OpenLab, OpenQuiz
from tutor.content.loader import Course, Lesson
from tutor.progress.store import ProgressStore


def lesson_markdown(course: Course, lesson: Lesson) -> str:
    """The page the reader shows: heading, summary, objectives, body, practice, references."""
    meta = lesson.meta
    objectives = "\n".join(f"- {objective}" for objective in meta.objectives)
    parts = [
        f"# {meta.title}",
        f"*{meta.summary.strip()}*",
        f"**You will be able to:**\n\n{objectives}",
        f"About {meta.minutes} min. Kubernetes {meta.kubernetes}.",
        lesson.body.strip(),
    ]
    practice = []
    if gradable_count(lesson):
        practice.append(f"- [Quiz: {gradable_count(lesson)} questions](quiz:{lesson.id}) (key q)")
    for lab in course.labs_of(lesson.id):
        practice.append(f"- [Lab: {lab.spec.title}](lab:{lab.id}) (key l)")
    if practice:
        parts.append("## Practise\n\n" + "\n".join(practice))
    if meta.references:
        refs = "\n".join(f"- [{ref.title}]({ref.url})" for ref in meta.references)
        parts.append("## References\n\n" + refs)
    return "\n\n".join(parts) + "\n"


class LessonScreen(Screen[None]):
    """Reads one lesson and marks it read; n / p step through the course."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Map", tooltip="Back to the course map"),
        Binding("n", "step(1)", "Next", tooltip="Next lesson"),
        Binding("p", "step(-1)", "Previous", tooltip="Previous lesson"),
        Binding("q", "quiz", "Quiz", tooltip="Take this lesson's quiz"),
        Binding("l", "lab", "Lab", tooltip="Open this lesson's first lab"),
    ]

    def __init__(
        self, course: Course, store: ProgressStore, lesson: Lesson, *, plain: bool
    ) -> None:
        super().__init__()
        self.course = course
        self.store = store
        self.lesson = lesson
        self.plain = plain

    def compose(self) -> ComposeResult:
        yield Header(icon=glyphs(self.plain).icon)
        with VerticalScroll(id="reader"):
            yield Markdown(lesson_markdown(self.course, self.lesson), open_links=False)
        with HorizontalScroll(id="lesson-actions", classes="actions", can_focus=False):
            if gradable_count(self.lesson):
                yield Button("Quiz (q)", id="open-quiz", compact=True)
            for lab in self.course.labs_of(self.lesson.id):
                yield Button(
                    f"Lab: {lab.spec.title}", name=lab.id, classes="open-lab", compact=True
                )
        yield Footer()

    def on_mount(self) -> None:
        """Mark the lesson read and put the focus on the text."""
        self._opened()

    def _opened(self) -> None:
        self.sub_title = self.lesson.meta.title
        self.store.mark_read(self.lesson.id)
        self.query_one("#reader").focus()

    def _neighbour(self, step: int) -> Lesson | None:
        ids = [lesson.id for lesson in self.course.lessons]
        index = ids.index(self.lesson.id) + step
        return self.course.lessons[index] if 0 <= index < len(ids) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out keys that have nothing to do here."""
        if action == "step":
            step = parameters[0]
            return self._neighbour(step if isinstance(step, int) else 0) is not None or None
        if action == "quiz":
            return bool(gradable_count(self.lesson)) or None
        if action == "lab":
            return bool(self.course.labs_of(self.lesson.id)) or None
        return True

    async def action_step(self, step: int) -> None:
        """Show the next (1) or previous (-1) lesson."""
        lesson = self._neighbour(step)
        if lesson is None:
            return
        self.lesson = lesson
        await self.recompose()
        self._opened()
        self.refresh_bindings()

    def action_back(self) -> None:
        """Back to the course map."""
        self.dismiss()

    def action_quiz(self) -> None:
        """Start this lesson's quiz."""
        self.post_message(OpenQuiz(self.lesson.id))

    def action_lab(self) -> None:
        """Open this lesson's first lab."""
        labs = self.course.labs_of(self.lesson.id)
        if labs:
            self.post_message(OpenLab(labs[0].id))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The quiz and lab buttons."""
        if event.button.id == "open-quiz":
            self.action_quiz()
        elif event.button.name:
            self.post_message(OpenLab(event.button.name))

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        """`quiz:` and `lab:` links open inside the app; others in the browser."""
        kind, _, target = event.href.partition(":")
        if kind == "quiz":
            self.post_message(OpenQuiz(target))
        elif kind == "lab":
            self.post_message(OpenLab(target))
        elif event.href.startswith("https://"):
            self.app.open_url(event.href)
