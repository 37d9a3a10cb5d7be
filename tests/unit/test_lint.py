"""`kube-tutor lint`: the rules that span files, manifest schemas, and the command's output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutor.cli import main
from tutor.content.lint import (
    GATEWAY_SCHEMAS_ENV,
    LintReport,
    ManifestValidator,
    gateway_schema_dir,
    gateway_schemas_missing,
    lint_course,
)
from tutor.content.loader import Problem, load_course

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD = DATA / "good"
LINTBAD = DATA / "lintbad"
BROKEN = DATA / "broken"
# Found as lint finds them (the variable, ../shared/schemas, or beside the main checkout of a
# worktree); absent on a machine without them, where the tests that need them skip saying so.
GATEWAY_SCHEMAS = gateway_schema_dir() or Path("no-gateway-schemas")

needs_gateway_schemas = pytest.mark.skipif(
    not (GATEWAY_SCHEMAS / "crd_httproutes.yaml").is_file(), reason=gateway_schemas_missing()
)


@pytest.fixture(scope="module")
def report() -> LintReport:
    """The lint report of the pack that breaks every cross-file rule (no schemas)."""
    return lint_course(load_course([LINTBAD], builtin=False), schemas=False)


def found(report: LintReport, relative: str) -> list[tuple[int | None, str]]:
    """(line, message) of the problems reported for one file of the lintbad pack."""
    return sorted(
        ((p.line, p.message) for p in report.problems if p.file == LINTBAD / relative),
        key=lambda item: (item[0] or 0, item[1]),
    )


def test_good_pack_is_clean() -> None:
    report = lint_course(load_course([GOOD], builtin=False))
    assert report.problems == []
    assert report.ok


def test_lesson_without_quiz_and_with_an_unknown_lab(report: LintReport) -> None:
    assert found(report, "lessons/01-no-quiz/lesson.md") == [
        (1, "lesson has no quiz.yaml beside it"),
        (7, "lab '09-missing-lab' does not exist"),
    ]


def test_lesson_that_does_not_link_its_lab(report: LintReport) -> None:
    assert found(report, "lessons/02-yaml-q/lesson.md") == [
        (7, "lesson does not link its lab '01-unlinked-lab'")
    ]


def test_lab_naming_a_missing_lesson_and_without_manifests(report: LintReport) -> None:
    assert found(report, "labs/02-orphan-lab/lab.yaml") == [
        (None, "lab needs YAML manifests in solution/"),
        (None, "lab needs YAML manifests in start/"),
        (3, "lesson '07-missing' does not exist"),
    ]


def test_yaml_questions_whose_solution_fails_or_given_passes(report: LintReport) -> None:
    assert found(report, "lessons/02-yaml-q/quiz.yaml") == [
        (
            7,
            "bad-solution: solution fails its own expectations: "
            "`spec.ports[0].port` is 81; expected 80",
        ),
        (26, "given-passes: the given manifest already passes"),
    ]


def test_manifest_syntax_and_encoding_errors_without_schemas(report: LintReport) -> None:
    broken = found(report, "labs/01-unlinked-lab/start/broken.yaml")
    assert [line for line, _ in broken] == [3]
    assert broken[0][1].startswith("YAML syntax error: mapping values are not allowed")
    assert found(report, "labs/01-unlinked-lab/start/latin1.yaml") == [
        (4, "byte 0xe9 is not UTF-8 text; save the file as UTF-8")
    ]


def test_problems_are_sorted_and_unique(report: LintReport) -> None:
    keys = [(str(p.file), p.line or 0, p.message) for p in report.problems]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_loader_problems_are_part_of_the_report() -> None:
    course = load_course([BROKEN], builtin=False)
    report = lint_course(course, schemas=False)
    assert set(course.problems) <= set(report.problems)
    assert not report.ok


def test_manifests_are_validated_against_the_kubernetes_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("kubernetes_validate", reason="needs the test extra (kubernetes-validate)")
    monkeypatch.setenv(GATEWAY_SCHEMAS_ENV, str(LINTBAD / "no-such-folder"))
    report = lint_course(load_course([LINTBAD], builtin=False))
    service = found(report, "labs/01-unlinked-lab/start/service.yaml")
    assert len(service) == 1
    line, message = service[0]
    assert line == 17  # the misspelled key itself, in the second document of the file
    assert message.startswith("Service web: spec.ports.0:")
    assert "'targetPortt' was unexpected" in message
    lesson = found(report, "lessons/01-no-quiz/lesson.md")
    # in a Markdown code block: the file line of the misspelled key
    assert (
        20,
        "Service web: spec: Additional properties are not allowed ('portz' was unexpected)",
    ) in lesson


def test_unknown_kind_is_reported() -> None:
    pytest.importorskip("kubernetes_validate", reason="needs the test extra (kubernetes-validate)")
    validator = ManifestValidator()
    messages = validator.validate({"apiVersion": "v1", "kind": "Servic", "metadata": {"name": "x"}})
    assert messages == ["Servic x: unknown kind 'Servic' in 'v1' for Kubernetes 1.37.0"]
    config = {"apiVersion": "kind.x-k8s.io/v1alpha4", "kind": "Cluster", "nodes": 3}
    assert validator.validate(config) == []


def test_every_error_of_an_object_is_reported_for_grouped_kinds_too() -> None:
    pytest.importorskip("kubernetes_validate", reason="needs the test extra (kubernetes-validate)")
    validator = ManifestValidator()
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"portz": [], "type": 5},
    }
    messages = validator.validate(service)
    assert len(messages) == 2
    assert any("'portz' was unexpected" in m for m in messages)
    assert any("spec.type: 5 is not of type 'string'" in m for m in messages)
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }
    assert validator.validate(role) == []
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"selector": {}, "template": {}, "replica": 3},
    }
    assert validator.errors(deployment) == [
        (
            ("spec", "replica"),
            "Deployment d: spec: Additional properties are not allowed ('replica' was unexpected)",
        )
    ]


@needs_gateway_schemas
def test_gateway_api_objects_are_validated_against_their_crds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(GATEWAY_SCHEMAS_ENV, str(GATEWAY_SCHEMAS))
    validator = ManifestValidator()
    assert not any("Gateway API" in note for note in validator.notes)
    report = lint_course(load_course([LINTBAD], builtin=False))
    # The Gateway is valid; the HTTPRoute has a port that is not a number, on line 22.
    assert found(report, "labs/01-unlinked-lab/solution/route.yaml") == [
        (22, "HTTPRoute web: spec.rules.0.backendRefs.0.port: 'eighty' is not of type 'integer'")
    ]
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r"},
        "spec": {"rules": [{"matches": [{"path": {"type": "Regexish", "value": "/"}}]}]},
    }
    [message] = validator.validate(route)
    assert message.startswith(
        "HTTPRoute r: spec.rules.0.matches.0.path.type: 'Regexish' is not one of"
    )
    old = {**route, "apiVersion": "gateway.networking.k8s.io/v0"}
    assert validator.validate(old) == [
        "HTTPRoute r: no Gateway API schema for HTTPRoute gateway.networking.k8s.io/v0"
    ]


def test_without_gateway_schemas_a_note_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(GATEWAY_SCHEMAS_ENV, str(tmp_path))
    monkeypatch.setattr("tutor.content.lint.gateway_schema_dir", lambda: None)
    validator = ManifestValidator()
    assert any(GATEWAY_SCHEMAS_ENV in note for note in validator.notes)
    assert (
        validator.validate({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway"}) == []
    )


def test_extra_rules_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from tutor.content import lint

    marker = Problem(GOOD / "labs/01-alpha-lab/lab.yaml", 9, "from an extra rule")
    monkeypatch.setattr(lint, "EXTRA_RULES", [lambda course: iter([marker])])
    assert lint_course(load_course([GOOD], builtin=False), schemas=False).problems == [marker]


# -- the command --------------------------------------------------------------------------

LINE = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+): (?P<message>.+)$")


@pytest.fixture
def only_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave the built-in course (being written) out of the command's view."""
    monkeypatch.setenv("KUBE_TUTOR_NO_BUILTIN", "1")


