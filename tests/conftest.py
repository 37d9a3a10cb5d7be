"""Shared test setup: no test may touch the learner's real progress or lab files."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point `KUBE_TUTOR_HOME` (progress store, workspaces) at a fresh temporary folder."""
    home = tmp_path_factory.mktemp("kube-tutor-home")
    monkeypatch.setenv("KUBE_TUTOR_HOME", str(home))
    return home
