"""The lesson reader: the lesson's Markdown, with keys for the next lesson, its quiz and labs."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Footer, Header, Static

from tutor.app.glyphs import glyphs
from tutor.app.marks import gradable_count
from tutor.app.messages import OpenLab, OpenQuiz
from tutor.app.widgets.page_view import PageView
from tutor.content.loader import Course, Lab, Lesson
from tutor.progress.store import ProgressStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import RenderableType


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
        practice.append(f"- **Quiz**: {gradable_count(lesson)} questions (key q)")
    for number, lab in enumerate(course.labs_of(lesson.id), 1):
        practice.append(f"- **Lab {number}**: {lab.spec.title} (key {number})")
    if practice:
        parts.append("## Practise\n\n" + "\n".join(practice))
    if meta.references:
        refs = "\n".join(f"- [{ref.title}]({ref.url})" for ref in meta.references)
        parts.append("## References\n\n" + refs)
    return "\n\n".join(parts) + "\n"


READ_AFTER_SECONDS = 45.0
"""A lesson counts as read once scrolled to its end, or after this long on screen."""
MAX_LABS = 9
"""Labs of one lesson reachable by a digit key."""
LAB_KEYS_HELP = ("1 ... 9", "Open lab 1, 2 ... of this lesson (its Practise list numbers them)")


class LessonScreen(Screen[None]):
    """Reads one lesson; n / p step through the course. The lesson counts as read once the
    learner scrolled to its end or kept it open for a while, not when it flashed by."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Map", tooltip="Back to the course map"),
        Binding("n", "step(1)", "Next", tooltip="Next lesson"),
        Binding("p", "step(-1)", "Previous", tooltip="Previous lesson"),
        Binding("q", "quiz", "Quiz", tooltip="Take this lesson's quiz"),
        Binding("l", "lab(0)", "Lab", tooltip="Open this lesson's first lab not done yet"),
        *(
            Binding(
                str(n), f"lab({n})", f"Lab {n}", show=False, tooltip=f"Open lab {n} of this lesson"
            )
            for n in range(1, MAX_LABS + 1)
        ),
    ]

    read_after = READ_AFTER_SECONDS
    """Seconds on screen after which the lesson counts as read (tests shorten it)."""

    def __init__(
        self, course: Course, store: ProgressStore, lesson: Lesson, *, plain: bool
    ) -> None:
        super().__init__()
        self.course = course
        self.store = store
        self.lesson = lesson
        self.plain = plain
        self._timer: Timer | None = None
        self._keys = self._keys_on_offer()

    def compose(self) -> ComposeResult:
        yield Header(icon=glyphs(self.plain).icon)
        yield PageView(id="reader")
        with HorizontalScroll(id="lesson-actions", classes="actions", can_focus=False):
            yield Button("Quiz (q)", id="open-quiz", compact=True)
            for number in range(1, MAX_LABS + 1):
                yield Button(
                    f"Lab {number} ({number})", name=str(number), classes="open-lab", compact=True
                )
            yield Static("", id="lesson-read", markup=False)
        yield Footer()

    def _maker(self, lesson: Lesson) -> Callable[[int], RenderableType]:
        return lambda width: self._page(lesson, width)

    def _page(self, lesson: Lesson, width: int) -> RenderableType:
        """The lesson as one renderable: Rich's Markdown (Textual's Markdown widget took a
        second to mount its blocks), or in plain mode the CLI's ASCII text at `width`."""
        text = lesson_markdown(self.course, lesson)
        if self.plain:
            from rich.text import Text as RichText

            from tutor.cli.text import render_markdown

            return RichText(render_markdown(text, plain=True, width=width - 1, colour=False))
        from rich.markdown import Markdown as RichMarkdown

        return RichMarkdown(text, hyperlinks=False, code_theme="ansi_dark")

    def on_resize(self) -> None:
        """Render the page again at the new width."""
        if self.is_mounted:
            self._show()

    def _show(self) -> None:
        view = self.query_one(PageView)
        view.show(self.lesson.id, self._maker(self.lesson))
        self._prepare_neighbours(view.page_width)

    @work(thread=True, exclusive=True, group="lesson-pages", exit_on_error=False)
    def _prepare_neighbours(self, width: int) -> None:
        """Render the next and previous lessons ahead, so n and p show them at once."""
        view = self.query_one(PageView)
        for step in (1, -1):
            lesson = self._neighbour(step)
            if lesson is not None:
                view.prepare(lesson.id, self._maker(lesson), width)

    async def on_mount(self) -> None:
        """Show the lesson and put the focus on the text."""
        self.watch(self.query_one(PageView), "scroll_y", self._scrolled, init=False)
        await self._opened()

    def _labs(self) -> list[Lab]:
        return self.course.labs_of(self.lesson.id)[:MAX_LABS]

    async def _opened(self) -> None:
        self.sub_title = self.lesson.meta.title
        reader = self.query_one(PageView)
        self._show()
        # Only what changed is touched: each style change costs a stylesheet pass.
        quiz = self.query_one("#open-quiz")
        if quiz.display != bool(gradable_count(self.lesson)):
            quiz.display = bool(gradable_count(self.lesson))
        labs = self._labs()
        for button in self.query(".open-lab").results(Button):
            number = int(button.name or 0)
            if button.display != (number <= len(labs)):
                button.display = number <= len(labs)
            if number <= len(labs):
                button.tooltip = labs[number - 1].spec.title
        self._show_read()
        if self._timer is not None:
            self._timer.stop()
        if self.lesson.id not in self.store.lessons_read():
            self._timer = self.set_timer(self.read_after, self._mark_read)
        reader.focus()
        # A lesson short enough to fit on screen has been seen whole once it is laid out.
        self.call_after_refresh(self._scrolled)

    def _show_read(self) -> None:
        read = self.lesson.id in self.store.lessons_read()
        words = "Read." if read else "Not read yet: read to the end."
        shown = self.query_one("#lesson-read", Static)
        if str(shown.render()) != words:  # an update re-lays out the row of buttons
            shown.update(words)

    def _scrolled(self) -> None:
        reader = self.query_one(PageView)
        if (
            reader.max_scroll_y >= 0
            and reader.scroll_y >= reader.max_scroll_y
            and reader.virtual_size.height
        ):
            self._mark_read()

    def _mark_read(self) -> None:
        if self.lesson.id not in self.store.lessons_read():
            self.store.mark_read(self.lesson.id)
            self._show_read()

    def _neighbour(self, step: int) -> Lesson | None:
        ids = [lesson.id for lesson in self.course.lessons]
        index = ids.index(self.lesson.id) + step
        return self.course.lessons[index] if 0 <= index < len(ids) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out keys that have nothing to do here; hide digits past the last lab."""
        if action == "step":
            step = parameters[0]
            return self._neighbour(step if isinstance(step, int) else 0) is not None or None
        if action == "quiz":
            return bool(gradable_count(self.lesson)) or None
        if action == "lab":
            number = parameters[0] if parameters and isinstance(parameters[0], int) else 0
            if number == 0:
                return bool(self._labs()) or None
            return number <= len(self._labs())
        return True

    async def action_step(self, step: int) -> None:
        """Show the next (1) or previous (-1) lesson in place (no new screen: it is quick)."""
        lesson = self._neighbour(step)
        if lesson is None:
            return
        self.lesson = lesson
        # To the top first: a shorter page must not clamp the old position to its end.
        self.query_one(PageView).scroll_to(y=0, animate=False, immediate=True)
        await self._opened()
        keys = self._keys_on_offer()
        if keys != self._keys:  # the footer is rebuilt on every refresh: only when needed
            self._keys = keys
            self.refresh_bindings()

    def _keys_on_offer(self) -> tuple[bool, bool, bool, int]:
        return (
            self._neighbour(1) is not None,
            self._neighbour(-1) is not None,
            bool(gradable_count(self.lesson)),
            len(self._labs()),
        )

    def action_back(self) -> None:
        """Back to the course map."""
        self.dismiss()

    def action_quiz(self) -> None:
        """Start this lesson's quiz."""
        self.post_message(OpenQuiz(self.lesson.id))

    def action_lab(self, number: int) -> None:
        """Open lab `number` of this lesson (0: the first one not passed yet)."""
        labs = self._labs()
        if not labs:
            return
        if number == 0:
            passed = self.store.labs_passed()
            chosen = next((lab for lab in labs if lab.id not in passed), labs[0])
        elif number <= len(labs):
            chosen = labs[number - 1]
        else:
            return
        self.post_message(OpenLab(chosen.id))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The quiz and lab buttons."""
        if event.button.id == "open-quiz":
            self.action_quiz()
        elif event.button.name:
            self.action_lab(int(event.button.name))
