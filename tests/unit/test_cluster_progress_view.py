"""`cluster up`'s live progress: a spinner line per step with the elapsed time on a terminal,
plain lines on a pipe or with --plain (a fake clock and stream; no Docker)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from tutor.cli import main
from tutor.cli.progress_view import CLEAR_LINE, ProgressView, elapsed_text, progress_view
from tutor.cluster.kind_report import Progress


class Terminal(io.StringIO):
    """A UTF-8 terminal stand-in: what was written, and `isatty()` True."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def isatty(self) -> bool:
        return True


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


TITLE = "create the kind cluster kube-tutor"


def test_a_step_is_a_spinner_line_with_its_elapsed_time_then_a_done_line() -> None:
    out, clock = Terminal(), Clock()
    view = ProgressView(out, live=True, clock=clock, ticker=False, width=lambda: 120)
    view(Progress(2, 6, TITLE, "start"))
    assert out.getvalue() == f"{CLEAR_LINE}⠋ [2/6] {TITLE} ... 0.0s"
    clock.now += 2.5
    view.tick()
    assert out.getvalue().endswith(f"{CLEAR_LINE}⠙ [2/6] {TITLE} ... 2.5s")
    clock.now += 60.0
    view.tick()
    assert view.status_line() == f"⠹ [2/6] {TITLE} ... 1m02s"
    view(Progress(2, 6, TITLE, "done", "created", elapsed=62.5))
    assert out.getvalue().endswith(f"{CLEAR_LINE}[2/6] done in 1m02s: created\n")
    assert view.status_line() == ""
    before = out.getvalue()
    view.tick()  # between steps nothing is drawn
    assert out.getvalue() == before


def test_a_tools_line_is_printed_above_the_redrawn_status_line() -> None:
    out, clock = Terminal(), Clock()
    view = ProgressView(out, live=True, clock=clock, ticker=False, width=lambda: 120)
    view(Progress(2, 6, TITLE, "start"))
    clock.now += 4.0
    view(Progress(2, 6, TITLE, "line", " ✓ Ensuring node image (kindest/node:v1.37.0)"))
    lines = out.getvalue().split(CLEAR_LINE)
    assert lines[-2] == "       ✓ Ensuring node image (kindest/node:v1.37.0)\n"
    assert lines[-1] == f"⠋ [2/6] {TITLE} ... 4.0s"


def test_plain_lines_have_no_escape_codes_and_no_redraws() -> None:
    out, clock = Terminal(), Clock()
    view = ProgressView(out, live=False, clock=clock, ticker=False)
    view(Progress(4, 6, "download and preload the images labs use", "start"))
    view.tick()
    view(Progress(4, 6, "download and preload the images labs use", "line", "2.39: Pulling"))
    view(Progress(4, 6, "download and preload the images labs use", "fail", "no network", 3.0))
    assert out.getvalue() == (
        "[4/6] download and preload the images labs use ...\n"
        "      2.39: Pulling\n"
        "[4/6] FAILED in 3.0s: no network\n"
    )


def test_a_long_status_line_is_cut_to_the_terminal_width() -> None:
    out = Terminal()
    view = ProgressView(out, live=True, clock=Clock(), ticker=False, width=lambda: 40)
    view(Progress(1, 6, "x" * 100, "start"))
    assert len(view.status_line()) == 39 and view.status_line().endswith("...")


def test_ascii_spinner_where_the_stream_is_not_utf8() -> None:
    out = io.StringIO()  # no encoding: a Windows console in cp1252 is treated the same
    view = ProgressView(out, live=True, clock=Clock(), ticker=False)
    view(Progress(1, 2, "stop cloud-provider-kind", "start"))
    assert view.status_line().startswith("| [1/2]")


def test_the_ticker_thread_redraws_while_a_step_runs_and_stops_with_it() -> None:
    out = Terminal()
    view = ProgressView(out, live=True, width=lambda: 120)
    view(Progress(1, 2, "wait until all 4 nodes are Ready", "start"))
    deadline = time.monotonic() + 5
    while out.getvalue().count(CLEAR_LINE) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert out.getvalue().count(CLEAR_LINE) >= 3  # drawn, then redrawn by the ticker
    view(Progress(1, 2, "wait until all 4 nodes are Ready", "done", elapsed=1.0))
    assert view._thread is None
    ended = out.getvalue()
    time.sleep(0.3)
    assert out.getvalue() == ended and ended.endswith("[1/2] done in 1.0s\n")


def test_live_only_on_a_terminal_and_never_with_plain() -> None:
    assert progress_view(Terminal(), plain=False).live
    assert not progress_view(Terminal(), plain=True).live
    assert not progress_view(io.StringIO(), plain=False).live


def test_elapsed_text() -> None:
    assert [elapsed_text(s) for s in (0.04, 9.96, 59.9, 60.0, 3725.0)] == [
        "0.0s",
        "10.0s",
        "59.9s",
        "1m00s",
        "62m05s",
    ]


@pytest.mark.parametrize("plain", [False, True])
def test_cluster_up_draws_live_on_a_terminal_and_plain_with_the_flag(
    plain: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI wiring: with no tools on PATH the first step fails, drawn as a spinner line
    on a terminal and as plain lines with --plain; the log file is named first."""
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    assert main(["cluster", "up", *(["--plain"] if plain else [])]) == 1
    shown = terminal.getvalue()
    assert shown.startswith("Every step and the tools' output are also logged to ")
    assert "cluster-up.log" in shown.splitlines()[0]
    assert ("\x1b[2K" in shown) is not plain
    assert "[1/" in shown and "FAILED in" in shown
    if not plain:
        assert "⠋ [1/" in shown
