"""A light index of the course for the course map, cached as JSON so the map shows at once.

Loading the course imports pydantic and validates every file (about 0.3 s); the course map
needs only titles, quiz sizes, lab names and the problems found. `CourseOutline` holds just
that in plain dataclasses shaped like the loaded `Course` (so the same map and summary code
reads either, through the `CourseView` protocol), and is kept in `<data>/cache/course-map.json`
under a key over every content file's path, size and change time. The app draws the map from
it in its first frame and loads the full course in a worker afterwards; when that differs
from the index (a file changed without its size or mtime changing), the map is redrawn from
the loaded course and the index rewritten. No pydantic, YAML or Textual here.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tutor import __version__

NO_BUILTIN_ENV = "KUBE_TUTOR_NO_BUILTIN"  # the same switch as tutor.content.loader's
INDEX_FORMAT = 1
"""Bumped when the JSON layout changes, so an old file is ignored."""


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong with a content file."""

    file: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        try:  # shorter, and clickable in most terminals and editors
            shown = self.file.relative_to(Path.cwd())
        except ValueError:
            shown = self.file
        where = f"{shown}:{self.line}" if self.line else str(shown)
        return f"{where}: {self.message}"


# -- what the course map reads, from a loaded Course or from the index -----------------------


class QuestionView(Protocol):
    """A quiz question, as far as the map cares: its type."""

    @property
    def type(self) -> str:
        """`single`, `multi`, ..., `predict`."""


class QuizView(Protocol):
    """A lesson's quiz: its questions and pass mark."""

    @property
    def pass_mark(self) -> float:
        """The score needed to pass (0..1)."""

    @property
    def questions(self) -> Sequence[QuestionView]:
        """The questions in order."""


class LessonMetaView(Protocol):
    """A lesson's front matter."""

    @property
    def title(self) -> str:
        """The lesson title."""

    @property
    def summary(self) -> str:
        """One paragraph about the lesson."""

    @property
    def objectives(self) -> Sequence[str]:
        """What the learner will be able to do."""

    @property
    def minutes(self) -> int:
        """Estimated reading time."""

    @property
    def kubernetes(self) -> str:
        """The Kubernetes versions the lesson is about."""


class LessonView(Protocol):
    """A lesson with its optional quiz."""

    @property
    def id(self) -> str:
        """The lesson id."""

    @property
    def meta(self) -> LessonMetaView:
        """The front matter."""

    @property
    def quiz(self) -> QuizView | None:
        """The quiz, if the lesson has one."""


class LabSpecView(Protocol):
    """A lab's spec, as far as the map cares."""

    @property
    def title(self) -> str:
        """The lab title."""

    @property
    def lesson(self) -> str:
        """The lesson it practises."""

    @property
    def kind(self) -> str:
        """build, fix or explore."""

    @property
    def minutes(self) -> int:
        """Estimated time."""

    @property
    def requires(self) -> Sequence[str]:
        """Cluster capabilities it needs."""

    @property
    def checks(self) -> Sequence[object]:
        """Its checks (the map shows how many)."""


class LabView(Protocol):
    """A lab."""

    @property
    def id(self) -> str:
        """The lab id."""

    @property
    def spec(self) -> LabSpecView:
        """The spec."""


class CourseView(Protocol):
    """The course as the map reads it: a loaded `Course` or a `CourseOutline`."""

    @property
    def roots(self) -> Sequence[Path]:
        """The content folders."""

    @property
    def lessons(self) -> Sequence[LessonView]:
        """Lessons in order."""

    @property
    def labs(self) -> Sequence[LabView]:
        """Labs in order."""

    @property
    def problems(self) -> Sequence[Problem]:
        """Every problem found in the content files."""

    def lesson(self, lesson_id: str) -> LessonView | None:
        """The lesson with this id, if it loaded."""

    def lab(self, lab_id: str) -> LabView | None:
        """The lab with this id, if it loaded."""

    def labs_of(self, lesson_id: str) -> Sequence[LabView]:
        """Labs that practise a lesson, in course order."""


# -- the outline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionOutline:
    """A question's type."""

    type: str


@dataclass(frozen=True)
class QuizOutline:
    """A quiz's pass mark and question types."""

    pass_mark: float
    questions: tuple[QuestionOutline, ...]


@dataclass(frozen=True)
class LessonMetaOutline:
    """A lesson's front matter, less what the map does not show."""

    title: str
    summary: str
    objectives: tuple[str, ...]
    minutes: int
    kubernetes: str


@dataclass(frozen=True)
class LessonOutline:
    """A lesson of the index."""

    id: str
    meta: LessonMetaOutline
    quiz: QuizOutline | None


@dataclass(frozen=True)
class LabSpecOutline:
    """A lab's spec, less what the map does not show (checks by id only)."""

    title: str
    lesson: str
    kind: str
    minutes: int
    requires: tuple[str, ...]
    checks: tuple[str, ...]


@dataclass(frozen=True)
class LabOutline:
    """A lab of the index."""

    id: str
    spec: LabSpecOutline


@dataclass(frozen=True)
class CourseOutline:
    """What the course map shows, without the content models."""

    roots: list[Path]
    lessons: list[LessonOutline] = field(default_factory=list)
    labs: list[LabOutline] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def lesson(self, lesson_id: str) -> LessonOutline | None:
        """The lesson with this id, if it loaded."""
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def lab(self, lab_id: str) -> LabOutline | None:
        """The lab with this id, if it loaded."""
        return next((lab for lab in self.labs if lab.id == lab_id), None)

    def labs_of(self, lesson_id: str) -> list[LabOutline]:
        """Labs that practise a lesson, in course order."""
        return [lab for lab in self.labs if lab.spec.lesson == lesson_id]


