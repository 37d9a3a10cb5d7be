"""`kube-tutor lint`: every problem in the course, each with its file and line.

The loader already reports files that do not parse or do not fit their model. Lint adds the
rules that span files (links between lessons, quizzes and labs), grades each YAML question's
solution against its own expectations, and validates every manifest: core objects against
the Kubernetes schema of the pinned version, Gateway API objects against their CRD schemas.
Extra rule sets (the check registry, for example) register themselves in `EXTRA_RULES`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tutor.content.loader import Course, Lab, Lesson, Problem
from tutor.content.models import MultiQuestion, SingleQuestion, TrueFalseQuestion, YamlQuestion
from tutor.content.yamlsrc import YamlSyntaxError, line_in_document, parse_yaml_documents

KUBERNETES_VERSION = "1.37.0"
"""The Kubernetes version whose schema manifests are validated against."""

GATEWAY_GROUP = "gateway.networking.k8s.io"
GATEWAY_SCHEMAS_ENV = "KUBE_TUTOR_GATEWAY_SCHEMAS"
"""Folder holding the Gateway API CRD YAML files (one `crd_<plural>.yaml` per kind)."""

# API groups whose objects are not in the core schema and are not Gateway API either.
_SKIP_GROUPS = ("kind.x-k8s.io", "kubeproxy.config.k8s.io", "kubeadm.k8s.io")

Rule = Callable[[Course], Iterator[Problem]]
EXTRA_RULES: list[Rule] = []
"""Rules added by other packages (checks registry, labs) without lint importing them."""


@dataclass(frozen=True)
class LintReport:
    """The outcome of linting a course."""

    problems: list[Problem]
    notes: list[str]

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def lint_course(course: Course, *, schemas: bool = True) -> LintReport:
    """Every problem in the course, sorted by file and line."""
    notes: list[str] = []
    problems = list(course.problems)
    problems += _links(course)
    problems += input_safety(course)
    for lesson in course.lessons:
        problems += _yaml_questions(lesson)
        problems += quiz_answer_positions(lesson)
        problems += quiz_truefalse_spread(lesson)
    problems += course_truefalse_share(course)
    problems += course_multi_positions(course)
    validator = ManifestValidator() if schemas else None
    if validator is not None:
        notes += validator.notes
    # Walk the manifests even without schemas: a YAML syntax error is a problem either way.
    for path, line, doc, source in _all_manifests(course, problems):
        if validator is None:
            continue
        for loc, message in validator.errors(doc):
            problems.append(Problem(path, _line_of(source, line, loc), message))
    for rule in EXTRA_RULES:
        problems += rule(course)
    return LintReport(sorted(set(problems), key=_sort_key), notes)


def _sort_key(problem: Problem) -> tuple[str, int, str]:
    return (str(problem.file), problem.line or 0, problem.message)


# -- links between files ------------------------------------------------------------------


def _links(course: Course) -> Iterator[Problem]:
    lab_ids = {lab.id for lab in course.labs}
    for lesson in course.lessons:
        if lesson.quiz_path is None:
            yield Problem(lesson.path, 1, "lesson has no quiz.yaml beside it")
        for lab_id in lesson.meta.labs:
            if lab_id not in lab_ids:
                yield Problem(
                    lesson.path, _front_line(lesson, "labs"), f"lab {lab_id!r} does not exist"
                )
    for lab in course.labs:
        practised = course.lesson(lab.spec.lesson)
        if practised is None:
            yield Problem(
                lab.path,
                _key_line(lab.path, "lesson"),
                f"lesson {lab.spec.lesson!r} does not exist",
            )
        elif lab.id not in practised.meta.labs:
            yield Problem(
                practised.path,
                _front_line(practised, "labs"),
                f"lesson does not link its lab {lab.id!r}",
            )
        for folder in (lab.start_dir, lab.solution_dir):
            if not folder.is_dir() or not any(folder.glob("*.yaml")):
                yield Problem(lab.path, None, f"lab needs YAML manifests in {folder.name}/")


def _key_line(path: Path, key: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(f"{key}:"):
            return number
    return None


def _front_line(lesson: Lesson, key: str) -> int:
    # Without the key, point at the front matter's opening line: every problem gets a line.
    return _key_line(lesson.path, key) or 1


# -- YAML questions -----------------------------------------------------------------------


def _yaml_questions(lesson: Lesson) -> Iterator[Problem]:
    from tutor.quiz.grading import grade

    if lesson.quiz is None or lesson.quiz_path is None:
        return
    for question in lesson.quiz.questions:
        if not isinstance(question, YamlQuestion):
            continue
        line = _question_line(lesson.quiz_path, question.id)
        if _bad_expect_patterns(question):
            continue  # `input_safety` reports the pattern at its line; grading would raise
        result = grade(question, question.solution)
        if not result.correct:
            detail = "; ".join(result.feedback)
            yield Problem(
                lesson.quiz_path,
                line,
                f"{question.id}: solution fails its own expectations: {detail}",
            )
        if question.given.strip():
            given = grade(question, question.given)
            if given.correct:
                yield Problem(
                    lesson.quiz_path, line, f"{question.id}: the given manifest already passes"
                )


MAX_POSITION_SHARE = 0.4
"""No choice position may hold more than this share of a quiz's single-choice answer keys."""
MIN_KEYS_FOR_POSITIONS = 5
"""Below this many single-choice questions a quiz is too small to judge its positions."""


