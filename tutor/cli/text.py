"""Markdown for the terminal: headings, wrapped paragraphs and lists, code kept as written.

The CLI may not use Rich (only `tutor/app` does), and lessons need only a small part of
Markdown, so this renders that part itself: paragraphs and list items are wrapped to the
terminal's width without breaking words, inline markers (`code`, **bold**, *italic*, links)
are turned into text, tables become aligned columns (or one `header: value` line per cell when
too wide), and `--plain` output has no colour and no box drawing at all.
"""

from __future__ import annotations

import re
import shutil

MAX_WIDTH = 100
"""Lines longer than this are hard to read, even on a wide terminal."""

BOLD, DIM, CODE, RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[0m"

_ASCII = str.maketrans(
    {
        "─": "-", "━": "-", "│": "|", "┃": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+",
        "├": "+", "┤": "+", "┬": "+", "┴": "+", "┼": "+", "╭": "+", "╮": "+", "╰": "+",
        "╯": "+", "▶": ">", "◀": "<", "▲": "^", "▼": "v", "►": ">", "◄": "<", "→": "->",
        "←": "<-", "↓": "v", "↑": "^", "—": "-", "–": "-", "·": "-", "•": "-", "…": "...",
        "✔": "[x]", "✘": "[-]", "“": '"', "”": '"', "‘": "'", "’": "'", "═": "=", "║": "|",
    }
)  # fmt: skip
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*([^*]+)\*\*|__([^_]+)__")
_EMPH = re.compile(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])")
_LIST = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")


def terminal_width() -> int:
    """The width to wrap to: the terminal's, at most `MAX_WIDTH`."""
    return max(20, min(shutil.get_terminal_size((80, 24)).columns - 1, MAX_WIDTH))


def to_ascii(text: str) -> str:
    """Box drawing, arrows and typographic marks as ASCII (for `--plain`)."""
    return text.translate(_ASCII)


def visible_len(text: str) -> int:
    """Length on screen, without colour codes."""
    return len(_ANSI.sub("", text))


def inline(text: str, *, plain: bool, colour: bool = False) -> str:
    """Inline Markdown as terminal text: links as `text (url)`, code and emphasis unmarked
    (coloured with `colour`), ASCII only when `plain`."""

    def link(match: re.Match[str]) -> str:
        label, href = match.group(1), match.group(2)
        return f"{label} ({href})" if href.startswith(("http://", "https://")) else label

    text = _LINK.sub(link, text)
    text = _CODE.sub(f"{CODE}\\1{RESET}" if colour else r"\1", text)

    def strong(match: re.Match[str]) -> str:
        words = match.group(1) or match.group(2)
        return f"{BOLD}{words}{RESET}" if colour else words

    text = _STRONG.sub(strong, text)
    text = _EMPH.sub(r"\1", text)
    return to_ascii(text) if plain else text


def wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Wrap words to `width` (colour codes do not count); a word longer than a line stays whole."""
    lines: list[str] = []
    line, used = first, visible_len(first)
    started = False
    for word in text.split():
        size = visible_len(word)
        if started and used + 1 + size > width:
            lines.append(line)
            line, used, started = rest, visible_len(rest), False
        if started:
            line += " "
            used += 1
        line += word
        used += size
        started = True
    lines.append(line)
    return lines


def _table(rows: list[list[str]], width: int, plain: bool, colour: bool) -> list[str]:
    cells = [[inline(cell.strip(), plain=plain, colour=colour) for cell in row] for row in rows]
    head, body = cells[0], cells[1:]
    columns = len(head)
    sizes = [
        max(visible_len(row[i]) if i < len(row) else 0 for row in cells) for i in range(columns)
    ]
    if sum(sizes) + 2 * (columns - 1) <= width:
        out = []
        for number, row in enumerate(cells):
            padded = [
                (row[i] if i < len(row) else "")
                + " " * (sizes[i] - visible_len(row[i] if i < len(row) else ""))
                for i in range(columns)
            ]
            text = "  ".join(padded).rstrip()
            out.append(f"{BOLD}{text}{RESET}" if number == 0 and colour else text)
            if number == 0:
                out.append("  ".join("-" * size for size in sizes))
        return out
    # Too wide for the terminal: each row as `header: value` lines, rows apart.
    out = []
    for row in body:
        for i, value in enumerate(row):
            name = head[i] if i < len(head) else ""
            out.extend(wrap(value, width, f"{name}: " if name else "", "    "))
        out.append("")
    return out[:-1]


def render_markdown(
    markdown: str, *, plain: bool, width: int | None = None, colour: bool | None = None
) -> str:
    """Markdown as terminal text, wrapped to `width` (default: the terminal's); coloured by
    default only on a terminal and never when `plain`."""
    import sys

    width = width or terminal_width()
    if colour is None:
        colour = not plain and sys.stdout.isatty()
    out: list[str] = []
    paragraph: list[str] = []
    lines = markdown.splitlines()
    index = 0
    bullet = "-" if plain else "•"

    def flush() -> None:
        if paragraph:
            out.extend(wrap(inline(" ".join(paragraph), plain=plain, colour=colour), width))
            out.append("")
            paragraph.clear()

    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        index += 1
        if stripped.startswith("```"):
            flush()
            while index < len(lines) and not lines[index].strip().startswith("```"):
                code = lines[index].rstrip()
                code = to_ascii(code) if plain else code
                code = f"{DIM}{code}{RESET}" if colour and code else code
                out.append(f"    {code}".rstrip())
                index += 1
            index += 1
            out.append("")
        elif not stripped:
            flush()
        elif stripped.startswith("#"):
            flush()
            level = len(stripped) - len(stripped.lstrip("#"))
            title = inline(stripped[level:].strip(), plain=plain)
            out.append(f"{BOLD}{title}{RESET}" if colour else title)
            out.append(("=" if level == 1 else "-") * min(len(title), width))
            out.append("")
        elif stripped.startswith("|"):
            flush()
            rows = [stripped]
            while index < len(lines) and lines[index].strip().startswith("|"):
                rows.append(lines[index].strip())
                index += 1
            parsed = [row.strip("|").split("|") for row in rows]
            parsed = [row for row in parsed if not all(set(c.strip()) <= set("-: ") for c in row)]
            if parsed:
                out.extend(_table(parsed, width, plain, colour))
                out.append("")
        elif stripped.startswith(">"):
            flush()
            quote = [stripped.lstrip("> ")]
            while index < len(lines) and lines[index].strip().startswith(">"):
                quote.append(lines[index].strip().lstrip("> "))
                index += 1
            bar = "| " if plain else "│ "
            out.extend(wrap(inline(" ".join(quote), plain=plain, colour=colour), width, bar, bar))
            out.append("")
        elif stripped in ("---", "***", "___"):
            flush()
            out.extend(["-" * min(width, 40), ""])
        elif match := _LIST.match(line):
            flush()
            indent = "  " * (len(match.group(1)) // 2)
            marker = match.group(2)
            mark = bullet if marker in "-*+" else marker
            item = [match.group(3)]
            # Continuation lines of the item (indented, not a new item or block).
            while (
                index < len(lines)
                and lines[index].strip()
                and lines[index].startswith(" ")
                and not _LIST.match(lines[index])
            ):
                item.append(lines[index].strip())
                index += 1
            first = f"{indent}{mark} "
            out.extend(
                wrap(
                    inline(" ".join(item), plain=plain, colour=colour),
                    width,
                    first,
                    " " * len(first),
                )
            )
            if index >= len(lines) or not _LIST.match(lines[index]):
                out.append("")
        else:
            paragraph.append(stripped)
    flush()
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
