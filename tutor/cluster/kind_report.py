"""How the kind lifecycle reports: steps, progress events (with tools' output) and status."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from tutor.cluster.capabilities import CAPABILITIES
from tutor.cluster.kind_config import CLUSTER_NAME

# -- progress ------------------------------------------------------------------------------

StepState = Literal["start", "line", "done", "skip", "fail"]


@dataclass(frozen=True)
class Progress:
    """One report while `up`/`down`/`clean` work (`line`: a line a tool printed)."""

    step: int
    total: int
    title: str
    state: StepState
    detail: str = ""
    elapsed: float = 0.0
    """Seconds since the step started."""


ProgressFn = Callable[[Progress], None]


def ignore_progress(_: Progress) -> None:
    """A progress function that shows nothing."""
    return None


# -- status --------------------------------------------------------------------------------


@dataclass
class ClusterStatus:
    """What runs and what labs can use."""

    engine: str | None = None
    """`docker` or `podman` when its engine answers."""
    engine_problem: str = ""
    cluster_exists: bool = False
    nodes: list[tuple[str, bool, str]] = field(default_factory=list)
    """(name, ready, zone) of each node."""
    cloud_provider_pid: int | None = None
    capabilities: dict[str, str] = field(default_factory=dict)
    """Working capabilities and why."""
    missing: dict[str, str] = field(default_factory=dict)
    """Capabilities that do not work and why."""
    problem: str = ""

    def lines(self) -> list[str]:
        """The status as plain lines for the CLI."""
        out = [
            f"container engine: {self.engine}"
            if self.engine
            else f"container engine: not available. {self.engine_problem}",
            f"kind cluster {CLUSTER_NAME}: {'exists' if self.cluster_exists else 'not created'}",
        ]
        for name, ready, zone in self.nodes:
            out.append(f"  node {name}: {'Ready' if ready else 'NotReady'}, zone {zone or '-'}")
        pid = self.cloud_provider_pid
        out.append(f"cloud-provider-kind: {f'running (pid {pid})' if pid else 'not running'}")
        if self.problem:
            out.append(f"problem: {self.problem}")
        out.append("lab capabilities:")
        for cap in CAPABILITIES:
            if cap in self.capabilities:
                out.append(f"  [ok] {cap}: {self.capabilities[cap]}")
            else:
                out.append(f"  [--] {cap}: {self.missing.get(cap, 'not available')}")
        return out


@dataclass(frozen=True)
class Step:
    """One step of `up`."""

    title: str
    commands: tuple[str, ...] = ()
    """The commands it runs, as shown by `--dry-run`."""


class StepReporter:
    """Numbers the steps of `up`, times them, logs and reports them."""

    def __init__(self, progress: ProgressFn, total: int, log: Callable[[str], None]) -> None:
        self.progress = progress
        self.total = total
        self.log = log
        self.number = 0
        self.title = ""
        self.started = time.monotonic()

    def _send(self, state: StepState, detail: str = "") -> None:
        elapsed = time.monotonic() - self.started
        report = Progress(self.number, self.total, self.title, state, detail, elapsed)
        self.log(f"[{self.number}/{self.total}] {state} {self.title}: {detail}".rstrip(": "))
        self.progress(report)

    def begin(self, title: str) -> None:
        self.number += 1
        self.title = title
        self.started = time.monotonic()
        self._send("start")

    def line(self, text: str) -> None:
        if text.strip():
            self._send("line", text.rstrip())

    def end(self, state: StepState, detail: str = "") -> None:
        self._send(state, detail)
