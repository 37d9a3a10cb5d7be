"""Load a course from content folders into one `Course`, collecting every problem.

A broken file never stops the rest of the course from loading: it is left out and its
problems (file, line, message) are kept on the `Course` for the app and `kube-tutor lint`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tutor.content.index import Problem as Problem  # re-exported: its old home
from tutor.content.models import QUESTION_TYPES, LabSpec, LessonMeta, Question, Quiz
from tutor.content.yamlsrc import SourceError, YamlSource, YamlSyntaxError, parse_yaml, read_source

M = TypeVar("M", bound=BaseModel)


@dataclass
class Lesson:
    """A lesson with its optional quiz."""

    meta: LessonMeta
    body: str
    path: Path
    quiz: Quiz | None = None
    quiz_path: Path | None = None

    @property
    def id(self) -> str:
        """The lesson id (its folder name)."""
        return self.meta.id

    @property
    def body_line(self) -> int:
        """The file line where the Markdown body starts."""
        text = self.path.read_text(encoding="utf-8")
        return len(text[: len(text) - len(self.body)].splitlines()) + 1


@dataclass
class Lab:
    """A lab: its spec and the folders the learner starts from and the solution."""

    spec: LabSpec
    path: Path

    @property
    def id(self) -> str:
        """The lab id (its folder name)."""
        return self.spec.id

    @property
    def folder(self) -> Path:
        """The lab's folder."""
        return self.path.parent

    @property
    def start_dir(self) -> Path:
        """Manifests applied at lab start; copied into the learner's workspace."""
        return self.folder / "start"

    @property
    def solution_dir(self) -> Path:
        """The reference solution."""
        return self.folder / "solution"


@dataclass
class Course:
    """Everything that loaded, in order, and every problem found on the way."""

    roots: list[Path]
    lessons: list[Lesson] = field(default_factory=list)
    labs: list[Lab] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def lesson(self, lesson_id: str) -> Lesson | None:
        """The lesson with this id, if it loaded."""
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def lab(self, lab_id: str) -> Lab | None:
        """The lab with this id, if it loaded."""
        return next((lab for lab in self.labs if lab.id == lab_id), None)

    def labs_of(self, lesson_id: str) -> list[Lab]:
        """Labs that practise a lesson, in course order."""
        return [lab for lab in self.labs if lab.spec.lesson == lesson_id]

    def questions(self) -> Iterator[tuple[Lesson, Question]]:
        """Every question with its lesson, in course order."""
        for lesson in self.lessons:
            if lesson.quiz is not None:
                for question in lesson.quiz.questions:
                    yield lesson, question

    def broken_files(self) -> list[Path]:
        """Files with at least one problem, without repeats."""
        return sorted({problem.file for problem in self.problems})


def default_roots() -> list[Path]:
    """The built-in course: the source checkout's folders, else the copy inside the wheel."""
    package = Path(__file__).resolve().parent.parent
    checkout = package.parent
    if (checkout / "lessons").is_dir() and (checkout / "pyproject.toml").is_file():
        return [checkout]
    return [package / "_course"]


NO_BUILTIN_ENV = "KUBE_TUTOR_NO_BUILTIN"
"""When set (to anything but `0`), only `--content` packs load: for tests and instructors."""


def load_course(extra_roots: Iterable[Path] = (), *, builtin: bool = True) -> Course:
    """Load the built-in course (unless `builtin` is false or `$KUBE_TUTOR_NO_BUILTIN` is
    set) and any extra course packs."""
    if os.environ.get(NO_BUILTIN_ENV, "0") not in ("", "0"):
        builtin = False
    roots = (default_roots() if builtin else []) + [Path(root) for root in extra_roots]
    course = Course(roots=roots)
    for root in roots:
        if not root.is_dir():
            course.problems.append(Problem(root, None, "content folder does not exist"))
            continue
        _load_lessons(root / "lessons", course)
        _load_labs(root / "labs", course)
    return course


def _item_folders(parent: Path, course: Course, what: str) -> list[Path]:
    if not parent.is_dir():
        return []
    folders = []
    for child in sorted(parent.iterdir()):
        if child.name.startswith((".", "_")) or not child.is_dir():
            continue
        folders.append(child)
    return folders


def _load_lessons(parent: Path, course: Course) -> None:
    for folder in _item_folders(parent, course, "lesson"):
        path = folder / "lesson.md"
        if not os.path.lexists(path):  # a FIFO or a link is there: `_read` says what is wrong
            course.problems.append(Problem(folder, None, "lesson folder has no lesson.md"))
            continue
        lesson = _load_lesson(path, course.problems)
        if lesson is None:
            continue
        if course.lesson(lesson.id) is not None:
            line = _id_line(path)
            course.problems.append(Problem(path, line, f"lesson id {lesson.id!r} is used twice"))
            continue
        quiz_path = folder / "quiz.yaml"
        if os.path.lexists(quiz_path):
            lesson.quiz_path = quiz_path
            lesson.quiz = _load_model(quiz_path, Quiz, course.problems)
        course.lessons.append(lesson)