def outline_of(course: CourseView) -> CourseOutline:
    """The outline of a loaded course (what the index keeps)."""
    lessons = [
        LessonOutline(
            id=lesson.id,
            meta=LessonMetaOutline(
                title=lesson.meta.title,
                summary=lesson.meta.summary,
                objectives=tuple(lesson.meta.objectives),
                minutes=lesson.meta.minutes,
                kubernetes=lesson.meta.kubernetes,
            ),
            quiz=None
            if lesson.quiz is None
            else QuizOutline(
                pass_mark=lesson.quiz.pass_mark,
                questions=tuple(QuestionOutline(q.type) for q in lesson.quiz.questions),
            ),
        )
        for lesson in course.lessons
    ]
    labs = [
        LabOutline(
            id=lab.id,
            spec=LabSpecOutline(
                title=lab.spec.title,
                lesson=lab.spec.lesson,
                kind=lab.spec.kind,
                minutes=lab.spec.minutes,
                requires=tuple(lab.spec.requires),
                checks=tuple(str(getattr(c, "id", "")) for c in lab.spec.checks),
            ),
        )
        for lab in course.labs
    ]
    return CourseOutline(
        roots=list(course.roots), lessons=lessons, labs=labs, problems=list(course.problems)
    )


def to_json(outline: CourseOutline) -> dict[str, Any]:
    """The outline as JSON-ready data."""
    data = asdict(outline)
    data["roots"] = [str(root) for root in outline.roots]
    data["problems"] = [[str(p.file), p.line, p.message] for p in outline.problems]
    return data


def from_json(data: dict[str, Any]) -> CourseOutline:
    """The outline back from `to_json` (raises KeyError, TypeError or ValueError if damaged)."""
    lessons = []
    for item in data["lessons"]:
        meta = item["meta"]
        quiz = item["quiz"]
        lessons.append(
            LessonOutline(
                id=str(item["id"]),
                meta=LessonMetaOutline(
                    title=str(meta["title"]),
                    summary=str(meta["summary"]),
                    objectives=tuple(str(x) for x in meta["objectives"]),
                    minutes=int(meta["minutes"]),
                    kubernetes=str(meta["kubernetes"]),
                ),
                quiz=None
                if quiz is None
                else QuizOutline(
                    pass_mark=float(quiz["pass_mark"]),
                    questions=tuple(QuestionOutline(str(q["type"])) for q in quiz["questions"]),
                ),
            )
        )
    labs = [
        LabOutline(
            id=str(item["id"]),
            spec=LabSpecOutline(
                title=str(item["spec"]["title"]),
                lesson=str(item["spec"]["lesson"]),
                kind=str(item["spec"]["kind"]),
                minutes=int(item["spec"]["minutes"]),
                requires=tuple(str(x) for x in item["spec"]["requires"]),
                checks=tuple(str(x) for x in item["spec"]["checks"]),
            ),
        )
        for item in data["labs"]
    ]
    problems = [
        Problem(Path(file), None if line is None else int(line), str(message))
        for file, line, message in data["problems"]
    ]
    return CourseOutline(
        roots=[Path(root) for root in data["roots"]],
        lessons=lessons,
        labs=labs,
        problems=problems,
    )


# -- the cache key and file -------------------------------------------------------------------


def course_roots(content: Sequence[Path]) -> list[Path]:
    """The roots `load_course(content)` reads, found without importing the loader (which
    imports pydantic). Mirrors `tutor.content.loader.default_roots`; a test keeps them equal."""
    roots: list[Path] = []
    if os.environ.get(NO_BUILTIN_ENV, "0") in ("", "0"):
        package = Path(__file__).resolve().parent.parent
        checkout = package.parent
        if (checkout / "lessons").is_dir() and (checkout / "pyproject.toml").is_file():
            roots.append(checkout)
        else:
            roots.append(package / "_course")
    return roots + [Path(root) for root in content]


def signature(roots: Sequence[Path]) -> str:
    """A digest of every file under the roots' lessons/ and labs/ (path, size, mtime)."""
    digest = hashlib.sha256(__version__.encode())
    for root in roots:
        digest.update(str(root.resolve()).encode())
        for part in ("lessons", "labs"):
            for folder, dirs, files in os.walk(root / part):
                dirs.sort()
                for name in sorted(files):
                    stat = os.stat(os.path.join(folder, name))
                    digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def map_key(roots: Sequence[Path], content: Sequence[Path]) -> str:
    """The index key: every content file, plus each pack's `course.yaml` (a workshop's plan
    chooses and orders what the map shows)."""
    digest = hashlib.sha256(f"{INDEX_FORMAT}:{signature(roots)}".encode())
    for folder in content:
        plan = Path(folder) / "course.yaml"
        try:
            stat = plan.stat()
        except OSError:
            digest.update(f"{plan}:none".encode())
            continue
        digest.update(f"{plan.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def index_file() -> Path:
    """Where the index is kept."""
    from tutor.core.dirs import data_dir

    return data_dir() / "cache" / "course-map.json"


def read_index(key: str) -> CourseOutline | None:
    """The cached outline, if it was written under this key and reads back whole."""
    try:
        data = json.loads(index_file().read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        return from_json(data["outline"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_index(key: str, outline: CourseOutline) -> None:
    """Keep the outline under the key (written whole, then renamed; a failure only costs
    speed)."""
    target = index_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f"course-map.{os.getpid()}.tmp")
        temporary.write_text(
            json.dumps({"key": key, "outline": to_json(outline)}), encoding="utf-8"
        )
        temporary.replace(target)
    except OSError:
        pass
