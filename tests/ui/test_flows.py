"""Pilot tests of the main flows: course map, reader, quiz, help, opening a lab, palette."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.ui.helpers import (
    BROKEN_PACK,
    PACK,
    MakeApp,
    course_loaded,
    press,
    screen_text,
    type_text,
)
from tutor.app.app import KubeTutorApp, create_app
from tutor.app.screens.help import HelpScreen
from tutor.app.screens.home import HomeScreen
from tutor.app.screens.lab import LabScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.quiz import QuizScreen
from tutor.app.widgets.choice_list import ChoiceList
from tutor.app.widgets.course_tree import CourseTree
from tutor.app.widgets.grade_view import GradeView
from tutor.app.widgets.problem_list import ProblemList
from tutor.app.widgets.yaml_editor import YamlEditor
from tutor.progress.store import ProgressStore

Scenario = Callable[[KubeTutorApp, Pilot[None]], Awaitable[None]]

# Keys that answer each question of tests/ui/pack/lessons/01-services/quiz.yaml.
# `key:X` presses the letter shown (after the attempt's shuffle) for the authored choice X.
RIGHT = [
    ["key:a"],  # single: ClusterIP
    ["key:a", "key:b"],  # multi: selector and targetPort
    ["f"],  # truefalse: the statement is false
    ["type:port", "enter"],  # text: submitted by Enter
    ["down", "d"],  # order: the test seed shows Client, Pod, Service; move Pod down one
    ["down"] * 9 + ["end", "backspace", "backspace", "type:8080"],  # yaml: targetPort 8080
]
WRONG = [
    ["key:b"],
    ["key:a", "key:c"],
    ["t"],
    ["type:targetPort", "enter"],
    [],  # order: submit the shuffled order as shown
    # yaml: `name: web:` is a syntax error on line 4 (reported, not graded), then undone: the
    # given manifest, still wrong, is graded.
    ["down", "down", "down", "end", "type::", "ctrl+s", "check:syntax", "end", "backspace"],
]


def run(make: KubeTutorApp, scenario: Scenario, size: tuple[int, int] = (80, 24)) -> None:
    """Run a Pilot scenario against the app."""

    async def main() -> None:
        async with make.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(make, pilot)

    asyncio.run(main())


async def keys(pilot: Pilot[None], steps: list[str]) -> None:
    """Press keys; `type:TEXT` types TEXT."""
    for step in steps:
        if step.startswith("type:"):
            await type_text(pilot, step[5:])
        elif step == "check:syntax":
            screen = pilot.app.screen
            assert not screen.query(GradeView), "a syntax error is not graded"
            assert "YAML error on line 4" in screen_text(pilot.app)
            editor = screen.query_one(YamlEditor)
            assert not editor.read_only and editor.cursor_location[0] == 3
        elif step.startswith("key:"):
            choices = pilot.app.screen.query_one(ChoiceList)
            await press(pilot, choices.labels[step[4:]])
        else:
            await press(pilot, step)


def tree_labels(app: KubeTutorApp) -> list[str]:
    """Every label of the course map, depth first."""
    tree = app.screen.query_one(CourseTree)
    labels = []
    for lesson in tree.root.children:
        labels.append(str(lesson.label))
        labels.extend(str(child.label) for child in lesson.children)
    return labels


def test_home_shows_the_course_map_with_marks(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, HomeScreen)
        assert isinstance(app.focused, CourseTree)
        assert tree_labels(app) == [
            "01 Services in short  · unread",
            "Lab: The Service that selects nothing  · not passed yet",
            "Quiz  · 6 questions, not started",
            "02 EndpointSlices  · unread",
            "Quiz  · 2 questions, not started",
        ]
        assert not app.screen.query(ProblemList)
        assert "A Service gives a stable name" in screen_text(app)

    run(make_app(), scenario)


def test_open_lesson_next_previous_and_marked_read(make_app: MakeApp, store: ProgressStore) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        assert screen.lesson.id == "01-services"
        assert app.focused is not None and app.focused.id == "reader"
        assert "A stable front door" in screen_text(app)
        assert store.lessons_read() == set()  # opened is not read
        assert "Not read yet: read to the end." in screen_text(app)
        await press(pilot, "end")
        assert store.lessons_read() == {"01-services"}
        assert "Read." in screen_text(app)
        await press(pilot, "n")
        assert screen.lesson.id == "02-endpoints"
        assert "Who is behind the Service" in screen_text(app)
        assert store.lessons_read() == {"01-services"}  # flashed by: not read
        await press(pilot, "end")
        await press(pilot, "n")  # the last lesson: nothing after it
        assert screen.lesson.id == "02-endpoints"
        await press(pilot, "p")
        assert screen.lesson.id == "01-services"
        assert store.lessons_read() == {"01-services", "02-endpoints"}
        await press(pilot, "escape")
        assert isinstance(app.screen, HomeScreen)
        assert tree_labels(app)[0] == "01 Services in short  ✔ read"
        assert tree_labels(app)[3] == "02 EndpointSlices  ✔ read"

    run(make_app(), scenario)


def test_continue_opens_the_next_step(make_app: MakeApp, store: ProgressStore) -> None:
    """After lesson 1 is read, its lab comes next (then its quiz, then lesson 2)."""
    store.mark_read("01-services")

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        text = screen_text(app)
        assert "Lessons 1/2 read, quizzes 0/2 passed, labs 0/1 done." in text
        assert "Next (c): lab 01-fix-selector: The Service that selects nothing." in text
        await press(pilot, "c")
        assert isinstance(app.screen, LabScreen)
        assert app.screen.lab.id == "01-fix-selector"

    run(make_app(), scenario)


def quiz_scenario(answers: list[list[str]], expect_right: bool) -> Scenario:
    """Open lesson 1, its quiz with `q`, answer every question and check each verdict."""

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await press(pilot, "enter", "q")
        screen = app.screen
        assert isinstance(screen, QuizScreen)
        types = []
        for number, steps in enumerate(answers, 1):
            question = screen.session.current
            assert question is not None
            types.append(question.type)
            if question.type == "yaml":
                editor = screen.query_one(YamlEditor)
                styles = {name for line in editor._highlights.values() for *_, name in line}
                assert {"yaml.field", "string", "number"} <= styles
            assert f"Question {number} of 6" in screen_text(app)
            await keys(pilot, steps)
            if question.type != "text":  # text answers are submitted by Enter
                await press(pilot, "ctrl+s")
            assert screen.query(GradeView), (question.id, screen_text(app))
            verdict = screen.query_one(GradeView)
            assert verdict.grade.correct is expect_right, question.id
            shown = screen_text(app)
            assert ("Right." if expect_right else "Not quite.") in shown
            assert "Why:" in shown
            if question.type in ("single", "multi", "truefalse"):
                assert "<- right" in shown
                if not expect_right:
                    assert "<- wrong" in shown
            if question.type == "yaml" and not expect_right:
                assert verdict.grade.line is None and not verdict.grade.retry
            await press(pilot, "n")
        assert types == ["single", "multi", "truefalse", "text", "order", "yaml"]
        text = screen_text(app)
        right = 6 if expect_right else 0
        assert f"Quiz finished: {right} of 6 right" in text
        assert ("passed" if expect_right else "not passed yet") in text
        await press(pilot, "escape", "escape")
        assert isinstance(app.screen, HomeScreen)
        quiz_label = tree_labels(app)[2]
        assert quiz_label == ("Quiz  ✔ 6/6 right, passed" if expect_right else "Quiz  · 0/6 right")

    return scenario


def test_quiz_every_type_answered_right(make_app: MakeApp, store: ProgressStore) -> None:
    run(make_app(), quiz_scenario(RIGHT, expect_right=True))
    summary = store.quiz_summary("01-services")
    assert (summary.answered, summary.correct) == (6, 6)


def test_quiz_every_type_answered_wrong(make_app: MakeApp, store: ProgressStore) -> None:
    run(make_app(), quiz_scenario(WRONG, expect_right=False))
    summary = store.quiz_summary("01-services")
    assert (summary.answered, summary.correct) == (6, 0)
    recorded = {row["question"]: row["answer"] for row in store.attempts("01-services")}
    assert recorded["default-type"] == "b"
    assert recorded["stable-ip"] is True
    assert recorded["request-path"] == [0, 2, 1]  # the test seed's shuffle, as submitted


def test_quiz_says_when_nothing_was_given_and_retake(
    make_app: MakeApp, store: ProgressStore
) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await press(pilot, "down", "down", "enter")
        screen = app.screen
        assert isinstance(screen, QuizScreen)
        assert isinstance(app.focused, ChoiceList)
        await press(pilot, "ctrl+s")
        assert "Nothing to submit yet" in screen_text(app)
        assert not screen.query(GradeView)
        for _ in range(6):
            await press(pilot, "n")  # Next is refused before an answer
        assert screen.session.index == 0
        await keys(pilot, ["space", "ctrl+s", "n"])
        assert screen.session.index == 1
        screen.session.index = 6  # jump to the end to retake
        await screen.recompose()
        await press(pilot, "r")
        assert screen.session.index == 0 and not screen.session.grades

    run(make_app(), scenario)
    assert store.quiz_summary("01-services").answered == 1


def test_help_lists_keys_of_every_screen(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for words in ("Ctrl+Q", "Open the next step: a lesson, lab or quiz", "Next lesson"):
            assert words in text
        await press(pilot, "end")
        text = screen_text(app)
        for words in ("Ctrl+S", "New line, indented like the one above", "Open its lesson"):
            assert words in text
        await press(pilot, "escape")
        assert isinstance(app.screen, HomeScreen)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)

    run(make_app(), scenario)


def test_lab_opens_from_its_lesson_and_the_map(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await press(pilot, "enter", "l")
        assert isinstance(app.screen, LabScreen)
        text = screen_text(app)
        assert "Lab: The Service that selects nothing" in text
        assert "yet requests" in text and "Service web has 3 ready endpoints" in text
        await press(pilot, "escape")
        assert isinstance(app.screen, LessonScreen)
        await press(pilot, "escape", "down", "enter")
        assert isinstance(app.screen, LabScreen)
        await press(pilot, "o")
        assert isinstance(app.screen, LessonScreen)

    run(make_app(), scenario)


def test_broken_content_is_reported_and_the_rest_loads(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        problems = app.screen.query_one(ProblemList)
        assert problems.display
        text = screen_text(app)
        assert "1 content file has problems" in text
        assert "lessons/02-broken/lesson.md line 7: minutes:" in text
        assert str(BROKEN_PACK) not in text  # never an absolute path on screen
        assert tree_labels(app) == ["01 EndpointSlices  · unread"]
        assert isinstance(app.focused, CourseTree)

    run(make_app(BROKEN_PACK), scenario)


def test_command_palette_opens_lessons_quizzes_and_labs(make_app: MakeApp) -> None:
    async def open_with_palette(pilot: Pilot[None], words: str) -> None:
        await press(pilot, "ctrl+p")
        await type_text(pilot, words)
        await pilot.pause(0.3)
        await press(pilot, "enter")

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_with_palette(pilot, "Lesson: EndpointSlices")
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == "02-endpoints"
        await open_with_palette(pilot, "Quiz: Services in short")
        assert isinstance(app.screen, QuizScreen)
        await open_with_palette(pilot, "Lab: The Service that selects")
        assert isinstance(app.screen, LabScreen)
        await open_with_palette(pilot, "Help: show every key")
        assert isinstance(app.screen, HelpScreen)

    run(make_app(), scenario)


def test_course_loads_in_a_worker_and_notice_is_shown_once(
    monkeypatch: pytest.MonkeyPatch, tutor_home: Path
) -> None:
    monkeypatch.setattr("tutor.content.loader.default_roots", lambda: [])
    tutor_home.mkdir(parents=True, exist_ok=True)
    (tutor_home / "progress.db").write_text("not a database")
    app = create_app(content=[PACK])
    notes: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **kwargs: notes.append(message))

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await course_loaded(app, pilot)
        assert app.course is not None and app.store is not None
        assert [lesson.id for lesson in app.course.lessons] == ["01-services", "02-endpoints"]
        assert tree_labels(app)[0] == "01 Services in short  · unread"
        assert isinstance(app.focused, CourseTree)
        await press(pilot, "enter")
        # the lesson page is rendered in a worker: scroll to its end once it is there
        await app.workers.wait_for_complete()
        await pilot.pause()
        await press(pilot, "end", "escape")
        assert len(notes) == 1 and "kept as" in notes[0]
        assert app.store.lessons_read() == {"01-services"}

    run(app, scenario)


def test_plain_mode_uses_words_and_ascii(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        assert app.no_color
        await press(pilot, "enter", "end", "escape")
        text = screen_text(app)
        assert "[x] read" in text and "[ ] 6 questions, not started" in text
        for glyph in ("✔", "▼", "╭", "│", "⎈"):
            assert glyph not in text
        # The test seed shows LoadBalancer, ClusterIP, NodePort: NodePort is labelled c.
        await press(pilot, "down", "down", "enter", "c", "ctrl+s")
        text = screen_text(app)
        assert "[-] Not quite." in text and "(*) c) NodePort  <- wrong" in text

    run(make_app(plain=True), scenario)
