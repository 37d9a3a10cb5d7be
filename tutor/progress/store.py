"""The learner's progress in SQLite: lessons read, quiz attempts, lab attempts, hints used.

Every write is one transaction, so an interrupted write leaves the last committed state.
A file that is corrupt, or written by a newer kube-tutor, is moved aside (never overwritten)
and a fresh store starts, with a message saying where the old file went.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 3

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE lesson_reads (
        lesson_id TEXT PRIMARY KEY,
        first_read REAL NOT NULL,
        last_read REAL NOT NULL
    );
    CREATE TABLE quiz_answers (
        id INTEGER PRIMARY KEY,
        lesson_id TEXT NOT NULL,
        question_id TEXT NOT NULL,
        answer TEXT NOT NULL,
        correct INTEGER NOT NULL,
        score REAL NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX quiz_answers_by_question ON quiz_answers (lesson_id, question_id);
    CREATE TABLE lab_attempts (
        id INTEGER PRIMARY KEY,
        lab_id TEXT NOT NULL,
        backend TEXT NOT NULL,
        passed INTEGER NOT NULL,
        results TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX lab_attempts_by_lab ON lab_attempts (lab_id);
    CREATE TABLE hints_used (
        lab_id TEXT NOT NULL,
        check_id TEXT NOT NULL,
        tier INTEGER NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (lab_id, check_id, tier)
    );
    """,
    # 2: quiz attempts, so a quiz reopened resumes (or shows its last result) with the same
    # seeded order of choices; each answer names the attempt it belongs to.
    2: """
    CREATE TABLE quiz_attempts (
        id INTEGER PRIMARY KEY,
        lesson_id TEXT NOT NULL,
        seed TEXT NOT NULL,
        started REAL NOT NULL,
        finished REAL,
        score REAL,
        passed INTEGER
    );
    CREATE INDEX quiz_attempts_by_lesson ON quiz_attempts (lesson_id);
    ALTER TABLE quiz_answers ADD COLUMN attempt INTEGER REFERENCES quiz_attempts (id)
    """,
    # 3: study modes (tutor.modes): exams and drills with their reports, and the review deck
    # (one FSRS card per item; `card` is the fsrs library's own JSON form).
    3: """
    CREATE TABLE exam_attempts (
        id INTEGER PRIMARY KEY,
        seed TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        score REAL NOT NULL,
        report TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE TABLE drill_attempts (
        id INTEGER PRIMARY KEY,
        lab_id TEXT NOT NULL,
        verdict TEXT NOT NULL,
        fixed INTEGER NOT NULL,
        seconds REAL NOT NULL,
        report TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE TABLE review_cards (
        item TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        card TEXT NOT NULL,
        due REAL NOT NULL,
        reviewed REAL NOT NULL
    )
    """,
}


def default_path() -> Path:
    """`progress.db` in the user data dir (or under `$KUBE_TUTOR_HOME` when set)."""
    from tutor.core.dirs import data_dir

    return data_dir() / "progress.db"


@dataclass(frozen=True)
class QuizAttempt:
    """One attempt at a quiz: its seed, whether it finished, and its answers by question."""

    id: int
    seed: str
    finished: bool
    score: float | None
    passed: bool | None
    answers: dict[str, dict[str, Any]]
    """Question id -> the last recorded `{"answer", "correct", "score"}` in this attempt."""


@dataclass(frozen=True)
class QuizSummary:
    """The best result per question of one lesson's quiz."""

    answered: int
    correct: int


