"""The progress report: versioned, valid against its published JSON Schema, complete."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import jsonschema
import pytest

from tutor.cli import main
from tutor.content.loader import load_course
from tutor.labs.backends import open_backend
from tutor.labs.session import LabSession
from tutor.modes.clock import FakeClock
from tutor.modes.drill import DrillRun
from tutor.modes.exam import ExamRun, draw_paper
from tutor.modes.export import SCHEMA, VERSION, progress_report
from tutor.modes.records import save_drill, save_exam
from tutor.progress.store import ProgressStore

REPO = Path(__file__).resolve().parents[2]
T0 = 1_800_000_000.0


def test_the_published_schema_is_the_one_in_the_code() -> None:
    published = json.loads((REPO / "schemas" / "progress-report.schema.json").read_text())
    assert published == SCHEMA
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_a_report_with_every_kind_of_progress_is_valid_and_says_what_happened(
    capsys: pytest.CaptureFixture[str],
) -> None:
    course = load_course()
    store = ProgressStore()
    lab = course.lab("02-selector-mismatch")
    assert lab is not None
    session = LabSession(lab, open_backend("sim"), store=store)
    with mock.patch("tutor.progress.store.time.time", return_value=T0):
        store.mark_read("01-services-and-clusterip")
        attempt = store.start_quiz_attempt("01-services-and-clusterip", "seed")
        store.record_answer("01-services-and-clusterip", "q1", "a", False, 0.0, attempt=attempt)
        assert session.start(fresh=True).ok
        session.check()  # fails on the start files, with a diagnosis
        session.hint()
    with mock.patch("tutor.progress.store.time.time", return_value=T0 + 300):
        store.finish_quiz_attempt(attempt, 0.5, False)
        assert session.solve().ok
        session.check()
    paper = draw_paper(course, seed="r", questions=2, labs=0, minutes=5)
    run = ExamRun(paper, clock=FakeClock())
    run.finish()
    save_exam(store, run.report())
    drill = DrillRun(lab, clock=FakeClock())
    drill.submit_cause("the selector")
    save_drill(store, drill)

    report = progress_report(store, course, learner="ada", now=T0 + 400)
    jsonschema.validate(report, SCHEMA)
    assert report["version"] == VERSION and report["learner"] == "ada"
    lessons = {x["id"]: x for x in report["lessons"]}
    assert lessons["01-services-and-clusterip"]["read"]
    assert len(lessons) == len(course.lessons)
    quiz = next(q for q in report["quizzes"] if q["lesson"] == "01-services-and-clusterip")
    assert quiz["attempts"] == 1 and quiz["best_score"] == 0.5 and not quiz["passed"]
    assert quiz["seconds"] == 300.0 and quiz["answered"] == 1 and quiz["right"] == 0
    labs = {x["id"]: x for x in report["labs"]}
    done = labs["02-selector-mismatch"]
    assert done["attempts"] == 2 and done["passed"] and done["seconds_to_pass"] == 300.0
    assert done["hints_used"] == {"endpoints": 1} and done["hints_total"] == 1
    assert done["last_diagnosis"] is None  # the last round passed
    assert done["first_attempt_at"] == "2027-01-15T08:00:00Z"
    assert labs["01-first-service"]["attempts"] == 0
    assert report["exams"][0]["fingerprint"] == paper.fingerprint
    assert report["drills"][0]["cause"]["verdict"] == "partial"
    items = {c["item"] for c in report["review"]["cards"]}
    assert {"q:01-services-and-clusterip/q1", "lab:02-selector-mismatch"} <= items
    # And from the shell:
    assert main(["progress", "report", "--learner", "ada"]) == 0
    printed = json.loads(capsys.readouterr().out)
    jsonschema.validate(printed, SCHEMA)
    assert printed["labs"] and printed["learner"] == "ada"


def test_last_diagnosis_of_a_failing_lab() -> None:
    course = load_course()
    store = ProgressStore()
    lab = course.lab("02-selector-mismatch")
    assert lab is not None
    session = LabSession(lab, open_backend("sim"), store=store)
    assert session.start(fresh=True).ok
    session.check()
    report = progress_report(store, course)
    entry = next(x for x in report["labs"] if x["id"] == lab.id)
    assert not entry["passed"] and entry["last_diagnosis"].startswith("endpoints: ")
    assert "selector" in entry["last_diagnosis"]
