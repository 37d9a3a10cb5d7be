"""Pilot tests of the lab screen on the simulator, with the fix lab of tests/ui/pack."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.helpers import PACK, MakeApp, press, screen_text, type_text
from tutor.app.app import KubeTutorApp
from tutor.app.screens.confirm import ConfirmDialog
from tutor.app.screens.help import HelpScreen
from tutor.app.screens.lab import LabScreen
from tutor.app.widgets.check_list import CheckList
from tutor.app.widgets.trace_view import TraceView
from tutor.app.widgets.workspace_editor import WorkspaceEditor
from tutor.app.widgets.yaml_editor import YamlEditor
from tutor.cluster.base import Cluster, ClusterError
from tutor.cluster.sim.cluster import SimCluster
from tutor.labs.session import LabSession
from tutor.labs.workspace import workspace_root

LAB = "01-fix-selector"
LAB_DIR = PACK / "labs" / LAB
NAMESPACE = f"kt-{LAB}"
Scenario = Callable[[KubeTutorApp, Pilot[None]], Awaitable[None]]


def run(app: KubeTutorApp, scenario: Scenario, size: tuple[int, int] = (80, 24)) -> None:
    """Run a Pilot scenario against the app."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(app, pilot)

    asyncio.run(main())


async def settle(app: KubeTutorApp, pilot: Pilot[None]) -> None:
    """Wait until the lab screen's cluster job has finished and its result is shown."""
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        if not (isinstance(screen, LabScreen) and screen.busy):
            return
    raise AssertionError("the lab job did not finish")


async def open_lab(app: KubeTutorApp, pilot: Pilot[None]) -> LabScreen:
    """From the course map, open the pack's lab and wait for its first check round."""
    await press(pilot, "down", "enter")
    assert isinstance(app.screen, LabScreen)
    await settle(app, pilot)
    return app.screen


def check_text(app: KubeTutorApp) -> str:
    """Everything the check list shows (scrolled or not), one widget per line."""
    checks = app.screen.query_one(CheckList)
    return "\n".join(str(static.render()) for static in checks.query("Static"))


def workspace_file(name: str) -> Path:
    return workspace_root() / LAB / name


def service_selector(app: KubeTutorApp) -> dict[str, str]:
    """The selector of Service web as the cluster has it now."""
    screen = app.screen
    assert isinstance(screen, LabScreen) and screen.run.session is not None
    service = screen.run.session.cluster.get("Service", "web", NAMESPACE)
    assert service is not None
    return dict(service["spec"]["selector"])


async def edit_selector(app: KubeTutorApp, pilot: Pilot[None], new: str) -> None:
    """In the editor: open service.yaml and replace the selector value on line 7."""
    await press(pilot, "e", "ctrl+n")
    editor = app.screen.query_one(YamlEditor)
    assert app.focused is editor
    assert editor.text.splitlines()[6] == "    app: wbe"
    await press(pilot, *["down"] * 6, "end", "backspace", "backspace", "backspace")
    await type_text(pilot, new)


def test_fix_lab_fails_with_reason_then_hints_then_fix_in_editor_passes(
    make_app: MakeApp,
) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        screen = await open_lab(app, pilot)
        text = screen_text(app)
        assert "Cluster: simulator" in text
        assert "Lab started. 0 of 2 checks pass." in text
        checks = check_text(app)
        assert checks.count("✘ FAIL") == 2
        assert "0 ready endpoint(s), expected 3" in checks
        assert "Breaks at Service -> EndpointSlice" in checks
        assert "app=wbe" in checks
        assert (
            workspace_file("service.yaml").read_text()
            == (LAB_DIR / "start" / "service.yaml").read_text()
        )

        await press(pilot, "h")
        assert "Hint 1: Compare the Service's selector" in check_text(app)
        assert "Hint 2:" not in check_text(app)
        await press(pilot, "h")
        assert "Hint 2: The selector is under spec.selector" in check_text(app)
        assert screen.run.store is not None and screen.run.store.hints_used(LAB) == {"endpoints": 2}

        await edit_selector(app, pilot, "web")
        assert "service.yaml (edited)" in screen_text(app)
        await press(pilot, "ctrl+s")
        await settle(app, pilot)
        assert workspace_file("service.yaml").read_text().count("app: web") == 1
        assert service_selector(app) == {"app": "web"}
        checks = check_text(app)
        assert checks.count("✔ PASS") == 2 and "FAIL" not in checks
        assert "Hint 1" not in checks  # a check that passes drops its hints
        assert "Applied. Every check passes: lab done!" in screen_text(app)
        assert LAB in screen.run.store.labs_passed()

    run(make_app(), scenario)


