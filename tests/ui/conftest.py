"""UI test setup: a private progress folder and the fixed course packs beside this file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.helpers import PACK, MakeApp
from tutor.app.app import KubeTutorApp, create_app
from tutor.content.loader import load_course
from tutor.progress.store import ProgressStore
from tutor.quiz import shuffle

QUIZ_SEED = "ui-test-seed"
"""Every quiz attempt in the UI tests shuffles with this seed, so screens are stable."""


@pytest.fixture(autouse=True)
def tutor_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The progress store lives in a temporary folder; colour settings do not leak in."""
    home = tmp_path / "kube-tutor-home"
    monkeypatch.setenv("KUBE_TUTOR_HOME", str(home))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return home


@pytest.fixture(autouse=True)
def fixed_quiz_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """New quiz attempts get the known seed instead of a random one."""
    monkeypatch.setattr(shuffle, "new_seed", lambda: QUIZ_SEED)


@pytest.fixture
def store(tutor_home: Path) -> Iterator[ProgressStore]:
    """A fresh progress store in the temporary home."""
    opened = ProgressStore()
    assert opened.path.is_relative_to(tutor_home)
    yield opened
    opened.close()


@pytest.fixture
def make_app(store: ProgressStore) -> MakeApp:
    """Build the app with the CLI's factory over a fixed pack, cursor blink off."""

    def make(pack: Path = PACK, *, plain: bool = False) -> KubeTutorApp:
        app = create_app(course=load_course([pack], builtin=False), store=store, plain=plain)
        app.blink = False
        return app

    return make
