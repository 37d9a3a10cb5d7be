"""The progress store: round trips, best-per-question summaries, and files it must not lose."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tutor.progress.store import SCHEMA_VERSION, ProgressError, ProgressStore, default_path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A progress file path in a fresh folder."""
    return tmp_path / "data" / "progress.db"


def test_default_path_honours_kube_tutor_home(_private_home: Path) -> None:
    assert os.environ["KUBE_TUTOR_HOME"] == str(_private_home)
    assert default_path() == _private_home / "progress.db"
    store = ProgressStore()
    assert store.path == _private_home / "progress.db" and store.path.exists()
    store.close()


def test_round_trip_survives_reopening(db_path: Path) -> None:
    store = ProgressStore(db_path)
    assert store.notice is None
    store.mark_read("01-services")
    store.mark_read("01-services")
    store.mark_read("02-endpoints")
    store.record_answer("01-services", "q1", ["a", "c"], False, 0.5)
    store.record_answer("01-services", "q2", "apiVersion: v1\n", True, 1.0)
    store.record_lab("03-lab", "sim", False, {"endpoints": "fail"})
    store.record_lab("03-lab", "sim", True, {"endpoints": "pass"})
    store.record_lab("04-lab", "kind", False, {"reach": "fail"})
    store.record_hint("03-lab", "endpoints", 1)
    store.record_hint("03-lab", "endpoints", 2)
    store.record_hint("03-lab", "endpoints", 2)
    store.record_hint("03-lab", "reach", 1)
    store.close()

    again = ProgressStore(db_path)
    assert again.notice is None
    assert again.lessons_read() == {"01-services", "02-endpoints"}
    attempts = again.attempts("01-services")
    assert [(a["question"], a["answer"], a["correct"], a["score"]) for a in attempts] == [
        ("q1", ["a", "c"], False, 0.5),
        ("q2", "apiVersion: v1\n", True, 1.0),
    ]
    assert again.labs_passed() == {"03-lab"}
    assert again.hints_used("03-lab") == {"endpoints": 2, "reach": 1}
    assert again.hints_used("04-lab") == {}
    exported = again.export()
    assert exported["schema"] == SCHEMA_VERSION
    assert len(exported["lab_attempts"]) == 3 and len(exported["hints_used"]) == 3
    assert [row["lesson_id"] for row in exported["lesson_reads"]] == ["01-services", "02-endpoints"]
    again.close()


def test_quiz_summary_counts_the_best_answer_per_question(db_path: Path) -> None:
    store = ProgressStore(db_path)
    assert store.quiz_summary("01-services").answered == 0
    store.record_answer("01-services", "q1", "a", False, 0.0)
    store.record_answer("01-services", "q1", "b", True, 1.0)
    store.record_answer("01-services", "q1", "a", False, 0.0)  # a later miss keeps the best
    store.record_answer("01-services", "q2", "x", False, 0.0)
    store.record_answer("01-services", "q3", "y", True, 1.0)
    store.record_answer("02-other", "q1", "b", True, 1.0)
    summary = store.quiz_summary("01-services")
    assert (summary.answered, summary.correct) == (3, 2)
    assert store.quiz_summary("02-other").correct == 1
    store.close()


def test_a_failed_transaction_writes_nothing(db_path: Path) -> None:
    store = ProgressStore(db_path)
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute("INSERT INTO lesson_reads VALUES ('01-half', 1, 1)")
        raise RuntimeError("boom")
    assert store.lessons_read() == set()
    store.mark_read("01-after")  # the connection is usable afterwards
    assert store.lessons_read() == {"01-after"}
    store.close()


def kept_files(db_path: Path) -> list[Path]:
    """Database files the store moved aside (without their -wal/-shm companions)."""
    found = db_path.parent.glob(f"{db_path.name}.kept-*")
    return sorted(path for path in found if not path.name.endswith(("-wal", "-shm")))


