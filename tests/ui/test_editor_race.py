"""The workspace editor under reloads faster than it settles (issue 11, item 13).

Reloading the editor clears and re-adds its tabs; Textual's `Tabs.add_tab` activates the
first new tab only after it is mounted (`refresh_active`), and a `TabActivated` from tabs
just removed may still be queued (Tabs and the editor have separate message queues). Two
reloads overlapping (a job finishing while the previous reload still waits) then set
`Tabs.active` to an id that is gone: `ValueError: No Tab with id 'file-0'` in 3 of 5 runs
at 20x10. Here reloads, syncs and tab keys are fired without waiting in between.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from tutor.app.widgets.workspace_editor import WorkspaceEditor


class EditorApp(App[None]):
    """Just the editor over a workspace folder."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def compose(self) -> ComposeResult:
        yield WorkspaceEditor(self.folder, blink=False, id="workspace")


@pytest.mark.parametrize("size", [(20, 10), (80, 24)])
def test_overlapping_reloads_and_fast_keys_keep_the_tabs_consistent(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        (tmp_path / name).write_text(f"# {name}\nkind: ConfigMap\n", encoding="utf-8")
    app = EditorApp(tmp_path)

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            editor = app.query_one(WorkspaceEditor)
            await editor.load()
            editor.editor.focus()
            for round_ in range(6):
                # a file appears or goes (sync then reloads), while loads overlap
                extra = tmp_path / f"x{round_ % 2}.yaml"
                extra.write_text("kind: Service\n", encoding="utf-8")
                (tmp_path / f"x{1 - round_ % 2}.yaml").unlink(missing_ok=True)
                tasks = [asyncio.create_task(editor.load()) for _ in range(3)]
                tasks.append(asyncio.create_task(editor.sync()))
                await pilot.press("ctrl+n", "ctrl+n")
                await asyncio.gather(*tasks)
            await pilot.pause()
            await pilot.pause()
            tab_ids = [tab.id for tab in editor.query("Tab")]
            assert len(tab_ids) == len(editor.names) == 4
            assert all(editor._name_of(tab_id) is not None for tab_id in tab_ids)
            assert editor.current in editor.names

    asyncio.run(main())
