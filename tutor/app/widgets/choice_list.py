"""A list of answer choices the learner marks with Space, Enter or the choice's letter."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tutor.quiz.shuffle import display_labels

MARKERS = {True: {True: "[x]", False: "[ ]"}, False: {True: "(*)", False: "( )"}}
"""Choice markers by (multiple, marked): boxes for multi, round marks for single."""


class ChoiceList(OptionList):
    """Choices for single (one mark) or multi (several marks) questions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "space",
            "mark_highlighted",
            "Mark choice",
            tooltip="Mark or unmark the highlighted choice",
        ),
    ]

    class Changed(Message):
        """The set of marked choices changed."""

        def __init__(self, choice_list: ChoiceList) -> None:
            super().__init__()
            self.choice_list = choice_list

        @property
        def control(self) -> ChoiceList:
            """The choice list that changed."""
            return self.choice_list

    def __init__(
        self,
        choices: dict[str, str],
        *,
        multiple: bool,
        order: list[str] | None = None,
        id: str | None = None,
    ) -> None:
        self.choices = dict(choices)
        self.multiple = multiple
        self.order = list(order) if order is not None else list(self.choices)
        """Keys in the order shown (an attempt's shuffle)."""
        self.labels = display_labels(self.order)
        """Key -> the label shown: letter keys are relabelled by position."""
        self.picked: list[str] = []
        self.verdicts: dict[str, str] = {}
        letters = [self.labels[key][0] for key in self.order]
        unique = len(set(letters)) == len(letters)
        self.shortcuts = {self.labels[key][0]: key for key in self.order} if unique else {}
        super().__init__(*self._make_options(), id=id)

    def key_for_label(self, label: str) -> str:
        """The choice key shown with `label` (tests and the CLI speak in labels)."""
        return next(key for key, shown in self.labels.items() if shown == label)

    @property
    def value(self) -> str | list[str] | None:
        """The marked key (single), the marked keys in choice order (multi), or None."""
        picked = [key for key in self.choices if key in self.picked]
        if self.multiple:
            return picked or None
        return picked[0] if picked else None

    def _prompt(self, key: str) -> Content:
        marked = key in self.picked
        box = MARKERS[self.multiple][marked]
        shown = self.labels[key]
        label = shown if len(shown) > 1 else f"{shown})"
        parts: list[str | tuple[str, str]] = [f"{box} {label} "]
        # Inline `code` in a choice shows as code (no Markdown in an option list).
        for number, piece in enumerate(self.choices[key].split("`")):
            parts.append((piece, "$text-accent") if number % 2 else piece)
        verdict = self.verdicts.get(key)
        if verdict:
            style = "bold $text-success" if verdict.startswith("right") else "bold $text-error"
            parts.append((f"  <- {verdict}", style))
        return Content.assemble(*parts)

    def _make_options(self) -> list[Option]:
        return [Option(self._prompt(key), id=key) for key in self.order]

    def _redraw(self) -> None:
        for index, key in enumerate(self.order):
            self.replace_option_prompt_at_index(index, self._prompt(key))

    def mark(self, key: str) -> None:
        """Mark a choice (single: instead of the other; multi: toggle it)."""
        if self.disabled or key not in self.choices:
            return
        if self.multiple:
            if key in self.picked:
                self.picked.remove(key)
            else:
                self.picked.append(key)
        else:
            self.picked = [key]
        self.highlighted = self.order.index(key)
        self._redraw()
        self.post_message(self.Changed(self))

    def action_mark_highlighted(self) -> None:
        """Mark or unmark the highlighted choice."""
        option = self.highlighted_option
        if option is not None and option.id is not None:
            self.mark(option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter marks the highlighted choice."""
        event.stop()
        if event.option.id is not None:
            self.mark(event.option.id)

    def on_key(self, event: events.Key) -> None:
        """A choice's letter marks it."""
        key = self.shortcuts.get(event.character or "")
        if key is not None and not self.disabled:
            event.stop()
            event.prevent_default()
            self.mark(key)

    def reveal(self, right: set[str]) -> None:
        """After grading: say beside every choice whether it was right, wrong or missed."""
        for key in self.choices:
            if key in self.picked:
                self.verdicts[key] = "right" if key in right else "wrong"
            elif key in right:
                self.verdicts[key] = "right answer, not marked"
        self._redraw()
