"""Break-fix drills: written causes graded against the lab's key facts; a drill on the simulator."""

from __future__ import annotations

import pytest

from tutor.content.loader import Course, load_course
from tutor.labs.backends import open_backend
from tutor.labs.session import LabSession
from tutor.modes.clock import FakeClock
from tutor.modes.drill import DrillRun, drill_labs, grade_cause, mentions, pick_drill


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


def _facts(course: Course, lab_id: str):  # type: ignore[no-untyped-def]
    lab = course.lab(lab_id)
    assert lab is not None and lab.spec.drill is not None
    return lab.spec.drill.cause


def test_a_right_cause_names_every_key_fact(course: Course) -> None:
    cause = (
        "The Service `web` has selector app: frontend, but the Pods are labelled app=web, "
        "so it selects no Pod."
    )
    graded = grade_cause(cause, _facts(course, "02-selector-mismatch"))
    assert graded.verdict == "right" and graded.score == 1.0 and not graded.missing
    assert "That is the root cause." in graded.feedback()


def test_a_partial_cause_is_told_what_is_missing(course: Course) -> None:
    graded = grade_cause("The service web is broken.", _facts(course, "02-selector-mismatch"))
    assert graded.verdict == "partial"
    assert graded.found == ("which Service",)
    assert graded.missing == ("which field of it", "what does not match")
    assert "Missing: which field of it; what does not match." in graded.feedback()
    # While the learner still has the fix to do, the feedback does not give the answer away.
    assert not any("frontend" in line for line in graded.feedback())


def test_a_wrong_cause_and_an_empty_one(course: Course) -> None:
    facts = _facts(course, "02-selector-mismatch")
    wrong = grade_cause("DNS is down, the CoreDNS Pods crashed.", facts)
    assert wrong.verdict == "wrong" and wrong.score == 0.0 and not wrong.found
    empty = grade_cause("   \n", facts)
    assert empty.verdict == "empty" and len(empty.missing) == 3
    assert empty.feedback()[0].startswith("No cause was written")


def test_terms_match_whole_words_ignoring_case_quotes_and_spacing() -> None:
    assert mentions("its `targetPort` is wrong", "targetport")
    assert mentions("selector APP:FRONTEND", "app: frontend")
    assert not mentions("webapp is slow", "web")
    assert not mentions("the orders pods", "order")
    assert mentions("name: order, not orders", "name:order")


def test_six_fix_labs_declare_a_drill_and_the_pick_prefers_unmastered(course: Course) -> None:
    labs = drill_labs(course)
    assert len(labs) >= 6 and all(lab.spec.kind == "fix" for lab in labs)
    everything_but_one = {lab.id for lab in labs[1:]}
    for seed in ("a", "b", "c"):
        picked = pick_drill(course, everything_but_one, seed=seed)
        assert picked is not None and picked.id == labs[0].id
    # All mastered: any drill lab, still.
    picked = pick_drill(course, {lab.id for lab in labs}, seed="a")
    assert picked in labs


def test_a_drill_on_the_simulator_fix_and_cause(course: Course) -> None:
    lab = course.lab("04-named-port")
    assert lab is not None
    session = LabSession(lab, open_backend("sim"))
    assert session.start(fresh=True).ok
    clock = FakeClock()
    run = DrillRun(lab, clock=clock)
    assert "port 80" in run.symptom and "targetPort" not in run.symptom
    clock.advance(95)
    graded = run.submit_cause("targetPort http-web does not name any container port (it is http)")
    assert graded.verdict == "right"
    run.submit_fix(session.check())
    assert run.fix is not None and not run.fix.passed
    assert not run.done
    assert session.solve().ok
    clock.advance(30)
    run.submit_fix(session.check())
    assert run.done
    data = run.to_json()
    assert data["fixed"] and data["cause"]["seconds"] == 95.0 and data["seconds"] == 125.0
    assert [f["found"] for f in data["key_facts"]] == [True, True, True]
    assert "http-web" in data["key_facts"][2]["detail"]
