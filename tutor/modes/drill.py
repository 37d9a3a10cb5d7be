"""Break-fix drills: a fix lab posed by its symptom only; the learner writes the root cause,
then fixes it. The cause is graded against the key facts the lab declares (no model)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from tutor.content.models import DrillFact
from tutor.modes.clock import Clock, Timer

if TYPE_CHECKING:
    from tutor.content.loader import Course, Lab
    from tutor.labs.session import LabResult

CauseVerdict = Literal["right", "partial", "wrong", "empty"]


def _normalise(text: str) -> str:
    """Case-folded words: quotes, backticks and brackets dropped, `app: web` == `app:web`."""
    text = text.casefold()
    text = re.sub(r"[^a-z0-9./:=_\-]+", " ", text)
    text = re.sub(r"\s*([:=])\s*", r"\1", text)
    return " ".join(text.split())


def mentions(text: str, term: str) -> bool:
    """True when the normalised `text` contains the normalised `term` as whole words."""
    wanted = _normalise(term)
    if not wanted:
        return False
    # Word boundaries on letters and digits only, so `spec.selector` matches in
    # "its spec.selector." but `web` does not match inside `webapp`.
    pattern = r"(?<![a-z0-9])" + re.escape(wanted) + r"(?![a-z0-9])"
    return re.search(pattern, _normalise(text)) is not None


@dataclass(frozen=True)
class CauseGrade:
    """How a written root cause compares with the lab's key facts."""

    verdict: CauseVerdict
    found: tuple[str, ...]
    """Facts the cause mentions."""
    missing: tuple[str, ...]
    """Facts it leaves out."""

    @property
    def score(self) -> float:
        """The share of key facts mentioned."""
        total = len(self.found) + len(self.missing)
        return len(self.found) / total if total else 0.0

    def feedback(self) -> list[str]:
        """What was right and what was missing, in plain words."""
        if self.verdict == "empty":
            return ["No cause was written. Say which object and field are wrong, and how."]
        lines = []
        if self.found:
            lines.append("You named: " + "; ".join(self.found) + ".")
        if self.missing:
            lines.append("Missing: " + "; ".join(self.missing) + ".")
        if self.verdict == "right":
            lines.append("That is the root cause.")
        return lines


def grade_cause(text: str, facts: Sequence[DrillFact]) -> CauseGrade:
    """Grade a written cause: right when every key fact is mentioned, partial when some are,
    wrong when none are, empty when nothing was written."""
    if not text.strip():
        return CauseGrade("empty", (), tuple(f.fact for f in facts))
    found = tuple(f.fact for f in facts if any(mentions(text, t) for t in f.terms))
    missing = tuple(f.fact for f in facts if f.fact not in found)
    verdict: CauseVerdict = "right" if not missing else "partial" if found else "wrong"
    return CauseGrade(verdict, found, missing)


def drill_labs(course: Course) -> list[Lab]:
    """Fix labs that declare a drill (symptom and cause)."""
    return [lab for lab in course.labs if lab.spec.kind == "fix" and lab.spec.drill is not None]


def pick_drill(
    course: Course, mastered: Iterable[str] = (), *, seed: str | None = None
) -> Lab | None:
    """A drill lab the learner has not mastered (any drill lab when all are mastered)."""
    labs = drill_labs(course)
    done = set(mastered)
    fresh = [lab for lab in labs if lab.id not in done] or labs
    if not fresh:
        return None
    return random.Random(seed).choice(fresh) if seed is not None else random.choice(fresh)


@dataclass
class DrillRun:
    """One drill: symptom shown, timer running, cause written, fix checked."""

    lab: Lab
    clock: Clock | None = None
    minutes: float | None = None
    """An optional time limit; drills are timed either way."""
    cause_text: str = ""
    cause: CauseGrade | None = None
    fix: LabResult | None = None
    timer: Timer = field(init=False)
    cause_seconds: float | None = None
    """When the cause was written (seconds after the start)."""

    def __post_init__(self) -> None:
        limit = self.minutes * 60 if self.minutes else None
        self.timer = Timer(limit, self.clock) if self.clock is not None else Timer(limit)

    @property
    def symptom(self) -> str:
        """What the user reports."""
        assert self.lab.spec.drill is not None
        return self.lab.spec.drill.symptom.strip()

    @property
    def facts(self) -> list[DrillFact]:
        """The key facts of the root cause."""
        assert self.lab.spec.drill is not None
        return list(self.lab.spec.drill.cause)

    def submit_cause(self, text: str) -> CauseGrade:
        """Grade the written cause (may be called again to rewrite it; the last one counts)."""
        assert self.lab.spec.drill is not None
        self.cause_text = text.strip()
        self.cause = grade_cause(text, self.lab.spec.drill.cause)
        self.cause_seconds = self.timer.elapsed()
        return self.cause

    def submit_fix(self, result: LabResult) -> None:
        """Record the lab's check round as the fix; the timer stops when it passes."""
        self.fix = result
        if result.passed:
            self.timer.stop()

    @property
    def done(self) -> bool:
        """Cause written right and every check passing."""
        return bool(self.cause and self.cause.verdict == "right" and self.fix and self.fix.passed)

    def to_json(self) -> dict[str, Any]:
        """The drill's outcome as data (`kube-tutor drill --json` and the progress store)."""
        return {
            "lab": self.lab.id,
            "symptom": self.symptom,
            "seconds": round(self.timer.elapsed(), 1),
            "cause": {
                "text": self.cause_text,
                "verdict": self.cause.verdict if self.cause else "empty",
                "score": round(self.cause.score, 4) if self.cause else 0.0,
                "found": list(self.cause.found) if self.cause else [],
                "missing": list(self.cause.missing) if self.cause else [],
                "seconds": None if self.cause_seconds is None else round(self.cause_seconds, 1),
            },
            "key_facts": [
                {
                    "fact": f.fact,
                    "detail": f.detail,
                    "found": bool(self.cause and f.fact in self.cause.found),
                }
                for f in self.facts
            ],
            "fixed": bool(self.fix and self.fix.passed),
            "checks": [v.to_json() for v in self.fix.verdicts] if self.fix else [],
        }
