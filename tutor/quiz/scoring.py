"""The one quiz score: the app, the CLI and the progress export all compute it here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class QuizScore:
    """The score of one attempt and the verdict that follows from it."""

    score: float
    """Mean credit over every question asked (skipped questions count 0)."""
    right: int
    """Questions answered fully right."""
    total: int
    """Questions in the attempt."""
    pass_mark: float
    """The score needed to pass."""

    @property
    def passed(self) -> bool:
        """The verdict is read off the same number that is shown: score >= pass mark."""
        # A small tolerance so 7 of 10 at a 0.7 pass mark passes despite float rounding.
        return self.total > 0 and self.score + 1e-9 >= self.pass_mark

    def sentence(self) -> str:
        """`Score 71% (5 of 7 fully right). Pass mark 70%: passed.`"""
        verdict = "passed" if self.passed else "not passed yet"
        return (
            f"Score {self.score:.0%} ({self.right} of {self.total} fully right). "
            f"Pass mark {self.pass_mark:.0%}: {verdict}."
        )


def score_attempt(
    question_ids: Iterable[str], credits: Mapping[str, float], pass_mark: float
) -> QuizScore:
    """Score an attempt: `credits` maps answered question ids to their credit (0..1)."""
    ids = list(question_ids)
    if not ids:
        return QuizScore(0.0, 0, 0, pass_mark)
    got = [min(1.0, max(0.0, credits[qid])) for qid in ids if qid in credits]
    right = sum(1 for credit in got if credit >= 1.0)
    return QuizScore(sum(got) / len(ids), right, len(ids), pass_mark)
