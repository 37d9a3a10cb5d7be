"""The home screen: the course map with progress marks, and any broken content files."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tutor.app.glyphs import glyphs
from tutor.app.marks import CourseProgress
from tutor.app.messages import OpenLab, OpenLesson, OpenQuiz
from tutor.app.widgets.course_item_info import CourseItemInfo
from tutor.app.widgets.course_tree import CourseItem, CourseTree
from tutor.app.widgets.problem_list import ProblemList

if TYPE_CHECKING:  # type-only: keeps pydantic and the models off the start-up path
    from tutor.content.index import CourseView
    from tutor.progress.store import ProgressStore


class HomeScreen(Screen[None]):
    """Shows the course map; Enter opens the lesson, quiz or lab under the cursor."""

    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (100, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "continue", "Continue", tooltip="Open the next step: a lesson, lab or quiz"),
        Binding(
            "C",
            "class_report",
            "Class report",
            show=False,
            tooltip="Instructors: the class report (learners x labs and quizzes)",
        ),
    ]

    def __init__(
        self, *, plain: bool, course: CourseView | None = None, store: ProgressStore | None = None
    ) -> None:
        super().__init__(id="home")
        self.plain = plain
        self.course = course
        """The loaded course, or the map's index of it until the full course is in."""
        self.store = store
        self.item: CourseItem | None = None
        self.failure: str | None = None
        """Why the course could not be loaded, once that is known."""
        self._marks_fresh = False
        """The marks were just drawn by `on_mount`; the first resume need not redraw."""

    @property
    def map_shown(self) -> bool:
        """The course map is on screen (from the index or the loaded course)."""
        return self.is_mounted and bool(self.query("#home-main"))

    def compose(self) -> ComposeResult:
        yield Header(icon=glyphs(self.plain).icon)
        if self.failure is not None:
            yield Static(self._failure_text(self.failure), id="loading", markup=False)
        elif self.course is None or self.store is None:
            yield Static("Loading the course...", id="loading")
        else:
            if self.course.problems:
                yield ProblemList(self.course.problems, self.course.roots, id="problems")
            if not self.course.lessons:
                yield Static("No lessons were found.", id="empty", markup=False)
            yield Static("", id="course-summary", markup=False)
            with Horizontal(id="home-main"):
                yield CourseTree(self.plain, id="course-tree")
                yield CourseItemInfo(id="item-info", markup=False)
        yield Footer()

    async def course_ready(self, course: CourseView, store: ProgressStore) -> None:
        """Show the course once it has loaded."""
        self.course = course
        self.store = store
        await self.recompose()
        self._refresh_progress()
        self.query_one(CourseTree).focus()

    async def load_failed(self, reason: str) -> None:
        """Say that the course could not be loaded, instead of crashing (and take back a
        map drawn from the index: it is not the course any more)."""
        self.failure = reason
        if self.query("#loading"):
            self.query_one("#loading", Static).update(self._failure_text(reason))
        else:
            self.course = None
            await self.recompose()

    @staticmethod
    def _failure_text(reason: str) -> str:
        return (
            f"The course could not be loaded: {reason}\nCheck the --content folders and try again."
        )

    def on_mount(self) -> None:
        """Show the map when the course came with the screen."""
        self.sub_title = "Course map"
        if self.course is not None and self.store is not None:
            self._refresh_progress()
            self._marks_fresh = True
            self.query_one(CourseTree).focus()

    def on_screen_resume(self) -> None:
        """Coming back from a lesson or quiz: update the marks (not on the first showing,
        right after `on_mount` drew them: the first frame then draws the map once)."""
        if self._marks_fresh:
            self._marks_fresh = False
            return
        if self.course is not None and self.store is not None and self.is_mounted:
            self._refresh_progress()

    def _progress(self) -> CourseProgress:
        assert self.course is not None and self.store is not None
        return CourseProgress.load(self.course, self.store)

    def _refresh_progress(self) -> None:
        assert self.course is not None
        progress = self._progress()
        self._show_summary(progress)
        self._show_review()
        self.query_one(CourseTree).show_course(self.course, progress)
        self.query_one(CourseItemInfo).show_item(self.item, self.course, progress)

    def _show_review(self) -> None:
        """`Course map · Review (3 due)`; not while the map is drawn from its index, as the
        review deck imports the content models (the full course brings them)."""
        from tutor.content.index import CourseOutline

        if isinstance(self.course, CourseOutline):
            return
        from tutor.app.modes_menu import review_label  # study modes: "Review (N due)"

        due = review_label(self.store)
        self.sub_title = "Course map" if due.startswith("Review (0 ") else f"Course map · {due}"

    def full_course(self, course: CourseView) -> None:
        """The loaded course, showing the same map as the index it was drawn from."""
        self.course = course
        if self.store is not None and self.is_mounted:
            self._show_review()

    def _show_summary(self, progress: CourseProgress) -> None:
        from tutor.progress.summary import next_step, summarise

        assert self.course is not None
        summary = summarise(self.course, progress)
        step = next_step(self.course, progress, self._furthest(progress))
        nxt = f"Next (c): {step.words()}." if step.kind != "done" else f"Next: {step.words()}."
        self.query_one("#course-summary", Static).update(
            f"{summary.bar(12, plain=self.plain)}  {summary.line()}.\n{nxt}"
        )

    def _furthest(self, progress: CourseProgress) -> str | None:
        """The last lesson read, in course order: the next step continues from there."""
        assert self.course is not None
        read = [x.id for x in self.course.lessons if x.id in progress.read]
        return read[-1] if read else None

    def on_course_tree_item_highlighted(self, message: CourseTree.ItemHighlighted) -> None:
        """Describe the item under the cursor."""
        self.item = message.item
        if self.course is not None:
            self.query_one(CourseItemInfo).show_item(message.item, self.course, self._progress())

    def on_course_tree_lesson_selected(self, message: CourseTree.LessonSelected) -> None:
        """Open the chosen lesson."""
        self.post_message(OpenLesson(message.lesson_id))

    def on_course_tree_quiz_selected(self, message: CourseTree.QuizSelected) -> None:
        """Start the chosen quiz."""
        self.post_message(OpenQuiz(message.lesson_id))

    def on_course_tree_lab_selected(self, message: CourseTree.LabSelected) -> None:
        """Open the chosen lab."""
        self.post_message(OpenLab(message.lab_id))

    def action_continue(self) -> None:
        """Open the next step: the lesson, lab or quiz the summary line names."""
        from tutor.progress.summary import next_step

        if self.course is None or not self.course.lessons:
            return
        progress = self._progress()
        step = next_step(self.course, progress, self._furthest(progress))
        if step.kind == "lab":
            self.post_message(OpenLab(step.id))
        elif step.kind == "quiz":
            self.post_message(OpenQuiz(step.id))
        else:
            self.post_message(OpenLesson(step.id or self.course.lessons[0].id))

    def action_class_report(self) -> None:
        """Open the instructor's class report."""
        from tutor.app.modes_menu import open_class_report

        open_class_report(self.app)
