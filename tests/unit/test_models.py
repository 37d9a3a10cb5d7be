"""The content models accept valid files and refuse each kind of mistake with a clear message."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from tutor.content.models import (
    QUESTION_TYPES,
    FieldExpectation,
    LabSpec,
    LessonMeta,
    MultiQuestion,
    OrderQuestion,
    Question,
    Quiz,
    SingleQuestion,
    TextQuestion,
    TrueFalseQuestion,
    YamlQuestion,
)

QUESTION = TypeAdapter(Question)

BASE = {"prompt": "What does this do?", "explanation": "Because the docs say so."}


def question(**fields: Any) -> dict[str, Any]:
    """A question dict with the common fields filled in."""
    return {"id": "q1", **BASE, **fields}


VALID: dict[str, dict[str, Any]] = {
    "single": question(type="single", choices={"a": "yes", "b": "no"}, answer="a"),
    "multi": question(type="multi", choices={"a": "1", "b": "2", "c": "3"}, answer=["a", "c"]),
    "truefalse": question(type="truefalse", answer=False),
    "text": question(type="text", accept=["ClusterIP"]),
    "order": question(type="order", items=["first", "second", "third"]),
    "yaml": question(
        type="yaml",
        given="kind: Service\n",
        expect=[{"path": "spec.type", "equals": "NodePort"}],
        solution="kind: Service\nspec: {type: NodePort}\n",
    ),
    "predict": question(
        type="predict", lab="01-some-lab", query={"type": "field", "path": "spec.clusterIP"}
    ),
}


def errors(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    """Every error message of a validation failure, joined."""
    return " | ".join(f"{e['loc']}: {e['msg']}" for e in exc.value.errors())


@pytest.mark.parametrize("kind", QUESTION_TYPES)
def test_every_question_type_has_a_valid_example(kind: str) -> None:
    parsed = QUESTION.validate_python(VALID[kind])
    assert parsed.type == kind
    assert parsed.difficulty == "medium"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            question(type="single", choices={"a": "yes", "b": "no"}, answer="c"),
            "not one of the choices",
        ),
        (question(type="single", choices={"a": "only"}, answer="a"), "at least 2 items"),
        (
            question(type="single", choices={"A b": "x", "b": "y"}, answer="b"),
            "short lower-case word",
        ),
        (
            question(type="single", choices={"a": "x", "b": "y"}, answer="a", why={"z": "?"}),
            "`why` names choices that do not exist: z",
        ),
        (question(type="multi", choices={"a": "1", "b": "2"}, answer=["a", "a"]), "twice"),
        (
            question(type="multi", choices={"a": "1", "b": "2"}, answer=["a", "x"]),
            "do not exist: x",
        ),
        (question(type="multi", choices={"a": "1", "b": "2"}, answer=[]), "at least 1 item"),
        (question(type="truefalse", answer="maybe"), "valid boolean"),
        (question(type="text"), "needs `accept` or `patterns`"),
        (question(type="text", patterns=["cluster(ip"]), "not a valid regex"),
        (question(type="order", items=["a", "b", "a"]), "items must be distinct"),
        (question(type="order", items=["alone"]), "at least 2 items"),
        (question(type="essay", accept=["x"]), "does not match any of the expected tags"),
        (question(type="truefalse", answer=True, hint="unknown key"), "Extra inputs"),
        (
            question(type="truefalse", answer=True, difficulty="brutal"),
            "'easy', 'medium' or 'hard'",
        ),
        ({**question(type="truefalse", answer=True), "id": "Q 1"}, "should match pattern"),
        ({**question(type="truefalse", answer=True), "explanation": "short"}, "at least 10"),
        (question(type="predict", lab="lab", query={}), "should match pattern"),
    ],
)
def test_invalid_questions_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        QUESTION.validate_python(data)
    assert message in errors(exc)


def test_answer_error_is_located_at_the_answer_field() -> None:
    """The loader turns the location into a line: it must name `answer`, not the question."""
    data = question(type="single", choices={"a": "yes", "b": "no"}, answer="c")
    with pytest.raises(ValidationError) as exc:
        QUESTION.validate_python(data)
    assert exc.value.errors()[0]["loc"][-1] == "answer"


@pytest.mark.parametrize(
    "conditions",
    [
        {},
        {"equals": 1, "exists": True},
        {"one_of": [1], "matches": "x"},
    ],
)
def test_yaml_expectation_needs_exactly_one_condition(conditions: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="exactly one of equals, one_of, exists, matches"):
        FieldExpectation.model_validate({"path": "spec.type", **conditions})


@pytest.mark.parametrize(
    "condition",
    [{"equals": 0}, {"equals": False}, {"one_of": ["a"]}, {"exists": False}, {"matches": ".*"}],
)
def test_yaml_expectation_with_one_falsy_condition_is_valid(condition: dict[str, Any]) -> None:
    expectation = FieldExpectation.model_validate({"path": "spec.type", **condition})
    assert expectation.path == "spec.type"


def test_yaml_question_needs_an_expectation_and_a_solution() -> None:
    with pytest.raises(ValidationError) as exc:
        YamlQuestion.model_validate(question(type="yaml", expect=[]))
    text = errors(exc)
    assert "expect" in text and "solution" in text


def test_models_are_frozen_and_typed() -> None:
    parsed = QUESTION.validate_python(VALID["single"])
    assert isinstance(parsed, SingleQuestion)
    with pytest.raises(ValidationError):
        parsed.answer = "b"  # type: ignore[misc]
    assert isinstance(QUESTION.validate_python(VALID["multi"]), MultiQuestion)
    assert isinstance(QUESTION.validate_python(VALID["truefalse"]), TrueFalseQuestion)
    assert isinstance(QUESTION.validate_python(VALID["text"]), TextQuestion)
    assert isinstance(QUESTION.validate_python(VALID["order"]), OrderQuestion)


def test_quiz_refuses_duplicate_question_ids_and_unknown_keys() -> None:
    one = VALID["truefalse"]
    with pytest.raises(ValidationError, match="question id 'q1' is used twice"):
        Quiz.model_validate({"questions": [one, one]})
    with pytest.raises(ValidationError, match="Extra inputs"):
        Quiz.model_validate({"questions": [one], "passmark": 0.5})
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        Quiz.model_validate({"questions": [one], "pass_mark": 70})
    assert Quiz.model_validate({"questions": [one]}).pass_mark == 0.7


# -- labs ---------------------------------------------------------------------------------

LAB: dict[str, Any] = {
    "id": "01-first-lab",
    "title": "First lab",
    "lesson": "01-services",
    "kind": "fix",
    "task": "Make the Service reach its Pods.",
    "checks": [
        {"id": "endpoints", "type": "endpoints_ready", "service": "web", "expect": {"ready": 3}},
        {"id": "reach", "type": "http", "url": "http://web/"},
    ],
    "hints": [{"check": "endpoints", "tiers": ["Look at the selector.", "Compare labels."]}],
}


def test_lab_spec_valid_keeps_check_parameters() -> None:
    lab = LabSpec.model_validate(LAB)
    assert [check.id for check in lab.checks] == ["endpoints", "reach"]
    assert lab.checks[0].params == {"service": "web", "expect": {"ready": 3}}
    assert lab.checks[0].timeout == 30.0
    assert lab.requires == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"hints": [{"check": "nope", "tiers": ["x"]}]},
            "hints name checks that do not exist: nope",
        ),
        (
            {"checks": [{"id": "a", "type": "http"}, {"id": "a", "type": "dns"}]},
            "check ids used twice: a",
        ),
        ({"kind": "repair"}, "'build', 'fix' or 'explore'"),
        ({"requires": ["teleport"]}, "Input should be"),
        ({"checks": []}, "at least 1 item"),
        ({"hints": [{"check": "endpoints", "tiers": []}]}, "at least 1 item"),
        ({"id": "first-lab"}, "should match pattern"),
        ({"lesson": "1-services"}, "should match pattern"),
        ({"task": "Do it."}, "at least 10"),
        ({"estimate": 5}, "Extra inputs"),
        ({"checks": [{"id": "a", "type": "http", "timeout": 0}]}, "greater than 0"),
    ],
)
def test_invalid_lab_specs_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        LabSpec.model_validate({**LAB, **change})
    assert message in errors(exc)


# -- lessons ------------------------------------------------------------------------------

LESSON: dict[str, Any] = {
    "id": "01-services",
    "title": "Services",
    "summary": "What a Service is and why it exists.",
    "objectives": ["Explain a ClusterIP"],
    "minutes": 10,
    "kubernetes": "1.35 - 1.37",
    "references": [{"title": "Service docs", "url": "https://kubernetes.io/docs/"}],
}


def test_lesson_meta_valid() -> None:
    meta = LessonMeta.model_validate(LESSON)
    assert meta.labs == [] and meta.tags == []
    assert meta.references[0].url.startswith("https://")
    assert LessonMeta.model_validate({**LESSON, "kubernetes": "1.37"}).kubernetes == "1.37"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "services"}, "should match pattern"),
        ({"id": "1-services"}, "should match pattern"),
        ({"id": "01-Services"}, "should match pattern"),
        ({"id": "01-services-"}, "should match pattern"),
        (
            {"references": [{"title": "Docs", "url": "http://kubernetes.io/"}]},
            "should match pattern",
        ),
        ({"references": [{"title": "Docs", "url": "kubernetes.io/docs"}]}, "should match pattern"),
        ({"references": [{"title": "Docs", "url": "https://bad host/"}]}, "should match pattern"),
        ({"references": [{"title": "Docs", "link": "https://x.io/"}]}, "Extra inputs"),
        ({"kubernetes": "v1.37"}, "should match pattern"),
        ({"minutes": 0}, "greater than or equal to 1"),
        ({"objectives": []}, "at least 1 item"),
        ({"summary": "Short"}, "at least 10"),
        ({"titel": "Services"}, "Extra inputs"),
    ],
)
def test_invalid_lesson_meta_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        LessonMeta.model_validate({**LESSON, **change})
    assert message in errors(exc)


def test_missing_required_lesson_keys_are_all_reported() -> None:
    with pytest.raises(ValidationError) as exc:
        LessonMeta.model_validate({"id": "01-services"})
    missing = {e["loc"][0] for e in exc.value.errors() if e["type"] == "missing"}
    assert missing == {"title", "summary", "objectives", "minutes", "kubernetes"}
