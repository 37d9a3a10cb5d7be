"""Shared test setup: no test may touch the learner's real progress or lab files, and the
simulator's API server is available to the tiers that test through it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tutor.cluster.sim.api.server import SimApiServer
    from tutor.cluster.sim.cluster import SimCluster


@pytest.fixture(autouse=True)
def _private_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point `KUBE_TUTOR_HOME` (progress store, workspaces, the simulator's state) at a fresh
    temporary folder. Commands use an in-process simulator unless a test asks for the API
    server (`sim_daemon`, `sim_api`): a test must never leave a server process behind."""
    home = tmp_path_factory.mktemp("kube-tutor-home")
    monkeypatch.setenv("KUBE_TUTOR_HOME", str(home))
    monkeypatch.setenv("KUBE_TUTOR_SIM", "in-process")
    return home


@dataclass
class SimApi:
    """A simulator API server on loopback, as the `sim_api` fixture gives it."""

    server: SimApiServer
    kubeconfig: Path
    context: str
    url: str
    cluster: SimCluster

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()


@pytest.fixture(scope="session")
def sim_api_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimApi]:
    """One simulator API server for the whole run (in a thread of this process)."""
    from tutor.cluster.sim.api.credentials import SIM_CONTEXT
    from tutor.cluster.sim.api.server import SimApiServer

    server = SimApiServer(tmp_path_factory.mktemp("sim-api"))
    server.start()
    api = SimApi(server, server.kubeconfig_path, SIM_CONTEXT, server.url, server.cluster)
    yield api
    api.stop()


@pytest.fixture
def sim_api(sim_api_session: SimApi) -> SimApi:
    """The session's simulator API server (tests use their own namespaces)."""
    return sim_api_session


@pytest.fixture
def sim_daemon(_private_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The product path: commands start the simulator's server process on demand in this
    test's home; it is stopped (and reaped) at the end."""
    from tutor.cluster.sim.api import control

    monkeypatch.delenv("KUBE_TUTOR_SIM", raising=False)
    yield _private_home
    control.stop(_private_home)
