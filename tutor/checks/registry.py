"""The registry of check types and of diagnosers, and running one check spec.

A check type is a function over a `CheckContext` with a pydantic model of its parameters
(unknown parameters are errors, so a typo in lab.yaml is a lint error, not a silent pass).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from tutor.checks.context import CheckContext, Unresolved
from tutor.checks.verdict import Diagnosis, Outcome, Status, Verdict
from tutor.cluster.base import ClusterError
from tutor.content.models import CheckSpec

Family = Literal["state", "traffic"]
P = TypeVar("P", bound=BaseModel)


class Params(BaseModel):
    """Base of check parameter models: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str | None = None
    """Logical namespace of the object (default: the lab's main namespace)."""


@dataclass(frozen=True)
class CheckType:
    """A registered check type."""

    name: str
    family: Family
    params: type[Params]
    run: Callable[[Any, CheckContext], Outcome]
    default_diagnosers: tuple[str, ...]
    describe: Callable[[Any], str]
    """A default title from the parameters, e.g. `Service web has 3 ready endpoints`."""


Diagnoser = Callable[[CheckContext, dict[str, Any]], Diagnosis | None]
"""A diagnoser reads the cluster (and the failing check's parameters) and names a
misconception, or returns None when it does not apply."""

CHECK_TYPE_KEY = "__check_type__"
"""Added to the parameters diagnosers receive: the type of the check that failed."""

CHECK_TYPES: dict[str, CheckType] = {}
DIAGNOSERS: dict[str, Diagnoser] = {}


def check_type(
    name: str,
    family: Family,
    params: type[P],
    *,
    describe: Callable[[P], str],
    diagnose: tuple[str, ...] = (),
) -> Callable[[Callable[[P, CheckContext], Outcome]], Callable[[P, CheckContext], Outcome]]:
    """Register a check type (decorator)."""

    def register(
        func: Callable[[P, CheckContext], Outcome],
    ) -> Callable[[P, CheckContext], Outcome]:
        CHECK_TYPES[name] = CheckType(name, family, params, func, diagnose, describe)  # type: ignore[arg-type]
        return func

    return register


def diagnoser(name: str) -> Callable[[Diagnoser], Diagnoser]:
    """Register a diagnoser under a name that lab.yaml files use (decorator)."""

    def register(func: Diagnoser) -> Diagnoser:
        DIAGNOSERS[name] = func
        return func

    return register


def load_builtins() -> None:
    """Import the modules that register the built-in check types and diagnosers."""
    from tutor.checks import (  # noqa: F401
        diagnosers,
        diagnosers_extra,
        diagnosers_netpol,
        diagnosers_tls,
        relations,
        state,
        traffic,
    )


def spec_problems(spec: CheckSpec) -> list[str]:
    """Everything wrong with one check spec (unknown type, bad parameters, unknown diagnoser)."""
    load_builtins()
    kind = CHECK_TYPES.get(spec.type)
    if kind is None:
        known = ", ".join(sorted(CHECK_TYPES))
        return [f"check {spec.id!r}: unknown check type {spec.type!r} (known: {known})"]
    problems = []
    try:
        kind.params.model_validate(spec.params)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            where = ".".join(str(p) for p in error["loc"])
            message = "unknown parameter" if error["type"] == "extra_forbidden" else error["msg"]
            problems.append(f"check {spec.id!r} ({spec.type}): {where}: {message}")
    for name in spec.diagnose:
        if name not in DIAGNOSERS:
            known = ", ".join(sorted(DIAGNOSERS))
            problems.append(f"check {spec.id!r}: unknown diagnoser {name!r} (known: {known})")
    return problems


def title_of(spec: CheckSpec) -> str:
    """The title shown for a check: its own, or one made from its parameters."""
    if spec.title:
        return spec.title
    load_builtins()
    kind = CHECK_TYPES.get(spec.type)
    if kind is None:
        return spec.id
    try:
        return kind.describe(kind.params.model_validate(spec.params))
    except ValidationError:
        return spec.id


def run_check(
    spec: CheckSpec,
    ctx: CheckContext,
    *,
    pending_since: float | None = None,
    now: float | None = None,
) -> Verdict:
    """Run one check and, when it fails, the diagnosers that apply.

    A pending outcome carries a deadline (`pending_since` + the check's `timeout`). It ends:
    on the simulator, which converges at once, a pending state will never change, so it is a
    fail now; elsewhere it fails once the deadline has passed. Either way the diagnosers run
    and say what is missing (no controller, no address, no status).
    """
    load_builtins()
    kind = CHECK_TYPES[spec.type]
    title = title_of(spec)
    params = kind.params.model_validate(spec.params)
    try:
        outcome = kind.run(params, ctx)
    except Unresolved as exc:
        outcome = Outcome.pending(f"Waiting: {exc}.")
    except ClusterError as exc:
        outcome = Outcome.failed(f"The cluster could not answer: {exc}")
    now = time.time() if now is None else now
    deadline: float | None = None
    if outcome.status is Status.PENDING:
        deadline = (pending_since if pending_since is not None else now) + spec.timeout
        if ctx.cluster.backend == "sim":
            outcome = replace(
                outcome,
                status=Status.FAIL,
                message=f"{outcome.message} The simulator has settled, so this will not change.",
            )
        elif now >= deadline:
            outcome = replace(
                outcome,
                status=Status.FAIL,
                message=f"{outcome.message} Still so after {spec.timeout:.0f} s: giving up.",
            )
        if outcome.status is Status.FAIL:
            deadline = None
    diagnoses: tuple[Diagnosis, ...] = ()
    if outcome.status is Status.FAIL:
        names = [*spec.diagnose, *kind.default_diagnosers]
        diagnoses = run_diagnosers(ctx, names, {**spec.params, CHECK_TYPE_KEY: spec.type})
    return Verdict(
        check_id=spec.id,
        title=title,
        status=outcome.status,
        message=outcome.message,
        evidence=outcome.evidence,
        progress=outcome.progress,
        diagnoses=diagnoses,
        family=kind.family,
        role=spec.role,
        deadline=deadline,
    )


def run_diagnosers(
    ctx: CheckContext, names: list[str], params: dict[str, Any]
) -> tuple[Diagnosis, ...]:
    """Run named diagnosers once each, in order; keep those that found something."""
    found: list[Diagnosis] = []
    for name in dict.fromkeys(names):
        func = DIAGNOSERS.get(name)
        if func is None:
            continue
        try:
            diagnosis = func(ctx, params)
        except (ClusterError, Unresolved):
            diagnosis = None
        if diagnosis is not None:
            found.append(diagnosis)
    return tuple(found)
