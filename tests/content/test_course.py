"""The real course: it lints clean, it is big enough, and every lab is proved on the simulator."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tutor.checks.verdict import Status
from tutor.content.lint import gateway_schema_dir, lint_course
from tutor.content.loader import Course, load_course

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course([], builtin=True)


def test_course_loads_without_problems(course: Course) -> None:
    assert course.problems == []
    assert course.roots == [REPO]


def test_lint_passes_with_schemas(course: Course) -> None:
    import tutor.checks.lint  # noqa: F401  (registers the check-spec rules)

    if gateway_schema_dir() is None:
        pytest.skip("Gateway API CRD schemas not found beside the project (../shared/schemas)")
    report = lint_course(course, schemas=True)
    assert [str(p) for p in report.problems] == []
    assert not any("skipped" in note for note in report.notes), report.notes


def test_enough_lessons_and_questions(course: Course) -> None:
    assert len(course.lessons) >= 12
    questions = list(course.questions())
    assert len(questions) >= 150
    for lesson in course.lessons:
        assert lesson.quiz is not None, lesson.id
        assert len(lesson.quiz.questions) >= 12, lesson.id
    types = Counter(q.type for _, q in questions)
    for kind in ("single", "multi", "truefalse", "text", "order", "yaml"):
        assert types[kind] > 0, kind


def test_lessons_pin_a_version_and_cite_sources(course: Course) -> None:
    for lesson in course.lessons:
        assert lesson.meta.kubernetes.startswith("1."), lesson.id
        assert lesson.meta.references, lesson.id


def test_every_topic_is_covered(course: Course) -> None:
    text = " ".join((lesson.meta.title + " " + lesson.body).lower() for lesson in course.lessons)
    for topic in (
        "clusterip",
        "endpointslice",
        "dns",
        "headless",
        "externalname",
        "nodeport",
        "loadbalancer",
        "externaltrafficpolicy",
        "internaltrafficpolicy",
        "trafficdistribution",
        "sessionaffinity",
        "dual-stack",
        "nftables",
        "ebpf",
        "ingress-nginx",
        "httproute",
        "referencegrant",
    ):
        assert topic in text.replace(" ", ""), topic


def test_enough_labs(course: Course) -> None:
    assert len(course.labs) >= 14
    assert sum(1 for lab in course.labs if lab.spec.kind == "fix") >= 6
    for lab in course.labs:
        assert lab.spec.hints, lab.id
        families = {_family(check.type) for check in lab.spec.checks}
        assert families, lab.id


def _family(check_type: str) -> str:
    from tutor.checks.registry import CHECK_TYPES, load_builtins

    load_builtins()
    return CHECK_TYPES[check_type].family


def test_labs_use_both_check_families(course: Course) -> None:
    families = Counter(_family(c.type) for lab in course.labs for c in lab.spec.checks)
    assert families["state"] >= 14 and families["traffic"] >= 14


LABS = sorted(p.parent.name for p in (REPO / "labs").glob("*/lab.yaml"))


@pytest.mark.parametrize("lab_id", LABS)
def test_lab_is_proved_on_the_simulator(course: Course, lab_id: str) -> None:
    """start/ fails every check; solution/ passes every check (DESIGN.md section 4)."""
    from tutor.cluster.sim.cluster import SimCluster
    from tutor.labs.prove import prove_lab

    lab = course.lab(lab_id)
    assert lab is not None
    proof = prove_lab(lab, SimCluster())
    assert proof.problems == []


def test_failing_checks_say_why(course: Course, tmp_path: Path) -> None:
    """On start/, every fix lab's failing checks carry a message, and at least one names a
    misconception (a diagnosis) or shows evidence."""
    from tutor.cluster.sim.cluster import SimCluster
    from tutor.labs.session import LabSession

    for lab in course.labs:
        if lab.spec.kind != "fix":
            continue
        session = LabSession(lab, SimCluster(), workspace=tmp_path / lab.id)
        session.reset()
        result = session.check()
        assert not result.passed
        failing = [v for v in result.verdicts if v.status is Status.FAIL]
        assert all(v.message for v in result.verdicts)
        assert any(v.diagnoses or v.evidence for v in failing), lab.id
