"""The `kube-tutor` command line: opens the app, or runs a plain command.

Each command group lives in its own module with a `register(subparsers)` function, and
heavy libraries (Textual, the kubernetes client) are imported only by the commands that need
them, so `kube-tutor --version` and `kube-tutor list` stay fast.

`main()` is the one error boundary: no traceback reaches a learner. Problems with the
learner's own files or disk get one sentence and exit code 3; anything else is reported as
a kube-tutor bug with exit code 4 (`KUBE_TUTOR_DEBUG=1` shows the traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tutor import __version__

# Exit codes mean something (DESIGN.md section 6).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_FILES = 3
"""kube-tutor cannot read or write the learner's files: permissions, a full disk, a folder
that is a file."""
EXIT_INTERNAL = 4
"""A bug in kube-tutor; the message asks for a report."""
DEBUG_ENV = "KUBE_TUTOR_DEBUG"

_COMMAND_MODULES = (
    "tutor.cli.course",
    "tutor.cli.lint",
    "tutor.cli.progress",
    "tutor.cli.lab",
    "tutor.cli.cluster",
    "tutor.cli.doctor",
    "tutor.cli.trace",
    "tutor.cli.map",
    "tutor.cli.schema",
    "tutor.cli.sim",
    "tutor.cli.exam",
    "tutor.cli.drill",
    "tutor.cli.review",
    "tutor.cli.classroom",
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


def number_matches(wanted: str, number: str) -> bool:
    """True when `wanted` is the number `number` written with or without leading zeros.

    Digit strings are compared, not converted: `int()` refuses strings over 4,300 digits
    (CPython's int_max_str_digits), and `'²'.isdigit()` is true but `int('²')` fails.
    """
    return (
        wanted.isascii()
        and wanted.isdigit()
        and number.isdigit()
        and wanted.lstrip("0") == number.lstrip("0")
    )


def _safe_streams() -> None:
    """Make printing unable to crash: a terminal that is not UTF-8 (`PYTHONIOENCODING=ascii`,
    `LANG=C`) gets `?` for what it cannot show, and a closed stdin reads as end of input."""
    for stream in (sys.stdout, sys.stderr):
        encoding = str(getattr(stream, "encoding", "") or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and encoding not in ("utf8", "utf_8"):
            with contextlib.suppress(ValueError, OSError):  # a stream that cannot change
                reconfigure(errors="replace")
    if sys.stdin is None:  # started with stdin closed (`<&-`): `input()` then sees EOF
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process


def _say(message: str) -> None:
    """One line on stderr; if even stderr is gone, stay silent."""
    with contextlib.suppress(OSError, ValueError):
        print(f"kube-tutor: {message}", file=sys.stderr, flush=True)


def _drop_stdout() -> None:
    """After stdout failed, send the rest nowhere: Python's own flush at exit would fail
    again and print a traceback-like note."""
    with contextlib.suppress(OSError):
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - until exit


def _os_error_message(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return (
            f"no space left on the device (writing{where or ' the output'}). Free some space "
            "and try again."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"not allowed to write{where or ' a file'} ({reason}). Check the permissions, or "
            "set KUBE_TUTOR_HOME to a folder you can write."
        )
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"{where.strip() or 'a path'} is in the way ({reason}); set KUBE_TUTOR_HOME to a folder."
    return f"cannot read or write{where or ' a file'}: {reason}."


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kube-tutor` script; the error boundary of every command."""
    _safe_streams()
    try:
        code = _main(argv)
        sys.stdout.flush()  # output to a full disk fails here, not at exit
        return code
    except SystemExit:
        raise  # argparse's usage errors and --help: their own message and code
    except KeyboardInterrupt:
        with contextlib.suppress(OSError, ValueError):
            print("\nInterrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `kube-tutor list lessons | head`
        _drop_stdout()
        return EXIT_OK
    except OSError as exc:
        _drop_stdout()
        _say(_os_error_message(exc))
        return EXIT_FILES
    except Exception as exc:  # the boundary: a bug is reported, never shown as a traceback
        from tutor.progress.store import ProgressError

        if isinstance(exc, ProgressError):
            _say(exc.message)
            return EXIT_FILES
        if os.environ.get(DEBUG_ENV):
            import traceback

            traceback.print_exc()
        _say(
            f"internal error ({type(exc).__name__}: {str(exc)[:200]}). This is a bug in "
            f"kube-tutor; please report it with the command you ran. {DEBUG_ENV}=1 shows "
            "the details."
        )
        return EXIT_INTERNAL


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from tutor.cli.course import run_app

        return run_app(args)
    from tutor.progress.store import ProgressStore

    # A damaged progress file kept aside is said once, by whichever command opens the store.
    ProgressStore.announce = _say
    try:
        result: int = args.handler(args)
    finally:
        ProgressStore.announce = None
    return result
