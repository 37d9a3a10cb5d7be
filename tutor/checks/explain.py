"""Name the misconception behind a failing hop of a trace, with the diagnoser library."""

from __future__ import annotations

from typing import Any

from tutor.checks.context import CheckContext
from tutor.checks.registry import load_builtins, run_diagnosers
from tutor.checks.verdict import Diagnosis

FAILURE_DIAGNOSERS: dict[str, tuple[str, ...]] = {
    "nxdomain": ("wrong-namespace", "selector-mismatch", "readiness-failing"),
    "no-endpoints": ("selector-mismatch", "wrong-namespace", "named-port-missing"),
    "no-ready-endpoints": ("readiness-failing",),
    "target-port-closed": ("targetport-mismatch", "named-port-missing"),
    "no-local-endpoint": ("local-no-endpoint",),
    "host-mismatch": ("externalname-host",),
    "externalname-unresolvable": ("externalname-host",),
    "ingress-class-unhandled": ("ingressclass-no-controller",),
    "no-ingress-rule": ("wrong-pathtype", "ingressclass-no-controller"),
    "route-not-attached": ("route-not-attached",),
    "backend-not-permitted": ("backend-not-permitted",),
    "policy-denied": ("policy-service-port",),
}
"""Trace failure codes (see `tutor.cluster.sim.trace`) to the diagnosers that explain them."""


def explain_failure(
    ctx: CheckContext, failure: str | None, params: dict[str, Any]
) -> tuple[Diagnosis, ...]:
    """Diagnoses for a trace's failing hop (empty when nothing is known about it)."""
    if not failure:
        return ()
    load_builtins()
    names = list(FAILURE_DIAGNOSERS.get(failure, ()))
    return run_diagnosers(ctx, names, params)
