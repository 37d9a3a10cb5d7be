"""Startup time of the plain CLI: `kube-tutor --version` and `kube-tutor list lessons`.

Each command runs as a fresh process (interpreter start and imports included), 10 times;
the median is compared with the budgets of DESIGN.md section 9 (`--version` < 0.1 s, `list`
< 0.2 s; `list` reads its rows from the cache of `tutor/cli/listcache.py` once a first run
has filled it, as the warm-up run here does).
Run: `python benchmarks/startup.py`
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 10
COMMANDS = ((["--version"], 0.1), (["list", "lessons"], 0.2))


def kube_tutor() -> list[str]:
    """The installed `kube-tutor` script beside this interpreter, else `python -m tutor`."""
    script = shutil.which("kube-tutor", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "tutor"]


def time_command(args: list[str], env: dict[str, str]) -> list[float]:
    """Wall-clock seconds of each of RUNS runs (after one warm-up run)."""
    command = kube_tutor() + args
    subprocess.run(command, env=env, capture_output=True, check=True)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    """Print the figures; exit 1 when a median misses the budget."""
    missed = False
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "KUBE_TUTOR_HOME": home}
        print(f"kube-tutor startup, median of {RUNS} fresh processes")
        for args, budget in COMMANDS:
            times = time_command(args, env)
            median = statistics.median(times)
            verdict = f"ok (budget {budget:.1f} s)" if median < budget else "OVER BUDGET"
            missed |= median >= budget
            print(
                f"  kube-tutor {' '.join(args):<14} median {median:.3f} s"
                f"  (min {min(times):.3f}, max {max(times):.3f})  {verdict}"
            )
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
