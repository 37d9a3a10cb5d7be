"""Trace a request in a lab: build it from a typed target or a traffic check, then explain it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from tutor.checks.context import CheckContext
from tutor.checks.verdict import Diagnosis, Status, Verdict
from tutor.cluster.base import ProbeRequest
from tutor.cluster.sim.trace import WIDTH as TRACE_WIDTH
from tutor.cluster.sim.trace import Trace
from tutor.content.models import CheckSpec

Protocol = Literal["http", "tcp", "dns"]
RecordType = Literal["A", "AAAA", "SRV", "CNAME", "PTR"]

TARGET_PARAMS: dict[str, str] = {"http": "url", "tcp": "target", "dns": "name"}
"""Traffic check types and the parameter that holds what they send a request to."""


def guess_protocol(target: str) -> Protocol:
    """http for URLs, tcp for `host:port`, dns for a bare name."""
    if "://" in target:
        return "http"
    return "tcp" if ":" in target else "dns"


@dataclass(frozen=True)
class TraceRequest:
    """A request to trace and the parameters the diagnosers read when it fails."""

    request: ProbeRequest
    params: dict[str, Any]
    """Shaped like a traffic check's parameters (`url` or `target`, `from`, `headers`)."""
    label: str
    """What was asked for, as the learner wrote it (e.g. `http://web/hostname`)."""


def target_request(
    ctx: CheckContext,
    target: str,
    *,
    protocol: Protocol | None = None,
    source: str = "probe",
    headers: Mapping[str, str] | None = None,
    record_type: RecordType = "A",
) -> TraceRequest:
    """The request for a typed target; raises `Unresolved` for a placeholder with no value yet."""
    expanded = ctx.expand(target.strip())
    chosen = protocol or guess_protocol(expanded)
    clean = {k.strip(): ctx.expand(v.strip()) for k, v in (headers or {}).items()}
    request = ProbeRequest(
        protocol=chosen,
        target=expanded,
        namespace=ctx.namespace,
        source=ctx.expand(source),
        headers=clean,
        record_type=record_type,
    )
    key = "url" if chosen == "http" else "target"
    params = {key: target.strip(), "from": source, "headers": dict(clean)}
    return TraceRequest(request, params, target.strip())


def parse_headers(items: Sequence[str]) -> dict[str, str]:
    """`NAME:VALUE` strings (as typed on the command line) to a header mapping."""
    pairs = (item.split(":", 1) for item in items if ":" in item)
    return {name.strip(): value.strip() for name, value in pairs}


def check_request(ctx: CheckContext, spec: CheckSpec) -> TraceRequest | None:
    """The request a traffic check sends (None for a state check)."""
    key = TARGET_PARAMS.get(spec.type)
    params = spec.params
    if key is None or not isinstance(params.get(key), str):
        return None
    traced = target_request(
        ctx,
        params[key],
        protocol=cast(Protocol, spec.type),
        source=str(params.get("from", "probe")),
        headers=params.get("headers") or {},
        record_type=cast(RecordType, params.get("record", "A")),
    )
    return TraceRequest(traced.request, params, traced.label)


def check_to_trace(specs: Sequence[CheckSpec], verdicts: Sequence[Verdict]) -> CheckSpec | None:
    """The traffic check worth tracing: the first that fails, else the first one at all."""
    traffic = [spec for spec in specs if spec.type in TARGET_PARAMS]
    failing = {v.check_id for v in verdicts if v.status is not Status.PASS}
    return next((spec for spec in traffic if spec.id in failing), traffic[0] if traffic else None)


@dataclass(frozen=True)
class TraceReport:
    """A trace and, when a hop failed, the misconceptions that explain it."""

    trace: Trace
    diagnoses: tuple[Diagnosis, ...]
    label: str

    @property
    def ok(self) -> bool:
        """True when the request got through."""
        return self.trace.ok

    def why_lines(self) -> list[str]:
        """The diagnoses as text: a blank line, `Why (hop): message`, then the evidence."""
        lines: list[str] = []
        for diagnosis in self.diagnoses:
            lines.extend(["", f"Why ({diagnosis.hop}): {diagnosis.message}"])
            lines.extend(f"  - {item}" for item in diagnosis.evidence)
            if diagnosis.lesson:
                lines.append(f"  See lesson {diagnosis.lesson}.")
        return lines

    def render(self, plain: bool = False, width: int | None = None) -> str:
        """The hops, then why the failing hop failed (hops wrapped to `width`, default 78)."""
        hops = self.trace.render(plain=plain, width=width or TRACE_WIDTH)
        return "\n".join([hops, *self.why_lines()])


def run_trace(ctx: CheckContext, traced: TraceRequest) -> TraceReport:
    """Trace the request through the lab's cluster and explain a failing hop."""
    from tutor.checks.explain import explain_failure
    from tutor.cluster.sim.trace import trace

    result = trace(ctx.cluster, traced.request)
    hop = result.failing_hop
    diagnoses = explain_failure(ctx, hop.failure, traced.params) if hop is not None else ()
    return TraceReport(result, diagnoses, traced.label)
