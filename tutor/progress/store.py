"""The learner's progress in SQLite: lessons read, quiz attempts, lab attempts, hints used.

Every write is one transaction, so an interrupted write leaves the last committed state.
A file that is corrupt, or written by a newer kube-tutor, is moved aside (never overwritten)
and a fresh store starts, with a message saying where the old file went. A file that cannot
be read or written (permissions, a full disk) is left alone: `ProgressError` says what to do.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar

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


class ProgressError(Exception):
    """The progress file cannot be used; the message says why and what to do.

    Raised for what the learner's machine is doing (permissions, a full disk, a folder that
    is a file), never for a damaged file: that one is kept aside and a fresh store starts.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_SQLITE_HEADER = b"SQLite format 3\x00"
_DAMAGE = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
"""The only SQLite errors that mean the file's bytes are bad (and it may be moved aside)."""
_BUSY_SECONDS = 30.0


class ProgressStore:
    """A small, transactional store of the learner's progress."""

    announce: ClassVar[Callable[[str], None] | None] = None
    """Set by the command line: says a damaged file was kept aside at once (on stderr)
    instead of leaving `notice` for a UI to show."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.notice: str | None = None
        """Set when the old file had to be moved aside; the UI shows it once."""
        self.kept: Path | None = None
        """Where a damaged (or newer) progress file was kept, when that happened."""
        self._make_folder(self.path.parent)
        with _OpenLock(self.path):
            self._db = self._open()

    # -- opening and migrations -------------------------------------------------------

    @staticmethod
    def _make_folder(folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            blocking = next((p for p in (folder, *folder.parents) if p.is_file()), folder)
            raise ProgressError(
                f"Cannot keep your progress in {folder}: {blocking} is a file, not a "
                "folder. Set KUBE_TUTOR_HOME to a folder (or unset it)."
            ) from exc
        except OSError as exc:
            raise ProgressError(
                f"Cannot create the folder {folder} for your progress "
                f"({exc.strerror or exc}). Set KUBE_TUTOR_HOME to a folder you can write."
            ) from exc

    def _open(self) -> sqlite3.Connection:
        problem = self._problem_with_existing_file()
        if problem is not None:
            self.kept = self._keep_aside(problem)
            message = (
                f"Your progress file {problem}; it was kept as {self.kept} and a new one "
                "started. Your earlier progress is in that file: keep it to recover it later, "
                "or delete it."
            )
            if ProgressStore.announce is not None:
                ProgressStore.announce(message)
            else:
                self.notice = message
        try:
            db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=_BUSY_SECONDS
            )
        except sqlite3.Error as exc:
            raise self.trouble(exc) from exc
        try:
            try:
                db.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                if not str(getattr(exc, "sqlite_errorname", "")).startswith("SQLITE_READONLY"):
                    raise
                # A read-only file can still be read (`progress export`); a write then
                # says what to do (see `trouble`).
            db.execute("PRAGMA synchronous=NORMAL")
            self._migrate(db)
        except sqlite3.Error as exc:
            db.close()
            raise self.trouble(exc) from exc
        return db

    def _problem_with_existing_file(self) -> str | None:
        """Why the existing file is not a usable store (None when it is, or is absent).

        Only bytes that are not a kube-tutor database count: a file that cannot be read
        (permissions, I/O) raises `ProgressError` and stays where it is.
        """
        try:
            with open(self.path, "rb") as handle:
                header = handle.read(len(_SQLITE_HEADER))
        except FileNotFoundError:
            return None
        except PermissionError as exc:
            raise ProgressError(
                f"Not allowed to read your progress file {self.path} (permission denied); "
                f"it was left as it is. Give yourself access (chmod u+rw '{self.path}'), or "
                "set KUBE_TUTOR_HOME to another folder."
            ) from exc
        except OSError as exc:
            raise ProgressError(
                f"Cannot read your progress file {self.path} ({exc.strerror or exc}); "
                "it was left as it is."
            ) from exc
        if not header:
            return None  # empty: SQLite's own new file (or one being created right now)
        if header != _SQLITE_HEADER:
            return "is not a database kube-tutor can read"
        try:
            db = sqlite3.connect(
                self.path.resolve().as_uri() + "?mode=ro", uri=True, timeout=_BUSY_SECONDS
            )
            try:
                if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    return "is damaged"
                version = db.execute("PRAGMA user_version").fetchone()[0]
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            if str(getattr(exc, "sqlite_errorname", "")).startswith(_DAMAGE):
                return "is damaged" if "malformed" in str(exc) else "is not a database kube-tutor can read"
            raise self.trouble(exc) from exc
        if version > SCHEMA_VERSION:
            return f"was written by a newer kube-tutor (schema {version}, this one knows {SCHEMA_VERSION})"
        return None

    def _keep_aside(self, problem: str) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.kept-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.kept-{stamp}-{n}")
        try:
            self.path.rename(target)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    side.rename(target.with_name(target.name + suffix))
        except OSError as exc:
            raise ProgressError(
                f"Your progress file {self.path} {problem}, and it cannot be moved aside "
                f"({exc.strerror or exc}). Move or delete it yourself, or make its folder "
                "writable, then run kube-tutor again."
            ) from exc
        return target

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return  # the usual case: no write lock taken just to open
        # The version is read again under the write lock: another process opening the same
        # new file may have migrated it between our first look and now.
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {target}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def trouble(self, exc: sqlite3.Error) -> ProgressError:
        """A `ProgressError` saying in words what an SQLite error means for the learner."""
        name = str(getattr(exc, "sqlite_errorname", ""))
        where = self.path
        if name.startswith("SQLITE_FULL") or "disk is full" in str(exc):
            text = (
                f"There is no space left to save your progress in {where}. Free some disk "
                "space and run the command again; what was saved before is intact."
            )
        elif name.startswith("SQLITE_READONLY"):
            text = (
                f"Your progress file {where} or its folder is read-only, so progress cannot "
                f"be saved. Make both writable (chmod u+w '{where}' '{where.parent}'), or set "
                "KUBE_TUTOR_HOME to a folder you can write."
            )
        elif name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
            text = (
                f"Cannot open the progress file {where}: check that you may read "
                f"and write it and its folder {where.parent}, or set KUBE_TUTOR_HOME."
            )
        elif name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            text = (
                f"Your progress file {where} stayed locked by another program for "
                f"{_BUSY_SECONDS:.0f} s. Close other kube-tutor windows and try again."
            )
        elif name.startswith(_DAMAGE):
            text = (
                f"Your progress file {where} became damaged while in use ({exc}). Run the "
                "command again: kube-tutor keeps the damaged file aside and starts a new one."
            )
        else:
            text = f"Cannot use the progress file {where}: {exc}."
        return ProgressError(text)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all.

        SQLite errors become `ProgressError` (a full disk, a read-only file); the rollback
        leaves the last committed state.
        """
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self.trouble(exc) from exc

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of a query (SQLite errors become `ProgressError`)."""
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self.trouble(exc) from exc

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
        return {row[0] for row in self._rows("SELECT lesson_id FROM lesson_reads")}

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
        found = self._rows(
            "SELECT id, seed, finished, score, passed FROM quiz_attempts "
            "WHERE lesson_id = ? ORDER BY id DESC LIMIT 1",
            (lesson_id,),
        )
        if not found:
            return None
        row = found[0]
        answers: dict[str, dict[str, Any]] = {}
        for question, answer, correct, score in self._rows(
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
        row = self._rows(
            "SELECT COUNT(*), COALESCE(SUM(best), 0) FROM ("
            " SELECT MAX(correct) AS best FROM quiz_answers WHERE lesson_id = ?"
            " GROUP BY question_id)",
            (lesson_id,),
        )[0]
        return QuizSummary(answered=row[0], correct=row[1])

    def attempts(self, lesson_id: str) -> list[dict[str, Any]]:
        """Every answer recorded for a lesson, oldest first."""
        rows = self._rows(
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
            row[0] for row in self._rows("SELECT DISTINCT lab_id FROM lab_attempts WHERE passed")
        }

    def record_hint(self, lab_id: str, check_id: str, tier: int) -> None:
        """Record that a hint tier was shown."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO hints_used VALUES (?, ?, ?, ?)",
                (lab_id, check_id, tier, time.time()),
            )

    def reset_hints(self, lab_id: str) -> None:
        """Forget the hints shown for a lab (`lab reset`: the next hint is tier 1 again)."""
        with self.transaction() as db:
            db.execute("DELETE FROM hints_used WHERE lab_id = ?", (lab_id,))

    def hints_used(self, lab_id: str) -> dict[str, int]:
        """The highest hint tier shown per check of a lab (1-based)."""
        rows = self._rows(
            "SELECT check_id, MAX(tier) FROM hints_used WHERE lab_id = ? GROUP BY check_id",
            (lab_id,),
        )
        return {check: tier for check, tier in rows}

    def export(self) -> dict[str, Any]:
        """Everything in the store as plain data (for `kube-tutor progress export`)."""
        out: dict[str, Any] = {"schema": SCHEMA_VERSION}
        try:
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
        except sqlite3.Error as exc:
            raise self.trouble(exc) from exc
        return out


class _OpenLock:
    """An advisory lock held while the file is checked, moved aside and migrated.

    Without it a second process could check the old damaged file, then move aside the fresh
    one the first process just made. Where no lock file can be made (a read-only folder)
    the open goes on without it: SQLite's own locks still keep the data safe.
    """

    def __init__(self, path: Path) -> None:
        self.lock_path = path.with_name(f".{path.name}.lock")
        self.handle: IO[bytes] | None = None

    def __enter__(self) -> _OpenLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: SQLite's locks only
            return self
        try:
            self.handle = open(self.lock_path, "ab")  # noqa: SIM115 - released in __exit__
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX)
        except OSError:
            if self.handle is not None:
                self.handle.close()
            self.handle = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            self.handle.close()  # closing releases the lock
