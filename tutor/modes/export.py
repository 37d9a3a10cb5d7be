"""The progress report: one versioned JSON document with everything a report on a learner
needs (lessons, quizzes, labs with attempts, time, hints and last diagnosis, exams, drills,
review), and the JSON Schema that documents it (`schemas/progress-report.schema.json`).

Compatibility: within a major `version`, keys are never renamed or removed and their meaning
does not change; new keys may be added. A reader should ignore keys it does not know.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tutor import __version__
from tutor.modes.records import drills, exams
from tutor.modes.review import ReviewDeck

if TYPE_CHECKING:
    from tutor.content.loader import Course
    from tutor.progress.store import ProgressStore

FORMAT = "kube-tutor-progress-report"
VERSION = 1


def iso(seconds: float | None) -> str | None:
    """Seconds since the epoch as an ISO 8601 UTC time, e.g. `2026-12-01T19:15:25Z`."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _last_diagnosis(results: str) -> str | None:
    try:
        checks = json.loads(results).get("checks", [])
    except (ValueError, AttributeError):
        return None
    for check in checks:
        for diagnosis in check.get("diagnoses") or []:
            return f"{check.get('id')}: {diagnosis.get('message')}"
        if check.get("status") == "fail":
            return f"{check.get('id')}: {check.get('message')}"
    return None


