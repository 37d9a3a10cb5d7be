"""Time to first frame: kube-tutor's app against a bare Textual app on the same machine.

Each run is a fresh process (interpreter start and imports included), headless at 80x24. The
child records the wall-clock time when the first screen has been painted (`auto_pilot` runs
once the app is ready; `call_after_refresh` fires after the next refresh) and exits; the
parent subtracts the time it spawned the child. Median of 7 runs each; the budget
(DESIGN.md section 9) is a ratio of 1.5. For information, the time until the course map has
the course loaded (the app loads it in a worker after the first frame) is printed too.
Run: `python benchmarks/first_frame.py`
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

BUDGET_RATIO = 1.5
RUNS = 7

CHILD = r"""
import asyncio, sys, time

which = sys.argv[1]
if which == "bare":
    from textual.app import App

    app = App()
else:
    from tutor.app.app import create_app

    app = create_app()

marks = {}


async def auto_pilot(pilot):
    painted = asyncio.Event()
    pilot.app.call_after_refresh(painted.set)
    await painted.wait()
    marks["frame"] = time.time()
    if which == "app":  # also wait until the course is on screen (loaded in a worker)
        deadline = time.monotonic() + 30
        while getattr(pilot.app, "store", None) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        shown = asyncio.Event()
        pilot.app.call_after_refresh(shown.set)
        await shown.wait()
        marks["course"] = time.time()
    pilot.app.exit()


app.run(headless=True, size=(80, 24), auto_pilot=auto_pilot)
print(marks.get("frame", 0.0), marks.get("course", 0.0))
"""


def first_frame(which: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawning the child to its first frame (and to the loaded course)."""
    start = time.time()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, which], env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"{which} app failed:\n{done.stderr}")
    frame, course = (float(value) for value in done.stdout.split()[-2:])
    return frame - start, (course - start if course else 0.0)


def main() -> int:
    """Print the figures; exit 1 when the ratio misses the budget."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "KUBE_TUTOR_HOME": home}
        first_frame("bare", env)  # warm the file cache and bytecode once
        first_frame("app", env)
        bare, app, course = [], [], []
        for _ in range(RUNS):  # interleaved, so machine load hits both alike
            bare.append(first_frame("bare", env)[0])
            frame, loaded = first_frame("app", env)
            app.append(frame)
            course.append(loaded)
    bare_ms = statistics.median(bare) * 1000
    app_ms = statistics.median(app) * 1000
    course_ms = statistics.median(course) * 1000
    ratio = app_ms / bare_ms
    verdict = "ok" if ratio <= BUDGET_RATIO else "OVER BUDGET"
    print(f"First frame, headless 80x24, median of {RUNS} fresh processes")
    print(f"  bare Textual app       {bare_ms:7.1f} ms  (min {min(bare) * 1000:.1f})")
    print(f"  kube-tutor app         {app_ms:7.1f} ms  (min {min(app) * 1000:.1f})")
    print(f"  ratio                  {ratio:7.2f}    (budget {BUDGET_RATIO}x)  {verdict}")
    print(
        f"  kube-tutor course shown {course_ms:6.1f} ms  (information: course loaded in a worker)"
    )
    return 0 if ratio <= BUDGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
