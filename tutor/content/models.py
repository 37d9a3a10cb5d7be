"""Typed models of the course files: lessons, quizzes and labs.

Every model forbids unknown keys so that a typo in a content file is reported, not ignored.
The field docstrings become the descriptions of the exported JSON Schemas that authors'
editors use for completion.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

ID_PATTERN = r"^[0-9]{2}-[a-z0-9]+(-[a-z0-9]+)*$"
"""Lesson and lab ids are their folder names: two digits, a dash, a kebab-case slug."""

SLUG_PATTERN = r"^[a-z0-9]+([-_][a-z0-9]+)*$"
"""Question, check and choice ids: lower-case words joined by dashes or underscores."""


class Strict(BaseModel):
    """Base for content models: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(Strict):
    """A link to upstream documentation that backs what the lesson says."""

    title: str = Field(min_length=3)
    """What the reader will find there, e.g. 'Service (kubernetes.io)'."""
    url: str = Field(pattern=r"^https://[^\s/$.?#].[^\s]*$")
    """An https URL."""


class LessonMeta(Strict):
    """The YAML front matter of `lessons/NN-slug/lesson.md`."""

    id: str = Field(pattern=ID_PATTERN)
    """Same as the folder name, e.g. `01-services`."""
    title: str = Field(min_length=3)
    """Shown in the course map and as the heading of the reader."""
    summary: str = Field(min_length=10)
    """One or two sentences shown under the title in the course map."""
    objectives: list[str] = Field(min_length=1)
    """What the learner can do after the lesson, one line each."""
    minutes: int = Field(ge=1, le=60)
    """Estimated reading time in minutes."""
    labs: list[str] = Field(default_factory=list)
    """Ids of the labs that practise this lesson."""
    kubernetes: str = Field(pattern=r"^1\.\d+(\s*-\s*1\.\d+)?$")
    """The Kubernetes minor (or range such as `1.35 - 1.37`) that the lesson speaks of."""
    references: list[Reference] = Field(default_factory=list)
    """Upstream documents that back the lesson."""
    tags: list[str] = Field(default_factory=list)
    """Topics, used for search and review."""


Difficulty = Literal["easy", "medium", "hard"]


class QuestionBase(Strict):
    """Fields every question type shares."""

    id: str = Field(pattern=SLUG_PATTERN)
    """Unique within its quiz."""
    prompt: str = Field(min_length=5)
    """The question, in Markdown."""
    explanation: str = Field(min_length=10)
    """Why the answer is right; shown after every attempt, right or wrong."""
    tags: list[str] = Field(default_factory=list)
    """Topics the question exercises."""
    difficulty: Difficulty = "medium"
    """How hard the question is."""


