"""`kube-tutor map LAB`: the lab's cluster as text, from its live state (for screen readers
and scripts; the app shows the same map in the lab's Map tab)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `map` command."""
    from tutor.cli import add_global_options
    from tutor.cli.lab import add_backend_options

    p = sub.add_parser(
        "map",
        help="the lab's cluster: nodes by zone, Pods, Services and their endpoints, routes",
    )
    p.add_argument("lab", help="lab id or its number")
    p.add_argument("--json", action="store_true", help="print the map as data")
    add_backend_options(p)
    add_global_options(p)
    p.set_defaults(handler=cmd_map)


def cmd_map(args: argparse.Namespace) -> int:
    """Print the map; exit 0 (1 when the cluster cannot be read)."""
    from tutor.cli import plain_requested
    from tutor.cli.lab import open_session
    from tutor.cluster.base import ClusterError
    from tutor.labs.clustermap import live_map, render_text

    args.id = args.lab
    session = open_session(args)
    if session is None:
        return 2
    try:
        cmap = live_map(session)
    except ClusterError as exc:
        print(f"kube-tutor: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(asdict(cmap), indent=2))
    else:
        print(render_text(cmap, plain=plain_requested(args)))
    return 0
