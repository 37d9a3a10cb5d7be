"""Grade a learner's answer to one question. Pure functions; no I/O, no UI.

Every grade carries the question's explanation, so a learner always learns *why*.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tutor.content.models import (
    FieldExpectation,
    MultiQuestion,
    OrderQuestion,
    PredictQuestion,
    Question,
    SingleQuestion,
    TextQuestion,
    TrueFalseQuestion,
    YamlQuestion,
)
from tutor.content.yamlsrc import YamlSyntaxError, parse_yaml_documents
from tutor.core.typedpath import MISSING, PathSyntaxError, resolve
from tutor.quiz.shuffle import display_order

__all__ = ["Answer", "Grade", "check_expectation", "display_order", "grade", "normalise", "same"]

Answer = str | bool | list[str] | list[int]
"""What a learner gives: a choice key, keys, a bool, text, an order (indexes), or YAML text."""


@dataclass(frozen=True)
class Grade:
    """The verdict on one answer."""

    correct: bool
    score: float
    """1.0 when right; partial credit for multi and order questions."""
    explanation: str
    """The question's explanation (always shown)."""
    feedback: list[str] = field(default_factory=list)
    """Specific remarks on this answer: per-choice notes, failed field checks, YAML errors."""
    line: int | None = None
    """For YAML answers with a syntax error: the 1-based line of the error."""
    retry: bool = False
    """True when the answer could not be read at all (a YAML syntax error): it is not recorded,
    the attempt is not used up and the learner fixes the slip and submits again."""


def normalise(text: str, *, case_sensitive: bool = False) -> str:
    """Collapse whitespace runs and (unless `case_sensitive`) case-fold, so `ClusterIP `
    equals `clusterip`."""
    collapsed = " ".join(text.split())
    return collapsed if case_sensitive else collapsed.casefold()


def grade(question: Question, answer: Answer) -> Grade:
    """Grade `answer` against `question`. Raises `ValueError` when the answer has the wrong shape."""
    if isinstance(question, SingleQuestion):
        return _grade_single(question, answer)
    if isinstance(question, MultiQuestion):
        return _grade_multi(question, answer)
    if isinstance(question, TrueFalseQuestion):
        return _grade_truefalse(question, answer)
    if isinstance(question, TextQuestion):
        return _grade_text(question, answer)
    if isinstance(question, OrderQuestion):
        return _grade_order(question, answer)
    if isinstance(question, YamlQuestion):
        return _grade_yaml(question, answer)
    if isinstance(question, PredictQuestion):
        raise ValueError("predict questions are graded against a running lab, not offline")
    raise ValueError(f"unknown question type {type(question).__name__}")  # pragma: no cover


def _grade_single(question: SingleQuestion, answer: Answer) -> Grade:
    if not isinstance(answer, str) or answer not in question.choices:
        raise ValueError(f"pick one of: {', '.join(question.choices)}")
    correct = answer == question.answer
    feedback = [question.why[answer]] if answer in question.why else []
    return Grade(correct, 1.0 if correct else 0.0, question.explanation, feedback)


def _grade_multi(question: MultiQuestion, answer: Answer) -> Grade:
    if isinstance(answer, str):
        answer = [part for part in re.split(r"[\s,]+", answer) if part]
    if not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
        raise ValueError("give the keys of every choice you pick")
    picked = {str(a) for a in answer}
    unknown = sorted(picked - set(question.choices))
    if unknown:
        raise ValueError(f"not a choice: {', '.join(unknown)}")
    right = set(question.answer)
    correct = picked == right
    # Partial credit: right picks minus wrong picks, never below zero.
    hits = len(picked & right) - len(picked - right)
    score = 1.0 if correct else max(0.0, hits / len(right))
    feedback = [
        question.why[key] for key in question.choices if key in picked and key in question.why
    ]
    missed = [key for key in question.choices if key in right - picked]
    if missed and not correct:
        # Named by their text: the screen letters choices by their shuffled position, so an
        # authored key would point at another choice.
        feedback.append("Also right: " + "; ".join(question.choices[k] for k in missed) + ".")
    return Grade(correct, score, question.explanation, feedback)


def _grade_truefalse(question: TrueFalseQuestion, answer: Answer) -> Grade:
    if isinstance(answer, str):
        word = normalise(answer)
        if word in {"t", "true", "yes", "y"}:
            answer = True
        elif word in {"f", "false", "no", "n"}:
            answer = False
    if not isinstance(answer, bool):
        raise ValueError("answer true or false")
    correct = answer == question.answer
    return Grade(correct, 1.0 if correct else 0.0, question.explanation)


