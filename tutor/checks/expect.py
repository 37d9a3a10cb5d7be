"""Small comparison vocabulary for check expectations: counts and values."""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tutor.core.typedpath import MISSING

Count = int | str
"""An exact number (`3`) or a comparison (`">=2"`, `"<1"`, `"==0"`)."""

_OPS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_COUNT = re.compile(r"^\s*(>=|<=|==|!=|>|<)?\s*(\d+)\s*$")


def parse_count(expected: Count) -> tuple[Callable[[int, int], bool], int, str]:
    """(operator, number, words) for a count expectation; ValueError when malformed."""
    if isinstance(expected, bool):
        raise ValueError("a count must be a number or a comparison like '>=2'")
    if isinstance(expected, int):
        return operator.eq, expected, str(expected)
    match = _COUNT.match(expected)
    if match is None:
        raise ValueError(f"{expected!r} is not a count (use 3, '>=2', '<1', ...)")
    symbol = match.group(1) or "=="
    number = int(match.group(2))
    words = {">=": "at least", "<=": "at most", ">": "more than", "<": "fewer than", "!=": "not"}
    return _OPS[symbol], number, f"{words.get(symbol, '')} {number}".strip()


def count_ok(actual: int, expected: Count) -> bool:
    """True when `actual` satisfies the count expectation."""
    op, number, _ = parse_count(expected)
    return op(actual, number)


def count_words(expected: Count) -> str:
    """`at least 2` for `'>=2'`, `3` for `3`."""
    return parse_count(expected)[2]


def validate_count(value: Count | None) -> Count | None:
    """Pydantic helper: reject malformed counts at lint time."""
    if value is not None:
        parse_count(value)
    return value


class ValueExpect(BaseModel):
    """One expectation on a value: give exactly one condition. Conditions combine with
    `any_of`, `all_of`, `not` and `absent_or` (unset, or else meeting the inner one)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    equals: Any = None
    one_of: list[Any] | None = None
    exists: bool | None = None
    matches: str | None = None
    in_cidr: str | None = None
    in_range: tuple[int, int] | None = None
    contains: Any = None
    gte: float | None = None
    """A number at least this."""
    lte: float | None = None
    """A number at most this."""
    gt: float | None = None
    lt: float | None = None
    any_of: list[ValueExpect] | None = None
    """At least one of these holds."""
    all_of: list[ValueExpect] | None = None
    """Every one of these holds."""
    not_: ValueExpect | None = Field(default=None, alias="not")
    """This must not hold."""
    absent_or: ValueExpect | None = None
    """The field is unset, or it meets this (e.g. "absent or equal to Cluster")."""

    @field_validator("in_cidr")
    @classmethod
    def _cidr(cls, value: str | None) -> str | None:
        if value is not None:
            ipaddress.ip_network(value)
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> ValueExpect:
        given = [k for k, v in self.__dict__.items() if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of " + ", ".join(type(self).model_fields))
        return self

    def check(self, value: Any) -> str | None:
        """None when `value` meets the expectation, else what was expected, in words."""
        from tutor.quiz.grading import same

        combined = self._combined(value)
        if combined is not _NOT_COMBINED:
            return combined if isinstance(combined, str) else None
        if self.exists is not None:
            present = value is not MISSING and value is not None
            return (
                None
                if present == self.exists
                else ("should be set" if self.exists else "should not be set")
            )
        if value is MISSING:
            return "is not set"
        if self.equals is not None:
            return None if same(value, self.equals) else f"should be {self.equals!r}"
        if self.one_of is not None:
            return (
                None
                if any(same(value, v) for v in self.one_of)
                else f"should be one of {self.one_of!r}"
            )
        if self.matches is not None:
            return (
                None if re.fullmatch(self.matches, str(value)) else f"should match {self.matches!r}"
            )
        if self.in_cidr is not None:
            try:
                inside = ipaddress.ip_address(str(value)) in ipaddress.ip_network(self.in_cidr)
            except ValueError:
                inside = False
            return None if inside else f"should be an address in {self.in_cidr}"
        if self.in_range is not None:
            low, high = self.in_range
            try:
                inside = low <= int(value) <= high
            except (TypeError, ValueError):
                inside = False
            return None if inside else f"should be between {low} and {high}"
        for name, op, words in _COMPARISONS:
            bound = getattr(self, name)
            if bound is not None:
                try:
                    ok = op(float(value), bound)
                except (TypeError, ValueError):
                    ok = False
                return None if ok else f"should be {words} {bound:g}"
        items = value if isinstance(value, list) else [value]
        return (
            None
            if any(same(item, self.contains) for item in items)
            else f"should contain {self.contains!r}"
        )

    def _combined(self, value: Any) -> str | None | object:
        """The verdict of a combinator, or `_NOT_COMBINED` when this is a plain condition."""
        if self.absent_or is not None:
            return None if value is MISSING or value is None else self.absent_or.check(value)
        if self.not_ is not None:
            inner = self.not_.check(value)
            return f"should not {_describe(self.not_)}" if inner is None else None
        if self.any_of is not None:
            problems = [e.check(value) for e in self.any_of]
            if any(p is None for p in problems):
                return None
            return " or ".join(p for p in problems if p)
        if self.all_of is not None:
            failed = [p for p in (e.check(value) for e in self.all_of) if p]
            return "; ".join(failed) or None
        return _NOT_COMBINED


_NOT_COMBINED = object()
_COMPARISONS: tuple[tuple[str, Callable[[float, float], bool], str], ...] = (
    ("gte", operator.ge, "at least"),
    ("lte", operator.le, "at most"),
    ("gt", operator.gt, "more than"),
    ("lt", operator.lt, "less than"),
)


_VERBS = {
    "equals": "be",
    "one_of": "be one of",
    "matches": "match",
    "in_cidr": "be an address in",
    "in_range": "be in the range",
    "contains": "contain",
}


def _describe(expect: ValueExpect) -> str:
    """What a condition asks, for `not`: `be 'All'`, `match '^a'`."""
    given = {k: v for k, v in expect.__dict__.items() if v is not None}
    name, value = next(iter(given.items()))
    if name == "exists":
        return "be set" if value else "be unset"
    verb = _VERBS.get(name, name.rstrip("_").replace("_", " "))
    return f"{verb} {value!r}"
