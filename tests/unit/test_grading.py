"""Grading every question type: right, wrong, partial credit, tolerant text, YAML fields."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from tutor.content.models import OrderQuestion, Question
from tutor.quiz.grading import Grade, display_order, grade, normalise, same

EXPLAIN = "This explanation is always shown."


def make(**fields: Any) -> Question:
    """A validated question with the common fields filled in."""
    data = {"id": "q", "prompt": "A question?", "explanation": EXPLAIN, **fields}
    return TypeAdapter(Question).validate_python(data)


SINGLE = make(
    type="single",
    choices={"a": "NodePort", "b": "ClusterIP", "c": "LoadBalancer"},
    answer="b",
    why={"a": "NodePort must be asked for."},
)
MULTI = make(type="multi", choices={"a": "1", "b": "2", "c": "3", "d": "4"}, answer=["a", "c", "d"])
TF = make(type="truefalse", answer=True)
TEXT = make(type="text", accept=["ClusterIP", "cluster ip"], patterns=[r"10\.96\.\d+\.\d+"])
ORDER = make(type="order", items=["client", "virtual IP", "kube-proxy rule", "Pod"])
YAML = make(
    type="yaml",
    expect=[
        {"path": "kind", "equals": "Service"},
        {"path": "spec.ports[name=http].targetPort", "equals": 8080, "message": "Send to 8080."},
        {"path": "spec.type", "one_of": ["ClusterIP", "NodePort"]},
        {"path": "spec.clusterIP", "exists": False},
        {"path": "metadata.name", "matches": "web-[a-z]+"},
    ],
    solution="x: 1\n",
)
RIGHT_YAML = """\
kind: Service
metadata:
  name: web-front
spec:
  type: NodePort
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""


def check(result: Grade, correct: bool, score: float) -> None:
    """Common assertions: verdict, score, and the explanation is always there."""
    assert result.correct is correct
    assert result.score == pytest.approx(score)
    assert result.explanation == EXPLAIN


def test_single() -> None:
    check(grade(SINGLE, "b"), True, 1.0)
    wrong = grade(SINGLE, "a")
    check(wrong, False, 0.0)
    assert wrong.feedback == ["NodePort must be asked for."]
    assert grade(SINGLE, "c").feedback == []
    with pytest.raises(ValueError, match="pick one of: a, b, c"):
        grade(SINGLE, "z")


@pytest.mark.parametrize(
    ("answer", "correct", "score"),
    [
        (["a", "c", "d"], True, 1.0),
        (["d", "c", "a"], True, 1.0),
        ("a c d", True, 1.0),
        ("a, c,d", True, 1.0),
        (["a", "c"], False, 2 / 3),
        (["a"], False, 1 / 3),
        (["a", "c", "b"], False, 1 / 3),  # two right, one wrong
        (["a", "b", "c", "d"], False, 2 / 3),
        (["b"], False, 0.0),  # never below zero
        ([], False, 0.0),
    ],
)
def test_multi_partial_credit(answer: Any, correct: bool, score: float) -> None:
    check(grade(MULTI, answer), correct, score)


def test_multi_feedback_names_what_was_missed() -> None:
    # by their text, not their keys: the letters on screen follow the shuffled order
    assert grade(MULTI, ["a"]).feedback == ["Also right: 3; 4."]
    with pytest.raises(ValueError, match="not a choice: x"):
        grade(MULTI, ["a", "x"])


@pytest.mark.parametrize(
    ("answer", "correct"),
    [
        (True, True),
        (False, False),
        ("true", True),
        (" TRUE ", True),
        ("t", True),
        ("yes", True),
        ("Y", True),
        ("false", False),
        ("No", False),
        ("f", False),
    ],
)
def test_truefalse_words(answer: Any, correct: bool) -> None:
    check(grade(TF, answer), correct, 1.0 if correct else 0.0)


def test_truefalse_refuses_other_words() -> None:
    with pytest.raises(ValueError, match="true or false"):
        grade(TF, "maybe")


@pytest.mark.parametrize(
    ("answer", "correct"),
    [
        ("ClusterIP", True),
        ("clusterip", True),
        ("  CLUSTERIP \n", True),
        ("cluster   ip", True),
        ("Cluster\tIP", True),
        ("10.96.0.10", True),  # pattern, matched in full
        ("ip 10.96.0.10", False),  # not in full
        ("10.97.0.10", False),
        ("NodePort", False),
        ("", False),
    ],
)
def test_text_is_case_and_whitespace_tolerant(answer: str, correct: bool) -> None:
    result = grade(TEXT, answer)
    check(result, correct, 1.0 if correct else 0.0)
    assert result.feedback == ([] if correct else ["Accepted: ClusterIP"])


def test_text_patterns_only() -> None:
    question = make(type="text", patterns=["(tcp|udp|sctp)"])
    assert grade(question, "UDP").correct
    wrong = grade(question, "http")
    assert not wrong.correct and wrong.feedback == []


@pytest.mark.parametrize(
    ("answer", "correct", "score"),
    [
        ([0, 1, 2, 3], True, 1.0),
        ("0 1 2 3", True, 1.0),
        (["0", "1", "2", "3"], True, 1.0),
        ([0, 1, 3, 2], False, 0.5),
        ([1, 0, 2, 3], False, 0.5),
        ([3, 2, 1, 0], False, 0.0),
        ([1, 2, 3, 0], False, 0.0),
    ],
)
def test_order_partial_credit(answer: Any, correct: bool, score: float) -> None:
    result = grade(ORDER, answer)
    check(result, correct, score)
    if not correct:
        assert result.feedback == ["Right order: client -> virtual IP -> kube-proxy rule -> Pod"]