def quiz_answer_positions(lesson: Lesson) -> Iterator[Problem]:
    """A quiz whose single-choice answers sit mostly at one position (as authored, before any
    shuffle) can be passed by always answering that letter on paper, in an export or in a
    shuffle-free client: report the position, its share, and the questions to move."""
    if lesson.quiz is None or lesson.quiz_path is None:
        return
    by_position: dict[int, list[str]] = {}
    for question in lesson.quiz.questions:
        if isinstance(question, SingleQuestion):
            position = list(question.choices).index(question.answer)
            by_position.setdefault(position, []).append(question.id)
    total = sum(len(ids) for ids in by_position.values())
    if total < MIN_KEYS_FOR_POSITIONS:
        return
    for position, ids in sorted(by_position.items()):
        share = len(ids) / total
        if share > MAX_POSITION_SHARE:
            allowed = int(MAX_POSITION_SHARE * total)
            yield Problem(
                lesson.quiz_path,
                _question_line(lesson.quiz_path, ids[0]),
                f"answer positions are skewed: choice {position + 1} is the answer to "
                f"{len(ids)} of {total} single-choice questions ({share:.0%}; at most "
                f"{MAX_POSITION_SHARE:.0%}, so {allowed}); move the answer of some of "
                f"{', '.join(ids)} to another position",
            )


MIN_TRUEFALSE_FOR_SPREAD = 3
"""A quiz with this many true/false items or more must not give them all one answer."""
TRUE_SHARE_RANGE = (0.35, 0.65)
"""The share of true answers a course's true/false items must stay within."""
MIN_TRUEFALSE_FOR_SHARE = 10
"""Below this many true/false items a course is too small to judge its true share."""


def _truefalse(lesson: Lesson) -> list[TrueFalseQuestion]:
    if lesson.quiz is None:
        return []
    return [q for q in lesson.quiz.questions if isinstance(q, TrueFalseQuestion)]


def quiz_truefalse_spread(lesson: Lesson) -> Iterator[Problem]:
    """A quiz whose true/false items (3 or more) all have one answer is passed on them by
    answering that value every time, without reading a statement."""
    items = _truefalse(lesson)
    if lesson.quiz_path is None or len(items) < MIN_TRUEFALSE_FOR_SPREAD:
        return
    answers = {q.answer for q in items}
    if len(answers) == 1:
        word = "true" if items[0].answer else "false"
        yield Problem(
            lesson.quiz_path,
            _question_line(lesson.quiz_path, items[0].id),
            f"all {len(items)} true/false answers are {word}: answering {word!r} to each "
            f"scores them all; make some of {', '.join(q.id for q in items)} "
            f"{'false' if items[0].answer else 'true'} statements",
        )


