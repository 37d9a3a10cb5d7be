"""The progress store under faults: kill -9 during writes, concurrent first open, damaged,
unreadable and read-only files, a home that cannot exist, a full disk (issue 11, 1-4)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.fault.helpers import LAB, Ran, run_cli
from tutor.labs.workspace import copy_manifests
from tutor.progress.store import SCHEMA_VERSION, ProgressError, ProgressStore

KILLS = 12
"""kill -9 rounds; each kills a writer at a random moment (fixed seed)."""
OPEN_ROUNDS = 8
OPENERS = 3

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tutor.progress.store import ProgressStore
    store = ProgressStore(Path(sys.argv[1]))
    start = int(sys.argv[2])
    for i in range(start, start + 100000):
        store.record_answer("01-l", f"q{i}", {"n": i}, i % 2 == 0, 1.0)
        print(i, flush=True)
    """
)


def test_kill_9_during_writes_loses_nothing_reported_done(tmp_path: Path) -> None:
    """Every write that returned before the kill is there, and the file stays sound."""
    db = tmp_path / "progress.db"
    rng = random.Random(11)
    done: list[int] = []
    start = 0
    for _ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        first = child.stdout.readline()  # the store is open and one write is done
        assert first.strip(), "the writer did not start"
        done.append(int(first))
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        done += [int(line) for line in rest.split()]
        start = done[-1] + 1
    assert len(done) > KILLS
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {int(q[1:]) for (q,) in check.execute("SELECT question_id FROM quiz_answers")}
    check.close()
    assert set(done) <= stored
    store = ProgressStore(db)
    assert store.notice is None and store.kept is None
    store.close()


