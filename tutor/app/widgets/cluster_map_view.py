"""The lab's live cluster map: a thin view over `tutor.labs.clustermap` (which builds it)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tutor.labs.clustermap import ClusterMap, MapLine, render_map

STYLES = {
    "title": "bold",
    "heading": "bold underline",
    "muted": "$text-muted",
    "ok": "$text-success",
    "bad": "$text-error",
    "path": "bold $text-accent",
    "broken": "bold reverse $text-error",
}
"""Role -> style; every role is also said in words in the line itself."""

WAITING = "The map appears once the lab has started."
PICKED = "<- picked"
KEYS = "  z folds every node; [ and ] pick one, f folds it"


def map_content(lines: list[MapLine]) -> Content:
    """The map's lines as styled text."""
    shown = [
        Content.styled(line.text, STYLES[line.role]) if line.role in STYLES else Content(line.text)
        for line in lines
    ]
    return Content("\n").join(shown)


class ClusterMapView(VerticalScroll, can_focus=True):
    """Nodes by zone with their Pods, Services with their real endpoints, routes, and the
    last traced path; scrolls at 80x24, and each node folds to one line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("z", "fold_all", "Fold nodes", tooltip="Map: fold or unfold every node's Pods"),
        Binding("]", "pick(1)", "Next node", show=False, tooltip="Map: pick the next node"),
        Binding("[", "pick(-1)", "Prev node", show=False, tooltip="Map: pick the previous node"),
        Binding(
            "f", "fold", "Fold node", show=False, tooltip="Map: fold or unfold the picked node"
        ),
    ]

    def __init__(self, *, plain: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plain = plain
        self.cluster_map: ClusterMap | None = None
        self.folded: set[str] = set()
        """Names of the nodes shown as one line (kept across redraws)."""
        self.picked: str | None = None
        """The node `f` folds (chosen with `[` and `]`)."""

    def compose(self) -> ComposeResult:
        yield Static(WAITING, id="map-text")

    def node_names(self) -> list[str]:
        """Every node of the map, zone by zone, as drawn."""
        if self.cluster_map is None:
            return []
        return [node.name for nodes in self.cluster_map.zones.values() for node in nodes]

    def show_map(self, cluster_map: ClusterMap) -> None:
        """Draw the map (keeping the scroll position: it is redrawn after every change)."""
        self.cluster_map = cluster_map
        self._draw()

    def _draw(self) -> None:
        if self.cluster_map is None:
            return
        lines = render_map(self.cluster_map, plain=self.plain, folded=self.folded)
        heading = next((i for i, line in enumerate(lines) if line.text == "Nodes by zone"), None)
        if heading is not None:
            lines.insert(heading + 1, MapLine(KEYS, "muted"))
        if self.picked is not None:
            # The picked node is said in words, not only by style.
            lines = [
                MapLine(f"{line.text}  {PICKED}", line.role)
                if line.text.startswith(f"  node {self.picked} ")
                else line
                for line in lines
            ]
        self.query_one("#map-text", Static).update(map_content(lines))

    def action_fold_all(self) -> None:
        """Fold every node, or unfold them all when every one is folded already."""
        names = set(self.node_names())
        self.folded = set() if names and names <= self.folded else names
        self._draw()

    def action_pick(self, step: int) -> None:
        """Pick the next (1) or previous (-1) node, wrapping round."""
        names = self.node_names()
        if not names:
            return
        index = names.index(self.picked) + step if self.picked in names else 0
        self.picked = names[index % len(names)]
        self._draw()

    def action_fold(self) -> None:
        """Fold or unfold the picked node (the first one when none is picked yet)."""
        names = self.node_names()
        if not names:
            return
        if self.picked not in names:
            self.picked = names[0]
        self.folded ^= {self.picked}
        self._draw()