def course_truefalse_share(course: Course) -> Iterator[Problem]:
    """A course whose true/false items lean one way rewards always picking that value:
    the true share must stay within `TRUE_SHARE_RANGE`. Reported at the quiz holding the
    most items of the majority answer, since rewriting some of those fixes it."""
    quizzes = [(lesson, _truefalse(lesson)) for lesson in course.lessons]
    total = sum(len(items) for _, items in quizzes)
    if total < MIN_TRUEFALSE_FOR_SHARE:
        return
    true = sum(q.answer for _, items in quizzes for q in items)
    share = true / total
    low, high = TRUE_SHARE_RANGE
    if low <= share <= high:
        return
    majority = share > high
    lesson, items = max(quizzes, key=lambda pair: sum(q.answer is majority for q in pair[1]))
    assert lesson.quiz_path is not None  # it holds true/false items, so it has a quiz file
    first = next(q for q in items if q.answer is majority)
    word = "true" if majority else "false"
    yield Problem(
        lesson.quiz_path,
        _question_line(lesson.quiz_path, first.id),
        f"true/false answers lean {word}: {true} of {total} are true ({share:.0%}; keep "
        f"between {low:.0%} and {high:.0%}), so answering {word!r} to every one scores "
        f"{max(share, 1 - share):.0%}; rewrite some {word} statements, starting here",
    )


MAX_FIRST_PICKS_CREDIT = 0.5
"""The most mean credit ticking the first k authored choices of every multi question may earn."""
MIN_MULTI_FOR_POSITIONS = 5
"""Below this many multi-choice questions a course is too small to judge their positions."""


def course_multi_positions(course: Course) -> Iterator[Problem]:
    """Multi-choice keys crowded into the first authored choices let a learner pass a
    printed or exported quiz (or any client that does not shuffle) by ticking the first k
    choices of every question: for each k, that must earn at most `MAX_FIRST_PICKS_CREDIT`
    of mean credit (graded as the quiz grades, so partial credit counts)."""
    from tutor.quiz.grading import grade

    found = [
        (lesson, q)
        for lesson in course.lessons
        if lesson.quiz is not None
        for q in lesson.quiz.questions
        if isinstance(q, MultiQuestion)
    ]
    if len(found) < MIN_MULTI_FOR_POSITIONS:
        return
    widest = max(len(q.choices) for _, q in found)
    for picks in range(1, widest):
        credit = sum(grade(q, list(q.choices)[:picks]).score for _, q in found) / len(found)
        if credit > MAX_FIRST_PICKS_CREDIT:
            # Point at the question the strategy gets fully right, to move its keys first.
            lesson, worst = max(
                found, key=lambda pair: grade(pair[1], list(pair[1].choices)[:picks]).score
            )
            assert lesson.quiz_path is not None
            yield Problem(
                lesson.quiz_path,
                _question_line(lesson.quiz_path, worst.id),
                f"multi-choice answer positions are skewed: ticking the first {picks} "
                f"choices of each of {len(found)} questions earns {credit:.0%} mean credit "
                f"(at most {MAX_FIRST_PICKS_CREDIT:.0%}); move right choices of {worst.id} "
                "and others later in their lists",
            )
            return  # one report: moving keys later fixes every k together


def _question_line(path: Path, question_id: str) -> int | None:
    return _question_lines(path).get(question_id)


_ID_LINE = re.compile(r"^\s*-?\s*id:\s*['\"]?([^'\"\s]+)['\"]?\s*$")


def _question_lines(path: Path) -> dict[str, int]:
    """Question id -> its line, for every question of a quiz file, from one read.

    Looking each id up by reading the file again made lint quadratic: a quiz with 2,000
    questions took minutes. Cached by the file's size and modification time.
    """
    try:
        info = path.stat()
    except OSError:
        return {}
    return _question_lines_cached(path, info.st_mtime_ns, info.st_size)


