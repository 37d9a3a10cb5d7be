"""The lab's live cluster map: a thin view over `tutor.labs.clustermap` (which builds it)."""

from __future__ import annotations

from textual.app import ComposeResult
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


def map_content(lines: list[MapLine]) -> Content:
    """The map's lines as styled text."""
    shown = [
        Content.styled(line.text, STYLES[line.role]) if line.role in STYLES else Content(line.text)
        for line in lines
    ]
    return Content("\n").join(shown)


class ClusterMapView(VerticalScroll, can_focus=True):
    """Nodes by zone with their Pods, Services with their real endpoints, routes, and the
    last traced path; scrolls at 80x24."""

    def __init__(self, *, plain: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plain = plain
        self.cluster_map: ClusterMap | None = None

    def compose(self) -> ComposeResult:
        yield Static(WAITING, id="map-text")

    def show_map(self, cluster_map: ClusterMap) -> None:
        """Draw the map (keeping the scroll position: it is redrawn after every change)."""
        self.cluster_map = cluster_map
        self.query_one("#map-text", Static).update(
            map_content(render_map(cluster_map, plain=self.plain))
        )
