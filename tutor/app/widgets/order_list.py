"""Items the learner puts in order by moving the highlighted one up or down."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class OrderList(OptionList):
    """Shows items in the learner's current order; `u`/`d` move the highlighted item."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u,shift+up", "move(-1)", "Move up", tooltip="Move the highlighted item up"),
        Binding("d,shift+down", "move(1)", "Move down", tooltip="Move the highlighted item down"),
    ]

    class Reordered(Message):
        """The learner moved an item."""

        def __init__(self, order_list: OrderList) -> None:
            super().__init__()
            self.order_list = order_list

        @property
        def control(self) -> OrderList:
            """The list that changed."""
            return self.order_list

    def __init__(self, items: list[str], order: list[int], *, id: str | None = None) -> None:
        self.items = list(items)
        self.order = list(order)
        """Item indexes (into `items`) in the order shown."""
        self.verdicts: list[str] = []
        super().__init__(*self._make_options(), id=id)

    @property
    def value(self) -> list[int]:
        """The learner's order as item indexes."""
        return list(self.order)

    def _prompt(self, position: int) -> Content:
        parts: list[str | tuple[str, str]] = [f"{position + 1}. {self.items[self.order[position]]}"]
        if self.verdicts:
            verdict = self.verdicts[position]
            style = "bold $text-success" if verdict == "in place" else "bold $text-error"
            parts.append((f"  <- {verdict}", style))
        return Content.assemble(*parts)

    def _make_options(self) -> list[Option]:
        return [Option(self._prompt(position)) for position in range(len(self.order))]

    def action_move(self, step: int) -> None:
        """Move the highlighted item `step` places (negative: up)."""
        here = self.highlighted
        if here is None or self.disabled:
            return
        there = here + step
        if not 0 <= there < len(self.order):
            return
        self.order[here], self.order[there] = self.order[there], self.order[here]
        for position in (here, there):
            self.replace_option_prompt_at_index(position, self._prompt(position))
        self.highlighted = there
        self.post_message(self.Reordered(self))

    def reveal(self) -> None:
        """After grading: say for each item whether it is in its right place."""
        self.verdicts = [
            "in place" if index == position else f"belongs at {index + 1}"
            for position, index in enumerate(self.order)
        ]
        for position in range(len(self.order)):
            self.replace_option_prompt_at_index(position, self._prompt(position))
