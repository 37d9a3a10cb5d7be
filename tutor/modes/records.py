"""Exams and drills in the progress store (tables added by the store's migration 3)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutor.modes.drill import DrillRun
    from tutor.modes.exam import ExamReport
    from tutor.progress.store import ProgressStore


def save_exam(store: ProgressStore, report: ExamReport) -> int:
    """Record a finished exam with its whole report; returns the attempt id."""
    data = report.to_json()
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO exam_attempts (seed, fingerprint, score, report, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (data["seed"], data["fingerprint"], data["score"], json.dumps(data), time.time()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def save_drill(store: ProgressStore, run: DrillRun) -> int:
    """Record a drill's outcome; returns the attempt id."""
    data = run.to_json()
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO drill_attempts (lab_id, verdict, fixed, seconds, report, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                run.lab.id,
                data["cause"]["verdict"],
                int(data["fixed"]),
                data["seconds"],
                json.dumps(data),
                time.time(),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def exams(store: ProgressStore) -> list[dict[str, Any]]:
    """Every recorded exam report, oldest first."""
    with store.transaction() as db:
        rows = list(db.execute("SELECT report, at FROM exam_attempts ORDER BY id"))
    return [{**json.loads(report), "at": at} for report, at in rows]


def drills(store: ProgressStore) -> list[dict[str, Any]]:
    """Every recorded drill, oldest first."""
    with store.transaction() as db:
        rows = list(db.execute("SELECT report, at FROM drill_attempts ORDER BY id"))
    return [{**json.loads(report), "at": at} for report, at in rows]


def mastered_labs(store: ProgressStore) -> set[str]:
    """Labs passed without hints, or drilled with the right cause and a fix."""
    hinted = {lab for lab in store.labs_passed() if store.hints_used(lab)}
    drilled = {d["lab"] for d in drills(store) if d["fixed"] and d["cause"]["verdict"] == "right"}
    return (store.labs_passed() - hinted) | drilled