class ChoiceQuestionBase(QuestionBase):
    """Questions that offer labelled choices."""

    choices: dict[str, str] = Field(min_length=2)
    """Choice key (`a`, `b`, ...) to the text shown; order is kept."""
    why: dict[str, str] = Field(default_factory=dict)
    """Optional per-choice feedback, keyed like `choices`, shown when that choice is picked."""

    @field_validator("choices")
    @classmethod
    def _choice_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not re.fullmatch(SLUG_PATTERN, key):
                raise ValueError(f"choice key {key!r} must be a short lower-case word")
        return value

    @field_validator("why")
    @classmethod
    def _why_keys(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        # A field validator (not a model validator) so the error points at the `why` line.
        unknown = sorted(set(value) - set(info.data.get("choices", value)))
        if unknown:
            raise ValueError(f"`why` names choices that do not exist: {', '.join(unknown)}")
        return value


class SingleQuestion(ChoiceQuestionBase):
    """Pick exactly one choice."""

    type: Literal["single"]
    answer: str
    """The key of the one right choice."""

    @field_validator("answer")
    @classmethod
    def _answer_is_a_choice(cls, value: str, info: ValidationInfo) -> str:
        choices = info.data.get("choices")
        if choices is not None and value not in choices:
            raise ValueError(f"answer {value!r} is not one of the choices")
        return value


class MultiQuestion(ChoiceQuestionBase):
    """Pick every right choice (and none of the wrong ones)."""

    type: Literal["multi"]
    answer: list[str] = Field(min_length=1)
    """The keys of all right choices."""

    @field_validator("answer")
    @classmethod
    def _answers_are_choices(cls, value: list[str], info: ValidationInfo) -> list[str]:
        choices = info.data.get("choices")
        unknown = [key for key in value if choices is not None and key not in choices]
        if unknown:
            raise ValueError(f"answer names choices that do not exist: {', '.join(unknown)}")
        if len(set(value)) != len(value):
            raise ValueError("answer lists a choice twice")
        return value


class TrueFalseQuestion(QuestionBase):
    """A statement that is true or false."""

    type: Literal["truefalse"]
    answer: bool
    """Whether the statement in the prompt is true."""


class TextQuestion(QuestionBase):
    """A short free-text answer, compared ignoring whitespace runs (and case, unless told)."""

    type: Literal["text"]
    case_sensitive: bool = False
    """True where Kubernetes itself is case-sensitive (env var names, field names, label keys):
    `accept` and `patterns` are then compared with case kept."""
    accept: list[str] = Field(default_factory=list)
    """Answers accepted verbatim (after normalising case and whitespace)."""
    patterns: list[str] = Field(default_factory=list)
    """Regular expressions; an answer matching any of them in full is accepted."""

    @model_validator(mode="after")
    def _has_answers(self) -> TextQuestion:
        if not self.accept and not self.patterns:
            raise ValueError("a text question needs `accept` or `patterns`")
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regex: {exc}") from exc
        return self


class OrderQuestion(QuestionBase):
    """Put items in the right order."""

    type: Literal["order"]
    items: list[str] = Field(min_length=2)
    """The items in the right order; they are shown shuffled."""

    @field_validator("items")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("items must be distinct")
        return value


class FieldExpectation(Strict):
    """One expectation on a field of a YAML answer, addressed by a typed path."""

    path: str = Field(min_length=1)
    """Typed path such as `spec.ports[0].targetPort` or `spec.ports[name=http].port`."""
    equals: Any = None
    """The field must equal this value (compared after YAML parsing)."""
    one_of: list[Any] | None = None
    """The field must equal one of these values."""
    exists: bool | None = None
    """True: the field must be present; false: it must be absent."""
    matches: str | None = None
    """A regular expression the field's string form must match in full."""
    message: str = ""
    """What to tell the learner when this expectation fails."""

    @model_validator(mode="after")
    def _one_condition(self) -> FieldExpectation:
        given = [
            name
            for name in ("equals", "one_of", "exists", "matches")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, one_of, exists, matches")
        return self


class YamlQuestion(QuestionBase):
    """Fix or complete a manifest; the learner's YAML is parsed and its fields checked."""

    type: Literal["yaml"]
    given: str = ""
    """The starting manifest shown to the learner (may be empty)."""
    expect: list[FieldExpectation] = Field(min_length=1)
    """Field expectations on the learner's (first) document."""
    solution: str
    """A manifest that meets every expectation; shown after the attempt and linted."""


class PredictQuestion(QuestionBase):
    """Predict a fact about live lab state; graded against the cluster during that lab."""

    type: Literal["predict"]
    lab: str = Field(pattern=ID_PATTERN)
    """The lab whose cluster state answers the question."""
    query: dict[str, Any]
    """A state query in the check-spec format (for example `type: field`, `path: ...`)."""
    accept: list[str] = Field(default_factory=list)
    """Accepted answers when the query cannot be compared directly."""


Question = Annotated[
    SingleQuestion
    | MultiQuestion
    | TrueFalseQuestion
    | TextQuestion
    | OrderQuestion
    | YamlQuestion
    | PredictQuestion,
    Field(discriminator="type"),
]
QUESTION_TYPES = ("single", "multi", "truefalse", "text", "order", "yaml", "predict")


class Quiz(Strict):
    """`lessons/NN-slug/quiz.yaml`: the questions of one lesson."""

    title: str = ""
    """Optional heading; defaults to the lesson title."""
    pass_mark: float = Field(default=0.7, ge=0, le=1)
    """The quiz score needed to pass: the mean credit over all questions (a question answered
    fully right counts 1, a partly right multi or order answer its fraction, a skipped one 0).
    The app, the CLI and the progress export all use this one measure (`tutor.quiz.scoring`)."""
    questions: list[Question] = Field(min_length=1)
    """The questions, in the order they are asked."""

    @model_validator(mode="after")
    def _unique_ids(self) -> Quiz:
        seen: set[str] = set()
        for question in self.questions:
            if question.id in seen:
                raise ValueError(f"question id {question.id!r} is used twice")
            seen.add(question.id)
        return self


Capability = Literal["nodeport-host", "loadbalancer", "ingress", "gateway", "zones", "dns"]


class CheckSpec(BaseModel):
    """One automatic check of a lab. Parameters beyond the common ones depend on `type`
    and are validated by the check registry (`tutor.checks`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(pattern=SLUG_PATTERN)
    """Unique within the lab; hints refer to it."""
    type: str = Field(min_length=1)
    """A check type from the registry, e.g. `endpoints_ready` or `http`."""
    title: str = ""
    """What the check verifies, in words the learner sees in the check list."""
    role: Literal["fix", "guard"] = "fix"
    """`fix`: fails on start/ and passes on solution/ (what the learner must repair or build);
    `guard`: passes on both (what the learner must not break, e.g. "the Deployment is
    unchanged"). `lint --prove` enforces both; the app shows guards as "still true"."""
    diagnose: list[str] = Field(default_factory=list)
    """Diagnosers to run when the check fails, e.g. `selector-mismatch`."""
    timeout: float = Field(default=30.0, gt=0, le=600)
    """Seconds a pending check may wait for the cluster to converge; after that it fails
    with the diagnosis of what is missing (on the simulator, which converges at once, a
    pending check fails at once)."""

    @property
    def params(self) -> dict[str, Any]:
        """The type-specific parameters (everything that is not a common field)."""
        return dict(self.model_extra or {})


class HintSet(Strict):
    """Hints for one check, from a gentle nudge to the fix."""

    check: str = Field(pattern=SLUG_PATTERN)
    """The id of the check these hints help with."""
    tiers: list[str] = Field(min_length=1, max_length=5)
    """Escalating hints: nudge, where to look, the fix."""


KUBECTL_EDIT = (
    r"^label [A-Za-z]+ (-l [^ ]+|[a-z0-9][a-z0-9.-]*)( [^ =]+=[^ =]*| [^ =]+-)+( --overwrite)?$"
)
"""The one kubectl-like edit a wrong fix may script: `label KIND (NAME | -l SELECTOR)
key=value... [--overwrite]` (`key-` removes a label), applied to live objects."""


class WrongFix(Strict):
    """`labs/NN-slug/wrong/<name>/wrong.yaml`: a plausible wrong fix and what it must trip.

    The other files in that folder are manifests that replace the start/ files of the same
    name, or are added to them; `lint --prove` applies the result to a fresh lab and
    fails unless exactly the `trips` checks fail."""

    description: str = Field(min_length=10)
    """One line: the wrong fix a learner might try, e.g. "relabel the Pods by hand"."""
    trips: list[str] = Field(min_length=1)
    """Ids of the checks that must fail (every other check must pass)."""
    diagnoses: list[str] = Field(default_factory=list)
    """Diagnosers that must explain it: exactly these fire on the failing checks."""
    remove: list[str] = Field(default_factory=list)
    """start/ files to drop (e.g. the learner deleted the feature instead of configuring it)."""
    kubectl: list[Annotated[str, Field(pattern=KUBECTL_EDIT)]] = Field(default_factory=list)
    """Edits of live objects after the files are applied, e.g.
    `label pod -l app=web app=frontend --overwrite` (patching Pods instead of their owner)."""


class DrillFact(Strict):
    """One key fact a written root cause must mention (break-fix drills, `tutor.modes.drill`)."""

    fact: str = Field(min_length=3)
    """What the cause must say, without saying it ("which field"): the feedback names it
    when the cause leaves it out, while the learner still has the fix to do."""
    detail: str = Field(min_length=3)
    """The fact itself ("`targetPort: http-web` names no container port"), shown at the end."""
    terms: list[str] = Field(min_length=1)
    """Ways of saying it; the cause mentions the fact when it contains any of them (case,
    quotes and spacing ignored, whole words)."""


class DrillSpec(Strict):
    """How a fix lab is posed as an interview-style break-fix drill."""

    symptom: str = Field(min_length=10)
    """What a user would report, with no hint of the cause."""
    cause: list[DrillFact] = Field(min_length=1)
    """The root cause as key facts: the object, the field, the mismatch."""


class LabSpec(Strict):
    """`labs/NN-slug/lab.yaml`: a hands-on lab."""

    id: str = Field(pattern=ID_PATTERN)
    """Same as the folder name."""
    title: str = Field(min_length=3)
    """Shown in the course map and the lab screen."""
    lesson: str = Field(pattern=ID_PATTERN)
    """The lesson this lab practises."""
    kind: Literal["build", "fix", "explore"]
    """build: make something new; fix: troubleshoot a broken setup; explore: observe."""
    requires: list[Capability] = Field(default_factory=list)
    """Cluster capabilities the lab needs."""
    minutes: int = Field(default=10, ge=1, le=120)
    """Estimated time."""
    task: str = Field(min_length=10)
    """What the learner must do, in Markdown."""
    namespaces: list[str] = Field(default_factory=list)
    """Extra namespace suffixes for labs that span namespaces (the main one is implicit)."""
    checks: list[CheckSpec] = Field(min_length=1)
    """The checks that decide whether the lab is done."""
    hints: list[HintSet] = Field(default_factory=list)
    """Tiered hints keyed to check ids."""
    drill: DrillSpec | None = None
    """Fix labs: the symptom and root cause used by break-fix drills."""

    @model_validator(mode="after")
    def _ids_line_up(self) -> LabSpec:
        ids = [check.id for check in self.checks]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"check ids used twice: {', '.join(duplicates)}")
        unknown = [hint.check for hint in self.hints if hint.check not in ids]
        if unknown:
            raise ValueError(f"hints name checks that do not exist: {', '.join(unknown)}")
        return self
