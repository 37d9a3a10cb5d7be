"""Time limits and time spent per item, over an injectable clock so tests never sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]
"""Seconds from any fixed origin; `time.monotonic` outside tests."""


class FakeClock:
    """A clock that moves only when told (for tests and rehearsals)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


@dataclass
class Timer:
    """A countdown with a limit (None: untimed) that also books time to the current item."""

    limit: float | None
    """Seconds allowed; None means no limit."""
    clock: Clock = time.monotonic
    started: float = field(init=False)
    spent: dict[str, float] = field(default_factory=dict)
    """Item key -> seconds spent on it (summed over visits)."""
    _current: str | None = field(default=None, init=False)
    _since: float = field(default=0.0, init=False)
    _stopped: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()
        self._since = self.started

    def now(self) -> float:
        """The clock, frozen once the timer is stopped or the limit is reached."""
        now = self._stopped if self._stopped is not None else self.clock()
        if self.limit is not None:
            now = min(now, self.started + self.limit)
        return now

    def elapsed(self) -> float:
        """Seconds since the start (never past the limit)."""
        return self.now() - self.started

    def remaining(self) -> float | None:
        """Seconds left, or None when untimed."""
        return None if self.limit is None else max(0.0, self.limit - self.elapsed())

    @property
    def expired(self) -> bool:
        """True once the limit is reached."""
        return self.limit is not None and self.clock() >= self.started + self.limit

    def focus(self, key: str | None) -> None:
        """Book the time since the last switch to the previous item, then time `key`."""
        now = self.now()
        if self._current is not None:
            self.spent[self._current] = self.spent.get(self._current, 0.0) + (now - self._since)
        self._current = key
        self._since = now

    def stop(self) -> None:
        """Book the current item and freeze the clock."""
        self.focus(None)
        self._stopped = self.now()


def mmss(seconds: float) -> str:
    """`07:05` (minutes may exceed 59: `75:00`)."""
    whole = max(0, int(seconds + 0.999)) if seconds > 0 else 0
    return f"{whole // 60:02d}:{whole % 60:02d}"
