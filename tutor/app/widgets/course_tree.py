"""The course map: lessons in order, each with its labs and quiz, and progress marks in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tutor.app.glyphs import glyphs
from tutor.app.marks import CourseProgress, gradable_count

if TYPE_CHECKING:  # type-only: keeps pydantic and the models off the start-up path
    from tutor.content.index import CourseView as Course


@dataclass(frozen=True)
class CourseItem:
    """What a node of the map stands for."""

    kind: Literal["lesson", "quiz", "lab"]
    id: str
    """Lesson id (for lessons and quizzes) or lab id."""


class CourseTree(Tree[CourseItem]):
    """Shows the course as a tree; Enter on a node posts what was chosen."""

    class LessonSelected(Message):
        """The learner chose a lesson."""

        def __init__(self, lesson_id: str) -> None:
            super().__init__()
            self.lesson_id = lesson_id

    class QuizSelected(Message):
        """The learner chose a lesson's quiz."""

        def __init__(self, lesson_id: str) -> None:
            super().__init__()
            self.lesson_id = lesson_id

    class LabSelected(Message):
        """The learner chose a lab."""

        def __init__(self, lab_id: str) -> None:
            super().__init__()
            self.lab_id = lab_id

    class ItemHighlighted(Message):
        """The cursor moved to another item."""

        def __init__(self, item: CourseItem | None) -> None:
            super().__init__()
            self.item = item

    def __init__(self, plain: bool = False, *, id: str | None = None) -> None:
        super().__init__("Course", id=id)
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 3
        self._glyphs = glyphs(plain)
        self._plain = plain
        # Instance attributes shadow Tree's class-level glyphs in plain mode.
        self.ICON_NODE = self._glyphs.collapsed
        self.ICON_NODE_EXPANDED = self._glyphs.expanded
        self.LINES = {name: self._glyphs.guides for name in ("default", "bold", "double")}

    def _mark(self, done: bool, word: str) -> Text:
        symbol = self._glyphs.done if done else self._glyphs.todo
        if self._plain:
            return Text(f"  {symbol} {word}")
        colour = self.app.current_theme.success if done else None
        return Text(f"  {symbol} {word}", style=Style(color=colour, dim=not done))

    def show_course(self, course: Course, progress: CourseProgress) -> None:
        """Fill the tree from the course and the learner's progress, keeping the cursor."""
        keep = self.cursor_node.data if self.cursor_node is not None else None
        self.clear()
        cursor_line = 0
        for lesson in course.lessons:
            number = lesson.id.split("-", 1)[0]
            read = lesson.id in progress.read
            label = Text.assemble(
                (f"{number} ", "bold"),
                lesson.meta.title,
                self._mark(read, progress.lesson_mark(lesson)),
            )
            node: TreeNode[CourseItem] = self.root.add(
                label, CourseItem("lesson", lesson.id), expand=True
            )
            for lab in course.labs_of(lesson.id):
                passed = lab.id in progress.labs_passed
                node.add_leaf(
                    Text.assemble(
                        "Lab: ", lab.spec.title, self._mark(passed, progress.lab_mark(lab.id))
                    ),
                    CourseItem("lab", lab.id),
                )
            if gradable_count(lesson):
                node.add_leaf(
                    Text.assemble(
                        "Quiz", self._mark(progress.quiz_done(lesson), progress.quiz_mark(lesson))
                    ),
                    CourseItem("quiz", lesson.id),
                )
        for line in range(self.last_line + 1):
            found = self.get_node_at_line(line)
            if found is not None and found.data == keep:
                cursor_line = line
        self.cursor_line = cursor_line

    def on_tree_node_selected(self, event: Tree.NodeSelected[CourseItem]) -> None:
        """Turn a tree selection into a course message."""
        event.stop()
        item = event.node.data
        if item is None:
            return
        if item.kind == "lesson":
            self.post_message(self.LessonSelected(item.id))
        elif item.kind == "quiz":
            self.post_message(self.QuizSelected(item.id))
        else:
            self.post_message(self.LabSelected(item.id))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[CourseItem]) -> None:
        """Tell the screen which item is under the cursor."""
        event.stop()
        self.post_message(self.ItemHighlighted(event.node.data))
