"""The lab screen (placeholder): the lab's task and checks; checks run from the CLI for now.

The seam for the full lab screen: `LabScreen(course, lab, plain=...)`, opened by the app's
`OpenLab` handler. A richer screen can replace this module keeping that constructor.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown

from tutor.app.glyphs import glyphs
from tutor.app.messages import OpenLesson
from tutor.content.loader import Course, Lab


def lab_markdown(course: Course, lab: Lab) -> str:
    """The lab's task, its checks by title, and how to run them."""
    spec = lab.spec
    lesson = course.lesson(spec.lesson)
    practises = lesson.meta.title if lesson else spec.lesson
    needs = ", ".join(spec.requires) or "nothing special"
    checks = "\n".join(
        f"{number}. {check.title or check.id} (`{check.id}`)"
        for number, check in enumerate(spec.checks, 1)
    )
    return (
        f"# Lab: {spec.title}\n\n"
        f"A **{spec.kind}** lab, about {spec.minutes} min. Practises: {practises}. "
        f"Needs: {needs}.\n\n"
        f"## Task\n\n{spec.task.strip()}\n\n"
        f"## Checks\n\n{checks}\n\n"
        f"> Running checks from this screen is coming. For now run them in a terminal:\n"
        f"> `kube-tutor lab check {spec.id}`\n"
    )


class LabScreen(Screen[None]):
    """Shows a lab's task and the checks that decide when it is done."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to where the lab was opened"),
        Binding("o", "lesson", "Open its lesson"),
    ]

    def __init__(self, course: Course, lab: Lab, *, plain: bool) -> None:
        super().__init__()
        self.course = course
        self.lab = lab
        self.plain = plain

    def compose(self) -> ComposeResult:
        yield Header(icon=glyphs(self.plain).icon)
        with VerticalScroll(id="lab-body"):
            yield Markdown(lab_markdown(self.course, self.lab), open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        """Title the screen and focus the text."""
        self.sub_title = f"Lab: {self.lab.spec.title}"
        self.query_one("#lab-body").focus()

    def action_back(self) -> None:
        """Back to where the lab was opened from."""
        self.dismiss()

    def action_lesson(self) -> None:
        """Open the lesson this lab practises."""
        if self.course.lesson(self.lab.spec.lesson) is not None:
            self.post_message(OpenLesson(self.lab.spec.lesson))