@cache
def _question_lines_cached(path: Path, mtime_ns: int, size: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = _ID_LINE.match(line)
        if match:
            found.setdefault(match.group(1), number)
    return found


# -- manifests ----------------------------------------------------------------------------

_FENCE = re.compile(r"^```ya?ml\s*$(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


Source = tuple[str, int] | None
"""The YAML text a manifest came from and the file line that text starts on, when known."""


def _line_of(source: Source, line: int, loc: tuple[str | int, ...]) -> int:
    """The file line of the field at `loc` of the manifest whose document starts on `line`."""
    if source is None or not loc:
        return line
    text, first = source
    found = line_in_document(text, line - first + 1, loc)
    return line if found is None else first + found - 1


def _all_manifests(
    course: Course, problems: list[Problem]
) -> Iterator[tuple[Path, int, Any, Source]]:
    """Every Kubernetes object in lesson code blocks, quiz solutions and lab folders."""
    for lesson in course.lessons:
        text = lesson.path.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            first = text.count("\n", 0, match.start(1)) + 1
            yield from _documents(lesson.path, match.group(1), first, problems)
        if lesson.quiz is not None and lesson.quiz_path is not None:
            for question in lesson.quiz.questions:
                if isinstance(question, YamlQuestion):
                    line = _question_line(lesson.quiz_path, question.id) or 1
                    for doc in _docs_quietly(question.solution):
                        yield lesson.quiz_path, line, doc, None
    for lab in course.labs:
        yield from _lab_manifests(lab, problems)


def _lab_manifests(lab: Lab, problems: list[Problem]) -> Iterator[tuple[Path, int, Any, Source]]:
    for folder in (lab.start_dir, lab.solution_dir, *_wrong_fix_folders(lab)):
        for path in sorted(folder.glob("*.y*ml")):
            if path.name == "wrong.yaml":
                continue  # the wrong fix's description, not a manifest
            text = _read_lab_file(lab, path, problems)
            if text is not None:
                yield from _documents(path, text, 1, problems)


def _wrong_fix_folders(lab: Lab) -> list[Path]:
    """The folders of a lab's wrong fixes, whose manifests are validated like start/."""
    root = lab.folder / "wrong"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _documents(
    path: Path, text: str, first_line: int, problems: list[Problem]
) -> Iterator[tuple[Path, int, Any, Source]]:
    try:
        documents = parse_yaml_documents(text)
    except YamlSyntaxError as exc:
        line = first_line + exc.line - 1 if exc.line else first_line
        problems.append(Problem(path, line, exc.message))
        return
    for doc, line in documents:
        if isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc:
            yield path, first_line + line - 1, doc, (text, first_line)


def _docs_quietly(text: str) -> list[Any]:
    try:
        return [doc for doc, _ in parse_yaml_documents(text) if isinstance(doc, dict)]
    except YamlSyntaxError:
        return []


class ManifestValidator:
    """Validates Kubernetes objects against the schema of the pinned version."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        try:
            import kubernetes_validate  # noqa: F401
        except ImportError:
            self._core = False
            self.notes.append(
                "Kubernetes schema validation skipped: install the `kubernetes-validate` "
                "package (pip install -e '.[test]')."
            )
        else:
            self._core = True
        self._gateway_dir = gateway_schema_dir()
        if self._gateway_dir is None:
            self.notes.append(
                f"Gateway API schema validation skipped: set {GATEWAY_SCHEMAS_ENV} to the "
                "folder with the Gateway API CRDs."
            )

    def validate(self, doc: dict[str, Any]) -> list[str]:
        """Messages for everything wrong with one object; empty when it is valid."""
        return [message for _, message in self.errors(doc)]

    def errors(self, doc: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
        """(where in the object, message) for everything wrong with one object.

        The location is a path of keys and indexes; for an unexpected field it ends with
        that field's name, so the reported line is the misspelled key's own line.
        """
        api_version = str(doc.get("apiVersion", ""))
        kind = str(doc.get("kind", ""))
        group = api_version.split("/")[0] if "/" in api_version else ""
        if group in _SKIP_GROUPS:
            return []
        if group == GATEWAY_GROUP:
            return self._gateway(doc, kind, api_version)
        if not self._core:
            return []
        name = f"{kind} {doc.get('metadata', {}).get('name', '?')}"
        validator = core_validator(kind, api_version)
        if validator is None:
            message = (
                f"unknown kind {kind!r} in {api_version!r} for Kubernetes {KUBERNETES_VERSION}"
            )
            return [(("kind",), f"{name}: {message}")]
        return [_located(name, error) for error in validator.iter_errors(doc)]

    def _gateway(
        self, doc: dict[str, Any], kind: str, api_version: str
    ) -> list[tuple[tuple[str | int, ...], str]]:
        if self._gateway_dir is None:
            return []
        schema = gateway_schema(self._gateway_dir, kind, api_version.split("/")[-1])
        name = f"{kind} {doc.get('metadata', {}).get('name', '?')}"
        if schema is None:
            return [(("apiVersion",), f"{name}: no Gateway API schema for {kind} {api_version}")]
        import jsonschema

        return [
            _located(name, error) for error in jsonschema.Draft7Validator(schema).iter_errors(doc)
        ]


def _located(name: str, error: Any) -> tuple[tuple[str | int, ...], str]:
    """A jsonschema error as (location, `Kind name: path: message`)."""
    loc: tuple[str | int, ...] = tuple(error.absolute_path)
    where = ".".join(str(p) for p in loc)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        unexpected = [key for key in error.instance if key not in known]
        loc += tuple(unexpected[:1])
    return loc, f"{name}: {where + ': ' if where else ''}{error.message}"


@cache
def core_validator(kind: str, api_version: str) -> Any | None:
    """A JSON Schema validator for one core kind (strict: unknown fields are errors), from
    the schemas bundled in `kubernetes-validate`; None when the kind is unknown.

    Same schemas and rules as `kubernetes_validate.validate(..., strict=True)`, which reads
    and parses its schema files again on every call (about 10 ms each); a course has
    hundreds of manifests of a dozen kinds, so each validator is built once. It also yields
    every error of an object, not only the first.
    """
    import jsonschema
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    wanted = utils.major_minor(KUBERNETES_VERSION)
    version = [v for v in utils.all_versions() if utils.major_minor(v) <= wanted][-1]
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    # `rbac.authorization.k8s.io/v1` -> `rbac-v1`, as kubernetes-validate names its files
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", wanted)
    except FileNotFoundError:
        return None
    definitions = _core_definitions(folder)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


@cache
def _core_definitions(folder: str) -> Any:
    from kubernetes_validate import utils

    return utils.schema_contents(f"{folder}/_definitions.json", KUBERNETES_VERSION)


GATEWAY_SCHEMAS_SUBDIR = Path("shared") / "schemas" / "gateway-api-v1.6.1"
"""Where the CRDs sit beside a checkout: `../shared/schemas/gateway-api-v1.6.1`."""


def gateway_schema_candidates() -> list[Path]:
    """Where the Gateway API CRDs are looked for, in order: `$KUBE_TUTOR_GATEWAY_SCHEMAS`,
    `../shared/schemas/...` beside this checkout, and beside the main checkout when this is a
    git worktree (its `.git` file names the main repository's git directory)."""
    configured = os.environ.get(GATEWAY_SCHEMAS_ENV)
    candidates = [Path(configured)] if configured else []
    checkout = Path(__file__).resolve().parents[2]
    candidates.append(checkout.parent / GATEWAY_SCHEMAS_SUBDIR)
    dot_git = checkout / ".git"
    if dot_git.is_file():  # `gitdir: /repo/.git/worktrees/NAME`
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            gitdir = Path(text.split(":", 1)[1].strip())
            if gitdir.parent.name == "worktrees":
                candidates.append(gitdir.parents[2].parent / GATEWAY_SCHEMAS_SUBDIR)
    return candidates


def gateway_schema_dir() -> Path | None:
    """The folder of Gateway API CRDs (see `gateway_schema_candidates`), or None when absent."""
    found = (c for c in gateway_schema_candidates() if (c / "crd_gateways.yaml").is_file())
    return next(found, None)


def gateway_schemas_missing() -> str:
    """Why tests that need the Gateway API CRDs skip: where they were looked for."""
    places = ", ".join(str(c) for c in gateway_schema_candidates())
    return (
        f"Gateway API v1.6.1 CRDs not found (looked in {places}); "
        f"set {GATEWAY_SCHEMAS_ENV} to their folder"
    )


@cache
def gateway_schema(folder: Path, kind: str, version: str) -> dict[str, Any] | None:
    """The openAPIV3Schema of a Gateway API kind and version, from its CRD file."""
    import yaml

    for path in folder.glob("crd_*.yaml"):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        if crd.get("spec", {}).get("names", {}).get("kind") != kind:
            continue
        for served in crd["spec"]["versions"]:
            if served["name"] == version:
                schema: dict[str, Any] = served["schema"]["openAPIV3Schema"]
                return schema
    return None


# -- input safety: links out of the pack, special files, bad patterns, lab namespaces ------

_RESERVED_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def _read_lab_file(lab: Lab, path: Path, problems: list[Problem]) -> str | None:
    """A manifest of a lab's start/ or solution/, or None with the problem recorded (a link
    out of the pack, a FIFO, a file too big, bytes that are not UTF-8)."""
    from tutor.content.loader import read_pack_file
    from tutor.content.yamlsrc import SourceError

    try:
        return read_pack_file(path, lab.folder.parents[1])
    except SourceError as exc:
        problems.append(Problem(path, exc.line, exc.message))
        return None


def _bad_expect_patterns(question: YamlQuestion) -> list[tuple[int, str]]:
    """(expectation index, message) for every `matches` that is not a valid regex."""
    found = []
    for index, expectation in enumerate(question.expect):
        if expectation.matches is not None:
            try:
                re.compile(expectation.matches)
            except re.error as exc:
                found.append((index, f"{expectation.matches!r} is not a valid regex: {exc}"))
    return found


def _pattern_params(
    value: Any, loc: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Regex-valued parameters (`matches`, `body_matches`) anywhere in check parameters."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("matches", "body_matches") and isinstance(item, str):
                yield (*loc, key), item
            else:
                yield from _pattern_params(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _pattern_params(item, (*loc, index))


def _line_in_file(path: Path, loc: tuple[str | int, ...]) -> int | None:
    from tutor.content.yamlsrc import YamlSyntaxError, parse_yaml

    try:
        return parse_yaml(path.read_text(encoding="utf-8")).line_of(loc)
    except (OSError, UnicodeDecodeError, YamlSyntaxError):
        return None


def input_safety(course: Course) -> Iterator[Problem]:
    """Problems that would crash or mislead later steps: invalid regexes in quiz and check
    content, lab namespaces that are not DNS labels or are the cluster's own, and objects in
    start/ or solution/ that the workspace reader would refuse (cluster-scoped, foreign
    namespace, wrong types)."""
    for lesson in course.lessons:
        if lesson.quiz is None or lesson.quiz_path is None:
            continue
        for q_index, question in enumerate(lesson.quiz.questions):
            if isinstance(question, YamlQuestion):
                for e_index, message in _bad_expect_patterns(question):
                    loc = ("questions", q_index, "expect", e_index, "matches")
                    line = _line_in_file(lesson.quiz_path, loc)
                    yield Problem(lesson.quiz_path, line, f"{question.id}: {message}")
    for lab in course.labs:
        yield from _lab_input_safety(lab)


def _lab_input_safety(lab: Lab) -> Iterator[Problem]:
    for c_index, check in enumerate(lab.spec.checks):
        for loc, pattern in _pattern_params(check.params, ("checks", c_index)):
            try:
                re.compile(pattern)
            except re.error as exc:
                line = _line_in_file(lab.path, loc)
                yield Problem(
                    lab.path, line, f"check {check.id}: {pattern!r} is not a valid regex: {exc}"
                )
    bad_namespace = False
    for n_index, namespace in enumerate(lab.spec.namespaces):
        reason = None
        if not _DNS_LABEL.fullmatch(namespace) or len(namespace) > 63:
            reason = "is not a namespace name (lower-case letters, digits and -, up to 63)"
        elif namespace in _RESERVED_NAMESPACES or namespace.startswith("kube-"):
            reason = "belongs to the cluster itself; a lab must use namespaces of its own"
        if reason is not None:
            bad_namespace = True
            line = _line_in_file(lab.path, ("namespaces", n_index))
            yield Problem(lab.path, line, f"lab namespace {namespace!r} {reason}")
    if bad_namespace:
        return
    from tutor.labs.session import lab_namespaces
    from tutor.labs.workspace import read_manifests

    main, mapping = lab_namespaces(lab)
    allowed = {main, *mapping}
    for folder in (lab.start_dir, lab.solution_dir):
        if folder.is_dir():
            for problem in read_manifests(folder, allowed).problems:
                if "no manifests to apply" not in problem.message:
                    yield problem