def progress_report(
    store: ProgressStore,
    course: Course | None = None,
    *,
    learner: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The report document (see the module docstring and the schema for every field)."""
    now = time.time() if now is None else now
    with store.transaction() as db:
        reads = {
            row[0]: (row[1], row[2])
            for row in db.execute("SELECT lesson_id, first_read, last_read FROM lesson_reads")
        }
        attempts = list(
            db.execute(
                "SELECT lesson_id, score, passed, started, finished FROM quiz_attempts ORDER BY id"
            )
        )
        answers = list(
            db.execute("SELECT lesson_id, question_id, correct FROM quiz_answers ORDER BY id")
        )
        labs = list(
            db.execute("SELECT lab_id, backend, passed, results, at FROM lab_attempts ORDER BY id")
        )
        hints = list(db.execute("SELECT lab_id, check_id, tier FROM hints_used"))
    lesson_ids = [lesson.id for lesson in course.lessons] if course else sorted(reads)
    lab_ids = [lab.id for lab in course.labs] if course else []
    for lab_id, *_ in labs:
        if lab_id not in lab_ids:
            lab_ids.append(lab_id)
    quiz_ids = list(dict.fromkeys([*(a[0] for a in attempts), *(a[0] for a in answers)]))
    if course:
        quiz_ids = [x.id for x in course.lessons if x.quiz] + [
            q for q in quiz_ids if course.lesson(q) is None
        ]
    deck = ReviewDeck(store)
    deck.sync()
    cards = deck.items()
    return {
        "format": FORMAT,
        "version": VERSION,
        "kube_tutor": __version__,
        "exported_at": iso(now),
        "learner": learner,
        "lessons": [
            {
                "id": lesson_id,
                "read": lesson_id in reads,
                "first_read": iso(reads[lesson_id][0]) if lesson_id in reads else None,
                "last_read": iso(reads[lesson_id][1]) if lesson_id in reads else None,
            }
            for lesson_id in lesson_ids
        ],
        "quizzes": [_quiz(q, attempts, answers, course) for q in quiz_ids],
        "labs": [_lab(lab_id, labs, hints) for lab_id in lab_ids],
        "exams": [{**e, "at": iso(e["at"])} for e in exams(store)],
        "drills": [{**d, "at": iso(d["at"])} for d in drills(store)],
        "review": {
            "due": sum(1 for c in cards if c.due <= now),
            "cards": [{"item": c.item, "reason": c.reason, "due": iso(c.due)} for c in cards],
        },
    }


def _quiz(
    lesson_id: str, attempts: list[Any], answers: list[Any], course: Course | None
) -> dict[str, Any]:
    mine = [a for a in attempts if a[0] == lesson_id]
    finished = [a for a in mine if a[4] is not None]
    best: dict[str, bool] = {}
    for lesson, question, correct in answers:
        if lesson == lesson_id:
            best[question] = best.get(question, False) or bool(correct)
    lesson = course.lesson(lesson_id) if course else None
    total = len(lesson.quiz.questions) if lesson and lesson.quiz else None
    return {
        "lesson": lesson_id,
        "questions": total,
        "attempts": len(mine),
        "finished_attempts": len(finished),
        "best_score": max((a[1] for a in finished), default=None),
        "last_score": finished[-1][1] if finished else None,
        "passed": any(a[2] for a in finished),
        "answered": len(best),
        "right": sum(best.values()),
        "seconds": round(sum(a[4] - a[3] for a in finished), 1),
    }


def _lab(lab_id: str, labs: list[Any], hints: list[Any]) -> dict[str, Any]:
    mine = [row for row in labs if row[0] == lab_id]
    passes = [row for row in mine if row[2]]
    used: dict[str, int] = {}
    for lab, check, tier in hints:
        if lab == lab_id:
            used[check] = max(used.get(check, 0), tier)
    first, last = (mine[0], mine[-1]) if mine else (None, None)
    return {
        "id": lab_id,
        "attempts": len(mine),
        "passed": bool(passes),
        "first_attempt_at": iso(first[4]) if first else None,
        "first_passed_at": iso(passes[0][4]) if passes else None,
        "last_attempt_at": iso(last[4]) if last else None,
        "seconds_to_pass": round(passes[0][4] - mine[0][4], 1) if passes else None,
        "backend": last[1] if last else None,
        "hints_used": used,
        "hints_total": sum(used.values()),
        "last_diagnosis": _last_diagnosis(last[3]) if last and not last[2] else None,
    }


_TIME = {"type": ["string", "null"], "format": "date-time", "description": "UTC, ISO 8601."}
_NUM_OR_NULL = {"type": ["number", "null"]}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://kube-tutor.invalid/schemas/progress-report-v1.json",
    "title": "kube-tutor progress report, version 1",
    "description": (
        "What `kube-tutor progress report` prints: a learner's progress for reports and "
        "class tables. Within version 1 keys are never renamed or removed; new keys may be "
        "added, so readers ignore keys they do not know."
    ),
    "type": "object",
    "required": [
        "format",
        "version",
        "kube_tutor",
        "exported_at",
        "learner",
        "lessons",
        "quizzes",
        "labs",
        "exams",
        "drills",
        "review",
    ],
    "properties": {
        "format": {"const": FORMAT, "description": "Identifies the document."},
        "version": {"const": VERSION, "description": "The major version of this format."},
        "kube_tutor": {"type": "string", "description": "The kube-tutor version that wrote it."},
        "exported_at": {**_TIME, "type": "string"},
        "learner": {"type": ["string", "null"], "description": "Who, when given (--learner)."},
        "lessons": {
            "type": "array",
            "description": "Every lesson of the course, in course order.",
            "items": {
                "type": "object",
                "required": ["id", "read", "first_read", "last_read"],
                "properties": {
                    "id": {"type": "string"},
                    "read": {"type": "boolean", "description": "Opened at least once."},
                    "first_read": _TIME,
                    "last_read": _TIME,
                },
            },
        },
        "quizzes": {
            "type": "array",
            "description": "One entry per lesson quiz.",
            "items": {
                "type": "object",
                "required": [
                    "lesson",
                    "questions",
                    "attempts",
                    "finished_attempts",
                    "best_score",
                    "last_score",
                    "passed",
                    "answered",
                    "right",
                    "seconds",
                ],
                "properties": {
                    "lesson": {"type": "string"},
                    "questions": {
                        "type": ["integer", "null"],
                        "description": "Questions in the quiz now.",
                    },
                    "attempts": {"type": "integer", "description": "Attempts started."},
                    "finished_attempts": {"type": "integer"},
                    "best_score": {**_NUM_OR_NULL, "description": "0..1, best finished attempt."},
                    "last_score": {**_NUM_OR_NULL, "description": "0..1, last finished attempt."},
                    "passed": {
                        "type": "boolean",
                        "description": "A finished attempt reached the pass mark.",
                    },
                    "answered": {
                        "type": "integer",
                        "description": "Distinct questions ever answered.",
                    },
                    "right": {
                        "type": "integer",
                        "description": "Of those, answered right at least once.",
                    },
                    "seconds": {"type": "number", "description": "Time in finished attempts."},
                },
            },
        },
        "labs": {
            "type": "array",
            "description": "Every lab of the course (and any lab with attempts).",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "attempts",
                    "passed",
                    "first_attempt_at",
                    "first_passed_at",
                    "last_attempt_at",
                    "seconds_to_pass",
                    "backend",
                    "hints_used",
                    "hints_total",
                    "last_diagnosis",
                ],
                "properties": {
                    "id": {"type": "string"},
                    "attempts": {"type": "integer", "description": "Check rounds recorded."},
                    "passed": {
                        "type": "boolean",
                        "description": "Every check passed at least once.",
                    },
                    "first_attempt_at": _TIME,
                    "first_passed_at": _TIME,
                    "last_attempt_at": _TIME,
                    "seconds_to_pass": {
                        **_NUM_OR_NULL,
                        "description": "First check round to first pass.",
                    },
                    "backend": {
                        "type": ["string", "null"],
                        "description": "sim, kind or context (last round).",
                    },
                    "hints_used": {
                        "type": "object",
                        "additionalProperties": {"type": "integer"},
                        "description": "Check id -> highest hint tier shown (1-based).",
                    },
                    "hints_total": {"type": "integer"},
                    "last_diagnosis": {
                        "type": ["string", "null"],
                        "description": "When the last round failed: `check: why`, the first diagnosis.",
                    },
                },
            },
        },
        "exams": {
            "type": "array",
            "description": "Exam reports as `kube-tutor exam --json` prints them, with `at`.",
            "items": {
                "type": "object",
                "required": [
                    "seed",
                    "fingerprint",
                    "minutes",
                    "ended_by",
                    "seconds",
                    "score",
                    "topics",
                    "items",
                    "at",
                ],
                "properties": {
                    "seed": {"type": "string"},
                    "fingerprint": {"type": "string", "description": "Equal for the same paper."},
                    "minutes": {"type": "number"},
                    "ended_by": {"enum": ["finished", "time"]},
                    "seconds": {"type": "number"},
                    "score": {"type": "number", "description": "0..1 mean credit."},
                    "topics": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["topic", "items", "score"],
                            "properties": {
                                "topic": {"type": "string"},
                                "items": {"type": "integer"},
                                "score": {"type": "number"},
                            },
                        },
                    },
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "kind", "topic", "seconds", "credit"],
                            "properties": {
                                "key": {"type": "string"},
                                "kind": {"enum": ["question", "lab"]},
                                "topic": {"type": "string"},
                                "seconds": {"type": "number"},
                                "credit": {"type": "number"},
                            },
                        },
                    },
                    "at": _TIME,
                },
            },
        },
        "drills": {
            "type": "array",
            "description": "Break-fix drills as `kube-tutor drill --json` prints them, with `at`.",
            "items": {
                "type": "object",
                "required": [
                    "lab",
                    "symptom",
                    "seconds",
                    "cause",
                    "key_facts",
                    "fixed",
                    "checks",
                    "at",
                ],
                "properties": {
                    "lab": {"type": "string"},
                    "symptom": {"type": "string"},
                    "seconds": {"type": "number"},
                    "cause": {
                        "type": "object",
                        "required": ["text", "verdict", "score", "found", "missing"],
                        "properties": {
                            "text": {"type": "string"},
                            "verdict": {"enum": ["right", "partial", "wrong", "empty"]},
                            "score": {"type": "number"},
                            "found": {"type": "array", "items": {"type": "string"}},
                            "missing": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    "key_facts": {"type": "array"},
                    "fixed": {"type": "boolean"},
                    "checks": {"type": "array"},
                    "at": _TIME,
                },
            },
        },
        "review": {
            "type": "object",
            "required": ["due", "cards"],
            "properties": {
                "due": {"type": "integer", "description": "Cards due at `exported_at`."},
                "cards": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["item", "reason", "due"],
                        "properties": {
                            "item": {
                                "type": "string",
                                "description": "`q:lesson/question` or `lab:id`.",
                            },
                            "reason": {"type": "string"},
                            "due": _TIME,
                        },
                    },
                },
            },
        },
    },
}
"""The JSON Schema of the report; `kube-tutor progress schema` prints it."""
