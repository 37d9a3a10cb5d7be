"""The lab's live map folds per node (issue 15 item 13: readable at 80x24)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot

from tests.ui.helpers import MakeApp, press, screen_text
from tests.ui.test_lab_screen import open_lab, settle
from tutor.app.app import KubeTutorApp
from tutor.app.widgets.cluster_map_view import ClusterMapView
from tutor.labs.clustermap import ClusterMap, NodeMark, PodMark, TracedHop, TracedPath, render_map

Compare = Callable[..., bool]


def small_map(trace: TracedPath | None = None) -> ClusterMap:
    """Two nodes: one with a ready and a not-ready Pod, one empty."""
    pods = [
        PodMark("web-a", "ns", "10.0.0.1", True, "Running"),
        PodMark("web-b", "ns", "10.0.0.2", False, "Pending"),
    ]
    return ClusterMap(
        namespace="ns",
        backend="sim",
        zones={
            "zone-a": [
                NodeMark("w1", "zone-a", "172.18.0.3", False, pods),
                NodeMark("cp", "zone-a", "172.18.0.2", True),
            ]
        },
        services=[],
        routes=[],
        trace=trace,
    )


def test_a_folded_node_counts_its_pods_and_keeps_the_trace_mark() -> None:
    broke = TracedPath(
        label="GET web",
        ok=False,
        hops=(TracedHop("Pod web-b", "not ready", False, "not ready", (("Pod", "web-b"),)),),
    )
    lines = [line.text for line in render_map(small_map(broke), plain=True, folded={"w1"})]
    assert "  node w1 (172.18.0.3, folded): 2 Pods, 1 ready, 1 NOT READY  << TRACE BROKE HERE" in (
        lines
    )
    assert not any("Pod web-a" in line for line in lines)  # folded away
    assert "  node cp 172.18.0.2 (control plane)" in lines  # not folded: as before
    folded_both = render_map(small_map(), plain=True, folded={"w1", "cp"})
    assert "  node cp (172.18.0.2, control plane, folded): no Pods" in [
        line.text for line in folded_both
    ]


def map_lines(app: KubeTutorApp) -> list[str]:
    """The node lines of the map on screen."""
    return [
        line.strip() for line in screen_text(app).splitlines() if line.strip().startswith("node ")
    ]


def test_keys_fold_all_nodes_one_node_and_survive_a_redraw(make_app: MakeApp) -> None:
    async def scenario(app: KubeTutorApp, pilot: Pilot[None]) -> None:
        await open_lab(app, pilot)
        await press(pilot, "m")
        view = app.screen.query_one(ClusterMapView)
        names = view.node_names()
        assert len(names) >= 3 and not any("folded" in line for line in map_lines(app))
        await press(pilot, "z")
        assert view.folded == set(names)
        assert all("folded" in line for line in map_lines(app))
        assert "[ready] Pod" not in screen_text(app)
        await press(pilot, "z")
        assert view.folded == set()
        await press(pilot, "]", "]", "f")
        assert view.folded == {names[1]}
        picked = [line for line in map_lines(app) if "<- picked" in line]
        assert (
            len(picked) == 1
            and picked[0].startswith(f"node {names[1]} (")
            and "folded" in picked[0]
        )
        await press(pilot, "c")  # the checks run again and the map is redrawn
        await settle(app, pilot)
        assert view.folded == {names[1]}
        assert any(line.startswith(f"node {names[1]} (") for line in map_lines(app))
        await press(pilot, "f")
        assert view.folded == set()

    async def main() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await scenario(app, pilot)

    asyncio.run(main())


def test_snapshot_folded_map_at_80x24(snap_compare: Compare, make_app: MakeApp) -> None:
    """Every node folded: the zones, nodes and Services fit the map pane at 80x24."""

    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KubeTutorApp)
        await press(pilot, "down", "enter")
        await settle(app, pilot)
        await press(pilot, "m", "z")
        await settle(app, pilot)

    assert snap_compare(make_app(plain=True), run_before=run_before, terminal_size=(80, 24))