def test_apply_with_a_syntax_error_shows_file_and_line_and_applies_nothing(
    make_app: MakeApp,
) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        # Fix the selector (line 7) and break line 10 in the same save.
        await edit_selector(app, pilot, "web")
        await press(pilot, "down", "down", "down", "end")
        await type_text(pilot, ": [")
        await press(pilot, "ctrl+s")
        await settle(app, pilot)
        checks = check_text(app)
        assert "Nothing was applied:" in checks
        assert "- service.yaml:10: YAML syntax error" in checks
        assert service_selector(app) == {"app": "wbe"}  # the good edit was not applied either
        editor = app.screen.query_one(WorkspaceEditor)
        assert editor.current == "service.yaml"
        assert editor.editor.cursor_location == (9, 0)
        assert app.focused is editor.editor
        assert "Nothing was applied" in screen_text(app)

    run(make_app(), scenario)


def test_apply_with_a_schema_error_shows_file_and_line_and_applies_nothing(
    make_app: MakeApp,
) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        # `app:web` (no space) is a string, not the map a selector must be.
        await press(pilot, "e", "ctrl+n", *["down"] * 6, "end")
        await press(pilot, *["backspace"] * 5)
        await type_text(pilot, ":web")
        await press(pilot, "ctrl+s")
        await settle(app, pilot)
        checks = check_text(app)
        assert "Nothing was applied:" in checks
        # Refused before any cluster sees it, as kube-apiserver's decoder would (400: a string
        # is not a map[string]string; tutor/labs/shapes.py cites the source).
        assert '- service.yaml:7: Service in version "v1" cannot be handled as a Service' in checks
        assert service_selector(app) == {"app": "wbe"}
        assert app.screen.query_one(WorkspaceEditor).editor.cursor_location == (6, 0)

    run(make_app(), scenario)


