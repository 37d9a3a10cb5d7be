"""Prove labs: every check must fail on `start/` and pass on `solution/` (like rustlings'
`dev check`). Runs on the simulator in CI and on kind where Docker is present."""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tutor.checks.verdict import Status
from tutor.cluster.base import Cluster, ClusterError
from tutor.content.loader import Course, Lab
from tutor.labs.session import LabSession


@dataclass
class Proof:
    """The outcome of proving one lab."""

    lab_id: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the lab is proved."""
        return not self.problems


def prove_lab(lab: Lab, cluster: Cluster, *, wait: float = 0.0) -> Proof:
    """Apply start/, expect every check to fail; apply solution/, expect every check to pass."""
    proof = Proof(lab.id)
    with tempfile.TemporaryDirectory(prefix="kube-tutor-prove-") as tmp:
        session = LabSession(lab, cluster, workspace=Path(tmp) / lab.id)
        try:
            # A start/ that the cluster refuses is allowed (a fix lab may begin with a
            # manifest the API server rejects); its checks must still all fail.
            session.reset()
            for verdict in session.check(wait=wait, record=False).verdicts:
                if verdict.status is Status.PASS:
                    proof.problems.append(
                        f"check {verdict.check_id} passes on start/: {verdict.message}"
                    )
            report = session.solve()
            if not report.ok:
                proof.problems += [f"solution/ does not apply: {p}" for p in report.problems]
                proof.problems += [report.error] if report.error else []
                return proof
            for verdict in session.check(wait=wait, record=False).verdicts:
                if verdict.status is not Status.PASS:
                    proof.problems.append(
                        f"check {verdict.check_id} does not pass on solution/ ({verdict.status}): {verdict.explain()}"
                    )
        finally:
            for namespace in session.all_namespaces:
                cluster.delete_namespace(namespace, wait=False)
    return proof


def prove_labs(course: Course, args: argparse.Namespace) -> int:
    """`lint --prove`: prove the labs (all, or those named with --lab); 1 when any fails."""
    from tutor.labs.backends import open_backend

    labs = [lab for lab in course.labs if not args.lab or lab.id in args.lab]
    wait = 0.0 if args.backend == "sim" else 90.0
    failed = 0
    for lab in labs:
        # A fresh simulator per lab keeps labs independent; a real cluster is shared.
        try:
            cluster = open_backend(args.backend, getattr(args, "context", None))
            proof = prove_lab(lab, cluster, wait=wait)
        except ClusterError as exc:
            print(f"kube-tutor: cannot prove labs on {args.backend}: {exc}", file=sys.stderr)
            return 1
        print(f"{'PROVED' if proof.ok else 'FAILED'}  {lab.id}")
        for problem in proof.problems:
            print(f"    {problem}")
        failed += not proof.ok
    print(f"{len(labs) - failed}/{len(labs)} labs proved on {args.backend}", file=sys.stderr)
    return 1 if failed else 0
