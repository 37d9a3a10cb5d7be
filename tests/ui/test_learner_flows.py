"""Pilot tests of issue 15's flows: the next step, lessons read for real, every lab by key, the
palette by id, the editor's indent keys, the trace field, and the live cluster map."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.ui.helpers import PACK, MakeApp, press, screen_text, type_text
from tests.ui.test_lab_screen import LAB, open_lab, run, settle
from tutor.app.app import KubeTutorApp
from tutor.app.screens.help import HelpScreen
from tutor.app.screens.lab import LabScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.quiz import QuizScreen
from tutor.app.widgets.cluster_map_view import ClusterMapView
from tutor.app.widgets.trace_view import TraceView
from tutor.app.widgets.yaml_editor import YamlEditor, next_indent
from tutor.progress.store import ProgressStore


def two_lab_pack(tmp_path: Path) -> Path:
    """The UI pack with a second lab on lesson 01 (a copy of the first, other id and title)."""
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    second = pack / "labs" / "02-second-lab"
    shutil.copytree(pack / "labs" / LAB, second)
    spec = (second / "lab.yaml").read_text(encoding="utf-8")
    spec = spec.replace(f"id: {LAB}", "id: 02-second-lab").replace(
        "title: The Service that selects nothing", "title: The second lab"
    )
    (second / "lab.yaml").write_text(spec, encoding="utf-8")
    return pack


def map_text(app: KubeTutorApp) -> str:
    """Everything the map shows, scrolled or not."""
    view = app.screen.query_one(ClusterMapView)
    return str(view.query_one("#map-text").render())


def test_a_lesson_open_for_a_while_counts_as_read(
    make_app: MakeApp, store: ProgressStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LessonScreen, "read_after", 3.0)

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await press(pilot, "enter")
        opened = time.monotonic()
        read_at_once = store.lessons_read()
        for _ in range(100):  # wait (bounded) for the timer
            if store.lessons_read():
                break
            await pilot.pause(0.1)
        if time.monotonic() - opened < 2.5:  # a loaded machine may be slower than the timer
            assert read_at_once == set()
        assert store.lessons_read() == {"01-services"}
        assert "Read." in screen_text(app)

    run(make_app(), scenario)


def test_every_lab_of_a_lesson_has_a_key(
    make_app: MakeApp, store: ProgressStore, tmp_path: Path
) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await press(pilot, "enter")
        assert isinstance(app.screen, LessonScreen)
        text = screen_text(app)
        assert "Lab 1 (1)" in text and "Lab 2 (2)" in text and "Lab 3" not in text
        await press(pilot, "2")
        assert isinstance(app.screen, LabScreen) and app.screen.lab.id == "02-second-lab"
        await settle(app, pilot)
        await press(pilot, "escape", "1")
        assert isinstance(app.screen, LabScreen) and app.screen.lab.id == LAB
        await settle(app, pilot)
        await press(pilot, "escape", "3")  # no third lab: nothing happens
        assert isinstance(app.screen, LessonScreen)

    run(make_app(two_lab_pack(tmp_path)), scenario)


def test_l_opens_the_first_lab_not_passed_yet(
    make_app: MakeApp, store: ProgressStore, tmp_path: Path
) -> None:
    store.record_lab(LAB, "sim", True, {})

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await press(pilot, "enter", "l")
        assert isinstance(app.screen, LabScreen) and app.screen.lab.id == "02-second-lab"
        await settle(app, pilot)

    run(make_app(two_lab_pack(tmp_path)), scenario)


def test_a_done_lab_names_the_next_step_and_n_opens_it(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        screen = await open_lab(app, pilot)
        assert not screen.check_action("next_step", ())  # not done yet: no next step key
        await press(pilot, "s", "y")
        await settle(app, pilot)
        note = str(app.screen.query_one("#lab-note").render())
        assert note == (
            "Solution applied. Every check passes: lab done! "
            "Next: the quiz of lesson 01-services: Services in short (key n)."
        )
        assert "n Next step" in screen_text(app)
        await press(pilot, "n")
        assert isinstance(app.screen, QuizScreen)

    run(make_app(), scenario)


def test_palette_finds_a_lab_by_id_and_lists_help_once(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Keys" not in commands and "Quit" in commands
        await press(pilot, "ctrl+p")
        await type_text(pilot, "01-fix")
        await pilot.pause(0.3)
        assert "Lab: The Service that selects nothing (01-fix-selector)" in screen_text(app)
        await press(pilot, "enter")
        assert isinstance(app.screen, LabScreen)
        await settle(app, pilot)
        await press(pilot, "escape", "ctrl+p")
        await type_text(pilot, "nothing selects")  # title words in any order
        await pilot.pause(0.3)
        assert "Lab: The Service that selects nothing" in screen_text(app)
        await press(pilot, "escape", "ctrl+p")
        await type_text(pilot, "Help")
        await pilot.pause(0.3)
        assert screen_text(app).count("Help: show every key") == 1
        await press(pilot, "enter")
        assert isinstance(app.screen, HelpScreen)

    run(make_app(), scenario)


def test_next_indent_follows_yaml() -> None:
    assert next_indent("spec:") == "  "
    assert next_indent("  selector:") == "    "
    assert next_indent("    app: web") == "    "
    assert next_indent("  - name: http") == "    "
    assert next_indent("  ports:  # comment ok") == "  "  # not a key opening a block
    assert next_indent("# spec:") == ""


def test_lab_editor_keeps_the_indent_and_tab_indents_two_spaces(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        await press(pilot, "e", "ctrl+n")
        editor = app.screen.query_one(YamlEditor)
        assert app.focused is editor and editor.indent_keys
        await press(pilot, *["down"] * 6, "end", "enter")  # after `    app: wbe`
        await type_text(pilot, "tier: x")
        assert editor.text.splitlines()[7] == "    tier: x"
        await press(pilot, "home", "tab")
        assert editor.text.splitlines()[7] == "      tier: x"
        await press(pilot, "escape")
        assert app.focused is not editor  # a visible key leaves the editor

    run(make_app(), scenario)


def test_trace_field_keeps_its_text_on_focus(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        await press(pilot, "t")
        await settle(app, pilot)
        field = app.screen.query_one("#trace-target")
        field.focus()
        await pilot.pause()
        await press(pilot, "backspace")
        assert getattr(field, "value", "") == "http://web/hostnam"

    run(make_app(), scenario)


def test_trace_reflows_to_a_wide_terminal(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        await press(pilot, "t")
        await settle(app, pilot)
        view = app.screen.query_one(TraceView)
        assert view.report is not None
        wide = str(view.query_one("#trace-text").render()).splitlines()
        assert max(len(line) for line in wide) > 80  # wider than the old fixed 78 columns
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        narrow = str(view.query_one("#trace-text").render()).splitlines()
        assert max(len(line) for line in narrow) <= 78

    run(make_app(), scenario, size=(140, 40))


def test_map_shows_live_state_and_the_traced_path(make_app: MakeApp) -> None:
    """The Service with a selector that matches no Pod has no arrow; the trace breaks at
    it; after the fix the map shows its three endpoints and the path that now gets through."""

    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        await press(pilot, "m")
        text = map_text(app)
        assert "Service web: ClusterIP 10.96." in text
        assert "──✘ no endpoints: the selector matches no Pod" in text
        assert "selector app=wbe" in text
        assert text.count("✔ Pod web-") == 3
        await press(pilot, "t")
        await settle(app, pilot)
        await press(pilot, "m")
        text = map_text(app)
        assert "Service web: ClusterIP" in text and "✘ TRACE BROKE HERE" in text
        assert "Last trace: HTTP http://web/hostname from probe (broke)" in text
        await press(pilot, "s", "y")
        await settle(app, pilot)
        text = map_text(app)
        assert text.count("──▶ ready 10.244.") == 3
        assert "TRACE BROKE HERE" not in text  # traced again on the fixed cluster
        assert "(got through)" in text and "(answered)" in text

    run(make_app(), scenario, size=(120, 40))


def test_map_in_plain_mode_is_ascii_with_words(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        await press(pilot, "m")
        text = map_text(app)
        assert "--x no endpoints" in text and "[ready] Pod web-" in text
        assert all(ord(ch) < 128 for ch in text)
        shown = screen_text(app)
        assert "[x] Map (m)" in shown and "[x] Task (i)" not in shown  # the active tab in words
        assert "kube-tutor: Lab: The Service that selects nothing" in shown  # no dash
        for glyph in ("—", "▏", "━", "▇", "▁"):
            assert glyph not in shown

    run(make_app(plain=True), scenario)
