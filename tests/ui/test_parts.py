"""Tests of the app's Textual-free parts: YAML highlighting, quiz runs, progress marks, help."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.helpers import PACK
from tutor.app.marks import CourseProgress
from tutor.app.quiz_run import QuizRun
from tutor.app.screens.help import help_table, key_label, sections
from tutor.app.widgets.problem_list import shown_path
from tutor.app.yaml_highlight import highlight_line
from tutor.content.loader import Course, load_course
from tutor.progress.store import ProgressStore


@pytest.fixture
def course() -> Course:
    return load_course([PACK], builtin=False)


def names(line: str) -> list[tuple[str, str]]:
    """(text, style name) for each highlight of a line."""
    raw = line.encode()
    return [(raw[start:end].decode(), name) for start, end, name in highlight_line(line)]


def test_yaml_highlight_keys_scalars_dashes_comments() -> None:
    assert names("  name: web") == [("name", "yaml.field"), ("web", "string")]
    assert names("    - port: 80  # client port") == [
        ("-", "punctuation.delimiter"),
        ("port", "yaml.field"),
        ("80", "number"),
        ("# client port", "comment"),
    ]
    assert names("  publishNotReadyAddresses: true") == [
        ("publishNotReadyAddresses", "yaml.field"),
        ("true", "boolean"),
    ]
    assert names("---") == [("---", "punctuation.special")]
    assert names("  - web") == [("-", "punctuation.delimiter"), ("web", "string")]
    assert names('  "quoted key": ünïcode') == [
        ('"quoted key"', "yaml.field"),
        ("ünïcode", "string"),
    ]
    assert names("") == []


def test_quiz_run_grades_records_and_scores(course: Course, store: ProgressStore) -> None:
    lesson = course.lesson("01-services")
    assert lesson is not None
    run = QuizRun.start(lesson, store)
    assert len(run.questions) == 6 and not run.answered
    assert run.answer("a").correct and run.answered
    run.advance()
    with pytest.raises(ValueError):
        run.answer(["z"])  # not a choice: nothing recorded
    assert run.answer(["a"]).score == 0.5
    for _ in range(5):
        run.advance()
    assert run.finished and run.current is None
    assert run.right == 1 and run.score == pytest.approx(1.5 / 6) and not run.passed
    assert store.quiz_summary("01-services").answered == 2
    with pytest.raises(ValueError):
        run.answer("a")


def test_progress_marks_in_words(course: Course, store: ProgressStore) -> None:
    lesson = course.lesson("01-services")
    assert lesson is not None
    progress = CourseProgress.load(course, store)
    assert progress.lesson_mark(lesson) == "unread"
    assert progress.quiz_mark(lesson) == "6 questions, not started"
    assert progress.lab_mark("01-fix-selector") == "not passed yet"
    store.mark_read(lesson.id)
    store.record_answer(lesson.id, "default-type", "a", True, 1.0)
    store.record_lab("01-fix-selector", "sim", True, {})
    progress = CourseProgress.load(course, store)
    assert progress.lesson_mark(lesson) == "read"
    assert progress.quiz_mark(lesson) == "1/6 right" and not progress.quiz_done(lesson)
    assert progress.lab_mark("01-fix-selector") == "passed"


def test_help_covers_every_binding() -> None:
    assert key_label("f1,question_mark") == "F1 / ?"
    assert key_label("ctrl+s") == "Ctrl+S"
    assert key_label("u,shift+up") == "u / Shift+Up"
    titles = [title for title, _ in sections()]
    assert titles == ["Everywhere", "Course map", "Lesson", "Quiz", "Lab"]
    assert help_table().row_count > 25


def test_shown_path_is_relative_to_its_root(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    assert shown_path(root / "lessons" / "x" / "lesson.md", [root]) == "lessons/x/lesson.md"
    assert shown_path(tmp_path / "elsewhere" / "lab.yaml", [root]) == "lab.yaml"
