"""The `kube-tutor` command line: opens the app, or runs a plain command.

Each command group lives in its own module with a `register(subparsers)` function, and
heavy libraries (Textual, the kubernetes client) are imported only by the commands that need
them, so `kube-tutor --version` and `kube-tutor list` stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tutor import __version__

# Exit codes mean something (DESIGN.md section 6).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_COMMAND_MODULES = (
    "tutor.cli.course",
    "tutor.cli.lint",
    "tutor.cli.progress",
    "tutor.cli.lab",
    "tutor.cli.cluster",
    "tutor.cli.trace",
    "tutor.cli.schema",
    "tutor.cli.sim",
    "tutor.cli.exam",
    "tutor.cli.drill",
    "tutor.cli.review",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="kube-tutor",
        description="Learn how Kubernetes routes traffic: lessons, quizzes and checked labs.",
    )
    parser.add_argument("--version", action="version", version=f"kube-tutor {__version__}")
    add_global_options(parser, top=True)
    parser.add_argument(
        "--backend",
        dest="app_backend",
        choices=["sim", "kind"],
        default="sim",
        help="the app's practice cluster for labs: the simulator (default) or kube-tutor's kind cluster",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import importlib

    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command group not built yet
                continue
            raise
        module.register(sub)
    return parser


def add_global_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """Options every command accepts, before or after the command name.

    On sub-commands the defaults are suppressed, so a value given before the command is
    not overwritten by the sub-command's default.
    """
    parser.add_argument(
        "--content",
        action="append",
        type=Path,
        default=[] if top else argparse.SUPPRESS,
        metavar="DIR",
        help="also load the course pack in DIR (lessons/ and labs/ inside); repeatable",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="no colour and no box drawing (also NO_COLOR=1)",
    )


def plain_requested(args: argparse.Namespace) -> bool:
    """Plain output when asked for, or when NO_COLOR is set (https://no-color.org)."""
    return bool(getattr(args, "plain", False) or os.environ.get("NO_COLOR"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kube-tutor` script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from tutor.cli.course import run_app

        return run_app(args)
    try:
        result: int = args.handler(args)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `kube-tutor list lessons | head`
        return EXIT_OK
    return result
