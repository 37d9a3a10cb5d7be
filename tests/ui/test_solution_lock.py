"""An instructor's course pack that locks the solution key: the lab screen's Solve refuses, as
`kube-tutor lab solve` does (both ask tutor.modes.workshop.solve_refusal)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from tests.ui.helpers import PACK, press, screen_text
from tutor.app.app import create_app
from tutor.app.screens.confirm import ConfirmDialog
from tutor.app.screens.lab import LabScreen
from tutor.content.loader import load_course
from tutor.modes.workshop import SOLUTION_LOCKED
from tutor.progress.store import ProgressStore


def _pack(tmp_path: Path, key: str) -> Path:
    pack = tmp_path / f"pack-{key}"
    shutil.copytree(PACK, pack)
    (pack / "course.yaml").write_text(f"solution_key: {key}\n", encoding="utf-8")
    return pack


def _solve_pressed(pack: Path, store: ProgressStore) -> tuple[bool, str, dict[str, str]]:
    """Open the pack's lab, press `s`: (a confirmation was asked, the screen, the selector)."""
    app = create_app(content=[pack], course=load_course([pack], builtin=False), store=store)
    app.blink = False

    async def scenario() -> tuple[bool, str, dict[str, str]]:
        async with app.run_test(size=(120, 40)) as pilot:
            await press(pilot, "down", "enter")
            screen = app.screen
            assert isinstance(screen, LabScreen)
            for _ in range(200):
                await app.workers.wait_for_complete()
                await pilot.pause()
                if not screen.busy:
                    break
            await press(pilot, "s")
            asked = isinstance(app.screen, ConfirmDialog)
            text = screen_text(app)
            if asked:
                await press(pilot, "n")
            assert screen.run.session is not None
            service = screen.run.session.cluster.get("Service", "web", "kt-01-fix-selector")
            assert service is not None
            return asked, text, dict(service["spec"]["selector"])

    return asyncio.run(scenario())


def test_a_locked_solution_key_refuses_solve_in_the_app(
    tmp_path: Path, store: ProgressStore
) -> None:
    asked, text, selector = _solve_pressed(_pack(tmp_path, "locked"), store)
    assert not asked
    assert SOLUTION_LOCKED[:60] in " ".join(text.split())
    assert selector == {"app": "wbe"}  # the start files' broken selector stays


def test_an_open_solution_key_still_asks_first(tmp_path: Path, store: ProgressStore) -> None:
    asked, text, _ = _solve_pressed(_pack(tmp_path, "open"), store)
    assert asked and "reference solution" in text
