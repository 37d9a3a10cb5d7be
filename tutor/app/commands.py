"""Command palette entries: open any lesson, quiz or lab by title words or id, and the help."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message

from tutor.app.marks import gradable_count
from tutor.app.messages import OpenLab, OpenLesson, OpenQuiz

_MARKUP = re.compile(r"[`*]")


def plain_words(text: str) -> str:
    """Markdown markers (backticks, emphasis) taken out of a one-line description."""
    return " ".join(_MARKUP.sub("", text).split())


class CourseCommands(Provider):
    """Finds lessons, quizzes and labs by title words or id (`02-sel`)."""

    def _entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        course = getattr(self.app, "course", None)
        entries: list[tuple[str, str, Callable[[], object]]] = [
            (
                "Help: show every key",
                "List the keys of every screen",
                partial(self.app.run_action, "help"),
            )
        ]
        if course is None:
            return entries
        from tutor.app.modes_menu import mode_entries

        entries += mode_entries(self.app)

        def post(message: Message) -> Callable[[], object]:
            return partial(self.app.post_message, message)

        for lesson in course.lessons:
            title = lesson.meta.title
            entries.append(
                (
                    f"Lesson: {title} ({lesson.id})",
                    plain_words(lesson.meta.summary),
                    post(OpenLesson(lesson.id)),
                )
            )
            if gradable_count(lesson):
                entries.append(
                    (
                        f"Quiz: {title} ({lesson.id})",
                        f"{gradable_count(lesson)} questions",
                        post(OpenQuiz(lesson.id)),
                    )
                )
        for lab in course.labs:
            entries.append(
                (
                    f"Lab: {plain_words(lab.spec.title)} ({lab.id})",
                    f"{lab.spec.kind} lab, about {lab.spec.minutes} min",
                    post(OpenLab(lab.id)),
                )
            )
        return entries

    async def discover(self) -> Hits:
        """Everything, shown before the learner types."""
        for name, text, callback in self._entries():
            yield DiscoveryHit(name, callback, help=text)

    async def search(self, query: str) -> Hits:
        """Entries whose name matches what was typed."""
        matcher = self.matcher(query)
        words = query.lower().split()
        for name, text, callback in self._entries():
            score = matcher.match(name)
            if score <= 0 and len(words) > 1 and all(word in name.lower() for word in words):
                score = 0.5  # every word typed appears, in any order
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=text)
