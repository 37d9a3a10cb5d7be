"""Quiz attempts: seeded shuffles, resuming, the last result with a review, one score measure,
and a YAML slip that does not use up the question."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Markdown

from tests.ui.helpers import PACK, MakeApp, press, screen_text
from tutor.app.glyphs import glyphs
from tutor.app.quiz_run import QuizRun
from tutor.app.screens.quiz import QuizScreen, score_markdown
from tutor.content.loader import Course, load_course
from tutor.progress.store import ProgressStore
from tutor.quiz import shuffle
from tutor.quiz.scoring import score_attempt


@pytest.fixture
def course() -> Course:
    return load_course([PACK], builtin=False)


def lesson_of(course: Course, lesson_id: str = "01-services"):  # type: ignore[no-untyped-def]
    lesson = course.lesson(lesson_id)
    assert lesson is not None
    return lesson


def test_two_attempts_show_different_orders(
    course: Course, store: ProgressStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds = iter(["first-attempt", "second-attempt"])
    monkeypatch.setattr(shuffle, "new_seed", lambda: next(seeds))
    lesson = lesson_of(course)
    first = QuizRun.start(lesson, store)
    single = first.questions[0]
    order_q = next(q for q in first.questions if q.type == "order")
    first_order = (first.choice_order(single), first.item_order(order_q))  # type: ignore[arg-type]
    # Reopening resumes the same attempt: same seed, same order.
    again = QuizRun.start(lesson, store)
    assert again.seed == "first-attempt" and again.resumed
    assert (again.choice_order(single), again.item_order(order_q)) == first_order  # type: ignore[arg-type]
    second = QuizRun.start(lesson, store, fresh=True)
    assert second.seed == "second-attempt"
    assert (second.choice_order(single), second.item_order(order_q)) != first_order  # type: ignore[arg-type]


def test_reopening_resumes_at_the_first_unanswered_question(
    course: Course, store: ProgressStore
) -> None:
    lesson = lesson_of(course)
    run = QuizRun.start(lesson, store)
    run.answer("a")
    run.advance()
    run.answer(["a", "b"])
    reopened = QuizRun.start(lesson, store)
    assert reopened.index == 2 and reopened.resumed
    assert set(reopened.grades) == {"default-type", "selector-parts"}
    assert reopened.right == 2


def test_finished_attempt_shows_its_result_and_a_review(
    course: Course, store: ProgressStore
) -> None:
    lesson = lesson_of(course)
    run = QuizRun.start(lesson, store)
    run.answer("b")  # wrong: NodePort
    for _ in range(6):
        run.advance()
    reopened = QuizRun.start(lesson, store)
    assert reopened.finished and reopened.resumed
    text = score_markdown(reopened, glyphs(True))
    assert "This is your last result" in text
    assert "Review of the answers that were not right" in text
    labels = shuffle.display_labels(reopened.choice_order(reopened.questions[0]))  # type: ignore[arg-type]
    assert f"Your answer: {labels['b']}) NodePort" in text
    assert f"Right answer: {labels['a']}) ClusterIP" in text
    assert "skipped" in text  # the five questions not answered
    exported = store.export()
    [attempt] = exported["quiz_attempts"]
    assert attempt["passed"] == 0 and attempt["score"] == pytest.approx(0.0)


def test_verdict_and_score_are_one_measure(course: Course, store: ProgressStore) -> None:
    lesson = lesson_of(course)
    run = QuizRun.start(lesson, store)
    run.answer("a")
    run.advance()
    run.answer(["a"])  # half credit
    for _ in range(5):
        run.advance()
    result = run.result
    assert result.score == pytest.approx(1.5 / 6) and result.right == 1
    text = score_markdown(run, glyphs(True))
    assert "Score 25% (1 of 6 fully right). Pass mark 70%: not passed yet." in text
    # The same numbers pass exactly when the score reaches the mark, never by another count.
    assert score_attempt(["a", "b", "c"], {"a": 1.0, "b": 0.5, "c": 0.6}, 0.7).passed
    assert not score_attempt(["a", "b"], {"a": 1.0, "b": 0.3}, 0.7).passed
    assert score_attempt(["q"] * 0, {}, 0.7).passed is False


def test_yaml_syntax_error_is_not_recorded_and_can_be_resubmitted(
    course: Course, store: ProgressStore
) -> None:
    lesson = lesson_of(course)
    run = QuizRun.start(lesson, store)
    run.index = next(n for n, q in enumerate(run.questions) if q.type == "yaml")
    question = run.current
    assert question is not None and question.type == "yaml"
    slip = run.answer("kind: Service\nmetadata:\n  name: web:\n")
    assert slip.retry and slip.line == 3 and not run.answered
    assert store.attempts("01-services") == []
    fixed = run.answer(question.solution)  # type: ignore[union-attr]
    assert fixed.correct and run.answered


def test_reopened_quiz_screen_shows_last_result(make_app: MakeApp, store: ProgressStore) -> None:
    """As a learner would: finish a quiz, leave, open it again: the result and review show."""
    course = load_course([PACK], builtin=False)
    run = QuizRun.start(lesson_of(course), store)
    for _ in range(6):
        run.advance()

    async def main() -> None:
        app = make_app()
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await press(pilot, "enter", "q")
            screen = app.screen
            assert isinstance(screen, QuizScreen) and screen.session.finished
            score = screen.query_one("#quiz-score", Markdown)
            assert score is not None
            text = screen_text(app)
            assert "Quiz finished: 0 of 6 right" in text
            await press(pilot, "r")
            assert not screen.session.finished and screen.session.index == 0

    asyncio.run(main())