def test_solve_asks_first_and_applies_the_solution(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        await press(pilot, "s")
        assert isinstance(app.screen, ConfirmDialog)
        assert "reference solution" in screen_text(app)
        await press(pilot, "n")
        assert isinstance(app.screen, LabScreen)
        await settle(app, pilot)
        assert service_selector(app) == {"app": "wbe"}
        await press(pilot, "s", "y")
        await settle(app, pilot)
        assert service_selector(app) == {"app": "web"}
        assert check_text(app).count("✔ PASS") == 2
        solution = (LAB_DIR / "solution" / "service.yaml").read_text()
        assert workspace_file("service.yaml").read_text() == solution
        assert app.screen.query_one(WorkspaceEditor).texts["service.yaml"] == solution

    run(make_app(), scenario)


def test_reset_asks_first_and_restores_the_start_files(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        await press(pilot, "s", "y")
        await settle(app, pilot)
        assert check_text(app).count("✔ PASS") == 2
        await press(pilot, "r")
        assert isinstance(app.screen, ConfirmDialog)
        await press(pilot, "escape")
        await settle(app, pilot)
        assert service_selector(app) == {"app": "web"}
        await press(pilot, "r", "y")
        await settle(app, pilot)
        assert service_selector(app) == {"app": "wbe"}
        assert check_text(app).count("✘ FAIL") == 2
        start = (LAB_DIR / "start" / "service.yaml").read_text()
        assert workspace_file("service.yaml").read_text() == start
        assert "Back to the start files. 0 of 2 checks pass." in screen_text(app)

    run(make_app(), scenario)


def test_trace_of_the_failing_check_and_of_a_typed_target(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        await press(pilot, "t")
        await settle(app, pilot)
        view = app.screen.query_one(TraceView)
        shown = str(view.query_one("#trace-text").render())
        assert shown.startswith("HTTP http://web/hostname  from probe")
        assert "✘ kube-proxy:" in shown and "[no-endpoints]" in shown
        assert "Result: connection refused" in shown
        assert "Why (Service -> EndpointSlice)" in shown
        assert view.query_one("#trace-target").value == "http://web/hostname"  # type: ignore[attr-defined]

        await press(pilot, "shift+tab")
        assert app.focused is view.query_one("#trace-target")
        app.focused.value = ""  # type: ignore[union-attr]
        await type_text(pilot, "web.kt-01-fix-selector")
        await press(pilot, "enter")
        await settle(app, pilot)
        shown = str(view.query_one("#trace-text").render())
        assert shown.startswith("DNS web.kt-01-fix-selector  from probe")
        assert "Result: answer: 10.96." in shown

    run(make_app(), scenario)


def test_reopening_applies_the_kept_workspace_instead_of_starting_over(
    make_app: MakeApp,
) -> None:
    folder = workspace_root() / LAB
    folder.mkdir(parents=True)
    for path in (LAB_DIR / "solution").iterdir():
        (folder / path.name).write_text(path.read_text())

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        assert check_text(app).count("✔ PASS") == 2
        assert "Your files from last time were applied." in screen_text(app)
        assert "app: web" in (folder / "service.yaml").read_text()

    run(make_app(), scenario)


class SlowCluster:
    """A simulator whose reads wait until the test lets them go."""

    def __init__(self) -> None:
        self.inner = SimCluster()
        self.go = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def list(self, *args: Any, **kwargs: Any) -> Any:
        assert self.go.wait(10)
        return self.inner.list(*args, **kwargs)


def test_the_screen_stays_responsive_while_checking(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowCluster()
    monkeypatch.setattr(KubeTutorApp, "lab_cluster", lambda self: slow)

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await press(pilot, "down", "enter")
        screen = app.screen
        assert isinstance(screen, LabScreen) and screen.busy
        assert "checking..." in str(screen.query_one(CheckList).border_title)
        assert "Starting the lab..." in screen_text(app)
        assert screen.check_action("check", ()) is None  # greyed out while a job runs
        await press(pilot, "e")  # the UI still answers keys
        assert isinstance(app.focused, YamlEditor)
        assert screen.check_action("check", ()) is False  # hidden while typing
        slow.go.set()
        await settle(app, pilot)
        await press(pilot, "escape")  # leave the editor
        assert screen.check_action("check", ()) is True
        assert check_text(app).count("✘ FAIL") == 2

    run(make_app(), scenario)


def test_an_unreachable_cluster_is_reported_and_check_retries(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    clusters: list[Cluster] = []

    def open_cluster(self: KubeTutorApp) -> Cluster:
        if not clusters:
            clusters.append(SimCluster())
            raise ClusterError("the practice cluster is not running")
        return clusters[0]

    monkeypatch.setattr(KubeTutorApp, "lab_cluster", open_cluster)

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        assert "The cluster did not answer:" in check_text(app)
        assert "the practice cluster is not running" in check_text(app)
        assert "could not be reached; press c to try again" in screen_text(app)
        await press(pilot, "c")
        await settle(app, pilot)
        assert check_text(app).count("✘ FAIL") == 2

    run(make_app(), scenario)


def test_an_internal_error_is_reported_as_such_and_the_screen_goes_on(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_check(self: object, **kwargs: object) -> None:
        raise KeyError("spec")

    working_check = LabSession.check

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        monkeypatch.setattr("tutor.labs.session.LabSession.check", broken_check)
        await press(pilot, "c")
        await settle(app, pilot)
        assert "Something went wrong in kube-tutor:" in check_text(app)
        assert "KeyError: 'spec'" in check_text(app)
        assert "An internal error stopped this step" in screen_text(app)
        monkeypatch.setattr(LabSession, "check", working_check)  # not undo(): it drops the env
        await press(pilot, "c")
        await settle(app, pilot)
        assert "Something went wrong" not in check_text(app)
        assert check_text(app).count("✘ FAIL") == 2

    run(make_app(), scenario)


def test_plain_mode_marks_states_in_ascii(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        checks = check_text(app)
        assert checks.count("[-] FAIL") == 2
        assert "✘" not in screen_text(app) and "╭" not in screen_text(app)

    run(make_app(plain=True), scenario)


def test_plain_file_tabs_name_the_shown_file_and_edits_in_words(make_app: MakeApp) -> None:
    """Issue 15 item 11: in plain mode no tab state is shade alone."""

    def tab_line(app: KubeTutorApp) -> str:
        return next(line for line in screen_text(app).splitlines() if "deployment.yaml" in line)

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        await press(pilot, "e")
        assert tab_line(app).split() == ["[x]", "deployment.yaml", "service.yaml"]
        await press(pilot, "ctrl+n", "x")
        assert tab_line(app).split() == ["deployment.yaml", "[x]", "service.yaml", "(edited)"]
        await press(pilot, "ctrl+n")
        assert tab_line(app).split() == ["[x]", "deployment.yaml", "service.yaml", "(edited)"]
        await press(pilot, "ctrl+s")
        await settle(app, pilot)
        assert "(edited)" not in tab_line(app)
        assert "▔" not in screen_text(app) and "━" not in screen_text(app)

    run(make_app(plain=True), scenario)


def test_editor_keys_replace_letter_keys_in_footer_and_help_lists_them(
    make_app: MakeApp,
) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        footer = screen_text(app).splitlines()[-1]
        for key in ("a Apply", "c Check", "h Hint", "t Trace", "r Reset", "s Solve"):
            assert key in footer
        await press(pilot, "e")
        footer = screen_text(app).splitlines()[-1]
        assert "^s Save+apply" in footer and "esc Leave editor" in footer
        assert "a Apply" not in footer
        await press(pilot, "escape")
        assert isinstance(app.focused, CheckList)
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Editor: save, apply and check" in text

    run(make_app(), scenario, size=(100, 62))  # the whole help page, to the Lab section


def test_state_labels_pair_a_word_with_a_symbol() -> None:
    from tutor.app.glyphs import FANCY, PLAIN
    from tutor.app.widgets.check_list import state_label, with_code
    from tutor.checks.verdict import Status

    assert [state_label(s, FANCY) for s in Status] == ["✔ PASS", "✘ FAIL", "○ WAIT"]
    assert [state_label(s, PLAIN) for s in Status] == ["[+] PASS", "[-] FAIL", "[~] WAIT"]
    assert state_label(None, PLAIN) == "[~] WAIT"  # not checked yet
    code = with_code("Set `targetPort: http` now")
    assert code.plain == "Set targetPort: http now"
    assert [(span.start, span.end, span.style) for span in code.spans] == [(4, 20, "bold")]


def test_a_pending_check_shows_wait_with_its_progress(make_app: MakeApp) -> None:
    from tutor.checks.verdict import Status, Verdict

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        pending = Verdict(
            "endpoints",
            "Service web has 3 ready endpoints",
            Status.PENDING,
            "Waiting for the Pods to become ready.",
            progress="2/3 ready",
        )
        await app.screen.query_one(CheckList).show_verdicts([pending])
        checks = check_text(app)
        assert "○ WAIT" in checks
        assert "Waiting for the Pods to become ready. (2/3 ready)" in checks

    run(make_app(), scenario)
