"""A small line-based YAML highlighter for the answer editor (no tree-sitter needed)."""

from __future__ import annotations

import re

Highlight = tuple[int, int | None, str]
"""Start byte, end byte (None: to the end of the line) and a syntax style name."""

_KEY = re.compile(
    r"""^(\s*)(-\s+)?("[^"]*"|'[^']*'|[^\s#'"\-?:][^#:]*?|-[^\s#:][^#:]*?)\s*:(?=\s|$)"""
)
_DASH = re.compile(r"^(\s*)(-)(?=\s|$)")
_COMMENT = re.compile(r"(?:^|\s)(#.*)$")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_BOOLEAN = {"true", "false", "yes", "no", "on", "off"}
_NULL = {"null", "~"}


def _byte(line: str, index: int) -> int:
    return len(line[:index].encode("utf-8"))


def _scalar_style(value: str) -> str:
    word = value.strip()
    if _NUMBER.match(word):
        return "number"
    if word.lower() in _BOOLEAN:
        return "boolean"
    if word.lower() in _NULL:
        return "constant.builtin"
    if word[:1] in "|>":
        return "punctuation.delimiter"
    return "string"


def highlight_line(line: str) -> list[Highlight]:
    """Highlights for one line of YAML: keys, scalars, list dashes, comments, markers."""
    if line.rstrip() in ("---", "..."):
        return [(0, None, "punctuation.special")]
    found: list[Highlight] = []
    comment = _COMMENT.search(line)
    code_end = comment.start(1) if comment else len(line)
    code = line[:code_end]
    value_start = 0
    key = _KEY.match(code)
    if key:
        if key.group(2):
            found.append(
                (_byte(line, key.start(2)), _byte(line, key.start(2) + 1), "punctuation.delimiter")
            )
        found.append((_byte(line, key.start(3)), _byte(line, key.end(3)), "yaml.field"))
        value_start = key.end()
    else:
        dash = _DASH.match(code)
        if dash:
            found.append(
                (_byte(line, dash.start(2)), _byte(line, dash.end(2)), "punctuation.delimiter")
            )
            value_start = dash.end()
    value = code[value_start:]
    if value.strip():
        start = value_start + len(value) - len(value.lstrip())
        end = value_start + len(value.rstrip())
        found.append((_byte(line, start), _byte(line, end), _scalar_style(value)))
    if comment:
        found.append((_byte(line, comment.start(1)), None, "comment"))
    return found
