"""Property tests: loaders, graders, typed paths and the learner-file reader never crash.

Fixed seed (`derandomize`) and bounded example counts keep CI stable and quick; the
counts are in `EXAMPLES`. Each property allows only the errors its function documents.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fault.helpers import GOOD
from tutor.content.loader import load_course
from tutor.content.yamlsrc import YamlSyntaxError, parse_yaml, parse_yaml_documents
from tutor.core.typedpath import parse_path, resolve
from tutor.labs.workspace import read_manifests
from tutor.quiz.grading import grade

EXAMPLES = 150
"""Examples per property (7 properties: 1,050 examples a run)."""

BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

YAML_BITS = st.sampled_from(
    [
        "a",
        ":",
        " ",
        "\n",
        "- ",
        "&x ",
        "*x",
        "[",
        "]",
        "{",
        "}",
        ",",
        "'",
        '"',
        "!!",
        "#",
        "---\n",
        "? ",
        "|",
        ">",
        "\t",
        "\x00",
        "1",
        "-1",
        "0x1f",
        "null",
        "~",
        "é",
        "\\",
        "kind: Service\n",
        "metadata:\n  name: x\n",
        "apiVersion: v1\n",
        "  ",
        "%YAML 1.1\n",
    ]
)
YAMLISH = st.lists(YAML_BITS, max_size=40).map("".join) | st.text(max_size=200)

SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12)
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "apiVersion",
        "kind",
        "metadata",
        "name",
        "namespace",
        "spec",
        "ports",
        "port",
        "targetPort",
        "selector",
        "labels",
        "template",
        "containers",
        "data",
    ]
)


@st.composite
def manifests(draw: st.DrawFn) -> Any:
    """Kubernetes-looking documents with values of any type in any place."""
    doc: dict[str, Any] = {
        "apiVersion": draw(st.sampled_from(["v1", "apps/v1", 1, None, ["v1"]])),
        "kind": draw(
            st.sampled_from(
                ["Service", "Deployment", "ConfigMap", "Pod", "List", "Job", 3, {"a": 1}]
            )
        ),
        "metadata": draw(
            st.fixed_dictionaries(
                {}, optional={"name": JSONISH, "namespace": JSONISH, "labels": JSONISH}
            )
            | JSONISH
        ),
    }
    doc["spec"] = draw(st.dictionaries(KEYS, JSONISH, max_size=4) | JSONISH)
    return doc


@BOUNDED
@given(YAMLISH)
def test_yaml_parsers_raise_only_syntax_errors(text: str) -> None:
    for parse in (parse_yaml, parse_yaml_documents):
        try:
            parse(text)  # type: ignore[operator]
        except YamlSyntaxError as exc:
            assert exc.line is None or exc.line >= 1


@BOUNDED
@given(YAMLISH, st.sampled_from(["lesson-front", "quiz", "lab"]))
def test_loader_reports_problems_never_raises(text: str, where: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        pack = Path(folder) / "pack"
        shutil.copytree(GOOD, pack)
        if where == "lesson-front":
            target = pack / "lessons" / "01-alpha" / "lesson.md"
            target.write_text(f"---\n{text}\n---\nBody.\n", encoding="utf-8")
        elif where == "quiz":
            target = pack / "lessons" / "01-alpha" / "quiz.yaml"
            target.write_text(text, encoding="utf-8")
        else:
            target = pack / "labs" / "01-alpha-lab" / "lab.yaml"
            target.write_text(text, encoding="utf-8")
        course = load_course([pack], builtin=False)
        for problem in course.problems:
            str(problem)  # printable


_COURSE = load_course([GOOD], builtin=False)
_QUESTIONS = [q for _, q in _COURSE.questions()]
ANSWERS = (
    JSONISH
    | YAMLISH
    | st.lists(st.integers(-3, 10), max_size=6)
    | st.lists(st.text(max_size=3), max_size=4)
)


@BOUNDED
@given(st.sampled_from(_QUESTIONS), ANSWERS)
def test_graders_grade_or_refuse_any_answer(question: Any, answer: Any) -> None:
    try:
        result = grade(question, answer)
    except ValueError:
        return  # documented: an answer of the wrong shape is not graded
    assert 0.0 <= result.score <= 1.0
    assert isinstance(result.correct, bool)


PATH_BITS = st.sampled_from(
    [
        "spec",
        ".",
        "ports",
        "[",
        "]",
        "0",
        "-1",
        "name=http",
        "=",
        "'",
        '"',
        "\\",
        "*",
        "a",
        " ",
        "9" * 30,
    ]
)


@BOUNDED
@given(st.lists(PATH_BITS, max_size=12).map("".join) | st.text(max_size=30), JSONISH)
def test_typed_paths_parse_or_refuse_and_resolve_safely(text: str, data: Any) -> None:
    try:
        steps = parse_path(text)
    except ValueError:
        return
    with contextlib.suppress(ValueError):
        resolve(data, steps)


@BOUNDED
@given(st.lists(manifests(), min_size=1, max_size=3))
def test_learner_reader_accepts_only_objects_a_cluster_can_take(docs: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        text = yaml.safe_dump_all(docs, allow_unicode=True)
        (Path(folder) / "x.yaml").write_text(text, encoding="utf-8")
        read = read_manifests(Path(folder), {"default"})
        for source in read.objects:
            json.dumps(source.obj, allow_nan=False)  # JSON data, as the API takes
            assert isinstance(source.obj["kind"], str) and isinstance(
                source.obj["metadata"]["name"], str
            )
        for problem in read.problems:
            assert problem.line is None or problem.line >= 1


@BOUNDED
@given(YAMLISH)
def test_learner_reader_on_any_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "x.yaml").write_text(text, encoding="utf-8")
        read = read_manifests(Path(folder), {"default"})
        assert read.objects or read.problems


@BOUNDED
@given(st.lists(manifests(), min_size=1, max_size=2))
def test_learner_objects_survive_the_simulator(docs: list[Any]) -> None:
    """What the reader lets through, the simulator takes or refuses with a ClusterError."""
    from tutor.cluster.base import ClusterError
    from tutor.cluster.sim.cluster import SimCluster

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "x.yaml").write_text(yaml.safe_dump_all(docs), encoding="utf-8")
        read = read_manifests(Path(folder), {"default"})
        if read.problems:
            return
        cluster = SimCluster()
        cluster.ensure_namespace("default", {})
        with contextlib.suppress(ClusterError):
            cluster.apply([s.obj for s in read.objects], "default")
