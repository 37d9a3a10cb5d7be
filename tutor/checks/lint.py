"""Lint rules for lab checks: known types, valid parameters, known diagnosers."""

from __future__ import annotations

from collections.abc import Iterator

from tutor.checks.registry import spec_problems
from tutor.content.lint import EXTRA_RULES
from tutor.content.loader import Course, Problem


def _check_line(lab_path: str, check_id: str) -> int | None:
    with open(lab_path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            stripped = line.strip().removeprefix("- ").strip()
            if stripped in (f"id: {check_id}", f"id: '{check_id}'", f'id: "{check_id}"'):
                return number
    return None


def check_specs(course: Course) -> Iterator[Problem]:
    """Every check spec of every lab must name a known type with valid parameters."""
    for lab in course.labs:
        for spec in lab.spec.checks:
            for message in spec_problems(spec):
                yield Problem(lab.path, _check_line(str(lab.path), spec.id), message)


if check_specs not in EXTRA_RULES:
    EXTRA_RULES.append(check_specs)
