"""YAML parsing with line numbers: syntax errors and value locations map to file lines."""

from __future__ import annotations

import pytest

from tutor.content.yamlsrc import (
    YamlSyntaxError,
    line_in_document,
    parse_yaml,
    parse_yaml_documents,
)

TEXT = """\
title: Quiz
questions:
  - id: one
    type: single
    choices:
      a: yes
      b: no
  - id: two
    items:
      - x
      - y
"""


def test_parse_returns_data() -> None:
    source = parse_yaml(TEXT)
    assert source.data["questions"][1]["items"] == ["x", "y"]


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        (("title",), 1),
        (("questions",), 2),  # a block value: the key's line
        (("questions", 0), 3),
        (("questions", 0, "type"), 4),
        (("questions", 0, "choices"), 5),
        (("questions", 0, "choices", "b"), 7),
        (("questions", 1, "items", 1), 11),
        # parts that name no key (a missing key, a union tag) keep the deepest line found
        (("questions", 1, "answer"), 8),
        (("questions", 0, "single", "type"), 4),
        (("questions", 5), 2),
        ((), 1),
    ],
)
def test_line_of_location(loc: tuple[int | str, ...], line: int) -> None:
    assert parse_yaml(TEXT).line_of(loc) == line


def test_line_offset_shifts_every_line() -> None:
    source = parse_yaml(TEXT, line_offset=1)
    assert source.line_of(("questions", 0, "type")) == 5
    with pytest.raises(YamlSyntaxError) as exc:
        parse_yaml("a: 1\nb: c: d\n", line_offset=1)
    assert exc.value.line == 3


def test_empty_text_points_at_its_first_line() -> None:
    assert parse_yaml("").data is None
    assert parse_yaml("", line_offset=4).line_of(("id",)) == 5


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\nb: c: d\n", 2, "mapping values are not allowed"),
        ("a: [1, 2\nb: 3\n", 2, "see line 1: while parsing a flow sequence"),
        ('a: "open\n\n', 3, "see line 1: while scanning a quoted scalar"),
        ("a: 1\n\tb: 2\n", 2, "YAML syntax error"),
        ("a: 1\n---\nb: 2\n", 2, "expected a single document"),
    ],
)
def test_syntax_errors_carry_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(YamlSyntaxError) as exc:
        parse_yaml(text)
    assert exc.value.line == line
    assert message in exc.value.message
    assert exc.value.message.startswith("YAML syntax error: ")


def test_unsafe_tags_are_refused() -> None:
    with pytest.raises(YamlSyntaxError, match="could not determine a constructor"):
        parse_yaml("x: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(YamlSyntaxError):
        parse_yaml_documents("x: !!python/object/apply:os.system ['true']\n")


def test_documents_with_their_first_lines() -> None:
    # a document starts where its first node does: after comments, not at the `---`
    text = "# comment\na: 1\n---\n---\nb: 2\nc: 3\n---\n"
    assert parse_yaml_documents(text) == [({"a": 1}, 2), ({"b": 2, "c": 3}, 5)]


def test_documents_syntax_error_line() -> None:
    with pytest.raises(YamlSyntaxError) as exc:
        parse_yaml_documents("a: 1\n---\nb: [\n")
    assert exc.value.line == 4


STREAM = """\
kind: ConfigMap
data:
  a: b
---
# the Service
kind: Service
spec:
  ports:
    - port: 80
      targetPortt: 8080
"""


def test_line_in_document_of_a_stream() -> None:
    [(_, first), (_, second)] = parse_yaml_documents(STREAM)
    assert (first, second) == (1, 6)
    assert line_in_document(STREAM, second, ("spec", "ports", 0, "targetPortt")) == 10
    assert line_in_document(STREAM, second, ("spec", "ports", 0)) == 9
    assert line_in_document(STREAM, second, ("spec", "nothing")) == 7
    assert line_in_document(STREAM, first, ("data", "a")) == 3
    assert line_in_document(STREAM, 4, ("kind",)) is None  # no document starts there
    assert line_in_document("a: [", 1, ("a",)) is None
