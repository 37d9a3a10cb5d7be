"""Full lab check latency on the simulator (budget: < 50 ms per lab check round).

Run: `python benchmarks/check_latency.py` (prints the median and worst round per lab).
Each lab's solution is applied on a fresh simulator, then its checks run 20 times.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from tutor.cluster.sim.cluster import SimCluster
from tutor.content.loader import load_course
from tutor.labs.session import LabSession

BUDGET_MS = 50.0
ROUNDS = 20


def main() -> int:
    course = load_course()
    worst_median = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for lab in course.labs:
            session = LabSession(lab, SimCluster(), workspace=Path(tmp) / lab.id)
            session.solve()
            times = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                result = session.check(record=False)
                times.append((time.perf_counter() - started) * 1000)
            median = statistics.median(times)
            worst_median = max(worst_median, median)
            state = "pass" if result.passed else "FAIL"
            print(f"{lab.id:<36} median {median:6.2f} ms  max {max(times):6.2f} ms  ({state})")
    verdict = "within" if worst_median < BUDGET_MS else "OVER"
    print(f"slowest lab median: {worst_median:.2f} ms ({verdict} the {BUDGET_MS:.0f} ms budget)")
    return 0 if worst_median < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
