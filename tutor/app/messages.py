"""App-wide messages: screens and commands ask the app to open things by posting these."""

from __future__ import annotations

from textual.message import Message


class OpenLesson(Message):
    """Open a lesson in the reader."""

    def __init__(self, lesson_id: str) -> None:
        super().__init__()
        self.lesson_id = lesson_id


class OpenQuiz(Message):
    """Start a lesson's quiz."""

    def __init__(self, lesson_id: str) -> None:
        super().__init__()
        self.lesson_id = lesson_id


class OpenLab(Message):
    """Open a lab."""

    def __init__(self, lab_id: str) -> None:
        super().__init__()
        self.lab_id = lab_id
