"""Running kube-tutor as a learner would, in a child process, and reading what it said."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "tests" / "data" / "good"
LAB = "01-alpha-lab"


@dataclass
class Ran:
    """A finished kube-tutor process."""

    code: int
    out: str
    err: str

    def no_traceback(self) -> Ran:
        """Assert that no Python traceback reached the learner; returns self."""
        assert "Traceback" not in self.err + self.out, self.err[-2000:]
        assert "Exception ignored" not in self.err, self.err[-2000:]
        return self


def run_cli(
    args: list[str],
    home: Path | str,
    *,
    extra_env: dict[str, str] | None = None,
    unprivileged: bool = False,
    stdin: int | None = subprocess.DEVNULL,
    stdout: int | None = subprocess.PIPE,
    close_stdin: bool = False,
    timeout: float = 60,
) -> Ran:
    """`kube-tutor ARGS` on the fixture pack with `KUBE_TUTOR_HOME=home`.

    `unprivileged`: as root, file permissions do not apply (CAP_DAC_OVERRIDE); the child then
    runs without the capabilities that bypass them, so a read-only file is read-only to it.
    """
    env = {
        **os.environ,
        "KUBE_TUTOR_HOME": str(home),
        "KUBE_TUTOR_NO_BUILTIN": "1",
        "NO_COLOR": "1",
        **(extra_env or {}),
    }
    # `progress` takes no --content; a test that names its own pack gets only that one
    pack = [] if args[:1] == ["progress"] or "--content" in args else ["--content", str(GOOD)]
    command = [sys.executable, "-m", "tutor", *args, *pack]
    if unprivileged and os.geteuid() == 0:
        command = [setpriv(), "--bounding-set=-dac_override,-dac_read_search", *command]
    done = subprocess.run(
        command,
        env=env,
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=timeout,
        preexec_fn=(lambda: os.close(0)) if close_stdin else None,  # noqa: PLW1509 - test only
        cwd=REPO,
    )
    out = done.stdout.decode("utf-8", "replace") if done.stdout is not None else ""
    return Ran(done.returncode, out, done.stderr.decode("utf-8", "replace"))


def setpriv() -> str:
    """The `setpriv` tool (util-linux), needed to drop root's permission override."""
    found = shutil.which("setpriv")
    if found is None:  # pragma: no cover - every util-linux has it
        raise AssertionError("running as root needs `setpriv` (util-linux) for permission tests")
    return found