class ProgressStore:
    """A small, transactional store of the learner's progress."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.notice: str | None = None
        """Set when the old file had to be moved aside; the UI shows it once."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = self._open()

    # -- opening and migrations -------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        problem = self._problem_with_existing_file()
        if problem is not None:
            kept = self._keep_aside()
            self.notice = (
                f"Your progress file {problem}; it was kept as {kept} and a new one started."
            )
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        self._migrate(db)
        return db

    def _problem_with_existing_file(self) -> str | None:
        if not self.path.exists():
            return None
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            try:
                if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    return "is damaged"
                version = db.execute("PRAGMA user_version").fetchone()[0]
            finally:
                db.close()
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorname in {"SQLITE_BUSY", "SQLITE_LOCKED"}:
                raise  # in use by another kube-tutor: a busy file is not a broken one
            return "is not a database kube-tutor can read"
        except sqlite3.DatabaseError:
            return "is not a database kube-tutor can read"
        if version > SCHEMA_VERSION:
            return f"was written by a newer kube-tutor (schema {version}, this one knows {SCHEMA_VERSION})"
        return None

    def _keep_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.kept-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.kept-{stamp}-{n}")
        self.path.rename(target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        return target

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for target in range(version + 1, SCHEMA_VERSION + 1):
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {target}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    # -- lessons ----------------------------------------------------------------------

    def mark_read(self, lesson_id: str) -> None:
        """Record that a lesson was opened and read."""
        now = time.time()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO lesson_reads VALUES (?, ?, ?) "
                "ON CONFLICT (lesson_id) DO UPDATE SET last_read = excluded.last_read",
                (lesson_id, now, now),
            )

    def lessons_read(self) -> set[str]:
        """Ids of lessons read at least once."""
        return {row[0] for row in self._db.execute("SELECT lesson_id FROM lesson_reads")}

    # -- quizzes ----------------------------------------------------------------------

    def record_answer(
        self,
        lesson_id: str,
        question_id: str,
        answer: Any,
        correct: bool,
        score: float,
        *,
        attempt: int | None = None,
    ) -> None:
        """Record one graded answer (in `attempt`, when the caller keeps attempts)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO quiz_answers "
                "(lesson_id, question_id, answer, correct, score, at, attempt) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    lesson_id,
                    question_id,
                    json.dumps(answer),
                    int(correct),
                    score,
                    time.time(),
                    attempt,
                ),
            )

    def start_quiz_attempt(self, lesson_id: str, seed: str) -> int:
        """Open a new attempt at a lesson's quiz; returns its id."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO quiz_attempts (lesson_id, seed, started) VALUES (?, ?, ?)",
                (lesson_id, seed, time.time()),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def finish_quiz_attempt(self, attempt: int, score: float, passed: bool) -> None:
        """Close an attempt with its score and verdict (from `tutor.quiz.scoring`)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE quiz_attempts SET finished = ?, score = ?, passed = ? WHERE id = ?",
                (time.time(), score, int(passed), attempt),
            )

    def last_quiz_attempt(self, lesson_id: str) -> QuizAttempt | None:
        """The latest attempt at a lesson's quiz with its answers, or None."""
        row = self._db.execute(
            "SELECT id, seed, finished, score, passed FROM quiz_attempts "
            "WHERE lesson_id = ? ORDER BY id DESC LIMIT 1",
            (lesson_id,),
        ).fetchone()
        if row is None:
            return None
        answers: dict[str, dict[str, Any]] = {}
        for question, answer, correct, score in self._db.execute(
            "SELECT question_id, answer, correct, score FROM quiz_answers "
            "WHERE attempt = ? ORDER BY id",
            (row[0],),
        ):
            answers[question] = {
                "answer": json.loads(answer),
                "correct": bool(correct),
                "score": score,
            }
        passed = None if row[4] is None else bool(row[4])
        return QuizAttempt(row[0], row[1], row[2] is not None, row[3], passed, answers)

    def quiz_summary(self, lesson_id: str) -> QuizSummary:
        """How many questions of a lesson were answered, and how many right at least once."""
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(best), 0) FROM ("
            " SELECT MAX(correct) AS best FROM quiz_answers WHERE lesson_id = ?"
            " GROUP BY question_id)",
            (lesson_id,),
        ).fetchone()
        return QuizSummary(answered=row[0], correct=row[1])

    def attempts(self, lesson_id: str) -> list[dict[str, Any]]:
        """Every answer recorded for a lesson, oldest first."""
        rows = self._db.execute(
            "SELECT question_id, answer, correct, score, at FROM quiz_answers "
            "WHERE lesson_id = ? ORDER BY id",
            (lesson_id,),
        )
        return [
            {"question": q, "answer": json.loads(a), "correct": bool(c), "score": s, "at": at}
            for q, a, c, s, at in rows
        ]

    # -- labs -------------------------------------------------------------------------

    def record_lab(self, lab_id: str, backend: str, passed: bool, results: Any) -> None:
        """Record a lab check round with its per-check results."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO lab_attempts (lab_id, backend, passed, results, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (lab_id, backend, int(passed), json.dumps(results), time.time()),
            )

    def labs_passed(self) -> set[str]:
        """Ids of labs whose checks all passed at least once."""
        return {
            row[0]
            for row in self._db.execute("SELECT DISTINCT lab_id FROM lab_attempts WHERE passed")
        }

    def record_hint(self, lab_id: str, check_id: str, tier: int) -> None:
        """Record that a hint tier was shown."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO hints_used VALUES (?, ?, ?, ?)",
                (lab_id, check_id, tier, time.time()),
            )

    def hints_used(self, lab_id: str) -> dict[str, int]:
        """The highest hint tier shown per check of a lab (1-based)."""
        rows = self._db.execute(
            "SELECT check_id, MAX(tier) FROM hints_used WHERE lab_id = ? GROUP BY check_id",
            (lab_id,),
        )
        return {check: tier for check, tier in rows}

    def export(self) -> dict[str, Any]:
        """Everything in the store as plain data (for `kube-tutor progress export`)."""
        out: dict[str, Any] = {"schema": SCHEMA_VERSION}
        for table in (
            "lesson_reads",
            "quiz_attempts",
            "quiz_answers",
            "lab_attempts",
            "hints_used",
            "exam_attempts",
            "drill_attempts",
            "review_cards",
        ):
            cursor = self._db.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
            names = [c[0] for c in cursor.description]
            out[table] = [dict(zip(names, row, strict=True)) for row in cursor]
        return out
