"""Typed paths into Kubernetes-shaped data, shared by quiz grading and state checks.

Syntax (no substring matching of printed output, ever):

- `spec.type`: mapping keys joined by dots
- `spec.ports[0].port`: a list index
- `spec.ports[name=http].targetPort`: the first list item whose field equals a value
- `metadata.labels["app.kubernetes.io/name"]`: a key that contains dots
- `spec.ports[*].port`: every item (the result is a list)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MISSING: Any = object()
"""Returned by `resolve` when the path leads nowhere."""


class PathSyntaxError(ValueError):
    """The path text is not a valid typed path."""


@dataclass(frozen=True)
class Key:
    """Step into a mapping key."""

    name: str


@dataclass(frozen=True)
class Index:
    """Step into a list index (negative counts from the end)."""

    index: int


@dataclass(frozen=True)
class Where:
    """Step into the first list item whose `field` equals `value` (compared as text)."""

    field: str
    value: str


@dataclass(frozen=True)
class Each:
    """Step into every list item."""


Step = Key | Index | Where | Each

_TOKEN = re.compile(
    r"""
    (?P<key>[A-Za-z_$][A-Za-z0-9_\-$]*)
    | \[\s*(?P<index>-?\d+)\s*\]
    | \[\s*(?P<each>\*)\s*\]
    | \[\s*"(?P<quoted>[^"]*)"\s*\]
    | \[\s*'(?P<squoted>[^']*)'\s*\]
    | \[\s*(?P<field>[A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(?P<value>"[^"]*"|'[^']*'|[^\]]*?)\s*\]
    | (?P<dot>\.)
    """,
    re.VERBOSE,
)


@lru_cache(maxsize=1024)
def parse_path(text: str) -> tuple[Step, ...]:
    """Parse a typed path into steps; raises `PathSyntaxError` with the bad position."""
    steps: list[Step] = []
    pos = 0
    expect_name = True
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise PathSyntaxError(f"unexpected {text[pos:]!r} at position {pos} in {text!r}")
        kind = match.lastgroup
        if kind == "dot":
            if expect_name:
                raise PathSyntaxError(f"empty segment at position {pos} in {text!r}")
            expect_name = True
        elif kind == "key":
            if not expect_name:
                raise PathSyntaxError(f"missing '.' before position {pos} in {text!r}")
            steps.append(Key(match["key"]))
            expect_name = False
        else:
            if expect_name and steps:
                raise PathSyntaxError(f"'[' right after '.' at position {pos} in {text!r}")
            if match["index"] is not None:
                steps.append(Index(int(match["index"])))
            elif match["each"] is not None:
                steps.append(Each())
            elif match["quoted"] is not None or match["squoted"] is not None:
                steps.append(
                    Key(match["quoted"] if match["quoted"] is not None else match["squoted"])
                )
            else:
                value = match["value"]
                if value[:1] in {'"', "'"}:
                    value = value[1:-1]
                steps.append(Where(match["field"], value))
            expect_name = False
        pos = match.end()
    if not steps or expect_name:
        raise PathSyntaxError(f"path {text!r} is empty or ends with '.'")
    return tuple(steps)


def resolve(data: Any, path: str | tuple[Step, ...]) -> Any:
    """The value at `path` in `data`, or `MISSING`. With `[*]` the result is a list."""
    steps = parse_path(path) if isinstance(path, str) else path
    return _walk(data, steps)


def _walk(node: Any, steps: tuple[Step, ...]) -> Any:
    for position, step in enumerate(steps):
        if isinstance(step, Key):
            if not isinstance(node, dict) or step.name not in node:
                return MISSING
            node = node[step.name]
        elif isinstance(step, Index):
            if not isinstance(node, list) or not -len(node) <= step.index < len(node):
                return MISSING
            node = node[step.index]
        elif isinstance(step, Where):
            if not isinstance(node, list):
                return MISSING
            node = next(
                (
                    item
                    for item in node
                    if isinstance(item, dict) and _text(item_field(item, step.field)) == step.value
                ),
                MISSING,
            )
            if node is MISSING:
                return MISSING
        else:
            if not isinstance(node, list):
                return MISSING
            rest = steps[position + 1 :]
            return [v for v in (_walk(item, rest) for item in node) if v is not MISSING]
    return node


def item_field(item: dict[str, Any], dotted: str) -> Any:
    """A (possibly dotted) field of a list item, for `[field=value]` filters."""
    node: Any = item
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def _text(value: Any) -> str | None:
    if value is MISSING:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