def test_corrupt_file_is_kept_aside_and_never_overwritten(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = os.urandom(3000) + b"not sqlite"
    db_path.write_bytes(garbage)
    store = ProgressStore(db_path)
    [kept] = kept_files(db_path)
    assert kept.read_bytes() == garbage
    assert store.notice is not None
    assert "is not a database kube-tutor can read" in store.notice
    assert str(kept) in store.notice
    store.mark_read("01-services")
    assert store.lessons_read() == {"01-services"}
    store.close()
    assert kept.read_bytes() == garbage
    reopened = ProgressStore(db_path)
    assert reopened.notice is None and reopened.lessons_read() == {"01-services"}
    reopened.close()


def test_damaged_pages_are_kept_aside(db_path: Path) -> None:
    store = ProgressStore(db_path)
    for number in range(300):
        store.record_answer("01-services", f"q{number}", "x" * 200, True, 1.0)
    store.close()
    data = bytearray(db_path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page : 3 * page] = os.urandom(page)  # smash a page in the middle; keep the header
    db_path.write_bytes(bytes(data))
    fresh = ProgressStore(db_path)
    [kept] = kept_files(db_path)
    assert kept.read_bytes() == bytes(data)
    assert fresh.notice is not None and str(kept) in fresh.notice
    assert fresh.attempts("01-services") == []
    fresh.close()


def test_newer_schema_is_kept_aside(db_path: Path) -> None:
    store = ProgressStore(db_path)
    store.mark_read("01-services")
    store.close()
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    raw.close()
    before = db_path.read_bytes()
    fresh = ProgressStore(db_path)
    [kept] = kept_files(db_path)
    assert fresh.notice is not None
    assert "newer kube-tutor" in fresh.notice and str(kept) in fresh.notice
    assert fresh.lessons_read() == set()
    fresh.close()
    with sqlite3.connect(kept) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 5
        assert old.execute("SELECT lesson_id FROM lesson_reads").fetchall() == [("01-services",)]
    old.close()
    assert len(kept.read_bytes()) >= len(before)


def test_two_stores_kept_aside_in_the_same_second_do_not_collide(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    for _ in range(2):
        db_path.write_bytes(b"garbage " * 100)
        ProgressStore(db_path).close()
    kept = kept_files(db_path)
    assert len(kept) == 2
    assert all(path.read_bytes() == b"garbage " * 100 for path in kept)


INTERRUPTED_WRITER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from tutor.progress.store import ProgressStore

    store = ProgressStore(Path(sys.argv[1]))
    store.mark_read("02-committed-by-child")
    with store.transaction() as db:
        db.execute("INSERT INTO lesson_reads VALUES ('03-partial', 1, 1)")
        # enough rows that SQLite spills uncommitted pages to the WAL before the crash
        for number in range(5000):
            db.execute(
                "INSERT INTO quiz_answers (lesson_id, question_id, answer, correct, score, at)"
                " VALUES ('03-partial', ?, ?, 0, 0, 0)",
                (f"q{number}", "x" * 500),
            )
        print("writing", flush=True)
        os._exit(1)  # the process dies mid-transaction: no commit, no rollback, no close
    """
)


def test_interrupted_write_leaves_the_committed_state(db_path: Path) -> None:
    store = ProgressStore(db_path)
    store.mark_read("01-committed")
    store.record_answer("01-committed", "q1", "a", True, 1.0)
    store.close()

    child = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_WRITER, str(db_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 1, child.stderr
    assert child.stdout == "writing\n"
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 100_000  # the partial write reached the disk

    after = ProgressStore(db_path)
    assert after.notice is None
    assert kept_files(db_path) == []
    assert after.lessons_read() == {"01-committed", "02-committed-by-child"}
    assert after.quiz_summary("01-committed").correct == 1
    assert after.attempts("03-partial") == []
    after.mark_read("04-next")  # and it takes new writes
    after.close()
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()


def test_a_busy_file_is_not_mistaken_for_a_corrupt_one(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holding the database locked must not get its file moved aside."""
    store = ProgressStore(db_path)
    store.mark_read("01-services")
    store.close()
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    real_connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3, "connect", lambda *a, **kw: real_connect(*a, **{**kw, "timeout": 0.05})
    )
    with pytest.raises(ProgressError, match="stayed locked by another program"):
        ProgressStore(db_path)
    other.execute("ROLLBACK")
    other.close()
    assert kept_files(db_path) == []
    monkeypatch.undo()
    again = ProgressStore(db_path)
    assert again.notice is None and again.lessons_read() == {"01-services"}
    again.close()
