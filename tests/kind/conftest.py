"""End-to-end tests on a real kind cluster: run with `pytest -m kind` where Docker runs.

They are skipped, with the reason, when `docker info` fails or kind is missing, and also
when the `kind` marker was not asked for (so a plain `pytest` never creates a cluster).
Set `KUBE_TUTOR_KEEP_CLUSTER=1` to keep the cluster after the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.cluster.base import Cluster
from tutor.cluster.kind import KindLifecycle, Progress

HERE = Path(__file__).parent


def ignore_down(progress: Progress) -> None:
    """`down`'s reports: printed, not kept with `up`'s."""
    print(f"[down {progress.step}/{progress.total}] {progress.title}: {progress.state}")


def engine_runs(engine: str) -> bool:
    """True when `engine info` answers (a running Docker or podman)."""
    if shutil.which(engine) is None:
        return False
    try:
        done = subprocess.run(
            [engine, "info"], capture_output=True, text=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def docker_problem() -> str:
    """Empty when Docker (or podman) answers and kind is installed; else why not."""
    engine = shutil.which("docker") or shutil.which("podman")
    if engine is None:
        return "neither docker nor podman is installed"
    try:
        done = subprocess.run(
            [engine, "info"], capture_output=True, text=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        return f"`{Path(engine).name} info` did not answer within 60 s"
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        return f"`{Path(engine).name} info` failed: {lines[-1] if lines else done.returncode}"
    if shutil.which("kind") is None:
        return "kind is not installed"
    return ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the kind tests with a clear reason unless they can and should run."""
    mine = [item for item in items if HERE in Path(str(item.fspath)).parents]
    if not mine:
        return
    reason = ""
    if "kind" not in (config.getoption("markexpr") or ""):
        reason = "end-to-end kind tests run only with `pytest -m kind`"
    else:
        problem = docker_problem()
        if problem:
            reason = f"needs a running Docker (or podman) and kind: {problem}"
    if reason:
        for item in mine:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def kind_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """kube-tutor's data dir for the whole run (config, cloud-provider-kind pid and log)."""
    return tmp_path_factory.mktemp("kind-home")


@pytest.fixture(scope="session")
def up_events() -> list[Progress]:
    """Every progress report of the session's `cluster up`, in order."""
    return []


@pytest.fixture(scope="session")
def lifecycle(kind_home: Path, up_events: list[Progress]) -> Iterator[KindLifecycle]:
    """`cluster up` once for the session (its reports kept in `up_events`); `cluster down`
    at the end."""
    import argparse

    from tutor.cli.cluster import _course_images  # the same images `cluster up` preloads

    images = _course_images(argparse.Namespace(content=[]))
    life = KindLifecycle(home=kind_home, images=images)

    def show(progress: Progress) -> None:
        up_events.append(progress)
        print(
            f"[{progress.step}/{progress.total}] {progress.title}: {progress.state} "
            f"{progress.detail}"
        )

    life.up(show, timeout=600)
    try:
        yield life
    finally:
        if not os.environ.get("KUBE_TUTOR_KEEP_CLUSTER"):
            life.down(ignore_down)


@pytest.fixture()
def kind_cluster(
    lifecycle: KindLifecycle, kind_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Cluster:
    """The kube-tutor kind cluster through the guard, as `--backend kind` opens it."""
    from tutor.cluster.connect import open_cluster

    monkeypatch.setenv("KUBE_TUTOR_HOME", str(kind_home))
    return open_cluster("kind", None)
