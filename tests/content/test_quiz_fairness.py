"""Quizzes that cannot be gamed: true/false answers are not all one value, and multi-choice
keys do not crowd the first authored choices (lint rules, on lopsided samples and the course)."""

from __future__ import annotations

from pathlib import Path

from tutor.content.lint import (
    MAX_FIRST_PICKS_CREDIT,
    TRUE_SHARE_RANGE,
    course_multi_positions,
    course_truefalse_share,
    lint_course,
    quiz_truefalse_spread,
)
from tutor.content.loader import Course, load_course
from tutor.content.models import MultiQuestion, TrueFalseQuestion
from tutor.quiz.grading import grade


def _lesson(root: Path, slug: str, questions: str) -> None:
    folder = root / "lessons" / slug
    folder.mkdir(parents=True)
    (folder / "lesson.md").write_text(
        f"---\nid: {slug}\ntitle: Sample\nsummary: A lesson to test quiz fairness.\n"
        "objectives: [Be fair]\nminutes: 1\nkubernetes: '1.37'\n---\n# Sample\n",
        encoding="utf-8",
    )
    (folder / "quiz.yaml").write_text(f"questions:\n{questions}", encoding="utf-8")


def _truefalse(answers: list[bool], prefix: str = "tf") -> str:
    return "".join(
        f"  - id: {prefix}{n}\n    type: truefalse\n    prompt: Statement {n}.\n"
        f"    answer: {str(answer).lower()}\n    explanation: Because it is so.\n"
        for n, answer in enumerate(answers)
    )


def _multi(answers: list[list[str]]) -> str:
    return "".join(
        f"  - id: m{n}\n    type: multi\n    prompt: Which {n}?\n"
        "    choices: {a: one, b: two, c: three, d: four, e: five}\n"
        f"    answer: [{', '.join(keys)}]\n    explanation: Because it is so.\n"
        for n, keys in enumerate(answers)
    )


def _messages(root: Path) -> list[str]:
    return [
        p.message for p in lint_course(load_course([root], builtin=False), schemas=False).problems
    ]


def test_a_quiz_whose_truefalse_items_are_all_false_is_reported(tmp_path: Path) -> None:
    _lesson(tmp_path, "01-lean", _truefalse([False, False, False]))
    course = load_course([tmp_path], builtin=False)
    [problem] = quiz_truefalse_spread(course.lessons[0])
    assert problem.line == 2  # the first true/false item
    assert "all 3 true/false answers are false" in problem.message
    assert "tf0, tf1, tf2" in problem.message
    # Two items are too few to judge a quiz; one true answer among three is enough.
    for answers in ([False, False], [False, True, False]):
        _lesson(
            tmp_path / str(len(answers)) / str(answers.count(True)), "01-x", _truefalse(answers)
        )
    assert _messages(tmp_path / "2" / "0") == []
    assert _messages(tmp_path / "3" / "1") == []


def test_a_course_leaning_false_is_reported_and_a_balanced_one_passes(tmp_path: Path) -> None:
    # 2 of 12 true (17%): answering "false" to all would score 83% on them.
    lean = tmp_path / "lean"
    _lesson(lean, "01-a", _truefalse([True, False], "a"))
    _lesson(lean, "02-b", _truefalse([True] + [False] * 9, "b"))
    messages = _messages(lean)
    [share] = [m for m in messages if "lean" in m]
    assert "2 of 12 are true (17%" in share and "scores 83%" in share
    # Reported at the quiz with the most false items, at its first false one.
    [problem] = course_truefalse_share(load_course([lean], builtin=False))
    assert (
        problem.file.parent.name == "02-b" and problem.line == 7
    )  # b1, the second item (5 lines each)
    # 5 of 12 true (42%) is within 35-65%; the same packs and rule otherwise.
    even = tmp_path / "even"
    _lesson(even, "01-a", _truefalse([True, False], "a"))
    _lesson(even, "02-b", _truefalse([True] * 4 + [False] * 6, "b"))
    assert _messages(even) == []
    # Below 10 items a course is too small to judge.
    small = tmp_path / "small"
    _lesson(small, "01-a", _truefalse([False, False], "a"))
    assert _messages(small) == []


def test_multi_keys_in_the_first_choices_are_reported(tmp_path: Path) -> None:
    # Keys always a, b, c of five: ticking the first three gets every question fully right.
    _lesson(tmp_path, "01-m", _multi([["a", "b", "c"]] * 5))
    [problem] = course_multi_positions(load_course([tmp_path], builtin=False))
    assert "first 2 choices of each of 5 questions earns 67%" in problem.message
    spread = tmp_path / "spread"
    _lesson(
        spread,
        "01-m",
        _multi([["a", "c", "e"], ["b", "d"], ["c", "e"], ["d", "e", "b"], ["e", "a"]]),
    )
    assert list(course_multi_positions(load_course([spread], builtin=False))) == []


def _course() -> Course:
    return load_course([], builtin=True)


def test_the_course_truefalse_items_are_balanced() -> None:
    """Issue 13: the split was 8 true of 44; now near even, and no quiz with 3+ items is
    one-sided, so always answering one value does not pass."""
    course = _course()
    items = [q for _, q in course.questions() if isinstance(q, TrueFalseQuestion)]
    true = sum(q.answer for q in items)
    low, high = TRUE_SHARE_RANGE
    assert len(items) >= 40
    assert 0.4 <= true / len(items) <= 0.6 and low < 0.4 and high > 0.6, (true, len(items))
    assert list(course_truefalse_share(course)) == []
    for lesson in course.lessons:
        assert list(quiz_truefalse_spread(lesson)) == [], lesson.id


def test_the_course_multi_keys_are_not_in_the_first_choices() -> None:
    """Before the choices were reordered, ticking the first three choices of every
    multi-choice question earned 71% mean credit (16 of 33 fully right): a pass on paper."""
    course = _course()
    multis = [q for _, q in course.questions() if isinstance(q, MultiQuestion)]
    assert len(multis) >= 30
    for picks in range(1, max(len(q.choices) for q in multis)):
        credit = sum(grade(q, list(q.choices)[:picks]).score for q in multis) / len(multis)
        assert credit <= MAX_FIRST_PICKS_CREDIT, (picks, credit)
    assert list(course_multi_positions(course)) == []
