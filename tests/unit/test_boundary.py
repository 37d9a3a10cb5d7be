"""The Textual-free boundary: only tutor/app may import Textual or Rich, and fast commands
import no heavy library at all."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def ruff(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ruff from this environment in the repository root."""
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "ruff"]
    return subprocess.run(
        [*command, *args], cwd=REPO, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_core_passes_the_banned_api_rule() -> None:
    done = ruff("check", "--no-cache", "--select", "TID251", "tutor")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_banned_api_rule_catches_textual_and_rich_in_the_core() -> None:
    """Proof that the rule is configured: the same import is refused outside tutor/app."""
    code = "import textual\nfrom rich.text import Text\n"
    refused = ruff(
        "check",
        "--no-cache",
        "--select",
        "TID251",
        "--stdin-filename",
        "tutor/quiz/x.py",
        "-",
        stdin=code,
    )
    assert refused.returncode == 1
    assert "Only tutor/app may import Textual" in refused.stdout
    assert "Only tutor/app may import Rich" in refused.stdout
    allowed = ruff(
        "check",
        "--no-cache",
        "--select",
        "TID251",
        "--stdin-filename",
        "tutor/app/x.py",
        "-",
        stdin=code,
    )
    assert allowed.returncode == 0, allowed.stdout


def loaded_after(code: str) -> set[str]:
    """Top-level packages in `sys.modules` after running `code` in a fresh interpreter."""
    script = code + textwrap.dedent(
        """
        import sys
        print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_every_core_module_imports_without_textual() -> None:
    code = textwrap.dedent(
        """
        import importlib, pkgutil, tutor
        names = [
            info.name
            for info in pkgutil.walk_packages(tutor.__path__, "tutor.")
            if not info.name.startswith("tutor.app") and info.name != "tutor.__main__"
        ]
        assert len(names) > 10, names
        for name in names:
            importlib.import_module(name)
        """
    )
    loaded = loaded_after(code)
    assert "tutor" in loaded
    assert "textual" not in loaded
    assert "rich" not in loaded


def test_version_imports_no_heavy_library() -> None:
    code = textwrap.dedent(
        """
        from tutor.cli import main
        try:
            main(["--version"])
        except SystemExit as exc:
            assert exc.code == 0
        """
    )
    loaded = loaded_after(code)
    assert "tutor" in loaded
    assert not loaded & {"textual", "rich", "kubernetes", "pydantic", "yaml", "jsonschema"}


def test_list_does_not_import_the_ui_or_the_cluster_client() -> None:
    code = textwrap.dedent(
        """
        import contextlib, io
        from tutor.cli import main
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(["list", "lessons", "--json"]) == 0
        """
    )
    loaded = loaded_after(code)
    assert "pydantic" in loaded  # the course really loaded
    assert not loaded & {"textual", "rich", "kubernetes", "kubernetes_validate"}
