"""A classroom on the simulator's API server: init for three learners, a lab done with a
learner's own kubeconfig, 403 on another learner's namespace, the live report, and remove."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import SimApi
from tutor.cluster.base import ForbiddenError
from tutor.cluster.guard import Target
from tutor.cluster.kube import CLASSROOM_LABEL, LEARNER_LABEL, KubeCluster
from tutor.content.loader import Lab, load_course
from tutor.labs.session import LabSession
from tutor.modes import classroom, workshop
from tutor.progress.store import ProgressStore

LAB = "01-first-service"


@pytest.fixture
def instructor(sim_api: SimApi) -> KubeCluster:
    """The instructor: the simulator's admin kubeconfig, in context mode."""
    return KubeCluster(Target("context", sim_api.context, str(sim_api.kubeconfig), sim_api.url, ""))


@pytest.fixture
def lab() -> Lab:
    return next(lab for lab in load_course().labs if lab.id == LAB)


def _learner_cluster(
    tmp_path: Path, instructor: KubeCluster, learner: str, url: str
) -> KubeCluster:
    path = tmp_path / f"{learner}.kubeconfig"
    path.write_text(classroom.learner_kubeconfig(instructor, learner), encoding="utf-8")
    return KubeCluster(Target("context", f"kube-tutor-{learner}", str(path), url, learner))


def _labelled(sim_api: SimApi, name: str) -> list[tuple[str, str, str]]:
    """(kind, namespace, name) of every stored object carrying the classroom's label."""
    return sorted(
        (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])
        for o in sim_api.server.call(lambda: list(sim_api.cluster.store))
        if (o["metadata"].get("labels") or {}).get(CLASSROOM_LABEL) == name
    )


