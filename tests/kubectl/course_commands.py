"""Every `kubectl` command the course writes, extracted from its content (not listed by hand).

Sources: fenced code blocks and inline code spans of `lessons/*/lesson.md`, the explanations
(`explanation`, `why`) of `lessons/*/quiz.yaml`, and the task and hints of `labs/*/lab.yaml`.
Each command keeps where it was written, so a failing test names the line to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]

SHELL_LANGS = frozenset({"sh", "bash", "shell", "console", "zsh"})
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
_INLINE = re.compile(r"(?<!`)`([^`]+?)`(?!`)", re.S)
_KUBECTL_AT = re.compile(r"(?<![\w/-])kubectl(?=\s)")


@dataclass(frozen=True)
class CourseCommand:
    """One command as the course writes it."""

    text: str
    """The command line (continuations joined, comments dropped)."""
    file: Path
    line: int
    origin: str
    """`block` (shell code block), `diagram` (another code block), `inline`, `quiz`, `hint`."""
    lesson: str
    """The lesson it belongs to (a lab's lesson for lab text)."""
    lab: str | None = None
    """The lab whose text holds it (hints and tasks), else None."""

    @property
    def where(self) -> str:
        """`lessons/01-.../lesson.md:179`."""
        return f"{self.file.relative_to(ROOT)}:{self.line}"

    @property
    def key(self) -> str:
        """A stable, readable test id: where it is written and what it says."""
        return f"{self.where} {self.text}"


def _squash(text: str) -> str:
    return " ".join(text.split())


def _inline_commands(text: str, first_line: int) -> list[tuple[str, int]]:
    """Inline code spans that are kubectl commands, with their line (spans may wrap)."""
    found = []
    for match in _INLINE.finditer(text):
        body = _squash(match.group(1))
        if re.match(r"kubectl\s", body + " ") and body != "":
            found.append((body, first_line + text.count("\n", 0, match.start())))
    return found


def _shell_lines(block: list[tuple[int, str]]) -> list[tuple[str, int]]:
    """Command lines of a shell block: `\\` continuations joined, comments and output skipped."""
    commands: list[tuple[str, int]] = []
    pending: list[str] = []
    start = 0
    for number, raw in block:
        line = raw.strip()
        if not pending:
            if not line or line.startswith("#"):
                continue
            line = re.sub(r"^\$\s+", "", line)
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        pending.append(line)
        joined = " ".join(pending)
        pending = []
        if _KUBECTL_AT.search(joined):
            commands.append((joined, start))
    return commands


def _diagram_lines(block: list[tuple[int, str]]) -> list[tuple[str, int]]:
    """`kubectl ...` written inside a text block (a diagram's margin): from the word to the
    end of its line."""
    found = []
    for number, raw in block:
        match = _KUBECTL_AT.search(raw)
        if match:
            found.append((_squash(raw[match.start() :]), number))
    return found


def lesson_commands(path: Path, lesson: str) -> list[CourseCommand]:
    """The commands of one `lesson.md`: code blocks, then inline code in the prose."""
    lines = path.read_text(encoding="utf-8").splitlines()
    commands: list[CourseCommand] = []
    prose: list[tuple[int, str]] = []
    index = 0
    in_front = bool(lines) and lines[0].strip() == "---"
    if in_front:  # YAML front matter: metadata, not lesson text
        index = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0) + 1
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if not fence:
            prose.append((index + 1, lines[index]))
            index += 1
            continue
        marker, lang = fence.group("fence"), fence.group("lang").lower()
        block: list[tuple[int, str]] = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(marker):
            block.append((index + 1, lines[index]))
            index += 1
        index += 1
        if lang in SHELL_LANGS:
            found, origin = _shell_lines(block), "block"
        else:
            found, origin = _diagram_lines(block), "diagram"
        commands += [CourseCommand(t, path, n, origin, lesson) for t, n in found]
    # Prose paragraphs: inline spans may wrap onto the next line.
    paragraph: list[tuple[int, str]] = []
    for item in [*prose, (0, "")]:
        if item[1].strip():
            paragraph.append(item)
            continue
        if paragraph:
            text = "\n".join(line for _, line in paragraph)
            commands += [
                CourseCommand(t, path, n, "inline", lesson)
                for t, n in _inline_commands(text, paragraph[0][0])
            ]
        paragraph = []
    return commands


def _line_of(raw: str, needle: str) -> int:
    """The file line where `needle`'s first words appear (YAML folds lines)."""
    words = needle.split()[:3]
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, raw)
    return raw.count("\n", 0, match.start()) + 1 if match else 1


def quiz_commands(path: Path, lesson: str) -> list[CourseCommand]:
    """Commands in the quiz's explanations (`explanation` and per-choice `why`)."""
    raw = path.read_text(encoding="utf-8")
    data = yaml.safe_load(raw) or {}
    commands = []
    for question in data.get("questions") or []:
        texts: list[str] = []
        if isinstance(question.get("explanation"), str):
            texts.append(question["explanation"])
        why: Any = question.get("why") or {}
        texts += [v for v in why.values() if isinstance(v, str)]
        for text in texts:
            for body, _ in _inline_commands(text, 1):
                commands.append(CourseCommand(body, path, _line_of(raw, body), "quiz", lesson))
    return commands


def lab_commands(path: Path) -> list[CourseCommand]:
    """Commands in a lab's task and hints."""
    raw = path.read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    texts = [data.get("task") or ""]
    for hint in data.get("hints") or []:
        texts += [t for t in hint.get("tiers") or [] if isinstance(t, str)]
    commands = []
    for text in texts:
        for body, _ in _inline_commands(text, 1):
            commands.append(
                CourseCommand(body, path, _line_of(raw, body), "hint", data["lesson"], data["id"])
            )
    return commands


def course_commands(root: Path = ROOT) -> list[CourseCommand]:
    """Every kubectl command of the course, in course order, without exact repeats of the
    same text in the same file."""
    found: list[CourseCommand] = []
    for lesson_dir in sorted((root / "lessons").iterdir()):
        if (lesson_dir / "lesson.md").is_file():
            found += lesson_commands(lesson_dir / "lesson.md", lesson_dir.name)
        if (lesson_dir / "quiz.yaml").is_file():
            found += quiz_commands(lesson_dir / "quiz.yaml", lesson_dir.name)
    for lab_dir in sorted((root / "labs").iterdir()):
        if (lab_dir / "lab.yaml").is_file():
            found += lab_commands(lab_dir / "lab.yaml")
    seen: set[tuple[Path, str]] = set()
    unique = []
    for command in found:
        if (command.file, command.text) not in seen:
            seen.add((command.file, command.text))
            unique.append(command)
    return unique
