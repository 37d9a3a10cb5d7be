"""Lab sessions on the simulator: workspaces, state across processes, apply errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.cluster.sim.cluster import SimCluster
from tutor.content.loader import Course, load_course
from tutor.labs.prove import prove_lab
from tutor.labs.session import LabSession
from tutor.progress.store import ProgressStore


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


def test_state_survives_a_restart_of_the_simulators_server(
    course: Course, tmp_path: Path, sim_daemon: Path
) -> None:
    """The product path: the simulator is an API server process that saves its state; a new
    `kube-tutor lab check` (a new client) and even a restarted server see the lab as left."""
    from tutor.cluster.connect import open_sim
    from tutor.cluster.sim.api import control

    lab = course.lab("02-selector-mismatch")
    assert lab is not None
    first = LabSession(lab, open_sim(), workspace=tmp_path / "ws")
    assert first.cluster.backend == "sim"
    assert type(first.cluster).__name__ == "KubeCluster"  # the one client path
    assert first.start().ok
    assert not first.check().passed
    assert first.solve().ok
    assert control.stop(sim_daemon)
    assert control.status(sim_daemon) is None
    again = LabSession(lab, open_sim(), workspace=tmp_path / "ws")
    assert again.check().passed


def test_a_proof_does_not_leak_into_the_learners_lab(course: Course, tmp_path: Path) -> None:
    lab = course.lab("01-first-service")
    assert lab is not None
    assert prove_lab(lab, SimCluster()).ok
    session = LabSession(lab, SimCluster(), workspace=tmp_path / "ws")
    session.start()
    assert not any(v.passed for v in session.check().verdicts)


def test_yaml_error_applies_nothing_and_names_the_line(course: Course, tmp_path: Path) -> None:
    lab = course.lab("02-selector-mismatch")
    assert lab is not None
    session = LabSession(lab, SimCluster(), workspace=tmp_path / "ws")
    session.start()
    service = tmp_path / "ws" / "service.yaml"
    service.write_text(service.read_text().replace("app: frontend", "app: web\n   bad: ["))
    deployment = tmp_path / "ws" / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("replicas: 3", "replicas: 1"))
    report = session.apply()
    assert not report.ok
    assert report.problems[0].file.name == "service.yaml" and report.problems[0].line
    assert len(session.cluster.list("Pod", session.namespace, {"app": "web"})) == 3


def test_schema_error_points_at_the_field(course: Course, tmp_path: Path) -> None:
    lab = course.lab("08-nodeport-range")
    assert lab is not None
    session = LabSession(lab, SimCluster(), workspace=tmp_path / "ws")
    report = session.start()
    assert not report.ok
    problem = report.problems[0]
    text = problem.file.read_text().splitlines()
    assert problem.file.name == "service.yaml"
    assert problem.line is not None and "nodePort" in text[problem.line - 1]
    assert session.cluster.get("Deployment", "web", session.namespace) is None


def test_hints_escalate_and_are_recorded(course: Course, tmp_path: Path) -> None:
    lab = course.lab("02-selector-mismatch")
    assert lab is not None
    store = ProgressStore(tmp_path / "progress.db")
    session = LabSession(lab, SimCluster(), store=store, workspace=tmp_path / "ws")
    session.start()
    tiers = [session.hint() for _ in range(4)]
    assert [h.tier for h in tiers if h] == [1, 2, 3, 3]
    assert store.hints_used(lab.id) == {"endpoints": 3}
    session.solve()
    assert session.check().passed
    assert lab.id in store.labs_passed()


def test_hints_start_again_after_reset(course: Course, tmp_path: Path) -> None:
    lab = course.lab("02-selector-mismatch")
    assert lab is not None
    store = ProgressStore(tmp_path / "progress.db")
    session = LabSession(lab, SimCluster(), store=store, workspace=tmp_path / "ws")
    session.start()
    tiers = [hint.tier for hint in (session.hint("endpoints"), session.hint("endpoints")) if hint]
    assert tiers == [1, 2]
    session.reset()
    again = session.hint("endpoints")
    assert again is not None and again.tier == 1


def test_check_json_documents_roles(course: Course, tmp_path: Path) -> None:
    lab = course.lab("02-selector-mismatch")
    assert lab is not None
    session = LabSession(lab, SimCluster(), workspace=tmp_path / "ws")
    session.start()
    doc = session.check(record=False).to_json()
    roles = {c["id"]: c["role"] for c in doc["checks"]}
    assert roles["endpoints"] == "fix" and roles["deployment-unchanged"] == "guard"
    assert doc["guards_hold"] is True
    assert all(c["deadline"] is None for c in doc["checks"])  # the simulator never waits


def test_cli_prints_guards_as_their_own_group(
    course: Course, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tutor.cli.lab import print_result

    lab = course.lab("02-selector-mismatch")
    assert lab is not None
    session = LabSession(lab, SimCluster(), workspace=tmp_path / "ws")
    session.start()
    print_result(session.check(record=False))
    out = capsys.readouterr().out
    head, _, guards = out.partition("Still true")
    assert "deployment-unchanged" in guards and "deployment-unchanged" not in head
    assert "[FAIL] endpoints" in head


def test_task_placeholders_are_filled(course: Course) -> None:
    from dataclasses import replace

    from tutor.labs.session import task_text

    lab = course.lab("16-gateway-cross-namespace")
    assert lab is not None
    spec = lab.spec.model_copy(update={"task": "Look in {ns} and in {ns:kt-16-infra} now."})
    text = task_text(replace(lab, spec=spec), "kt-16-x", {"kt-16-infra": "p-kt-16-infra"})
    assert text == "Look in kt-16-x and in p-kt-16-infra now."


def test_unknown_kind_is_blamed_on_its_own_file(course: Course, tmp_path: Path) -> None:
    lab = course.lab("02-selector-mismatch")
    assert lab is not None
    session = LabSession(lab, SimCluster(), workspace=tmp_path / "ws")
    session.start()
    (tmp_path / "ws" / "zz-cron.yaml").write_text(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec: {}\n",
        encoding="utf-8",
    )
    report = session.apply()
    assert report.problems and report.problems[0].file.name == "zz-cron.yaml"


def test_a_classroom_prefix_renames_every_namespace_the_lab_files_name(
    course: Course, tmp_path: Path
) -> None:
    """Lab 25's grant names the lab namespace in `from` and its Gateway names the Secret's
    namespace in certificateRefs: with a learner prefix both must follow the rename, or the
    reference solution fails with RefNotPermitted (found by the control plane tier)."""
    lab = course.lab("25-gateway-https-listener")
    assert lab is not None
    session = LabSession(lab, SimCluster(), prefix="ada", workspace=tmp_path / "ws")
    assert session.namespace == "ada-kt-25-gateway-https-listener"
    session.start()
    assert session.solve().ok
    grant = session.cluster.get("ReferenceGrant", "lab-gateways-to-shop-tls", "ada-kt-25-certs")
    assert grant is not None
    assert grant["spec"]["from"][0]["namespace"] == session.namespace
    gateway = session.cluster.get("Gateway", "edge", session.namespace)
    assert gateway is not None
    refs = gateway["spec"]["listeners"][1]["tls"]["certificateRefs"]
    assert refs[0]["namespace"] == "ada-kt-25-certs"
    assert session.check().passed
