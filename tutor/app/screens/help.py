"""The help screen: every key the app answers to, gathered from the bindings themselves."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tutor.app.glyphs import glyphs

KEY_NAMES = {
    "question_mark": "?",
    "escape": "Esc",
    "enter": "Enter",
    "space": "Space",
    "tab": "Tab",
    "up": "Up",
    "down": "Down",
    "pageup": "PgUp",
    "pagedown": "PgDn",
}

# Keys that Textual's own widgets provide, in words (they are not in our BINDINGS).
BUILT_IN: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Everywhere",
        [
            ("Tab / Shift+Tab", "Move the focus to the next / previous part of the screen"),
            ("Ctrl+P", "Command palette: open any lesson, quiz or lab by name"),
            ("Esc", "Back: close this page, a lesson, a quiz or a lab"),
            ("Ctrl+Q", "Quit (progress is saved as you go)"),
        ],
    ),
    (
        "Course map",
        [
            ("Up / Down", "Move through lessons, quizzes and labs"),
            ("Enter", "Open the lesson, quiz or lab under the cursor"),
            ("Space", "Fold or unfold a lesson"),
        ],
    ),
    ("Reading", [("Up / Down / PgUp / PgDn", "Scroll the text")]),
]


def key_label(keys: str) -> str:
    """`f1,question_mark` -> `F1 / ?`; `ctrl+s` -> `Ctrl+S`; a lone letter stays as typed."""
    shown = []
    for key in keys.split(","):
        parts = key.split("+")
        if len(parts) == 1 and len(key) == 1:
            shown.append(key)
            continue
        shown.append("+".join(KEY_NAMES.get(part, part.capitalize()) for part in parts))
    return " / ".join(shown)


def binding_rows(bindings: list[BindingType]) -> list[tuple[str, str]]:
    """(keys, description) for every Binding with a description."""
    return [
        (key_label(binding.key), binding.tooltip or binding.description)
        for binding in bindings
        if isinstance(binding, Binding) and binding.description
    ]


def sections() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every key, grouped by where it works."""
    from tutor.app.app import KubeTutorApp
    from tutor.app.screens.home import HomeScreen
    from tutor.app.screens.lab import LabScreen
    from tutor.app.screens.lesson import LAB_KEYS_HELP, LessonScreen
    from tutor.app.screens.quiz import QuizScreen
    from tutor.app.widgets.choice_list import ChoiceList
    from tutor.app.widgets.order_list import OrderList
    from tutor.app.widgets.workspace_editor import WorkspaceEditor

    found = [(BUILT_IN[0][0], binding_rows(KubeTutorApp.BINDINGS) + BUILT_IN[0][1])]
    found.append((BUILT_IN[1][0], BUILT_IN[1][1] + binding_rows(HomeScreen.BINDINGS)))
    found.append(("Lesson", [*binding_rows(LessonScreen.BINDINGS), LAB_KEYS_HELP, *BUILT_IN[2][1]]))
    quiz = binding_rows(QuizScreen.BINDINGS)
    quiz += [("a, b, c ... / t, f", "Mark the choice with that letter")]
    quiz += binding_rows(ChoiceList.BINDINGS)
    quiz += [("Enter", "Mark the highlighted choice; in a text answer: submit")]
    quiz += binding_rows(OrderList.BINDINGS)
    found.append(("Quiz", quiz))
    lab = binding_rows(LabScreen.BINDINGS) + binding_rows(WorkspaceEditor.BINDINGS)
    lab += [("Tab (in the editor)", "Indent by two spaces")]
    lab += [("Enter (in the editor)", "New line, indented like the one above")]
    lab += [("Enter (in the trace field)", "Trace the target typed there")]
    found.append(("Lab", lab))
    return found


def help_table() -> Table:
    """The help page: a heading per place, then keys and what they do, in two columns."""
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column("keys", no_wrap=True, style="bold", min_width=12)
    table.add_column("what", ratio=1)
    for number, (title, rows) in enumerate(sections()):
        if number:
            table.add_row("", "")
        table.add_row(Text(title, style="bold underline"), "")
        for keys, description in rows:
            table.add_row(keys, description)
    return table


class HelpScreen(Screen[None]):
    """Lists every key binding of the app."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, *, plain: bool) -> None:
        super().__init__()
        self.plain = plain

    def compose(self) -> ComposeResult:
        yield Header(icon=glyphs(self.plain).icon)
        with VerticalScroll(id="help-body"):
            yield Static(help_table(), id="help-text")
        yield Footer()

    def on_mount(self) -> None:
        """Title the screen and focus the list for scrolling."""
        self.sub_title = "Keys"
        self.query_one("#help-body").focus()

    def action_back(self) -> None:
        """Close the help."""
        self.dismiss()
