"""The kube-tutor Textual app: loads the course, then opens screens when asked by message."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.filter import Monochrome
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tutor.app.commands import CourseCommands
from tutor.app.messages import OpenLab, OpenLesson, OpenQuiz
from tutor.app.screens.help import HelpScreen
from tutor.app.screens.home import HomeScreen

# Screens other than the home screen, the content models and the store are imported when
# first needed: the first frame then costs little more than a bare Textual app's.
if TYPE_CHECKING:
    from textual.widgets import Tab, TabbedContent, Tabs

    from tutor.cluster.base import Cluster
    from tutor.content.loader import Course
    from tutor.progress.store import ProgressStore


class KubeTutorApp(App[None]):
    """Lessons, quizzes and labs about Kubernetes Service networking."""

    CSS_PATH = "app.tcss"
    TITLE = "kube-tutor"
    COMMANDS = App.COMMANDS | {CourseCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1,question_mark", "help", "Help", tooltip="Show this list of keys"),
    ]

    def __init__(
        self,
        content: Sequence[Path] = (),
        *,
        plain: bool = False,
        course: Course | None = None,
        store: ProgressStore | None = None,
        backend: str = "sim",
    ) -> None:
        super().__init__()
        self.content = [Path(folder) for folder in content]
        self.plain = plain
        self.course = course
        self.store = store
        self.backend = backend
        """The practice cluster labs run on: `sim`, `kind` or `context`."""
        self._cluster: Cluster | None = None
        self._cluster_lock = threading.Lock()
        self._tab_words: weakref.WeakKeyDictionary[Tab, str] = weakref.WeakKeyDictionary()
        """Plain mode: each tab's own label, before `[x]` marks the active one."""
        self.blink = True
        """Cursor blink in text fields; tests turn it off for stable screenshots."""
        if plain and not self.no_color:
            # Same filter Textual applies for NO_COLOR with a non-ANSI theme.
            self.no_color = True
            self._filters.append(Monochrome())
        if plain:
            self.add_class("-plain")
        self.class_cluster: Callable[[], object] | None = None
        """Opens the cluster the class report reads (None: the labs' practice cluster; the
        simulator's API server by default, where `kube-tutor class init --sim` makes one)."""
        self.solve_refusal: str | None = None
        """Why labs may not apply the solution key (the pack's course.yaml), or None."""
        if self._ready_course() is not None:
            self.solve_refusal = _solve_refusal(self.content)
        self.home = HomeScreen(plain=plain, course=self._ready_course(), store=store)

    def _ready_course(self) -> Course | None:
        return self.course if self.store is not None else None

    def get_default_screen(self) -> HomeScreen:
        """The course map."""
        return self.home

    def on_mount(self) -> None:
        """Load the course (and open the progress store) off the UI thread unless given."""
        if self._ready_course() is None:
            self._load()
        else:
            self._show_notice()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self) -> tuple[Course, ProgressStore]:
        from tutor.content.loader import load_course
        from tutor.modes.workshop import workshop_course
        from tutor.progress.store import ProgressStore

        course = self.course or workshop_course(load_course(self.content), self.content)
        store = self.store if self.store is not None else ProgressStore()
        self.solve_refusal = _solve_refusal(self.content)
        return course, store

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The course has loaded: show it (or say why it could not load)."""
        if event.worker.group != "load":
            return
        if event.state == WorkerState.SUCCESS and event.worker.result is not None:
            self.course, self.store = event.worker.result
            await self.home.course_ready(self.course, self.store)
            self._show_notice()
        elif event.state == WorkerState.ERROR:
            await self.home.load_failed(str(event.worker.error))

    def _show_notice(self) -> None:
        if self.store is not None and self.store.notice:
            self.notify(self.store.notice, title="Progress file", severity="warning", timeout=20)
            self.store.notice = None

    def format_title(self, title: str, sub_title: str) -> Content:
        """`kube-tutor: Course map` in plain mode (no dash), else Textual's own format."""
        if self.plain:
            return Content(f"{title}: {sub_title}" if sub_title else title)
        return super().format_title(title, sub_title)

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        """Plain mode: the active tab is said in words (`[x] Map (m)`), not only by shade."""
        self._mark_tab(event.tabs, event.tab)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """The same for the tabs of a TabbedContent (which re-posts its Tabs' message)."""
        from textual.widgets import Tabs

        self._mark_tab(event.tabbed_content.query_one(Tabs), event.tab)

    def _mark_tab(self, tabs: Tabs, active: Tab) -> None:
        if not self.plain:
            return
        from textual.widgets import Tab

        for tab in tabs.query(Tab):
            words = self._tab_words.setdefault(tab, tab.label.plain)
            # Content, not a str: a str label is read as markup, and `[x]` would vanish.
            tab.label = Content(f"[x] {words}" if tab is active else words)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's commands without its "Keys" panel: the palette's Help entry (and F1)
        show kube-tutor's own list of keys, so help is listed once."""
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command

    def action_help(self) -> None:
        """Show every key binding."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(plain=self.plain))

    def on_open_lesson(self, message: OpenLesson) -> None:
        """Open a lesson in the reader."""
        lesson = self.course.lesson(message.lesson_id) if self.course else None
        if lesson is not None and self.course is not None and self.store is not None:
            from tutor.app.screens.lesson import LessonScreen

            self.push_screen(LessonScreen(self.course, self.store, lesson, plain=self.plain))

    def on_open_quiz(self, message: OpenQuiz) -> None:
        """Start a lesson's quiz."""
        lesson = self.course.lesson(message.lesson_id) if self.course else None
        if lesson is not None and lesson.quiz is not None and self.store is not None:
            from tutor.app.screens.quiz import QuizScreen

            self.push_screen(QuizScreen(lesson, self.store, plain=self.plain, blink=self.blink))

    def lab_cluster(self) -> Cluster:
        """The practice cluster, opened on first use and shared by every lab (called from
        lab workers: opening a real cluster may be slow)."""
        with self._cluster_lock:
            if self._cluster is None:
                from tutor.labs.backends import open_backend

                self._cluster = open_backend(self.backend)
            return self._cluster

    def on_open_lab(self, message: OpenLab) -> None:
        """Open a lab."""
        lab = self.course.lab(message.lab_id) if self.course else None
        if lab is not None and self.course is not None:
            from tutor.app.screens.lab import LabScreen

            screen = LabScreen(
                self.course,
                lab,
                store=self.store,
                open_cluster=self.lab_cluster,
                backend=self.backend,
                plain=self.plain,
                blink=self.blink,
                solve_refusal=self.solve_refusal,
            )
            self.push_screen(screen)


def _solve_refusal(content: Sequence[Path]) -> str | None:
    from tutor.modes.workshop import solve_refusal

    return solve_refusal(content)


def create_app(
    content: Sequence[Path] = (),
    plain: bool = False,
    course: Course | None = None,
    store: ProgressStore | None = None,
    backend: str = "sim",
) -> KubeTutorApp:
    """Build the app (the CLI and the tests use this same factory)."""
    return KubeTutorApp(content, plain=plain, course=course, store=store, backend=backend)
