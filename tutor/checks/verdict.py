"""Verdicts: what a check says about the cluster, in plain words with evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Three states: the cluster is right, wrong, or still converging."""

    PASS = "pass"
    FAIL = "fail"
    PENDING = "pending"


@dataclass(frozen=True)
class Diagnosis:
    """A named misconception found in the cluster state, and the hop it breaks."""

    name: str
    """The diagnoser's name, e.g. `selector-mismatch`."""
    hop: str
    """Where on the path it breaks, e.g. `Service -> EndpointSlice`."""
    message: str
    """What is wrong, in plain words."""
    evidence: tuple[str, ...] = ()
    """The fields and objects that show it."""
    lesson: str | None = None
    """The lesson that explains it."""

    def to_json(self) -> dict[str, Any]:
        """Plain data for `lab check --json`."""
        return {
            "name": self.name,
            "hop": self.hop,
            "message": self.message,
            "evidence": list(self.evidence),
            "lesson": self.lesson,
        }


@dataclass(frozen=True)
class Outcome:
    """What a check function returns: a status, a message and the evidence behind it."""

    status: Status
    message: str
    evidence: tuple[str, ...] = ()
    progress: str | None = None
    """For pending outcomes: how far along, e.g. `2/3 endpoints ready`."""

    @classmethod
    def passed(cls, message: str, *evidence: str) -> Outcome:
        """A passing outcome."""
        return cls(Status.PASS, message, tuple(evidence))

    @classmethod
    def failed(cls, message: str, *evidence: str) -> Outcome:
        """A failing outcome."""
        return cls(Status.FAIL, message, tuple(evidence))

    @classmethod
    def pending(cls, message: str, progress: str | None = None, *evidence: str) -> Outcome:
        """The cluster is still converging."""
        return cls(Status.PENDING, message, tuple(evidence), progress)


@dataclass(frozen=True)
class Verdict:
    """The result of one check in a lab, ready to show or to print as JSON."""

    check_id: str
    title: str
    status: Status
    message: str
    evidence: tuple[str, ...] = ()
    progress: str | None = None
    diagnoses: tuple[Diagnosis, ...] = field(default_factory=tuple)
    family: str = "state"
    role: str = "fix"
    """`fix` (what the learner repairs or builds) or `guard` (what must stay true)."""
    deadline: float | None = None
    """For pending verdicts: when (seconds since the epoch) waiting ends and the check fails
    with the diagnosis of what is missing."""

    @property
    def passed(self) -> bool:
        """True when the check passed."""
        return self.status is Status.PASS

    def explain(self) -> str:
        """The message followed by the first diagnosis, for one-line displays."""
        if self.diagnoses:
            first = self.diagnoses[0]
            return f"{self.message} [{first.hop}] {first.message}"
        return self.message

    def to_json(self) -> dict[str, Any]:
        """Stable machine-readable form (keys never renamed; new keys may be added)."""
        deadline = None
        if self.deadline is not None:
            when = datetime.fromtimestamp(self.deadline, tz=UTC)
            deadline = when.isoformat(timespec="seconds").replace("+00:00", "Z")
        return {
            "id": self.check_id,
            "title": self.title,
            "family": self.family,
            "role": self.role,
            "status": self.status.value,
            "deadline": deadline,
            "message": self.message,
            "progress": self.progress,
            "evidence": list(self.evidence),
            "diagnoses": [d.to_json() for d in self.diagnoses],
        }
