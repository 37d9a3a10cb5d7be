"""YAML parsing that can say on which line a value lives.

Parsing takes the fast C loader. Text is composed into nodes once, checked against bounds
(size, nesting, how much aliases expand: a "billion laughs" file is refused in microseconds
instead of filling memory), then built into Python data; the nodes are kept to map a
location (keys and indexes) back to a line number when something is wrong.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

try:  # the C loader is several times faster; fall back when libyaml is missing
    from yaml import CSafeLoader as FastLoader
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml import SafeLoader as FastLoader  # type: ignore[assignment]


__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "FastLoader",
    "SourceError",
    "YamlSource",
    "YamlSyntaxError",
    "line_in_document",
    "parse_yaml",
    "parse_yaml_documents",
    "read_source",
]

MAX_FILE_BYTES = 2_000_000
"""Largest YAML or Markdown file read (the biggest course file is under 100 kB)."""
MAX_ALIAS_NODES = 100_000
"""How many nodes aliases may add beyond those written out (a real manifest adds a few)."""
MAX_DEPTH = 100
"""Deepest nesting of mappings and lists (Kubernetes objects nest about 20 deep)."""


class YamlSyntaxError(ValueError):
    """The text is not valid YAML; `line` is 1-based."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class SourceError(ValueError):
    """A file that cannot be read as text: `line` (1-based) when a place in it is to blame."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def read_source(path: Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file, refusing what would hang or flood the reader.

    A FIFO would block `open` forever and a device never ends, so only regular files are
    opened (`stat` follows a link to its target); files over `limit` bytes are refused
    before reading; a byte that is not UTF-8 is reported at its line.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise SourceError("not a regular file (a FIFO, device or folder); kube-tutor reads only files")
    if info.st_size > limit:
        raise SourceError(
            f"file is {info.st_size:,} bytes; kube-tutor reads files up to {limit:,} bytes", 1
        )
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, open still returns
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise SourceError(f"file is over {limit:,} bytes; kube-tutor reads files up to that", 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"byte 0x{data[exc.start]:02x} is not UTF-8 text; save the file as UTF-8", line
        ) from exc


@dataclass(frozen=True)
class YamlSource:
    """Parsed YAML text that remembers its source for line look-ups."""

    text: str
    data: Any
    line_offset: int = 0
    """Lines before the YAML in its file (e.g. the `---` opening Markdown front matter)."""
    node: Any = field(default=None, compare=False, repr=False)
    """The composed node tree, kept so that each look-up does not parse the text again."""

    def line_of(self, loc: Iterable[int | str]) -> int | None:
        """The 1-based file line of the value at `loc` (keys and list indexes).

        Location parts that do not name a key or index (pydantic adds the tag of a
        discriminated union, for example) are skipped; the deepest node reached wins.
        """
        node = self.node
        if node is None:
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
        return self.line_offset + int(best) + 1


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


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_bounds(root: yaml.Node, line_offset: int = 0) -> None:
    """Refuse a node tree that nests too deep, refers to itself, or that aliases would blow
    up beyond `MAX_ALIAS_NODES` extra nodes (a shared node counts once per use).

    Walks each distinct node once (sizes are memoised), without recursion.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            kids = _children(node)
            size[key] = 1 + sum(size[id(kid)] for kid in kids)
            depth[key] = 1 + max((depth[id(kid)] for kid in kids), default=0)
            on_path.discard(key)
            distinct += 1
            line = line_offset + node.start_mark.line + 1
            if depth[key] > MAX_DEPTH:
                raise YamlSyntaxError(
                    f"YAML nests deeper than {MAX_DEPTH} levels; kube-tutor refuses it", line
                )
            if size[key] - distinct > MAX_ALIAS_NODES:
                raise YamlSyntaxError(
                    f"YAML aliases (*name) expand to over {MAX_ALIAS_NODES:,} extra values "
                    "(an alias bomb?); kube-tutor refuses it",
                    line,
                )
            continue
        if key in size:
            continue
        if key in on_path:  # reached again below itself: the alias refers to itself
            raise YamlSyntaxError(
                "YAML alias refers to the value that contains it; kube-tutor refuses it",
                line_offset + node.start_mark.line + 1,
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((kid, False) for kid in _children(node) if id(kid) not in size)


def _check_length(text: str) -> None:
    if len(text) > MAX_FILE_BYTES:
        raise YamlSyntaxError(
            f"YAML text is {len(text):,} characters; kube-tutor reads up to {MAX_FILE_BYTES:,}", 1
        )


def parse_yaml(text: str, line_offset: int = 0) -> YamlSource:
    """Parse one YAML document, raising `YamlSyntaxError` with the file line on bad input
    (or on input beyond the bounds above)."""
    _check_length(text)
    loader = FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlSource(text=text, data=None, line_offset=line_offset)
        check_bounds(node, line_offset)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        return _raise(exc, line_offset, text)
    finally:
        loader.dispose()
    return YamlSource(text=text, data=data, line_offset=line_offset, node=node)


def parse_yaml_documents(text: str) -> list[tuple[Any, int]]:
    """Parse a multi-document YAML stream into (document, 1-based first line) pairs.

    Empty documents are dropped. Raises `YamlSyntaxError` with the line of the first error.
    """
    _check_length(text)
    try:
        nodes = list(yaml.compose_all(text, Loader=FastLoader))
    except yaml.YAMLError as exc:
        return _raise(exc, 0, text)
    docs: list[tuple[Any, int]] = []
    loader = FastLoader("")
    try:
        for node in nodes:
            if node is None:
                continue
            check_bounds(node)
            data = loader.construct_document(node)
            if data is not None:
                docs.append((data, node.start_mark.line + 1))
    except yaml.YAMLError as exc:  # e.g. a tag the safe loader refuses
        return _raise(exc, 0, text)
    finally:
        loader.dispose()
    return docs


def _raise(exc: yaml.YAMLError, line_offset: int, text: str = "") -> NoReturn:
    """Raise `YamlSyntaxError` with the file line where PyYAML noticed the problem.

    That line can be after the actual mistake (an unclosed bracket is noticed on a later
    line), so the line where the enclosing construct started is named in the message too.
    A character YAML does not allow (NUL, other controls) is reported by the reader with a
    character position only; its line is counted here.
    """
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    line = None
    if isinstance(exc, yaml.reader.ReaderError):
        position = max(0, min(int(exc.position), len(text)))
        line = line_offset + text.count("\n", 0, position) + 1
        character = exc.character if isinstance(exc.character, str) else chr(int(exc.character))
        raise YamlSyntaxError(
            f"YAML syntax error: character U+{ord(character):04X} is not allowed in YAML text "
            "(remove it, or write it escaped inside double quotes)",
            line,
        ) from exc
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