@pytest.mark.usefixtures("only_fixtures")
def test_lint_command_on_a_bad_pack_exits_1_with_file_line_messages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["lint", "--content", str(LINTBAD)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    with_line = [m for m in map(LINE.match, lines) if m]
    assert len(with_line) >= 10
    assert all(
        Path(m["file"]).name in {"lesson.md", "quiz.yaml", "lab.yaml"}
        or Path(m["file"]).suffix == ".yaml"
        for m in with_line
    )
    assert any(
        m["file"].endswith("lintbad/lessons/02-yaml-q/quiz.yaml")
        and m["line"] == "26"
        and m["message"] == "given-passes: the given manifest already passes"
        for m in with_line
    )
    # folder-level problems have no line, but still name the file
    assert any(
        line.endswith("lintbad/labs/02-orphan-lab/lab.yaml: lab needs YAML manifests in start/")
        for line in lines
    )
    assert "2 lessons, 3 questions, 2 labs:" in err


@pytest.mark.usefixtures("only_fixtures")
def test_lint_command_on_the_broken_pack_reports_loader_problems(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["lint", "--no-schemas", "--content", str(BROKEN)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"broken/lessons/02-unknown-key/lesson\.md:6: minuts: unknown key", out)
    assert re.search(r"broken/labs/05-not-utf8/lab\.yaml:5: byte 0xff is not UTF-8", out)
    # a lesson without a `labs:` key still gets a line for "does not link its lab"
    assert re.search(r"broken/lessons/10-good/lesson\.md:1: lesson does not link its lab", out)


@pytest.mark.usefixtures("only_fixtures")
def test_lint_command_on_a_clean_pack_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--content", str(GOOD)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "2 lessons, 8 questions, 1 labs: 0 problem(s)" in err


def _quiz_pack(tmp_path: Path, answers: list[str]) -> Path:
    """A one-lesson pack whose single-choice questions have the given answer keys."""
    folder = tmp_path / "lessons" / "01-skew"
    folder.mkdir(parents=True)
    (folder / "lesson.md").write_text(
        "---\nid: 01-skew\ntitle: Skew\nsummary: A lesson to test answer positions.\n"
        "objectives: [Be skewed]\nminutes: 1\nkubernetes: '1.37'\n---\n# Skew\n",
        encoding="utf-8",
    )
    questions = "".join(
        f"  - id: q{n}\n    type: single\n    prompt: Question {n}?\n"
        f"    choices: {{a: one, b: two, c: three, d: four}}\n    answer: {key}\n"
        f"    explanation: Because it is so.\n"
        for n, key in enumerate(answers)
    )
    (folder / "quiz.yaml").write_text(f"questions:\n{questions}", encoding="utf-8")
    return tmp_path


def test_skewed_answer_positions_are_reported(tmp_path: Path) -> None:
    # 3 of 6 answers at choice 1 is 50% > 40%: "always answer a" would score half marks.
    pack = _quiz_pack(tmp_path, ["a", "a", "a", "b", "c", "d"])
    report = lint_course(load_course([pack], builtin=False), schemas=False)
    [problem] = report.problems
    assert problem.line == 2  # the first question answered at the crowded position
    assert "choice 1 is the answer to 3 of 6" in problem.message
    assert "q0, q1, q2" in problem.message


def test_balanced_or_small_quizzes_pass_the_position_rule(tmp_path: Path) -> None:
    balanced = _quiz_pack(tmp_path / "x", ["a", "a", "b", "b", "c", "d"])  # 33% at most
    assert lint_course(load_course([balanced], builtin=False), schemas=False).ok
    small = _quiz_pack(tmp_path / "y", ["a", "a", "a", "a"])  # too few to judge
    assert lint_course(load_course([small], builtin=False), schemas=False).ok


def test_the_course_keeps_its_answer_positions_balanced() -> None:
    """Course-wide, too: no position holds more than 40% of single-choice keys."""
    from collections import Counter

    from tutor.content.models import SingleQuestion

    course = load_course([])
    positions = Counter(
        list(q.choices).index(q.answer)
        for _, q in course.questions()
        if isinstance(q, SingleQuestion)
    )
    assert max(positions.values()) <= 0.4 * sum(positions.values()), positions