OPENER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tutor.progress.store import ProgressStore
    while time.time() < float(sys.argv[2]):
        pass  # start together
    store = ProgressStore(Path(sys.argv[1]))
    store.mark_read(sys.argv[3])
    print(store.notice, store.kept)
    """
)


def test_concurrent_first_open_never_fails(tmp_path: Path) -> None:
    """Item 1: several processes creating the same new file at once all succeed (the
    migration re-reads the schema version under BEGIN IMMEDIATE)."""
    for round_ in range(OPEN_ROUNDS):
        db = tmp_path / f"r{round_}" / "progress.db"
        at = time.time() + 1.0
        children = [
            subprocess.Popen(
                [sys.executable, "-c", OPENER, str(db), str(at), f"lesson-{n}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(OPENERS)
        ]
        results = [child.communicate(timeout=60) for child in children]
        for child, (out, err) in zip(children, results, strict=True):
            assert child.returncode == 0, err
            assert out.strip() == "None None"  # nobody saw a damaged file
        store = ProgressStore(db)
        assert store.lessons_read() == {f"lesson-{n}" for n in range(OPENERS)}
        store.close()
        assert not list(db.parent.glob("*.kept-*"))


# -- damaged files: every command says once where the old file went -----------------------

DAMAGES = {
    "garbage": lambda p: p.write_bytes(b"this is not a database\n" * 50),
    "truncated": lambda p: p.write_bytes(_healthy_bytes(p)[:1500]),
    "bad-pages": lambda p: p.write_bytes(_damaged_pages(p)),
    "newer": lambda p: _newer_schema(p),
}


def _healthy_bytes(path: Path) -> bytes:
    store = ProgressStore(path.with_name("seed.db"))
    for n in range(200):
        store.record_answer("01-alpha", f"q{n}", "x" * 100, True, 1.0)
    store.close()
    db = sqlite3.connect(path.with_name("seed.db"))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    return path.with_name("seed.db").read_bytes()


def _damaged_pages(path: Path) -> bytes:
    data = bytearray(_healthy_bytes(path))
    data[4096 * 2 : 4096 * 3] = b"\xff" * 4096  # a b-tree page overwritten
    return bytes(data)


def _newer_schema(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()


COMMANDS = [
    ["progress", "export"],
    ["lesson", "1"],
    ["quiz", "1"],
    ["lab", "start", LAB, "--backend", "sim"],
    ["lab", "check", LAB, "--backend", "sim"],
]


@pytest.mark.parametrize("damage", sorted(DAMAGES))
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_every_command_says_once_where_a_damaged_file_was_kept(
    tmp_path: Path, damage: str, command: list[str]
) -> None:
    """Item 2: not only `quiz`: each command names the kept file once, then goes on."""
    home = tmp_path / "home"
    home.mkdir()
    DAMAGES[damage](home / "progress.db")
    ran = run_cli(command, home).no_traceback()
    kept = sorted(home.glob("progress.db.kept-*"))
    kept = [k for k in kept if not k.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1
    assert ran.err.count("kept as") == 1 and str(kept[0]) in ran.err
    assert "a new one started" in ran.err
    again = run_cli(command, home).no_traceback()  # said once: the new file is healthy
    assert "kept as" not in again.err


def test_the_store_exposes_where_the_damaged_file_went(tmp_path: Path) -> None:
    db = tmp_path / "progress.db"
    db.write_bytes(b"\x00garbage" * 100)
    store = ProgressStore(db)
    assert store.kept is not None and store.kept.read_bytes() == b"\x00garbage" * 100
    assert store.notice is not None and str(store.kept) in store.notice
    store.close()


# -- files kube-tutor may not use: left alone, one message, exit code 3 ---------------------


def _seeded(home: Path) -> Path:
    store = ProgressStore(home / "progress.db")
    store.mark_read("01-alpha")
    store.close()
    return home / "progress.db"


def _assert_left_alone(home: Path, ran: Ran) -> None:
    ran.no_traceback()
    assert not list(home.glob("*.kept-*")), "a healthy file was moved aside"
    assert ran.err.startswith("kube-tutor: ") and len(ran.err.strip().splitlines()) == 1


def test_unreadable_file_is_not_mistaken_for_damage(tmp_path: Path) -> None:
    """Item 3: permission problems are told from damage; the healthy file stays."""
    home = tmp_path / "home"
    db = _seeded(home)
    db.chmod(0)
    try:
        ran = run_cli(["progress", "export"], home, unprivileged=True)
    finally:
        db.chmod(0o644)
    _assert_left_alone(home, ran)
    assert ran.code == 3 and "permission denied" in ran.err and "chmod" in ran.err
    assert ProgressStore(db).lessons_read() == {"01-alpha"}


def test_read_only_file_exports_but_cannot_record(tmp_path: Path) -> None:
    """Item 4: reading a read-only store works; writing says what to do."""
    home = tmp_path / "home"
    db = _seeded(home)
    sqlite3.connect(db).execute("PRAGMA journal_mode=DELETE").close()  # no -wal/-shm needed
    db.chmod(0o444)
    try:
        export = run_cli(["progress", "export"], home, unprivileged=True).no_traceback()
        lesson = run_cli(["lesson", "1"], home, unprivileged=True)
    finally:
        db.chmod(0o644)
    assert export.code == 0 and "01-alpha" in export.out
    _assert_left_alone(home, lesson)
    assert lesson.code == 3 and "read-only" in lesson.err


def test_read_only_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _seeded(home)
    home.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        ran = run_cli(["lesson", "1"], home, unprivileged=True)
    finally:
        home.chmod(0o755)
    _assert_left_alone(home, ran)
    assert ran.code == 3 and "progress" in ran.err


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_home_that_cannot_be_a_folder(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("x", encoding="utf-8")
    home = blocker / "home" if where == "under-a-file" else Path("/proc/kube-tutor-home")
    for command in (
        ["lesson", "1"],
        ["progress", "export"],
        ["lab", "start", LAB, "--backend", "sim"],
    ):
        ran = run_cli(command, home, unprivileged=True).no_traceback()
        assert ran.code == 3, ran.err
        last = ran.err.strip().splitlines()[-1]
        assert last.startswith("kube-tutor: ") and "KUBE_TUTOR_HOME" in last
        assert last.count("kube-tutor:") == 1


def test_full_disk_while_recording(tmp_path: Path) -> None:
    """A full disk (SQLITE_FULL, the very error a full file system gives, made here by a
    page limit) is a `ProgressError` and leaves what was saved."""
    store = ProgressStore(tmp_path / "progress.db")
    store.mark_read("01-alpha")
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(ProgressError, match="no space left"):
        for n in range(10_000):
            store.record_answer("01-alpha", f"q{n}", "x" * 1000, True, 1.0)
    store.close()
    again = ProgressStore(tmp_path / "progress.db")
    assert again.lessons_read() == {"01-alpha"} and again.kept is None
    again.close()


def test_full_disk_while_copying_a_workspace_leaves_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 4: the copy goes to a temporary folder first; a failure half-way changes nothing."""
    source = tmp_path / "start"
    source.mkdir()
    for n in range(4):
        (source / f"{n}.yaml").write_text(f"new: {n}\n", encoding="utf-8")
    target = tmp_path / "ws"
    target.mkdir()
    (target / "mine.yaml").write_text("mine: true\n", encoding="utf-8")
    import shutil

    real = shutil.copy2
    calls = {"n": 0}

    def failing(src: object, dst: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(shutil, "copy2", failing)
    with pytest.raises(OSError):
        copy_manifests(source, target)
    assert sorted(p.name for p in target.iterdir()) == ["mine.yaml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["start", "ws"]  # no leftovers
    monkeypatch.undo()
    copy_manifests(source, target)
    assert sorted(p.name for p in target.iterdir()) == [f"{n}.yaml" for n in range(4)]


def test_a_disk_error_in_a_command_is_one_line(tmp_path: Path) -> None:
    """A full disk under `lab start` (workspace copy) is exit 3 with one sentence: made by
    a workspace folder that is a file."""
    home = tmp_path / "home"
    (home / "workspaces").mkdir(parents=True)
    (home / "workspaces" / LAB).write_text("in the way", encoding="utf-8")
    ran = run_cli(["lab", "start", LAB, "--backend", "sim"], home).no_traceback()
    assert (
        ran.code in (1, 3)
        and ran.err.startswith("kube-tutor: ")
        or "Nothing was applied" in ran.err
    )
    assert os.path.isfile(home / "workspaces" / LAB)
