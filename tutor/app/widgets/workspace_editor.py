"""The workspace editor: a tab per manifest of the lab's workspace over one YAML editor.

Tab ids carry a generation number (`file-<gen>-<index>`) and loads are serialised: a
`TabActivated` message from tabs a reload just removed can arrive after the reload (the
tabs and the editor run their own message queues), and must not switch to a tab that is gone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Tab, Tabs, TextArea

from tutor.app.widgets.yaml_editor import YamlEditor
from tutor.content.yamlsrc import SourceError, read_source
from tutor.labs.workspace import manifest_files


class WorkspaceEditor(Vertical):
    """Edits the workspace's YAML files; edits stay in memory until saved (Ctrl+S)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save+apply", tooltip="Editor: save, apply and check"),
        Binding("ctrl+n", "next_file", "Next file", tooltip="Editor: show the next file"),
        Binding("escape", "leave", "Leave editor", tooltip="Editor: back to the check list"),
    ]

    class Saved(Message):
        """Files were written to the workspace."""

        def __init__(self, paths: list[Path]) -> None:
            super().__init__()
            self.paths = paths

    class Left(Message):
        """The learner asked to leave the editor."""

    def __init__(
        self, folder: Path, *, blink: bool = True, plain: bool = False, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.folder = folder
        self.blink = blink
        self.plain = plain
        """Plain mode: the shown file is marked `[x]` in its tab, not only by shade."""
        self.names: list[str] = []
        self.saved: dict[str, str] = {}
        """File name -> text on disk (as last read or written)."""
        self.texts: dict[str, str] = {}
        """File name -> text in the editor, saved or not."""
        self.current: str | None = None
        self._generation = 0
        """Bumped by every load; tab ids of older loads name nothing."""
        self._loading = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Tabs(id="file-tabs")
        # Enter keeps the indent, Tab indents (2 spaces); Esc leaves the editor.
        editor = YamlEditor("", id="file-text", indent_keys=True)
        editor.cursor_blink = self.blink
        editor.read_only = True
        editor.placeholder = "The workspace files appear here once the lab has started."
        yield editor

    @property
    def editor(self) -> YamlEditor:
        """The text editor."""
        return self.query_one(YamlEditor)

    def _read(self) -> dict[str, str]:
        if not self.folder.is_dir():
            return {}
        found = {}
        for path in manifest_files(self.folder):
            try:
                found[path.name] = read_source(path)
            except SourceError:
                continue  # the apply reports it with its line; the editor shows the rest
        return found

    def _tab_id(self, index: int) -> str:
        return f"file-{self._generation}-{index}"

    async def load(self) -> None:
        """Read every file of the workspace (edits not saved are dropped)."""
        async with self._loading:
            await self._load()

    async def _load(self) -> None:
        self._generation += 1
        self.saved = self._read()
        self.texts = dict(self.saved)
        self.names = list(self.saved)
        self.current = None
        tabs = self.query_one(Tabs)
        await tabs.clear()
        for index, name in enumerate(self.names):
            await tabs.add_tab(Tab(name, id=self._tab_id(index)))
        self.editor.read_only = not self.names
        if self.names:
            self._switch(self.names[0])
        else:
            self.editor.load_text("")
        self._label_tabs()

    async def sync(self) -> None:
        """Pick up files changed on disk (e.g. in another editor); keep edits not saved."""
        async with self._loading:
            await self._sync()

    async def _sync(self) -> None:
        found = self._read()
        if list(found) != self.names:
            if not self.modified():
                await self._load()
            return
        for name, text in found.items():
            if text != self.saved[name] and self.texts[name] == self.saved[name]:
                self.saved[name] = self.texts[name] = text
                if name == self.current:
                    self.editor.load_text(text)

    def _stash(self) -> None:
        if self.current is not None:
            self.texts[self.current] = self.editor.text

    def _switch(self, name: str) -> None:
        self._stash()
        if name == self.current:
            return
        self.current = name
        self.editor.load_text(self.texts[name])
        tabs = self.query_one(Tabs)
        tab_id = self._tab_id(self.names.index(name))
        if tabs.query(f"#{tab_id}"):  # not yet mounted or already replaced: leave it
            tabs.active = tab_id
        self._label_tabs()

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        """Show the file of the chosen tab."""
        event.stop()
        name = self._name_of(event.tab.id)
        if name is not None:
            self._switch(name)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Mark a file with unsaved edits in its tab."""
        event.stop()
        self._stash()
        self._label_tabs()

    def _label_tabs(self) -> None:
        """Each tab says in words whether its file has edits not saved, and in plain mode
        which file is shown (the app's own `[x]` marking never sees these tabs: this widget
        keeps their messages to itself)."""
        for tab in self.query_one(Tabs).query(Tab):
            name = self._name_of(tab.id)
            if name is None:
                continue
            words = f"{name} (edited)" if self.texts[name] != self.saved[name] else name
            if self.plain and name == self.current:
                words = f"[x] {words}"
            # Content, not a str: a str label is read as markup, and `[x]` would vanish.
            tab.label = Content(words)

    def _name_of(self, tab_id: str | None) -> str | None:
        prefix = f"file-{self._generation}-"
        if not tab_id or not tab_id.startswith(prefix) or not tab_id[len(prefix) :].isdigit():
            return None  # a tab of an earlier load
        index = int(tab_id[len(prefix) :])
        return self.names[index] if 0 <= index < len(self.names) else None

    def modified(self) -> dict[str, str]:
        """Files with edits not saved yet: name -> text."""
        self._stash()
        return {name: text for name, text in self.texts.items() if text != self.saved.get(name)}

    def save(self) -> list[Path]:
        """Write every edited file to the workspace; returns the paths written."""
        written = []
        for name, text in self.modified().items():
            path = self.folder / name
            path.write_text(text, encoding="utf-8")
            self.saved[name] = text
            written.append(path)
        self._label_tabs()
        return written

    def show_line(self, name: str, line: int | None) -> None:
        """Open a file at a 1-based line and put the focus there."""
        if name not in self.names:
            return
        self._switch(name)
        if line:
            self.editor.go_to_line(line)
        self.editor.focus()

    def action_save(self) -> None:
        """Save the edited files and tell the screen (it applies them)."""
        self.post_message(self.Saved(self.save()))

    def action_next_file(self) -> None:
        """Show the next file (after the last: the first)."""
        if self.names:
            index = self.names.index(self.current) + 1 if self.current in self.names else 0
            self._switch(self.names[index % len(self.names)])

    def action_leave(self) -> None:
        """Leave the editor."""
        self.post_message(self.Left())
