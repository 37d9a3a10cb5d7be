"""An instructor's `course.yaml` in a course pack: the lessons and labs a workshop uses, in
order, and whether the solution key is locked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from tutor.content.loader import Course


class ClassroomError(Exception):
    """A classroom could not be set up or read (a bad learners or course file, a refused
    write)."""


@dataclass(frozen=True)
class CoursePlan:
    """An instructor's `course.yaml`: which lessons and labs a workshop uses, in order."""

    lessons: list[str]
    labs: list[str]
    solution_key_locked: bool


def read_course_file(folder: Path) -> CoursePlan | None:
    """The `course.yaml` of a course pack, or None when the pack has none.

    ```yaml
    lessons: [01-why-services, 02-selectors]
    labs: [01-first-service, 02-selector-mismatch]
    solution_key: locked      # or: open (the default)
    ```
    """
    path = folder / "course.yaml"
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ClassroomError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ClassroomError(f"{path}: expected a mapping with lessons, labs, solution_key")
    unknown = set(data) - {"lessons", "labs", "solution_key"}
    if unknown:
        raise ClassroomError(f"{path}: unknown keys: {', '.join(sorted(unknown))}")
    key = data.get("solution_key", "open")
    if key not in ("open", "locked"):
        raise ClassroomError(f"{path}: solution_key must be `open` or `locked`, not {key!r}")
    lists = {}
    for name in ("lessons", "labs"):
        value = data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ClassroomError(f"{path}: {name} must be a list of ids")
        lists[name] = value
    return CoursePlan(lists["lessons"], lists["labs"], key == "locked")


def solution_key_locked(content: Iterable[Path]) -> bool:
    """True when a loaded course pack's `course.yaml` locks the solution key."""
    for folder in content:
        plan = read_course_file(Path(folder))
        if plan is not None and plan.solution_key_locked:
            return True
    return False


SOLUTION_LOCKED = (
    "The instructor's course.yaml locks the solution key: no solution is applied in this "
    "workshop. Ask the instructor, or use the hints."
)
"""What the CLI's `lab solve` and the app's Solve key say when the key is locked."""


def solve_refusal(content: Iterable[Path]) -> str | None:
    """Why the reference solution may not be applied (the words to show), or None when it
    may: the one decision the CLI's `lab solve` and the app's Solve key both ask."""
    return SOLUTION_LOCKED if solution_key_locked(content) else None


def workshop_course(course: Course, content: Iterable[Path]) -> Course:
    """The course as the packs' `course.yaml` chooses it: only the listed lessons and labs,
    in the listed order (a list left out keeps everything). Unknown ids are refused."""
    for folder in content:
        plan = read_course_file(Path(folder))
        if plan is None:
            continue
        lessons = {lesson.id: lesson for lesson in course.lessons}
        labs = {lab.id: lab for lab in course.labs}
        unknown = [i for i in plan.lessons if i not in lessons] + [
            i for i in plan.labs if i not in labs
        ]
        if unknown:
            raise ClassroomError(
                f"{Path(folder) / 'course.yaml'} names what the course does not have: "
                + ", ".join(unknown)
            )
        course = replace(
            course,
            lessons=[lessons[i] for i in plan.lessons] if plan.lessons else course.lessons,
            labs=[labs[i] for i in plan.labs] if plan.labs else course.labs,
        )
    return course
