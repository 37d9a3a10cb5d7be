"""`kube-tutor exam`, `drill` and `review` from the shell, on the in-process simulator."""

from __future__ import annotations

import io
import json
import time
from unittest import mock

import pytest

from tutor.cli import main
from tutor.cli.exam import _Alarm, deadline
from tutor.progress.store import ProgressStore


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], stdin: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_same_seed_shows_the_same_paper(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["exam", "--seed", "pair", "--questions", "6", "--labs", "1", "--show-paper", "--json"]
    _, first, _ = _run(monkeypatch, capsys, argv, "")
    _, second, _ = _run(monkeypatch, capsys, argv, "")
    assert json.loads(first) == json.loads(second)
    assert len(json.loads(first)["items"]) == 7


def test_an_exam_skipped_through_grades_the_lab_and_is_recorded(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every question skipped (empty line), Enter on the lab: the lab is graded by its checks
    on its start state (failing), the report is JSON on stdout and kept in progress."""
    argv = ["exam", "--seed", "s", "--questions", "2", "--labs", "1", "--minutes", "0", "--json"]
    argv += ["--backend", "sim", "--topic", "01"]
    code, out, err = _run(monkeypatch, capsys, argv, "\n" * 10)
    report = json.loads(out)
    assert code == 1 and report["ended_by"] == "finished" and report["score"] == 0.0
    lab = report["items"][-1]
    assert lab["kind"] == "lab" and lab["graded"] and not lab["passed"]
    assert lab["checks"] and all("status" in c for c in lab["checks"])
    assert [i["answered"] for i in report["items"][:2]] == [False, False]
    assert "skipped" in err  # the prompts went to stderr
    exported = ProgressStore().export()
    assert [row["fingerprint"] for row in exported["exam_attempts"]] == [report["fingerprint"]]


def test_the_clock_interrupts_a_prompt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def slow_input(prompt: str = "") -> str:
        time.sleep(5)
        return ""

    started = time.monotonic()
    with pytest.raises(_Alarm), deadline(0.2):
        slow_input()
    assert time.monotonic() - started < 2
    monkeypatch.setattr("builtins.input", slow_input)
    argv = ["exam", "--seed", "t", "--questions", "2", "--labs", "0", "--minutes", "0.01", "--json"]
    code, out, _ = _run(monkeypatch, capsys, argv, "")
    report = json.loads(out)
    assert report["ended_by"] == "time" and code == 1
    assert report["seconds"] == pytest.approx(0.6, abs=0.2)


def test_a_drill_with_a_right_cause_and_no_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cause = "targetPort http-web names no container port; the port is named http"
    argv = ["drill", "04", "--backend", "sim", "--cause", cause, "--json"]
    code, out, err = _run(monkeypatch, capsys, argv, "\n")  # one check round, then EOF
    data = json.loads(out)
    assert code == 1  # right cause, but not fixed
    assert data["cause"]["verdict"] == "right" and not data["fixed"]
    assert data["checks"] and "Root cause: RIGHT" in err
    assert "The root cause:" in err


def test_review_lists_a_wrong_answer_and_asks_it_when_due(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ProgressStore()
    past = time.time() - 3600
    with mock.patch("tutor.progress.store.time.time", return_value=past):
        store.record_answer("02-endpointslices", "link-label", "x", False, 0.0)
    code, out, _ = _run(monkeypatch, capsys, ["review", "--list", "--json"], "")
    (card,) = json.loads(out)
    assert card["item"] == "q:02-endpointslices/link-label" and card["due"] < time.time()
    code, out, _ = _run(monkeypatch, capsys, ["review"], "kubernetes.io/service-name\n")
    assert "1 due for review." in out and "RIGHT." in out
    code, out, _ = _run(monkeypatch, capsys, ["review", "--list", "--json"], "")
    (card,) = json.loads(out)
    assert card["due"] > time.time()  # answered right: no longer due
