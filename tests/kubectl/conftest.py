"""The real kubectl 1.37 binary against the simulator's API server (the judge of the server)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SimApi
from tests.kubectl_binary import kubectl_path, kubectl_problem


@dataclass(frozen=True)
class Ran:
    """One kubectl run."""

    code: int
    out: str
    err: str


Kubectl = Callable[..., Ran]


@pytest.fixture(scope="session")
def kubectl_binary() -> Path:
    """The binary, or a skip with the reason it could not be had."""
    path = kubectl_path()
    if path is None:
        pytest.skip(f"real kubectl 1.37 unavailable: {kubectl_problem()}")
    return path


@pytest.fixture
def kubectl(
    kubectl_binary: Path, sim_api: SimApi, tmp_path_factory: pytest.TempPathFactory
) -> Kubectl:
    """Run kubectl against the simulator: `kubectl("get", "pods", "-n", ns)`."""
    home = tmp_path_factory.mktemp("kubectl-home")

    def run(
        *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 30
    ) -> Ran:
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "KUBECONFIG": str(sim_api.kubeconfig),
            **(env or {}),
        }
        done = subprocess.run(
            [str(kubectl_binary), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=environment,
            timeout=timeout,
        )
        return Ran(done.returncode, done.stdout, done.stderr)

    return run