def test_a_classroom_from_init_to_remove(
    sim_api: SimApi, instructor: KubeCluster, lab: Lab, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:5]
    name = f"ws-{tag}"
    learners = [f"alice{tag}", f"bob{tag}", f"carol{tag}"]
    plan = classroom.plan(name, learners, [lab])
    classroom.apply_plan(instructor, plan)

    # every object the plan made is stored and carries the classroom's and kube-tutor's labels
    stored = _labelled(sim_api, name)
    planned = sorted(
        (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in plan.objects
    )
    assert stored == planned
    assert len([k for k in stored if k[0] == "Namespace"]) == 6  # home + lab namespace each

    alice, bob = learners[0], learners[1]
    clusters = {
        who: _learner_cluster(tmp_path, instructor, who, sim_api.url) for who in (alice, bob)
    }

    # Alice's kubeconfig may not even list Pods in Bob's lab namespace: a 403 from RBAC
    with pytest.raises(ForbiddenError) as refused:
        clusters[alice].list("Pod", f"{bob}-kt-{LAB}")
    assert (
        f'pods is forbidden: User "system:serviceaccount:{alice}-kube-tutor:learner" cannot '
        f'list resource "pods" in API group "" in the namespace "{bob}-kt-{LAB}"'
    ) in str(refused.value)

    # both do the lab with their own kubeconfig (start clears the namespace, then the solution)
    for who, cluster in clusters.items():
        store = ProgressStore(tmp_path / f"{who}.db")
        session = LabSession(lab, cluster, store=store, workspace=tmp_path / who / LAB)
        assert session.start().ok
        assert not session.check().passed
        report = session.apply(lab.solution_dir)
        assert report.ok, report.error
        assert session.check().passed
        assert session.namespace == f"{who}-kt-{LAB}"
        session.reset()  # a reset empties the namespace: it and the learner's rights stay
        assert cluster.get("Namespace", session.namespace) is not None
        assert cluster.list("Service", session.namespace) == []

    # the live report: both learners who did the lab, carol with nothing yet
    rows = classroom.report_rows(classroom.collect(instructor, name))
    by_learner = {row[0]: row for row in rows}
    assert by_learner[alice][1:4] == (f"lab {LAB}", "yes", "2")
    assert by_learner[bob][1:4] == (f"lab {LAB}", "yes", "2")
    assert by_learner[learners[2]][-1] == "nothing published yet"
    assert "<td>yes</td>" in classroom.report_html(name, rows)

    # remove: a dry run lists, then everything labelled goes, and nothing else was touched
    listed = classroom.remove(instructor, name, dry_run=True)
    assert len(listed) == 6 + 3 + 1  # namespaces, ClusterRoleBindings, the ClusterRole
    assert _labelled(sim_api, name) == stored
    classroom.remove(instructor, name)
    deadline = time.monotonic() + 10
    while _labelled(sim_api, name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _labelled(sim_api, name) == []
    leftovers = [
        o
        for o in sim_api.server.call(lambda: list(sim_api.cluster.store))
        if (o["metadata"].get("labels") or {}).get(LEARNER_LABEL) in learners
        or o["metadata"].get("namespace", "").startswith(tuple(learners))
    ]
    assert leftovers == []


def test_init_refuses_a_namespace_someone_else_made(
    sim_api: SimApi, instructor: KubeCluster
) -> None:
    learner = f"dan{uuid.uuid4().hex[:5]}"
    home = classroom.home_namespace(learner)
    instructor.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": home}}], home)
    with pytest.raises(workshop.ClassroomError, match="is not this classroom's"):
        classroom.apply_plan(instructor, classroom.plan("ws", [learner], []))


def test_learners_file_and_course_file(tmp_path: Path) -> None:
    names = tmp_path / "learners.txt"
    names.write_text("Alice  # front row\nbob\n\n", encoding="utf-8")
    assert classroom.read_learners(names) == ["alice", "bob"]
    names.write_text("alice\nAlice\n", encoding="utf-8")
    with pytest.raises(workshop.ClassroomError, match="twice"):
        classroom.read_learners(names)
    names.write_text("al_ice\n", encoding="utf-8")
    with pytest.raises(workshop.ClassroomError, match="lowercase"):
        classroom.read_learners(names)
    (tmp_path / "course.yaml").write_text(
        "labs: [01-first-service]\nsolution_key: locked\n", encoding="utf-8"
    )
    plan = workshop.read_course_file(tmp_path)
    assert plan is not None and plan.labs == ["01-first-service"]
    assert workshop.solution_key_locked([tmp_path])
    assert not workshop.solution_key_locked([tmp_path / "elsewhere"])


def test_the_class_commands_on_the_simulator(
    sim_daemon: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`class init` is a dry run until `--apply`; then kubeconfigs are written (0600), the
    report reads the cluster, and `class remove --apply` deletes what init made."""
    from tutor.cli import main

    learners = tmp_path / "learners.txt"
    learners.write_text("ann\nben\n", encoding="utf-8")
    out = tmp_path / "kc"
    base = ["class", "init", "--sim", "--learners", str(learners), "--labs", LAB, "--out", str(out)]
    assert main(base) == 0
    dry = capsys.readouterr().out
    assert "would apply Namespace ann-kt-01-first-service" in dry
    assert "nothing was changed" in dry
    assert not out.exists()

    assert main([*base, "--apply"]) == 0
    assert (
        "applied RoleBinding ben-kt-01-first-service/kube-tutor-learner" in capsys.readouterr().out
    )
    assert (out / "ann.kubeconfig").stat().st_mode & 0o777 == 0o600

    assert main(["class", "report", "--sim", "--csv"]) == 0
    csv_text = capsys.readouterr().out
    assert csv_text.splitlines()[0].startswith("learner,item,done")
    assert "ann,-,,0,,,nothing published yet" in csv_text

    assert main(["class", "remove", "--sim"]) == 0
    assert "would delete Namespace ann-kube-tutor" in capsys.readouterr().out
    assert main(["class", "remove", "--sim", "--apply"]) == 0
    assert "deleted ClusterRole kube-tutor-classroom-read" in capsys.readouterr().out
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert main(["class", "remove", "--sim"]) == 0
        if "dry run: 0 objects" in capsys.readouterr().out:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the classroom's namespaces did not go")


def test_a_locked_solution_key_refuses_lab_solve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tutor.cli import main

    pack = tmp_path / "pack"
    (pack / "labs").mkdir(parents=True)
    (pack / "course.yaml").write_text("labs: [01-first-service]\nsolution_key: locked\n")
    assert main(["--content", str(pack), "lab", "solve", LAB]) == 1
    assert "locks the solution key" in capsys.readouterr().err
    (pack / "course.yaml").write_text("labs: [01-first-service]\n")
    assert main(["--content", str(pack), "lab", "solve", LAB]) == 0


def test_publish_leaves_a_namespace_no_classroom_made(
    sim_api: SimApi, instructor: KubeCluster
) -> None:
    learner = f"eve{uuid.uuid4().hex[:5]}"
    home = classroom.home_namespace(learner)
    instructor.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": home}}], home)
    as_learner = KubeCluster(
        Target("context", sim_api.context, str(sim_api.kubeconfig), sim_api.url, learner)
    )
    assert not classroom.publish(as_learner, {"labs": []})
    assert instructor.get("ConfigMap", classroom.PROGRESS_MAP, home) is None


def test_course_yaml_chooses_the_workshop_lessons_and_labs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tutor.cli import main

    course = load_course()
    first, second = course.lessons[0].id, course.lessons[1].id
    pack = tmp_path / "pack"
    (pack / "labs").mkdir(parents=True)
    (pack / "course.yaml").write_text(f"lessons: [{second}, {first}]\nlabs: [{LAB}]\n")
    chosen = workshop.workshop_course(course, [pack])
    assert [lesson.id for lesson in chosen.lessons] == [second, first]
    assert [lab.id for lab in chosen.labs] == [LAB]
    capsys.readouterr()
    assert main(["--content", str(pack), "lab", "start", "02-selector-mismatch"]) != 0
    assert "no lab '02-selector-mismatch'" in capsys.readouterr().err
    (pack / "course.yaml").write_text("labs: [no-such-lab]\n")
    with pytest.raises(workshop.ClassroomError, match="no-such-lab"):
        workshop.workshop_course(course, [pack])


def test_class_report_from_exported_files_is_the_same_table_on_cli_and_in_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`class report --files` prints what `report_from_files` builds (the app's screen shows
    `report_from_cluster`'s, the same ClassReport); a file that is no report is refused."""
    import json

    from tutor.cli import main
    from tutor.modes.classroom_report import report_from_files

    ann = tmp_path / "ann.json"
    lab = {"id": LAB, "attempts": 2, "passed": True, "seconds_to_pass": 61, "hints_total": 0}
    ann.write_text(json.dumps({"learner": "ann", "labs": [lab], "quizzes": []}))
    ben = tmp_path / "ben.json"
    ben.write_text(json.dumps({"labs": [], "quizzes": []}))  # no learner field: the file name
    report = report_from_files([ann, ben], "ws")
    assert report.learners == ["ann", "ben"]
    assert report.rows == [
        ("ann", f"lab {LAB}", "yes", "2", "61", "0", ""),
        ("ben", "-", "", "0", "", "", "no lab or quiz yet"),
    ]
    assert report.summary() == "Classroom ws: 2 learners, 2 published (2 files)."
    assert main(["class", "report", "--name", "ws", "--files", str(ann), str(ben)]) == 0
    assert capsys.readouterr().out == report.summary() + "\n" + report.text() + "\n"

    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert main(["class", "report", "--files", str(bad)]) == 1
    assert "not a progress report" in capsys.readouterr().err


def test_class_report_of_a_classroom_that_is_not_there_says_so(
    instructor: KubeCluster,
) -> None:
    from tutor.modes.classroom_report import NoClassroom, report_from_cluster

    with pytest.raises(NoClassroom, match="no classroom named never-made on context"):
        report_from_cluster(instructor, "never-made")