@pytest.mark.parametrize("answer", [[0, 1, 2], [0, 1, 2, 2], [0, 1, 2, 4], "first second"])
def test_order_refuses_incomplete_answers(answer: Any) -> None:
    with pytest.raises(ValueError):
        grade(ORDER, answer)


def test_display_order_is_shuffled_and_stable() -> None:
    assert isinstance(ORDER, OrderQuestion)
    shown = display_order(ORDER)
    assert sorted(shown) == [0, 1, 2, 3]
    assert shown != [0, 1, 2, 3]
    assert display_order(ORDER) == shown
    two = make(type="order", items=["a", "b"])
    assert isinstance(two, OrderQuestion)
    assert display_order(two) == [1, 0]


def test_yaml_right() -> None:
    result = grade(YAML, RIGHT_YAML)
    check(result, True, 1.0)
    assert result.feedback == [] and result.line is None


def test_yaml_wrong_field_gives_the_message() -> None:
    answer = RIGHT_YAML.replace("8080", "80").replace("NodePort", "ExternalName")
    result = grade(YAML, answer + "  clusterIP: None\n")
    check(result, False, 2 / 5)
    assert result.feedback == [
        "Send to 8080.",
        '`spec.type` is \'ExternalName\'; expected one of ["ClusterIP", "NodePort"]',
        "`spec.clusterIP` should not be set",
    ]


def test_yaml_missing_field_and_matches() -> None:
    answer = "kind: Service\nmetadata:\n  name: api\n"
    result = grade(YAML, answer)
    assert not result.correct
    assert "`spec.ports[name=http].targetPort` is missing" not in result.feedback  # own message
    assert "Send to 8080." in result.feedback
    assert "`spec.type` is missing" in result.feedback
    assert "`metadata.name` is 'api', which does not look right" in result.feedback


def test_yaml_syntax_error_gives_the_line() -> None:
    broken = RIGHT_YAML.replace("    - name: http", "    - name: http\n   bad: [")
    result = grade(YAML, broken)
    check(result, False, 0.0)
    assert result.line is not None and result.line >= 7
    assert result.feedback[0].startswith("YAML syntax error:")
    assert f"on line {result.line}." in result.feedback[0]


def test_yaml_tab_indentation_is_a_syntax_error_with_a_line() -> None:
    result = grade(YAML, "kind: Service\nspec:\n\ttype: NodePort\n")
    assert not result.correct and result.line == 3


@pytest.mark.parametrize("answer", ["", "# only a comment\n", "- a\n- b\n", "just text"])
def test_yaml_without_a_mapping(answer: str) -> None:
    result = grade(YAML, answer)
    check(result, False, 0.0)
    assert result.feedback == ["The answer has no YAML mapping in it."]


def test_yaml_string_and_number_compare_equal() -> None:
    quoted = RIGHT_YAML.replace("targetPort: 8080", 'targetPort: "8080"')
    assert grade(YAML, quoted).correct
    as_string = make(type="yaml", expect=[{"path": "port", "equals": "80"}], solution="port: 80")
    assert grade(as_string, "port: 80").correct
    assert grade(as_string, "port: '80'").correct
    assert not grade(as_string, "port: 81").correct


def test_same_keeps_booleans_apart() -> None:
    assert same(80, "80") and same("80", 80) and same(1.5, 1.5)
    assert not same(True, "true")
    assert not same(1, True)
    assert not same([80], ["80"])
    assert not same(None, "None")
    assert not same(0, False) and same(False, False)
    replicas = make(type="yaml", expect=[{"path": "spec.replicas", "equals": 1}], solution="x")
    assert grade(replicas, "spec: {replicas: 1}").correct
    assert not grade(replicas, "spec: {replicas: true}").correct


def test_yaml_multi_document_takes_the_first() -> None:
    second = RIGHT_YAML.replace("web-front", "web-back")
    assert grade(YAML, RIGHT_YAML + "---\n" + "kind: Pod\n").correct
    assert not grade(YAML, "kind: Pod\n---\n" + second).correct
    assert grade(YAML, "---\n" + RIGHT_YAML).correct


def test_yaml_answer_must_be_text() -> None:
    with pytest.raises(ValueError, match="YAML text"):
        grade(YAML, ["kind: Service"])


def test_predict_is_not_graded_offline() -> None:
    question = make(type="predict", lab="01-lab", query={"type": "field"})
    with pytest.raises(ValueError, match="running lab"):
        grade(question, "3")


def test_normalise() -> None:
    assert normalise("  Cluster \t IP\n") == "cluster ip"
    assert normalise("Straße") == normalise("STRASSE")


def test_case_sensitive_text_keeps_case() -> None:
    """Env var names are case-sensitive (the kubelet sets REDIS_SERVICE_HOST exactly), so a
    question can say so; whitespace is still forgiven."""
    question = make(type="text", case_sensitive=True, accept=["REDIS_SERVICE_HOST"])
    assert grade(question, "  REDIS_SERVICE_HOST ").correct
    assert not grade(question, "redis_service_host").correct
    pattern = make(type="text", case_sensitive=True, patterns=[r"(spec\.)?clusterIPs"])
    assert grade(pattern, "spec.clusterIPs").correct
    assert not grade(pattern, "clusterips").correct


def test_yaml_syntax_error_asks_for_a_retry() -> None:
    result = grade(YAML, "kind: Service\nspec:\n  ports: [\n")
    assert result.retry and not result.correct and result.line is not None
    assert "did not count" in result.feedback[0]
    assert not grade(YAML, "kind: Service\n").retry  # readable but wrong: graded
