"""Prove labs like an examiner (after rustlings' `dev check`): fix checks fail on `start/`
and pass on `solution/`, guard checks pass on both, and every wrong fix in `wrong/` fails
exactly the checks it declares, explained by the diagnosers it declares. Runs on the
simulator in CI and on kind (or a named context) where one is available."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tutor.checks.verdict import Status, Verdict
from tutor.cluster.base import Cluster, ClusterError
from tutor.content.loader import Course, Lab
from tutor.labs.session import LabResult, LabSession
from tutor.labs.wrong import WrongFixDir, build_workspace, delete_files, run_edit, wrong_fixes


@dataclass
class Proof:
    """The outcome of proving one lab."""

    lab_id: str
    problems: list[str] = field(default_factory=list)
    guards: int = 0
    """Guard checks proved (pass on start/ and solution/)."""
    wrong_fixes: int = 0
    """Wrong fixes rejected exactly as declared."""
    skipped: list[str] = field(default_factory=list)
    """Wrong fixes this backend cannot apply (scripted `kubectl:` edits off the simulator)."""

    @property
    def ok(self) -> bool:
        """True when the lab is proved."""
        return not self.problems


def _roles(lab: Lab) -> dict[str, str]:
    return {spec.id: spec.role for spec in lab.spec.checks}


def _judge_start(lab: Lab, result: LabResult, proof: Proof) -> None:
    roles = _roles(lab)
    for verdict in result.verdicts:
        guard = roles[verdict.check_id] == "guard"
        if guard and verdict.status is not Status.PASS:
            proof.problems.append(
                f"guard {verdict.check_id} does not pass on start/ ({verdict.status}): "
                f"{verdict.explain()}"
            )
        elif not guard and verdict.status is Status.PASS:
            proof.problems.append(f"check {verdict.check_id} passes on start/: {verdict.message}")


def _judge_solution(result: LabResult, proof: Proof) -> None:
    for verdict in result.verdicts:
        if verdict.status is not Status.PASS:
            proof.problems.append(
                f"{verdict.role} {verdict.check_id} does not pass on solution/ "
                f"({verdict.status}): {verdict.explain()}"
            )


def judge_wrong_fix(wrong: WrongFixDir, verdicts: list[Verdict]) -> list[str]:
    """Problems when a wrong fix is not rejected exactly as its wrong.yaml declares."""
    assert wrong.spec is not None
    problems = []
    tripped = {v.check_id for v in verdicts if v.status is not Status.PASS}
    declared = set(wrong.spec.trips)
    where = f"wrong fix {wrong.name}"
    for missed in sorted(declared - tripped):
        problems.append(f"{where}: check {missed} should fail but passes")
    for extra in sorted(tripped - declared):
        verdict = next(v for v in verdicts if v.check_id == extra)
        problems.append(f"{where}: check {extra} fails but is not in trips: {verdict.explain()}")
    fired = {d.name for v in verdicts for d in v.diagnoses}
    for name in sorted(set(wrong.spec.diagnoses) - fired):
        problems.append(f"{where}: diagnoser {name} should explain it but stays silent")
    for name in sorted(fired - set(wrong.spec.diagnoses)):
        problems.append(f"{where}: diagnoser {name} fires but is not declared in diagnoses")
    return problems


def apply_wrong_fix(session: LabSession, wrong: WrongFixDir) -> list[str]:
    """Reset the lab to start/, then do what the learner did: edit the workspace as the wrong
    fix says, apply it (a refusal is allowed: the checks then judge what is live) and run the
    scripted edits. Returns problems that stop the wrong fix being judged."""
    session.reset()
    build_workspace(session.lab, wrong, session.workspace)
    if wrong.spec and wrong.spec.remove:
        removed = [session.lab.start_dir / name for name in wrong.spec.remove]
        delete_files(session.cluster, session.namespace, [p for p in removed if p.is_file()])
    report = session.apply()
    if report.error and not report.problems:
        return [f"wrong fix {wrong.name}: {report.error}"]
    problems = []
    for edit in wrong.spec.kubectl if wrong.spec else ():
        try:
            if not run_edit(session.cluster, session.namespace, edit):
                problems.append(f"wrong fix {wrong.name}: `{edit}` matched no object")
        except (ClusterError, ValueError) as exc:
            problems.append(f"wrong fix {wrong.name}: `{edit}` failed: {exc}")
    return problems


def _can_edit(cluster: Cluster) -> bool:
    return callable(getattr(cluster, "update", None)) or hasattr(cluster, "controllers")


def prove_lab(
    lab: Lab,
    cluster: Cluster,
    *,
    wait: float = 0.0,
    fresh: Callable[[], Cluster] | None = None,
) -> Proof:
    """Prove one lab on `cluster`. With `fresh` (a factory, e.g. of simulators), every wrong
    fix runs on a cluster of its own, so no state leaks from one to the next."""
    proof = Proof(lab.id)
    with tempfile.TemporaryDirectory(prefix="kube-tutor-prove-") as tmp:
        session = LabSession(lab, cluster, workspace=Path(tmp) / lab.id)
        try:
            # A start/ that the cluster refuses is allowed (a fix lab may begin with a
            # manifest the API server rejects): its fix checks must still fail.
            session.reset()
            _judge_start(lab, session.check(wait=wait, record=False), proof)
            report = session.solve()
            if not report.ok:
                proof.problems += [f"solution/ does not apply: {p}" for p in report.problems]
                proof.problems += [report.error] if report.error else []
                return proof
            _judge_solution(session.check(wait=wait, record=False), proof)
            if proof.ok:
                proof.guards = sum(1 for spec in lab.spec.checks if spec.role == "guard")
            for wrong in wrong_fixes(lab):
                if wrong.spec is None:
                    proof.problems += [f"wrong fix {wrong.name}: {p}" for p in wrong.problems]
                    continue
                if wrong.spec.kubectl and not _can_edit(session.cluster):
                    proof.skipped.append(
                        f"wrong fix {wrong.name}: scripted edits need the simulator"
                    )
                    continue
                if fresh is not None:
                    session = LabSession(lab, fresh(), workspace=Path(tmp) / wrong.name)
                problems = apply_wrong_fix(session, wrong)
                if not problems:
                    verdicts = session.check(wait=wait, record=False).verdicts
                    problems = judge_wrong_fix(wrong, verdicts)
                proof.problems += problems
                proof.wrong_fixes += not problems
        finally:
            for namespace in session.all_namespaces:
                session.cluster.delete_namespace(namespace, wait=False)
    return proof


def prove_labs(course: Course, args: argparse.Namespace) -> int:
    """`lint --prove`: prove the labs (all, or those named with --lab); 1 when any fails.
    Reports how many labs, guards and wrong fixes were proved."""
    from tutor.labs.backends import open_backend

    labs = [lab for lab in course.labs if not args.lab or lab.id in args.lab]
    wait = 0.0 if args.backend == "sim" else 90.0
    failed = guards = wrongs = 0

    def opener() -> Cluster:
        if args.backend == "sim":
            # The in-process simulator: a fresh one per lab and per wrong fix, no server.
            from tutor.cluster.sim.cluster import SimCluster

            return SimCluster()
        return open_backend(args.backend, getattr(args, "context", None))

    for lab in labs:
        # A fresh simulator per lab (and per wrong fix) keeps them independent; a real
        # cluster is shared, and the lab's namespaces are recreated each time.
        try:
            fresh = opener if args.backend == "sim" else None
            proof = prove_lab(lab, opener(), wait=wait, fresh=fresh)
        except ClusterError as exc:
            print(f"kube-tutor: cannot prove labs on {args.backend}: {exc}", file=sys.stderr)
            return 1
        counted = f"{proof.guards} guard(s), {proof.wrong_fixes} wrong fix(es)"
        print(f"{'PROVED' if proof.ok else 'FAILED'}  {lab.id}  ({counted})")
        for problem in proof.problems:
            print(f"    {problem}")
        for note in proof.skipped:
            print(f"    skipped: {note}")
        failed += not proof.ok
        guards += proof.guards
        wrongs += proof.wrong_fixes
    print(
        f"{len(labs) - failed}/{len(labs)} labs proved on {args.backend}: "
        f"{guards} guards, {wrongs} wrong fixes rejected as declared",
        file=sys.stderr,
    )
    return 1 if failed else 0
