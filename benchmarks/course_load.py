"""Load and validate the whole built-in course, and lint it.

`load_course()` parses every lesson, quiz and lab file and validates it against the models;
it runs 20 times in one process (imports excluded, reported apart) and the median is compared
with the budget of DESIGN.md section 9 (< 150 ms). `kube-tutor lint` (cross-file rules, YAML
question solutions, every manifest against the Kubernetes schema) is timed too, for information.
Run: `python benchmarks/course_load.py`
"""

from __future__ import annotations

import statistics
import sys
import time

BUDGET_MS = 150.0
RUNS = 20
LINT_RUNS = 5


def main() -> int:
    """Print the figures; exit 1 when the median load misses the budget."""
    start = time.perf_counter()
    from tutor.content.lint import lint_course
    from tutor.content.loader import load_course

    import_ms = (time.perf_counter() - start) * 1000

    loads = []
    for _ in range(RUNS):
        start = time.perf_counter()
        course = load_course()
        loads.append((time.perf_counter() - start) * 1000)
    questions = sum(1 for _ in course.questions())
    median = statistics.median(loads)

    first = time.perf_counter()
    lint_course(course)  # the first run also reads the schemas
    first_lint_ms = (time.perf_counter() - first) * 1000
    lints = []
    for _ in range(LINT_RUNS):
        start = time.perf_counter()
        report = lint_course(course)
        lints.append((time.perf_counter() - start) * 1000)

    print(
        f"Built-in course: {len(course.lessons)} lessons, {questions} questions, "
        f"{len(course.labs)} labs, {len(course.problems)} load problem(s)"
    )
    print(f"  import of loader + lint     {import_ms:7.1f} ms (once per process)")
    verdict = "ok" if median < BUDGET_MS else "OVER BUDGET"
    print(
        f"  load + validate             {median:7.1f} ms median of {RUNS}"
        f" (min {min(loads):.1f}, max {max(loads):.1f}; budget {BUDGET_MS:.0f} ms)  {verdict}"
    )
    print(f"  lint, first run             {first_lint_ms:7.1f} ms (loads the schemas)")
    print(
        f"  lint                        {statistics.median(lints):7.1f} ms median of {LINT_RUNS}"
        f" ({len(report.problems)} problem(s))"
    )
    return 0 if median < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
