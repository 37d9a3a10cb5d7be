"""The class report both `kube-tutor class report` and the app's class report screen show:
learners x labs and quizzes, read live from a classroom's cluster or from exported files."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.modes.classroom import (
    REPORT_COLUMNS,
    collect,
    report_csv,
    report_html,
    report_rows,
    report_text,
)
from tutor.modes.workshop import ClassroomError

DEFAULT_CLASSROOM = "workshop"
"""The classroom `class init` makes when no `--name` is given."""


class NoClassroom(ClassroomError):
    """Nothing on the cluster carries the classroom's labels (not made, or removed)."""


@dataclass(frozen=True)
class ClassReport:
    """One reading of a classroom: where it came from, and a row per learner and item."""

    classroom: str
    source: str
    """Where the results were read, in words: `the cluster (context kind-x)`, `3 files`."""
    learners: list[str]
    rows: list[tuple[str, ...]]
    columns: tuple[str, ...] = REPORT_COLUMNS

    def published(self) -> int:
        """How many learners have published anything."""
        quiet = {row[0] for row in self.rows if row[-1] == "nothing published yet"}
        return len([x for x in self.learners if x not in quiet])

    def summary(self) -> str:
        """`Classroom workshop: 3 learners, 2 published (the cluster ...).`"""
        count = len(self.learners)
        return (
            f"Classroom {self.classroom}: {count} learner{'s' if count != 1 else ''}, "
            f"{self.published()} published ({self.source})."
        )

    def text(self) -> str:
        """The report as an aligned plain-text table."""
        return report_text(self.rows)

    def csv(self) -> str:
        """The report as CSV."""
        return report_csv(self.rows)

    def html(self) -> str:
        """The report as a standalone HTML page."""
        return report_html(self.classroom, self.rows)


def _report(classroom: str, source: str, reports: dict[str, dict[str, Any] | None]) -> ClassReport:
    return ClassReport(classroom, source, sorted(reports), report_rows(reports))


def _source(cluster: Any) -> str:
    target = getattr(cluster, "target", None)
    if getattr(target, "backend", "") == "sim":
        return "the simulator"
    context = getattr(target, "context", "")
    return f"context {context}" if context else "the cluster"


def report_from_cluster(cluster: Any, classroom: str = DEFAULT_CLASSROOM) -> ClassReport:
    """The classroom's live report: each learner's results as their kube-tutor published them.

    Raises `NoClassroom` when nothing carries the classroom's labels, `ClassroomError` when
    the cluster is not one a classroom can be on (kube-tutor's in-process simulator), and the
    cluster's `ClusterError` (unreachable, forbidden) as it comes."""
    if not hasattr(cluster, "target"):  # the in-process simulator has no API server
        raise ClassroomError(
            "this practice cluster has no Kubernetes API a classroom could be on "
            "(kube-tutor's in-process simulator)"
        )
    reports = collect(cluster, classroom)
    if not reports:
        raise NoClassroom(
            f"no classroom named {classroom} on {_source(cluster)}: "
            f"make one with `kube-tutor class init`, or type another name"
        )
    return _report(classroom, _source(cluster), reports)


def reports_from_files(paths: Iterable[Path]) -> dict[str, dict[str, Any] | None]:
    """Progress reports (`kube-tutor progress report` JSON) by learner: the file's `learner`
    field, else the file's name."""
    reports: dict[str, dict[str, Any] | None] = {}
    for path in paths:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ClassroomError(f"{path}: not a progress report: {exc}") from exc
        if not isinstance(data, dict):
            raise ClassroomError(f"{path}: not a progress report (expected a JSON object)")
        reports[str(data.get("learner") or Path(path).stem)] = data
    return reports


def report_from_files(paths: Sequence[Path], classroom: str = DEFAULT_CLASSROOM) -> ClassReport:
    """The report from exported progress files (after a workshop, or without its cluster)."""
    count = len(paths)
    source = f"{count} file{'s' if count != 1 else ''}"
    return _report(classroom, source, reports_from_files(paths))
