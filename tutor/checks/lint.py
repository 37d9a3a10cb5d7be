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


def wrong_fix_specs(course: Course) -> Iterator[Problem]:
    """Every `wrong/<name>/wrong.yaml` parses, trips checks that exist, names known
    diagnosers and removes start/ files that exist. (How many wrong fixes a lab needs is
    the course's policy, tested in tests/content, not a rule for every content pack.)"""
    from tutor.checks.registry import DIAGNOSERS, load_builtins
    from tutor.labs.wrong import WRONG_FILE, wrong_fixes

    load_builtins()
    for lab in course.labs:
        ids = {spec.id for spec in lab.spec.checks}
        for wrong in wrong_fixes(lab):
            yield from wrong.problems
            if wrong.spec is None:
                continue
            path = wrong.folder / WRONG_FILE
            for check in wrong.spec.trips:
                if check not in ids:
                    yield Problem(path, None, f"trips names check {check!r}, which the lab lacks")
            for name in wrong.spec.diagnoses:
                if name not in DIAGNOSERS:
                    yield Problem(path, None, f"unknown diagnoser {name!r}")
            for name in wrong.spec.remove:
                if not (lab.start_dir / name).is_file():
                    yield Problem(path, None, f"remove names {name!r}, which start/ lacks")
            if not wrong.manifests and not wrong.spec.remove and not wrong.spec.kubectl:
                yield Problem(
                    path, None, "the wrong fix changes nothing (no files, remove or kubectl)"
                )


for _rule in (check_specs, wrong_fix_specs):
    if _rule not in EXTRA_RULES:
        EXTRA_RULES.append(_rule)
