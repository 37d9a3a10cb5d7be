"""How `cluster up|down|clean` show their steps: a live spinner line with the elapsed time on a
terminal, plain lines otherwise (a pipe, a log, `--plain`)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from tutor.cluster.kind_report import Progress

UNICODE_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
ASCII_FRAMES = "|/-\\"
CLEAR_LINE = "\r\x1b[2K"
"""Back to the line's start and erase it (ECMA-48 EL 2), so the status line is redrawn."""
TICK = 0.1
"""Seconds between two frames of the spinner."""


def elapsed_text(seconds: float) -> str:
    """`4.2s` under a minute, `1m05s` from then on."""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{seconds:.1f}s"


def _ended(progress: Progress) -> str:
    word = {"done": "done", "skip": "skipped", "fail": "FAILED"}.get(progress.state, "")
    detail = f": {progress.detail}" if progress.detail else ""
    return f"[{progress.step}/{progress.total}] {word} in {elapsed_text(progress.elapsed)}{detail}"


class ProgressView:
    """A `ProgressFn` that draws the steps on `stream`.

    Live (a terminal, not `--plain`): the running step is one status line, `⠹ [2/6] create
    the kind cluster ... 12.3s`, redrawn every `TICK` seconds by a background thread; a
    tool's own lines are printed above it; when the step ends the status line becomes
    `[2/6] done in 48.0s: detail`. Plain: `[2/6] title ...`, the tool's lines indented, then
    the same end line. The clock and the ticker can be swapped for tests."""

    def __init__(
        self,
        stream: TextIO,
        *,
        live: bool,
        clock: Callable[[], float] = time.monotonic,
        ticker: bool = True,
        width: Callable[[], int] | None = None,
    ) -> None:
        self.stream = stream
        self.live = live
        self.clock = clock
        self.ticker = ticker
        self.width = width or (lambda: shutil.get_terminal_size((80, 24)).columns)
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        self.frames = UNICODE_FRAMES if encoding == "utf8" else ASCII_FRAMES
        self._lock = threading.RLock()
        self._frame = 0
        self._current: Progress | None = None
        self._started = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the ProgressFn ----------------------------------------------------------------------

    def __call__(self, progress: Progress) -> None:
        """Show one report of the lifecycle (called from its thread and from the thread
        that reads a tool's output)."""
        with self._lock:
            if progress.state == "start":
                self._begin(progress)
            elif progress.state == "line":
                self._line(progress.detail)
            else:
                self._end(progress)

    def _begin(self, progress: Progress) -> None:
        self._current = progress
        self._started = self.clock()
        self._frame = 0
        if not self.live:
            self._write(f"[{progress.step}/{progress.total}] {progress.title} ...\n")
            return
        self._draw()
        self._start_ticker()

    def _line(self, text: str) -> None:
        if not self.live:
            self._write(f"      {text}\n")
            return
        self._write(CLEAR_LINE + f"      {text}\n")
        if self._current is not None:
            self._draw()

    def _end(self, progress: Progress) -> None:
        self._current = None
        self._stop_ticker()
        self._write((CLEAR_LINE if self.live else "") + _ended(progress) + "\n")

    # -- the live status line ------------------------------------------------------------------

    def status_line(self) -> str:
        """The running step's status line as drawn now (empty between steps)."""
        current = self._current
        if current is None:
            return ""
        frame = self.frames[self._frame % len(self.frames)]
        took = elapsed_text(self.clock() - self._started)
        text = f"{frame} [{current.step}/{current.total}] {current.title} ... {took}"
        room = max(20, self.width() - 1)  # a wrapped line could not be redrawn in place
        return text if len(text) <= room else text[: room - 3] + "..."

    def tick(self) -> None:
        """Advance the spinner one frame and redraw (the ticker thread calls this)."""
        with self._lock:
            if self._current is None or not self.live:
                return
            self._frame += 1
            self._draw()

    def _draw(self) -> None:
        self._write(CLEAR_LINE + self.status_line())

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _start_ticker(self) -> None:
        if not self.ticker or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run_ticker, name="progress", daemon=True)
        self._thread.start()

    def _run_ticker(self) -> None:
        while not self._stop.wait(TICK):
            self.tick()

    def _stop_ticker(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        if thread is not threading.current_thread():
            # the lock is re-entrant and held here; the ticker waits for it at most one frame
            self._lock.release()
            try:
                thread.join(timeout=2)
            finally:
                self._lock.acquire()

    def close(self) -> None:
        """Stop the ticker and leave the cursor on a fresh line if a status line is drawn."""
        with self._lock:
            drawn = self._current is not None and self.live
            self._current = None
            self._stop_ticker()
            if drawn:
                self._write(CLEAR_LINE)


def progress_view(stream: TextIO, *, plain: bool) -> ProgressView:
    """The view for the CLI: live on a terminal unless `--plain` (or NO_COLOR) asked for
    plain lines."""
    live = not plain and bool(getattr(stream, "isatty", lambda: False)())
    return ProgressView(stream, live=live)