def _grade_text(question: TextQuestion, answer: Answer) -> Grade:
    if not isinstance(answer, str):
        raise ValueError("type your answer as text")
    # Case matters where Kubernetes says it does (env var names, field names): the question
    # says so with `case_sensitive`, and then neither `accept` nor `patterns` fold case.
    exact = question.case_sensitive
    given = normalise(answer, case_sensitive=exact)
    flags = 0 if exact else re.IGNORECASE
    correct = any(given == normalise(ok, case_sensitive=exact) for ok in question.accept) or any(
        re.fullmatch(pattern, given, flags=flags) for pattern in question.patterns
    )
    feedback = [] if correct or not question.accept else [f"Accepted: {question.accept[0]}"]
    return Grade(correct, 1.0 if correct else 0.0, question.explanation, feedback)


def _grade_order(question: OrderQuestion, answer: Answer) -> Grade:
    """`answer` lists item indexes (into `items`) in the order the learner chose."""
    if isinstance(answer, str):
        answer = [part for part in re.split(r"[\s,]+", answer) if part]
    try:
        chosen = [int(a) for a in answer]  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError("give the order as item numbers") from None
    if sorted(chosen) != list(range(len(question.items))):
        raise ValueError(f"use each of the {len(question.items)} items exactly once")
    in_place = sum(1 for position, index in enumerate(chosen) if position == index)
    correct = in_place == len(chosen)
    feedback = [] if correct else ["Right order: " + " -> ".join(question.items)]
    return Grade(correct, in_place / len(chosen), question.explanation, feedback)


def _grade_yaml(question: YamlQuestion, answer: Answer) -> Grade:
    if not isinstance(answer, str):
        raise ValueError("give the manifest as YAML text")
    try:
        documents = parse_yaml_documents(answer)
    except YamlSyntaxError as exc:
        where = f" on line {exc.line}" if exc.line else ""
        remark = f"{exc.message}{where}. Fix it and submit again: this try did not count."
        return Grade(False, 0.0, question.explanation, [remark], line=exc.line, retry=True)
    if not documents or not isinstance(documents[0][0], dict):
        return Grade(False, 0.0, question.explanation, ["The answer has no YAML mapping in it."])
    manifest = documents[0][0]
    failures = [msg for exp in question.expect if (msg := check_expectation(manifest, exp))]
    passed = len(question.expect) - len(failures)
    correct = not failures
    return Grade(correct, passed / len(question.expect), question.explanation, failures)


def check_expectation(manifest: Any, expectation: FieldExpectation) -> str | None:
    """None when the manifest meets the expectation, else what is wrong in plain words."""
    try:
        value = resolve(manifest, expectation.path)
    except PathSyntaxError as exc:
        return f"(content error) {exc}"
    ok: bool
    if expectation.exists is not None:
        ok = (value is not MISSING) == expectation.exists
        default = f"`{expectation.path}` should {'be set' if expectation.exists else 'not be set'}"
    elif value is MISSING:
        ok = False
        default = f"`{expectation.path}` is missing"
    elif expectation.one_of is not None:
        ok = any(same(value, option) for option in expectation.one_of)
        default = (
            f"`{expectation.path}` is {_show(value)}; expected one of {_show(expectation.one_of)}"
        )
    elif expectation.matches is not None:
        ok = re.fullmatch(expectation.matches, _as_text(value)) is not None
        default = f"`{expectation.path}` is {_show(value)}, which does not look right"
    else:
        ok = same(value, expectation.equals)
        default = f"`{expectation.path}` is {_show(value)}; expected {_show(expectation.equals)}"
    if ok:
        return None
    return expectation.message or default


def same(value: Any, expected: Any) -> bool:
    """Equality that forgives YAML's number/string ambiguity (`"80"` vs `80`)."""
    if isinstance(value, bool) or isinstance(expected, bool):
        # Checked first: Python says `1 == True`, but YAML's `1` is not `true`.
        return type(value) is type(expected) and value == expected
    if value == expected:
        return True
    if isinstance(value, int | str) and isinstance(expected, int | str):
        return str(value) == str(expected)
    return False


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _show(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else repr(value)
