"""Exam mode: seeded, topic-balanced papers; the clock (a fake one); silent grading; reports."""

from __future__ import annotations

from collections import Counter

import pytest

from tutor.content.loader import Course, Lab, load_course
from tutor.content.models import SingleQuestion, TrueFalseQuestion
from tutor.labs.session import LabResult
from tutor.modes.clock import FakeClock, Timer, mmss
from tutor.modes.exam import ExamRun, TimeUp, draw_paper, topics_in


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


def test_the_same_seed_draws_the_same_paper_and_another_seed_another(course: Course) -> None:
    one = draw_paper(course, seed="alice-and-bob", questions=20, labs=3)
    two = draw_paper(course, seed="alice-and-bob", questions=20, labs=3)
    other = draw_paper(course, seed="carol", questions=20, labs=3)
    assert [i.key for i in one.items] == [i.key for i in two.items]
    assert one.fingerprint == two.fingerprint
    assert [i.key for i in one.items] != [i.key for i in other.items]
    assert one.fingerprint != other.fingerprint


def test_a_paper_is_balanced_by_topic_and_spreads_question_types(course: Course) -> None:
    """14 lessons, 20 questions: every lesson gets 1 or 2 (never 0 or 3)."""
    paper = draw_paper(course, seed="s1", questions=20, labs=3)
    questions = [i for i in paper.items if i.kind == "question"]
    labs = [i for i in paper.items if i.kind == "lab"]
    assert len(questions) == 20 and len(labs) == 3
    per_topic = Counter(i.topic for i in questions)
    with_quiz = {lesson.id for lesson in course.lessons if lesson.quiz is not None}
    assert set(per_topic) == with_quiz
    assert max(per_topic.values()) - min(per_topic.values()) <= 1
    # Three labs from three different lessons.
    assert len({i.topic for i in labs}) == 3
    # Types spread: no type takes more than half the paper.
    types = Counter(i.question.type for i in questions if i.question is not None)
    assert len(types) >= 4 and max(types.values()) <= 10
    assert "predict" not in types
    # Labs come last; questions follow the course order.
    assert [i.kind for i in paper.items] == ["question"] * 20 + ["lab"] * 3
    ranks = {lesson.id: n for n, lesson in enumerate(course.lessons)}
    assert [ranks[i.topic] for i in questions] == sorted(ranks[i.topic] for i in questions)


def test_a_paper_on_chosen_topics_only_and_never_more_than_there_is(course: Course) -> None:
    found, unknown = topics_in(course, ["1", "03-service-dns", "99"])
    assert found == ["01-services-and-clusterip", "03-service-dns"] and unknown == ["99"]
    paper = draw_paper(course, seed="x", questions=500, labs=50, topics=found)
    assert {i.topic for i in paper.items} <= set(found)
    available = sum(
        len([q for q in lesson.quiz.questions if q.type != "predict"])
        for lesson in course.lessons
        if lesson.id in found and lesson.quiz is not None
    )
    assert len([i for i in paper.items if i.kind == "question"]) == available
    per_topic = Counter(i.topic for i in paper.items if i.kind == "question")
    assert len(per_topic) == 2


def test_timer_books_time_per_item_and_stops_at_the_limit() -> None:
    clock = FakeClock()
    timer = Timer(600, clock)
    timer.focus("a")
    clock.advance(90)
    timer.focus("b")
    clock.advance(30)
    assert timer.remaining() == pytest.approx(480)
    assert not timer.expired
    clock.advance(1000)  # far past the limit
    assert timer.expired
    assert timer.remaining() == 0
    timer.stop()
    # Time past the limit is not booked: b got 480 s, not 1030 s.
    assert timer.spent == {"a": pytest.approx(90), "b": pytest.approx(510)}
    assert timer.elapsed() == pytest.approx(600)
    assert mmss(600) == "10:00" and mmss(0.2) == "00:01" and mmss(0) == "00:00"


def _lab_result(lab: Lab, passed: bool) -> LabResult:
    from tutor.checks.verdict import Status, Verdict

    status = Status.PASS if passed else Status.FAIL
    verdicts = [Verdict(c.id, c.title or c.id, status, "m") for c in lab.spec.checks]
    return LabResult(lab.id, "sim", verdicts)


def test_an_exam_finished_by_the_clock_grades_the_lab_on_screen(course: Course) -> None:
    """6 questions and 1 lab in 10 minutes: answers are graded silently; when the time is up
    the lab being worked on is graded by its checks and later answers do not count."""
    paper = draw_paper(course, seed="clock", questions=6, labs=1, minutes=10)
    clock = FakeClock()
    checked: list[str] = []

    def check(lab: Lab) -> LabResult:
        checked.append(lab.id)
        return _lab_result(lab, passed=False)

    run = ExamRun(paper, check_lab=check, clock=clock)
    first = run.current
    assert first is not None and first.question is not None
    right = getattr(first.question, "answer", None)
    clock.advance(40)
    if first.question.type in ("single", "truefalse"):
        run.answer(right)  # type: ignore[arg-type]
    run.advance()
    for _ in range(5):
        clock.advance(20)
        run.advance()  # skipped
    item = run.current
    assert item is not None and item.kind == "lab"
    assert checked == []  # not graded before the candidate moves on or the time is up
    clock.advance(600)
    assert run.tick()  # the clock ends the exam
    assert run.finished and run.reason == "time"
    assert checked == [item.lab.id]  # type: ignore[union-attr]
    report = run.report()
    data = report.to_json()
    assert data["ended_by"] == "time" and data["seconds"] == 600.0
    assert [i["seconds"] for i in data["items"]] == [40.0, 20.0, 20.0, 20.0, 20.0, 20.0, 460.0]
    assert data["items"][-1]["graded"] and not data["items"][-1]["passed"]
    assert all("explanation" in i for i in data["items"][:6])
    assert sum(t["items"] for t in data["topics"]) == 7


def test_an_answer_after_the_time_is_up_is_refused(course: Course) -> None:
    paper = draw_paper(course, seed="late", questions=2, labs=0, minutes=1)
    clock = FakeClock()
    run = ExamRun(paper, clock=clock)
    clock.advance(61)
    with pytest.raises(TimeUp):
        run.answer("a")
    assert run.finished and run.report().score == 0.0


def test_scores_per_topic(course: Course) -> None:
    paper = draw_paper(course, seed="score", questions=4, labs=1, minutes=0)
    run = ExamRun(paper, check_lab=lambda lab: _lab_result(lab, passed=True), clock=FakeClock())
    answered = 0
    while (item := run.current) is not None:
        q = item.question
        if isinstance(q, SingleQuestion | TrueFalseQuestion):
            run.answer(q.answer)
            answered += 1
        run.advance()
    report = run.report()
    assert report.reason == "finished"
    assert answered >= 1  # the paper has at least one question answered right
    assert report.score == pytest.approx((answered + 1) / 5)
    lab_topic = paper.items[-1].topic
    lab_score = next(t for t in report.topics() if t.topic == lab_topic)
    assert lab_score.credit >= 1.0
