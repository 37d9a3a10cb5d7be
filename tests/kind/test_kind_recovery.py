"""On a real kind cluster: `cluster up`'s progress and log file, and its recovery from a
cluster with stopped or missing node containers (issue 10, item 10).

This file runs after the other kind tests (pytest takes a folder's files in name order):
it stops and removes a node container, and `up` must bring the cluster back each time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.cluster.capabilities import node_ready
from tutor.cluster.kind import KindLifecycle
from tutor.cluster.kind_config import CLUSTER_NAME, node_names
from tutor.cluster.kind_report import Progress

pytestmark = pytest.mark.kind

ENDS = ("done", "skip", "fail")


def _steps(events: list[Progress]) -> dict[int, list[Progress]]:
    by_step: dict[int, list[Progress]] = {}
    for event in events:
        by_step.setdefault(event.step, []).append(event)
    return by_step


def test_up_reported_every_step_with_its_time_and_kinds_own_output(
    lifecycle: KindLifecycle, up_events: list[Progress]
) -> None:
    steps = _steps(up_events)
    total = up_events[0].total
    assert sorted(steps) == list(range(1, total + 1))
    for number, events in steps.items():
        assert events[0].state == "start", number
        assert events[-1].state in ("done", "skip"), (number, events[-1])
        assert [e.state for e in events[1:-1]] == ["line"] * (len(events) - 2)
        assert events[-1].elapsed >= 0.0
    create = steps[2]
    if create[-1].state == "done":  # created in this run (not kept from an earlier one)
        lines = " ".join(e.detail for e in create if e.state == "line")
        assert f'Creating cluster "{CLUSTER_NAME}"' in lines  # kind's own words, passed on
    preload = steps[total - 1] if lifecycle.cloud_provider else steps[total]
    assert "MB" in preload[-1].detail  # image sizes shown


def test_the_log_file_holds_the_steps_and_the_tools_output(
    lifecycle: KindLifecycle, up_events: list[Progress]
) -> None:
    log = lifecycle.log_path.read_text(encoding="utf-8")
    assert "--- kube-tutor cluster up," in log
    for event in up_events:
        if event.state in ENDS:
            assert f"[{event.step}/{event.total}] {event.state} {event.title}" in log
        elif event.state == "line":  # the log line drops a trailing colon (StepReporter)
            assert event.detail.rstrip(": ") in log


def test_cluster_up_on_the_cli_reuses_the_cluster_in_plain_lines(kind_home: Path) -> None:
    """`kube-tutor cluster up --plain` on the running cluster: every step skips or passes,
    no escape codes, and it names its log file."""
    env = {**os.environ, "KUBE_TUTOR_HOME": str(kind_home)}
    done = subprocess.run(
        [sys.executable, "-m", "tutor", "cluster", "up", "--plain"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "\x1b[" not in done.stdout
    assert str(kind_home / "cluster-up.log") in done.stdout.splitlines()[0]
    assert "skipped in" in done.stdout and "already exists" in done.stdout
    assert "The practice cluster is ready" in done.stdout


def _engine(lifecycle: KindLifecycle) -> str:
    return lifecycle.engine().command


def _all_ready(lifecycle: KindLifecycle) -> bool:
    nodes = lifecycle._kube().list("Node")
    return len(nodes) == 4 and all(map(node_ready, nodes))


def test_up_restarts_stopped_nodes(lifecycle: KindLifecycle) -> None:
    worker3 = node_names()[3]
    subprocess.run([_engine(lifecycle), "stop", worker3], check=True, timeout=120)
    assert lifecycle.cluster_health()[0] == "stopped"
    events: list[Progress] = []
    lifecycle.up(events.append, timeout=600)
    create = _steps(events)[2]
    assert any("nodes are stopped" in e.detail for e in create if e.state == "line")
    assert (create[-1].state, create[-1].detail) == ("done", "restarted the stopped nodes")
    assert lifecycle.cluster_health()[0] == "complete"
    assert _all_ready(lifecycle)


def test_up_replaces_a_half_created_cluster(lifecycle: KindLifecycle) -> None:
    """A node container gone (a `kind create` cut short, a container removed): `up` deletes
    the cluster and creates it again instead of failing on `node(s) already exist`."""
    worker3 = node_names()[3]
    subprocess.run([_engine(lifecycle), "rm", "-f", worker3], check=True, timeout=120)
    health, why = lifecycle.cluster_health()
    assert health == "broken" and worker3 in why
    events: list[Progress] = []
    lifecycle.up(events.append, timeout=600)
    create = _steps(events)[2]
    assert any("half-created cluster" in e.detail for e in create if e.state == "line")
    assert create[-1].state == "done"
    assert lifecycle.cluster_health()[0] == "complete"
    assert _all_ready(lifecycle)
