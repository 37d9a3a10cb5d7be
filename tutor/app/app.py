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

from tutor.app.messages import OpenLab, OpenLesson, OpenQuiz
from tutor.app.screens.home import HomeScreen

# Screens other than the home screen, the content models and the store are imported when
# first needed: the first frame then costs little more than a bare Textual app's.
if TYPE_CHECKING:
    from textual.command import Provider
    from textual.widgets import Tab, TabbedContent, Tabs

    from tutor.cluster.base import Cluster
    from tutor.content.index import CourseView
    from tutor.content.loader import Course
    from tutor.progress.store import ProgressStore


def _course_commands() -> type[Provider]:
    """The palette's course entries, imported when the palette first opens."""
    from tutor.app.commands import CourseCommands

    return CourseCommands


class KubeTutorApp(App[None]):
    """Lessons, quizzes and labs about Kubernetes Service networking."""

    CSS_PATH = "app.tcss"
    TITLE = "kube-tutor"
    COMMANDS = App.COMMANDS | {_course_commands}
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
        self._pending: OpenLesson | OpenQuiz | OpenLab | None = None
        """A lesson, quiz or lab chosen on the map before the full course had loaded."""
        shown: CourseView | None = self._ready_course()
        if shown is None and course is None:
            shown = self._cached_outline()
        self._outline_shown = shown
        self.home = HomeScreen(plain=plain, course=shown, store=self.store)

    def _ready_course(self) -> Course | None:
        return self.course if self.store is not None else None

    def _cached_outline(self) -> CourseView | None:
        """The course map's index (no pydantic), and the progress store, when both open
        now: the first frame then shows the course. Otherwise the worker loads everything
        and reports what went wrong."""
        from tutor.content.index import course_roots, map_key, read_index

        outline = read_index(map_key(course_roots(self.content), self.content))
        if outline is None:
            return None
        from tutor.progress.store import ProgressError, ProgressStore

        try:
            self.store = self.store if self.store is not None else ProgressStore()
        except ProgressError:
            return None
        return outline

    def get_default_screen(self) -> HomeScreen:
        """The course map."""
        return self.home

    def on_mount(self) -> None:
        """Load the course (and open the progress store) off the UI thread unless given."""
        if self._ready_course() is None and self._outline_shown is not None:
            # The map is drawn from the index: load after it is painted, as a worker thread
            # importing pydantic meanwhile would hold the interpreter lock half the time.
            self.call_after_refresh(self._load)
        elif self._ready_course() is None:
            self._load()
        else:
            self._show_notice()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self) -> tuple[Course, ProgressStore, bool]:
        """The full course and the store; True when the map must be redrawn (it shows
        nothing yet, or an index that no longer matches the content)."""
        from tutor.content.index import map_key, outline_of, write_index
        from tutor.content.loader import load_course
        from tutor.modes import review  # noqa: F401  (for the map's "Review (N due)")
        from tutor.modes.workshop import workshop_course
        from tutor.progress.store import ProgressStore

        given = self.course is not None
        course = self.course or workshop_course(load_course(self.content), self.content)
        store = self.store if self.store is not None else ProgressStore()
        self.solve_refusal = _solve_refusal(self.content)
        if given:
            return course, store, True
        outline = outline_of(course)
        if outline == self._outline_shown:
            return course, store, False
        # Keyed by the roots the course really came from, so an index is never filed under
        # roots it was not read from.
        write_index(map_key(course.roots, self.content), outline)
        return course, store, True

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The course has loaded: show it (or say why it could not load)."""
        if event.worker.group != "load":
            return
        if event.state == WorkerState.SUCCESS and event.worker.result is not None:
            course, store, redraw = event.worker.result
            self.course, self.store = course, store
            if redraw:
                await self.home.course_ready(course, store)
            else:
                self.home.full_course(course)  # the same map, now over the full models
            self._show_notice()
            pending, self._pending = self._pending, None
            if isinstance(pending, OpenLesson):
                self.on_open_lesson(pending)
            elif isinstance(pending, OpenQuiz):
                self.on_open_quiz(pending)
            elif isinstance(pending, OpenLab):
                self.on_open_lab(pending)
        elif event.state == WorkerState.ERROR:
            self._pending = None
            await self.home.load_failed(str(event.worker.error))

    def _wait_for_course(self, message: OpenLesson | OpenQuiz | OpenLab) -> bool:
        """Keep a choice made on the map from the index until the full course is in."""
        if self.course is None and self._outline_shown is not None:
            self._pending = message
            return True
        return False

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
        from tutor.app.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(plain=self.plain))

    def on_open_lesson(self, message: OpenLesson) -> None:
        """Open a lesson in the reader."""
        if self._wait_for_course(message):
            return
        lesson = self.course.lesson(message.lesson_id) if self.course else None
        if lesson is not None and self.course is not None and self.store is not None:
            from tutor.app.screens.lesson import LessonScreen

            self.push_screen(LessonScreen(self.course, self.store, lesson, plain=self.plain))

    def on_open_quiz(self, message: OpenQuiz) -> None:
        """Start a lesson's quiz."""
        if self._wait_for_course(message):
            return
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
        if self._wait_for_course(message):
            return
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