def _load_lesson(path: Path, problems: list[Problem]) -> Lesson | None:
    text = _read(path, problems)
    if text is None:
        return None
    if not text.startswith("---"):
        problems.append(Problem(path, 1, "lesson.md must start with YAML front matter (---)"))
        return None
    lines = text.splitlines(keepends=True)
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        problems.append(Problem(path, 1, "front matter is not closed by a line with ---"))
        return None
    front = "".join(lines[1:end])
    body = "".join(lines[end + 1 :])
    meta = _validate(path, front, LessonMeta, problems, line_offset=1)
    if meta is None:
        return None
    if meta.id != path.parent.name:
        message = f"id {meta.id!r} must equal the folder name {path.parent.name!r}"
        problems.append(Problem(path, _id_line(path), message))
        return None
    if not body.strip():
        problems.append(Problem(path, end + 2, "lesson has no body after the front matter"))
        return None
    return Lesson(meta=meta, body=body, path=path)


def _load_labs(parent: Path, course: Course) -> None:
    for folder in _item_folders(parent, course, "lab"):
        path = folder / "lab.yaml"
        if not os.path.lexists(path):
            course.problems.append(Problem(folder, None, "lab folder has no lab.yaml"))
            continue
        spec = _load_model(path, LabSpec, course.problems)
        if spec is None:
            continue
        if spec.id != folder.name:
            message = f"id {spec.id!r} must equal the folder name {folder.name!r}"
            course.problems.append(Problem(path, _id_line(path), message))
            continue
        if course.lab(spec.id) is not None:
            line = _id_line(path)
            course.problems.append(Problem(path, line, f"lab id {spec.id!r} is used twice"))
            continue
        course.labs.append(Lab(spec=spec, path=path))


def leaves_pack(path: Path, root: Path) -> bool:
    """True when `path` (after following every link) is not inside the pack `root`.

    A pack's file linked to `/etc/passwd` would otherwise be read, and its lines printed in
    lint messages; links inside the pack are fine.
    """
    try:
        return not path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a link loop
        return True


def read_pack_file(path: Path, root: Path) -> str:
    """The text of a file of the pack at `root`; `SourceError` for a link out of the pack,
    a special file, a file too big, or bytes that are not UTF-8 (at their line)."""
    if leaves_pack(path, root):
        raise SourceError("is a link to a file outside the course pack; kube-tutor does not follow it")
    return read_source(path)


def _read(path: Path, problems: list[Problem]) -> str | None:
    # Every file the loader reads is `ROOT/lessons|labs/<id>/<file>`.
    try:
        return read_pack_file(path, path.parents[2])
    except SourceError as exc:
        problems.append(Problem(path, exc.line, exc.message))
        return None


_ID_KEY = re.compile(r"id\s*:")


def _id_line(path: Path) -> int:
    """The line of the top-level `id:` key of a file that loaded (1 when not found)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((n for n, line in enumerate(lines, 1) if _ID_KEY.match(line)), 1)


def _load_model(path: Path, model: type[M], problems: list[Problem]) -> M | None:
    text = _read(path, problems)
    return None if text is None else _validate(path, text, model, problems)


def _validate(
    path: Path, text: str, model: type[M], problems: list[Problem], line_offset: int = 0
) -> M | None:
    """Parse YAML text and validate it; on failure record every error with its line."""
    try:
        source = parse_yaml(text, line_offset=line_offset)
    except YamlSyntaxError as exc:
        problems.append(Problem(path, exc.line, exc.message))
        return None
    if not isinstance(source.data, dict):
        problems.append(Problem(path, line_offset + 1, "expected a mapping of keys to values"))
        return None
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        problems.extend(validation_problems(path, source, exc))
        return None


def validation_problems(path: Path, source: YamlSource, exc: ValidationError) -> list[Problem]:
    """Turn pydantic errors into problems with file lines and readable locations."""
    found = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        found.append(Problem(path, source.line_of(loc), _describe(loc, error)))
    return found


def _describe(loc: tuple[Any, ...], error: Any) -> str:
    # pydantic puts the discriminator value of a union member right after the list index
    # (`questions.3.single.answer`); it is not a key of the file, so leave it out.
    where = ".".join(
        str(part)
        for i, part in enumerate(loc)
        if not (part in QUESTION_TYPES and i > 0 and isinstance(loc[i - 1], int))
    )
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] == "union_tag_invalid":
        message = (
            f"unknown type {error['input'].get('type')!r}"
            if isinstance(error.get("input"), dict)
            else message
        )
    return f"{where}: {message}" if where else message
