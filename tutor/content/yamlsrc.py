"""YAML parsing that can say on which line a value lives.

Parsing takes the fast C loader; only when something is wrong do we compose the node tree
again to map a location (keys and indexes) back to a line number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

import yaml

try:  # the C loader is several times faster; fall back when libyaml is missing
    from yaml import CSafeLoader as FastLoader
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml import SafeLoader as FastLoader  # type: ignore[assignment]


__all__ = [
    "FastLoader",
    "YamlSource",
    "YamlSyntaxError",
    "line_in_document",
    "parse_yaml",
    "parse_yaml_documents",
]


class YamlSyntaxError(ValueError):
    """The text is not valid YAML; `line` is 1-based."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class YamlSource:
    """Parsed YAML text that remembers its source for line look-ups."""

    text: str
    data: Any
    line_offset: int = 0
    """Lines before the YAML in its file (e.g. the `---` opening Markdown front matter)."""

    def line_of(self, loc: Iterable[int | str]) -> int | None:
        """The 1-based file line of the value at `loc` (keys and list indexes).

        Location parts that do not name a key or index (pydantic adds the tag of a
        discriminated union, for example) are skipped; the deepest node reached wins.
        """
        try:
            node = yaml.compose(self.text, Loader=FastLoader)
        except yaml.YAMLError:
            return None
        if node is None:
            return self.line_offset + 1
        best = node.start_mark.line
        for part in loc:
            step = _child(node, part)
            if step is None:
                continue
            node, best = step
        return self.line_offset + best + 1


def _child(node: yaml.Node, part: int | str) -> tuple[yaml.Node, int] | None:
    """The child node for a key or index, and the line to report for it (0-based).

    For a mapping value that is a block, the key's line is reported: that is where the eye
    goes when reading the file.
    """
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                line = (
                    value.start_mark.line
                    if isinstance(value, yaml.ScalarNode)
                    else key.start_mark.line
                )
                return value, line
        return None
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        child = node.value[part]
        return child, child.start_mark.line
    return None


def parse_yaml(text: str, line_offset: int = 0) -> YamlSource:
    """Parse one YAML document, raising `YamlSyntaxError` with the file line on bad input."""
    try:
        data = yaml.load(text, Loader=FastLoader)
    except yaml.MarkedYAMLError as exc:
        return _raise(exc, line_offset)
    except yaml.YAMLError as exc:
        return _raise(exc, line_offset)
    return YamlSource(text=text, data=data, line_offset=line_offset)


def parse_yaml_documents(text: str) -> list[tuple[Any, int]]:
    """Parse a multi-document YAML stream into (document, 1-based first line) pairs.

    Empty documents are dropped. Raises `YamlSyntaxError` with the line of the first error.
    """
    try:
        nodes = list(yaml.compose_all(text, Loader=FastLoader))
    except yaml.YAMLError as exc:
        return _raise(exc, 0)
    docs: list[tuple[Any, int]] = []
    loader = FastLoader("")
    try:
        for node in nodes:
            if node is None:
                continue
            data = loader.construct_document(node)
            if data is not None:
                docs.append((data, node.start_mark.line + 1))
    except yaml.YAMLError as exc:  # e.g. a tag the safe loader refuses
        return _raise(exc, 0)
    finally:
        loader.dispose()
    return docs


def _raise(exc: yaml.YAMLError, line_offset: int) -> NoReturn:
    """Raise `YamlSyntaxError` with the file line where PyYAML noticed the problem.

    That line can be after the actual mistake (an unclosed bracket is noticed on a later
    line), so the line where the enclosing construct started is named in the message too.
    """
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    line = None
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = line_offset + mark.line + 1 if mark is not None else None
        context = exc.context_mark
        if exc.context and context is not None and line_offset + context.line + 1 != line:
            problem += f" (see line {line_offset + context.line + 1}: {exc.context})"
    raise YamlSyntaxError(f"YAML syntax error: {problem}", line) from exc


def line_in_document(text: str, document_line: int, loc: Iterable[int | str]) -> int | None:
    """The 1-based line (in `text`) of the value at `loc` inside the document of a YAML
    stream that starts on `document_line` (as `parse_yaml_documents` reports it).

    Only called when something is wrong, so composing the stream again costs nothing on
    clean files. Parts of `loc` that name nothing are skipped; None when no document starts
    on that line or the text does not parse.
    """
    try:
        nodes = [node for node in yaml.compose_all(text, Loader=FastLoader) if node is not None]
    except yaml.YAMLError:
        return None
    node = next((n for n in nodes if n.start_mark.line + 1 == document_line), None)
    if node is None:
        return None
    best = node.start_mark.line
    for part in loc:
        step = _child(node, part)
        if step is not None:
            node, best = step
    return best + 1
