"""The class report screen: a classroom made by `class init`'s functions on the simulator's API
server, results published with each learner's own kubeconfig, read by the screen in a worker.
Pilot flows (key, palette, refresh, no classroom, no cluster) and snapshots at 80x24 and
120x40."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from tests.conftest import SimApi
from tests.ui.helpers import MakeApp, press, screen_text, type_text
from tutor.app.app import KubeTutorApp
from tutor.app.screens.class_report import ClassReportScreen
from tutor.app.screens.home import HomeScreen
from tutor.cluster.base import UnreachableError
from tutor.cluster.guard import Target
from tutor.cluster.kube import KubeCluster
from tutor.cluster.kube_admin import delete_object
from tutor.content.loader import load_course
from tutor.modes import classroom
from tutor.modes.classroom_report import report_from_cluster

ROOM = "ui-room"
LEARNERS = ["uiann", "uiben", "uicat"]
LAB = "01-first-service"
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
Compare = Callable[..., bool]

ANN = {
    "learner": "uiann",
    "labs": [
        {
            "id": LAB,
            "attempts": 2,
            "passed": True,
            "seconds_to_pass": 95,
            "hints_total": 1,
            "last_diagnosis": "",
        }
    ],
    "quizzes": [
        {"lesson": "01-why-services", "attempts": 1, "passed": True, "seconds": 40, "best_score": 1}
    ],
}
BEN = {
    "learner": "uiben",
    "labs": [
        {
            "id": LAB,
            "attempts": 3,
            "passed": False,
            "hints_total": 2,
            "last_diagnosis": "Service web selects app=wbe; no Pod carries that label",
        }
    ],
    "quizzes": [],
}


def _learner(sim_api: SimApi, instructor: KubeCluster, who: str, folder: Path) -> KubeCluster:
    """A learner's kube-tutor cluster, from the kubeconfig `class init` writes for them."""
    path = folder / f"{who}.kubeconfig"
    path.write_text(classroom.learner_kubeconfig(instructor, who), encoding="utf-8")
    return KubeCluster(Target("context", f"kube-tutor-{who}", str(path), sim_api.url, who))


@pytest.fixture(scope="module")
def room(
    sim_api_session: SimApi, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[KubeCluster, dict[str, KubeCluster]]]:
    """Classroom `ui-room` for three learners; Ann and Ben published results, Cat nothing.
    Removed at the end (the simulator's API server is shared by the whole run)."""
    api = sim_api_session
    instructor = KubeCluster(Target("context", api.context, str(api.kubeconfig), api.url, ""))
    lab = next(x for x in load_course().labs if x.id == LAB)
    classroom.apply_plan(instructor, classroom.plan(ROOM, LEARNERS, [lab]))
    folder = tmp_path_factory.mktemp("learners")
    learners = {who: _learner(api, instructor, who, folder) for who in LEARNERS}
    assert classroom.publish(learners["uiann"], ANN)
    assert classroom.publish(learners["uiben"], BEN)
    yield instructor, learners
    classroom.remove(instructor, ROOM)


def _on(app: KubeTutorApp, cluster: Any, seen: list[str] | None = None) -> None:
    """Point the app's class report at this cluster; note the threads that open it."""

    def opener() -> Any:
        if seen is not None:
            seen.append(threading.current_thread().name)
        return cluster

    app.class_cluster = opener


async def settle(app: KubeTutorApp, pilot: Pilot[None]) -> None:
    """Wait for the report's worker and the screen's update."""
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not getattr(app.screen, "busy", ""):
            return
    raise AssertionError("the class report was not read")


def _table(app: KubeTutorApp) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def _name(pilot: Pilot[None], name: str) -> None:
    """Type a classroom name in the field and press Enter."""
    field = pilot.app.screen.query_one("#class-name", Input)
    field.focus()
    field.value = ""
    await type_text(pilot, name)
    await press(pilot, "enter")


