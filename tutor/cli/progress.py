"""`kube-tutor progress export|where`: the learner's progress as data."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `progress` command."""
    p = sub.add_parser("progress", help="export progress as JSON or show where it is kept")
    p.add_argument("action", choices=["export", "where"])
    p.set_defaults(handler=cmd_progress)


def cmd_progress(args: argparse.Namespace) -> int:
    """Print the progress store as JSON, or its path."""
    from tutor.progress.store import ProgressStore, default_path

    if args.action == "where":
        print(default_path())
        return 0
    store = ProgressStore()
    print(json.dumps(store.export(), indent=2))
    return 0
