"""Every lab on the real control plane through the kube backend: `start/` and `solution/`
applied by `LabSession` (as `kube-tutor lab start` and `lab solve` do), the lab's state checks
run, and their verdicts compared with the simulator's for the same checks.

Traffic checks need Pods that answer (a kubelet with containers); this tier has none, so they
are reported as not applicable and counted, never run. A disagreement on a state check is
either fixed or listed in allowed_differences.yaml (section `lab_verdicts`).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.controlplane.compare import AllowList, Difference, Endpoint, settle, sim_endpoint
from tests.controlplane.conftest import PLANE, PREFIX
from tutor.checks.registry import CHECK_TYPES, load_builtins, run_check
from tutor.checks.verdict import Status
from tutor.cluster.kube import KubeCluster
from tutor.content.loader import Course, Lab, load_course
from tutor.labs.session import LabSession

pytestmark = pytest.mark.controlplane

REPO = Path(__file__).resolve().parents[2]
LABS = sorted(p.parent.name for p in (REPO / "labs").glob("*/lab.yaml"))
NOT_APPLICABLE: dict[str, list[str]] = {}
"""Lab id -> traffic checks not run on this tier (reported in the summary)."""


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course([], builtin=True)


@pytest.fixture(scope="module")
def allow_list() -> AllowList:
    return AllowList.load()


def uses_gateway_api(lab: Lab) -> bool:
    """True when the lab's manifests need the Gateway API CRDs."""
    folders = (lab.start_dir, lab.solution_dir)
    return any(
        "gateway.networking.k8s.io/" in path.read_text(encoding="utf-8")
        for folder in folders
        for path in folder.glob("*.y*ml")
    )


def state_checks(lab: Lab) -> tuple[list[str], list[str]]:
    """The lab's state check ids and its traffic check ids."""
    load_builtins()
    state = [c.id for c in lab.spec.checks if CHECK_TYPES[c.type].family == "state"]
    traffic = [c.id for c in lab.spec.checks if CHECK_TYPES[c.type].family != "state"]
    return state, traffic


def run_phase(
    session: LabSession, endpoint: Endpoint, phase: str, wanted: list[str]
) -> tuple[str, dict[str, tuple[Status, str]]]:
    """Apply a phase (`start` or `solution`) and run the state checks once the cluster has
    settled; returns the apply outcome and each check's (status, message)."""
    report = session.reset() if phase == "start" else session.solve()
    applied = "ok" if report.ok else "refused"
    settle(endpoint, session.all_namespaces)
    deadline = time.monotonic() + (8.0 if endpoint.real else 0.0)
    while True:
        ctx = session.context()
        specs = [s for s in session.lab.spec.checks if s.id in wanted]
        verdicts = {s.id: run_check(s, ctx) for s in specs}
        pending = any(v.status is Status.PENDING for v in verdicts.values())
        if not pending or time.monotonic() > deadline:
            break
        endpoint.cluster.wait_for_change(session.namespace, 2.0)
    return applied, {k: (v.status, v.message) for k, v in verdicts.items()}


@pytest.mark.parametrize("lab_id", LABS)
def test_lab_state_checks_agree_with_the_simulator(
    lab_id: str, course: Course, kube: KubeCluster, allow_list: AllowList, tmp_path: Path
) -> None:
    lab = course.lab(lab_id)
    assert lab is not None
    if uses_gateway_api(lab) and not PLANE["plane"].gateway_api:
        pytest.skip("the Gateway API CRDs are not beside the project (../shared/schemas)")
    wanted, traffic = state_checks(lab)
    NOT_APPLICABLE[lab_id] = traffic
    real = Endpoint("real", kube, real=True)
    sim = sim_endpoint()
    real_session = LabSession(lab, kube, workspace=tmp_path / "real")
    sim_session = LabSession(lab, sim.cluster, prefix=PREFIX, workspace=tmp_path / "sim")
    assert real_session.all_namespaces == sim_session.all_namespaces
    differences: list[Difference] = []
    try:
        for phase in ("start", "solution"):
            real_applied, real_verdicts = run_phase(real_session, real, phase, wanted)
            sim_applied, sim_verdicts = run_phase(sim_session, sim, phase, wanted)
            case = f"{lab_id}/{phase}"
            if real_applied != sim_applied:
                differences.append(Difference(case, "apply", "outcome", real_applied, sim_applied))
            for check in wanted:
                real_status, real_message = real_verdicts[check]
                sim_status, sim_message = sim_verdicts[check]
                if real_status is not sim_status:
                    differences.append(
                        Difference(
                            case,
                            f"check:{check}",
                            "status",
                            f"{real_status.value}: {real_message}",
                            f"{sim_status.value}: {sim_message}",
                        )
                    )
    finally:
        for namespace in real_session.all_namespaces:
            kube.delete_namespace(namespace, wait=False)
    unexplained = allow_list.judge("lab_verdicts", differences)
    assert [d.shown() for d in unexplained] == []


def test_lab_verdict_allow_list_has_no_stale_entries(allow_list: AllowList) -> None:
    """Runs after the labs (file order): an entry that allowed nothing must be removed."""
    ran = {key for key in NOT_APPLICABLE}
    if set(LABS) - ran:
        pytest.skip("not every lab ran in this session (a -k selection)")
    assert [f"{e.match} ({e.cases})" for e in allow_list.stale("lab_verdicts")] == []