def test_the_key_opens_the_report_read_off_the_ui_thread_and_r_reads_again(
    make_app: MakeApp, room: tuple[KubeCluster, dict[str, KubeCluster]]
) -> None:
    instructor, learners = room
    seen: list[str] = []

    async def scenario() -> None:
        app = make_app()
        _on(app, instructor, seen)
        async with app.run_test(size=(120, 40)) as pilot:
            await press(pilot, "C")
            assert isinstance(app.screen, ClassReportScreen)
            await settle(app, pilot)
            # the default classroom name finds nothing: said so, and the screen stays
            assert "No class report: no classroom named workshop" in screen_text(app)
            assert app.screen.query_one(DataTable).row_count == 0

            await _name(pilot, ROOM)
            await settle(app, pilot)
            text = screen_text(app)
            where = f"context {instructor.target.context}"  # the tests' admin kubeconfig
            assert f"Classroom ui-room: 3 learners, 2 published ({where})." in text
            rows = _table(app)
            assert rows == [
                ["uiann", f"lab {LAB}", "yes", "2", "95", "1", ""],
                ["uiann", "quiz 01-why-services", "yes", "1", "40", "", "best score 1"],
                ["uiben", f"lab {LAB}", "no", "3", "", "2", BEN["labs"][0]["last_diagnosis"]],
                ["uicat", "-", "", "0", "", "", "nothing published yet"],
            ]
            # the screen shows exactly what `kube-tutor class report` prints for it
            assert [tuple(r) for r in rows] == report_from_cluster(instructor, ROOM).rows

            # Cat does a lab; `r` reads the classroom again
            cat = {**BEN, "learner": "uicat", "labs": [{**BEN["labs"][0], "attempts": 1}]}
            assert classroom.publish(learners["uicat"], cat)
            await press(pilot, "r")
            await settle(app, pilot)
            assert _table(app)[-1][:4] == ["uicat", f"lab {LAB}", "no", "1"]
            assert "3 learners, 3 published" in screen_text(app)

            await press(pilot, "escape")
            assert isinstance(app.screen, HomeScreen)
        assert seen and threading.main_thread().name not in seen

    asyncio.run(scenario())


def test_the_command_palette_opens_the_report(
    make_app: MakeApp, room: tuple[KubeCluster, dict[str, KubeCluster]]
) -> None:
    async def scenario() -> None:
        app = make_app()
        _on(app, room[0])
        async with app.run_test(size=(120, 40)) as pilot:
            await press(pilot, "ctrl+p")
            await type_text(pilot, "class report")
            await asyncio.sleep(0.3)  # the palette searches in a task of its own
            await press(pilot, "enter")
            assert isinstance(app.screen, ClassReportScreen)
            await settle(app, pilot)
            assert "no classroom named workshop" in screen_text(app)

    asyncio.run(scenario())


def test_without_a_classroom_cluster_the_report_says_why_and_the_app_runs_on(
    make_app: MakeApp,
) -> None:
    async def scenario() -> None:
        app = make_app()  # the tests' labs run on the in-process simulator: no API server
        async with app.run_test(size=(80, 24)) as pilot:
            await press(pilot, "C")
            await settle(app, pilot)
            text = screen_text(app)
            assert "No class report: this practice cluster has no Kubernetes API" in text

            def down() -> Any:
                raise UnreachableError(
                    "kube-tutor cannot reach context `school`.", hint="Is the VPN up?"
                )

            app.class_cluster = down
            await press(pilot, "r")
            await settle(app, pilot)
            text = screen_text(app)
            assert "No class report: kube-tutor cannot reach context `school`." in text
            assert "Is the VPN up?" in text
            await press(pilot, "escape", "down")
            assert isinstance(app.screen, HomeScreen)
            assert app.is_running

    asyncio.run(scenario())


def _report_of(name: str) -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KubeTutorApp)
        await press(pilot, "C")
        await settle(app, pilot)
        if name != "workshop":
            await _name(pilot, name)
            await settle(app, pilot)
        app.screen.query_one(DataTable).focus()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_class_report_screen(
    snap_compare: Compare,
    make_app: MakeApp,
    room: tuple[KubeCluster, dict[str, KubeCluster]],
    size: tuple[int, int],
) -> None:
    """Three learners: one with a lab and a quiz, one failing a lab, one with nothing yet."""
    app = make_app()
    _on(app, room[0])
    # the refresh test may have published for Cat: back to nothing published
    home = classroom.home_namespace("uicat")
    delete_object(room[0], "ConfigMap", classroom.PROGRESS_MAP, home)
    deadline = time.monotonic() + 5
    while room[0].get("ConfigMap", classroom.PROGRESS_MAP, home) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert snap_compare(app, run_before=_report_of(ROOM), terminal_size=size)


def test_class_report_screen_without_a_classroom(snap_compare: Compare, make_app: MakeApp) -> None:
    """The message when the cluster holds no classroom of that name."""
    app = make_app()
    assert snap_compare(app, run_before=_report_of("workshop"), terminal_size=(80, 24))
