"""The course map drawn from its index in the first frame, then over the full course."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.ui.helpers import BROKEN_PACK, PACK, course_loaded, press, screen_text, until
from tutor.app.app import KubeTutorApp, create_app
from tutor.app.screens.lesson import LessonScreen
from tutor.app.widgets.course_tree import CourseTree
from tutor.content.index import (
    CourseOutline,
    course_roots,
    from_json,
    index_file,
    map_key,
    outline_of,
    read_index,
    to_json,
    write_index,
)
from tutor.content.loader import load_course


@pytest.fixture(autouse=True)
def packs_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the test packs, so the index key and the loaded roots agree."""
    monkeypatch.setenv("KUBE_TUTOR_NO_BUILTIN", "1")


def tree_labels(app: KubeTutorApp) -> list[str]:
    """Every label of the course map, depth first."""
    tree = app.home.query_one(CourseTree)
    labels = []
    for lesson in tree.root.children:
        labels.append(str(lesson.label))
        labels.extend(str(child.label) for child in lesson.children)
    return labels


async def first_run(content: list[Path]) -> tuple[list[str], str]:
    """A start without an index: the map appears once the worker loaded the course."""
    app = create_app(content=content)
    async with app.run_test(size=(80, 24)) as pilot:
        assert not app.home.map_shown or app.course is not None
        await course_loaded(app, pilot)
        return tree_labels(app), screen_text(app)


def test_outline_round_trips_through_json() -> None:
    course = load_course([PACK, BROKEN_PACK], builtin=False)
    outline = outline_of(course)
    assert from_json(json.loads(json.dumps(to_json(outline)))) == outline
    assert [lesson.id for lesson in outline.lessons] == [lesson.id for lesson in course.lessons]
    assert outline.problems == course.problems and outline.problems


def test_index_key_follows_every_content_file(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    (pack / "lessons" / "01-a").mkdir(parents=True)
    lesson = pack / "lessons" / "01-a" / "lesson.md"
    lesson.write_text("one")
    before = map_key(course_roots([pack]), [pack])
    lesson.write_text("two!")
    edited = map_key(course_roots([pack]), [pack])
    (pack / "course.yaml").write_text("lessons: [01-a]\n")
    planned = map_key(course_roots([pack]), [pack])
    assert len({before, edited, planned}) == 3


def test_damaged_or_foreign_index_is_not_used(tmp_path: Path) -> None:
    outline = CourseOutline(roots=[tmp_path])
    write_index("key-a", outline)
    assert read_index("key-a") == outline
    assert read_index("key-b") is None
    index_file().write_text('{"key": "key-a", "outline": {"lessons": 3}}')
    assert read_index("key-a") is None


def test_second_start_shows_the_same_map_in_its_first_frame() -> None:
    content = [PACK, BROKEN_PACK]
    labels, text = asyncio.run(first_run(content))
    assert read_index(map_key(course_roots(content), content)) is not None

    async def second() -> None:
        app = create_app(content=content)
        async with app.run_test(size=(80, 24)) as pilot:
            # Before the worker has even started: the map, marks and problems are there.
            assert app.home.map_shown and app.course is None
            assert tree_labels(app) == labels
            assert "02-broken/lesson.md" in screen_text(app)
            await course_loaded(app, pilot)
            assert app.course is not None and app.home.course is app.course
            assert tree_labels(app) == labels
            assert screen_text(app) == text

    asyncio.run(second())


def test_a_choice_made_before_the_course_is_in_opens_once_it_is() -> None:
    asyncio.run(first_run([PACK]))

    async def scenario() -> None:
        app = create_app(content=[PACK])
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.course is None
            await pilot.press("enter")  # the first lesson, under the cursor
            await until(app, pilot, lambda: isinstance(app.screen, LessonScreen))
            assert isinstance(app.screen, LessonScreen)
            assert app.screen.lesson.id == "01-services"

    asyncio.run(scenario())


def test_a_stale_index_is_redrawn_from_the_content_and_rewritten() -> None:
    content = [PACK]
    labels, _ = asyncio.run(first_run(content))
    key = map_key(course_roots(content), content)
    outline = read_index(key)
    assert outline is not None
    # A lesson retitled without its size or mtime changing: the key cannot tell.
    data = to_json(outline)
    data["lessons"][0]["meta"]["title"] = "An old title"
    write_index(key, from_json(data))

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        assert tree_labels(app)[0].startswith("01 An old title")
        await until(app, pilot, lambda: tree_labels(app) == labels)
        assert tree_labels(app) == labels
        assert read_index(key) == outline

    async def main() -> None:
        app = create_app(content=content)
        async with app.run_test(size=(80, 24)) as pilot:
            await scenario(app, pilot)

    asyncio.run(main())


def test_a_course_that_no_longer_loads_takes_the_map_back(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "lessons").symlink_to(PACK / "lessons", target_is_directory=True)
    content = [pack]
    asyncio.run(first_run(content))
    key = map_key(course_roots(content), content)
    outline = read_index(key)
    assert outline is not None
    # A workshop plan naming a lesson the course lacks: the load fails. Filed under the new
    # key (as if it had changed without its mtime), the old outline is drawn first.
    (pack / "course.yaml").write_text("lessons: [09-missing]\n")
    write_index(map_key(course_roots(content), content), outline)

    async def main() -> None:
        app = create_app(content=content)
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.home.map_shown
            await until(app, pilot, lambda: not app.home.map_shown)
            assert not app.home.map_shown
            assert "The course could not be loaded" in screen_text(app)
            assert "09-missing" in screen_text(app)
            await press(pilot, "enter")
            assert app.screen is app.home

    asyncio.run(main())
