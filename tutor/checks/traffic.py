"""Traffic checks: send requests (real ones on kind, modelled ones on the simulator) and
judge what came back: status, body, which backend answered, the client IP it saw."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tutor.checks.context import CheckContext
from tutor.checks.expect import Count, count_ok, count_words, validate_count
from tutor.checks.registry import Params, check_type
from tutor.checks.verdict import Outcome
from tutor.cluster.base import ProbeRequest, ProbeResult

Source = str
"""`probe` (a probe Pod in the lab namespace), `host`, `pod:NAME` or `node:NAME`."""
_SOURCE = r"^(probe|host|pod:[a-z0-9.-]+|node:[a-z0-9.-]+)$"


class TrafficParams(Params):
    """Parameters every traffic check shares."""

    from_: Source = Field(default="probe", alias="from", pattern=_SOURCE)
    """Where the request starts."""
    count: int = Field(default=1, ge=1, le=100)
    """How many requests to send."""
    timeout: float = Field(default=3.0, gt=0, le=30)
    """Seconds per request."""


class HttpExpect(BaseModel):
    """What an HTTP check expects; every given field must hold for the check to pass."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: int | None = None
    """The HTTP status every answered request must have."""
    body_contains: str | None = None
    body_matches: str | None = None
    distinct_backends: Count | None = None
    """How many different Pods must answer across `count` requests."""
    backend_prefix: str | None = None
    """Every answering Pod's name starts with this (e.g. the Deployment's name)."""
    same_backend: bool | None = None
    """True: every request lands on the same Pod (session affinity)."""
    client_ip: Literal["preserved", "not-preserved"] | None = None
    """Whether the backend sees the original client address."""
    error: Literal["refused", "timeout", "reset", "nxdomain", "tls", "any"] | None = None
    """The requests must fail, this way."""

    _count = field_validator("distinct_backends")(validate_count)


class HttpParams(TrafficParams):
    """`http`: send HTTP requests and judge the answers."""

    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    resolve: str | None = None
    """Connect to this address (placeholders expanded) instead of resolving the URL's host,
    which is still sent as SNI and Host: `curl -k --resolve HOST:PORT:ADDRESS`."""
    expect: HttpExpect


def _request(
    p: TrafficParams, ctx: CheckContext, protocol: str, target: str, **extra: object
) -> ProbeResult:
    request = ProbeRequest(
        protocol=protocol,  # type: ignore[arg-type]
        target=ctx.expand(target),
        namespace=ctx.namespace,
        source=ctx.expand(p.from_),
        count=p.count,
        timeout=p.timeout,
        **extra,  # type: ignore[arg-type]
    )
    return ctx.probe(request)


def _evidence(result: ProbeResult, limit: int = 6) -> tuple[str, ...]:
    lines = []
    for number, attempt in enumerate(result.attempts[:limit], 1):
        if attempt.ok:
            what = f"HTTP {attempt.status}" if attempt.status is not None else "ok"
            who = f" from {attempt.backend}" if attempt.backend else ""
            seen = f", client IP seen {attempt.client_ip}" if attempt.client_ip else ""
            lines.append(f"#{number}: {what}{who}{seen}")
        else:
            lines.append(f"#{number}: {attempt.error or 'failed'} {attempt.detail}".rstrip())
    if len(result.attempts) > limit:
        lines.append(f"... {len(result.attempts) - limit} more")
    return tuple(lines)


@check_type(
    "http",
    "traffic",
    HttpParams,
    describe=lambda p: f"HTTP {p.url} from {p.from_}",
    diagnose=(
        "selector-mismatch",
        "targetport-mismatch",
        "named-port-missing",
        "readiness-failing",
        "port-not-exposed",
        "cluster-policy-snat",
        "externalips-not-lb",
        "traffic-distribution",
    ),
)
def http(p: HttpParams, ctx: CheckContext) -> Outcome:
    """Judge HTTP answers against the expectation."""
    headers = tuple((k, ctx.expand(v)) for k, v in p.headers.items())
    resolve = ctx.expand(p.resolve) if p.resolve else None
    result = _request(p, ctx, "http", p.url, headers=dict(headers), resolve=resolve)
    evidence = _evidence(result)
    e = p.expect
    n = len(result.attempts)
    if e.error is not None:
        failed = [a for a in result.attempts if not a.ok]
        right = [a for a in failed if e.error == "any" or a.error == e.error]
        if len(right) == n:
            return Outcome.passed(f"All {n} request(s) failed as expected ({e.error}).", *evidence)
        return Outcome.failed(
            f"Expected the request(s) to fail with {e.error}, but {n - len(right)} of {n} did not.",
            *evidence,
        )
    failed = [a for a in result.attempts if not a.ok]
    if failed:
        errors = ", ".join(result.errors) or "no answer"
        return Outcome.failed(
            f"{len(failed)} of {n} request(s) got no HTTP answer ({errors}).", *evidence
        )
    problems: list[str] = []
    if e.status is not None:
        wrong = [a.status for a in result.attempts if a.status != e.status]
        if wrong:
            problems.append(f"status {wrong[0]} instead of {e.status}")
    if e.body_contains is not None and not all(e.body_contains in a.body for a in result.attempts):
        problems.append(f"the body does not contain {e.body_contains!r}")
    if e.body_matches is not None and not all(
        re.search(e.body_matches, a.body) for a in result.attempts
    ):
        problems.append(f"the body does not match {e.body_matches!r}")
    backends = result.backends
    if e.distinct_backends is not None and not count_ok(len(backends), e.distinct_backends):
        problems.append(
            f"{len(backends)} different backend(s) answered, expected {count_words(e.distinct_backends)}"
        )
    if e.backend_prefix is not None:
        strangers = [b for b in backends if not b.startswith(e.backend_prefix)]
        if strangers or not backends:
            problems.append(
                f"answered by {strangers or 'no named backend'}, not by {e.backend_prefix}*"
            )
    if e.same_backend is not None and (len(backends) == 1) != e.same_backend:
        problems.append(
            f"{len(backends)} backends answered" + (" (no stickiness)" if e.same_backend else "")
        )
    if e.client_ip is not None:
        problems += _client_ip_problem(result, e.client_ip)
    if problems:
        return Outcome.failed(
            "HTTP answers are not as expected: " + "; ".join(problems) + ".", *evidence
        )
    return Outcome.passed(
        f"{n} request(s) answered as expected by {len(backends) or 'the'} backend(s).", *evidence
    )


def _client_ip_problem(result: ProbeResult, expected: str) -> list[str]:
    """Compare the client IP the backends saw with the probe's own source address."""
    seen = {a.client_ip.rsplit(":", 1)[0] for a in result.attempts if a.client_ip}
    if not seen:
        return ["the backend did not report the client IP (use agnhost netexec /clientip)"]
    original = _source_address(result)
    if original is None:
        return []
    preserved = seen == {original}
    if expected == "preserved" and not preserved:
        return [f"the backend saw {', '.join(sorted(seen))}, not the client's {original}"]
    if expected == "not-preserved" and preserved:
        return [f"the backend saw the client's own address {original}"]
    return []


def _source_address(result: ProbeResult) -> str | None:
    return next((a.source_ip for a in result.attempts if a.source_ip), None)


# -- tcp ----------------------------------------------------------------------------------


class TcpParams(TrafficParams):
    """`tcp`: open a TCP connection to `host:port`."""

    target: str
    connect: bool = True
    """True: the connection must open; false: it must fail."""
    error: Literal["refused", "timeout", "any"] = "any"
    """With `connect: false`: how it must fail."""


@check_type(
    "tcp",
    "traffic",
    TcpParams,
    describe=lambda p: f"TCP {p.target} from {p.from_} {'connects' if p.connect else 'fails'}",
    diagnose=("selector-mismatch", "targetport-mismatch", "readiness-failing", "port-not-exposed"),
)
def tcp(p: TcpParams, ctx: CheckContext) -> Outcome:
    """Judge TCP connects."""
    result = _request(p, ctx, "tcp", p.target)
    evidence = _evidence(result)
    n = len(result.attempts)
    if p.connect:
        if result.ok_count == n:
            return Outcome.passed(f"Connected {n} time(s).", *evidence)
        return Outcome.failed(
            f"{n - result.ok_count} of {n} connection(s) failed ({', '.join(result.errors)}).",
            *evidence,
        )
    bad = [a for a in result.attempts if a.ok or (p.error != "any" and a.error != p.error)]
    if not bad:
        return Outcome.passed(f"All {n} connection(s) failed as expected ({p.error}).", *evidence)
    return Outcome.failed(
        f"Expected the connection to fail ({p.error}), but {len(bad)} of {n} did not.", *evidence
    )


# -- dns ----------------------------------------------------------------------------------


class DnsParams(TrafficParams):
    """`dns`: resolve a name from inside the cluster."""

    name: str
    record: Literal["A", "AAAA", "SRV", "CNAME", "PTR"] = "A"
    """The record type to ask for."""
    records: Count | None = None
    """How many records the answer must have."""
    contains: str | None = None
    """A record (address, CNAME target or SRV target) that must be in the answer."""
    nxdomain: bool | None = None
    """True: the name must not exist."""
    pod_ips_of: dict[str, str] | None = None
    """The A records must equal the IPs of the ready Pods with these labels."""

    _count = field_validator("records")(validate_count)


@check_type(
    "dns",
    "traffic",
    DnsParams,
    describe=lambda p: f"DNS {p.record} {p.name}",
)
def dns(p: DnsParams, ctx: CheckContext) -> Outcome:
    """Judge a DNS answer."""
    from tutor.checks.state import pod_ready

    result = _request(p, ctx, "dns", p.name, record_type=p.record)
    attempt = result.attempts[0]
    records = list(attempt.records)
    evidence = (
        f"{p.record} {ctx.expand(p.name)} -> {', '.join(records) or attempt.error or 'no records'}",
    )
    if p.nxdomain is not None:
        is_nx = attempt.error == "nxdomain"
        if is_nx == p.nxdomain:
            return Outcome.passed(
                "The name does not exist (NXDOMAIN)." if is_nx else "The name resolves.", *evidence
            )
        return Outcome.failed(
            "The name resolves; expected NXDOMAIN."
            if not is_nx
            else "NXDOMAIN; expected an answer.",
            *evidence,
        )
    if not attempt.ok:
        return Outcome.failed(f"The name did not resolve ({attempt.error}).", *evidence)
    problems = []
    if p.records is not None and not count_ok(len(records), p.records):
        problems.append(f"{len(records)} record(s), expected {count_words(p.records)}")
    if p.contains is not None:
        wanted = ctx.expand(p.contains).rstrip(".")
        if not any(wanted in r.rstrip(".").split() or r.rstrip(".") == wanted for r in records):
            problems.append(f"no record {wanted!r}")
    if p.pod_ips_of is not None:
        pods = ctx.list("Pod", ctx.ns(p.namespace), p.pod_ips_of)
        ips = sorted(pod["status"].get("podIP", "") for pod in pods if pod_ready(pod))
        if sorted(records) != ips:
            problems.append(f"the records are not the ready Pods' IPs {ips}")
    if problems:
        return Outcome.failed("DNS answer not as expected: " + "; ".join(problems) + ".", *evidence)
    return Outcome.passed(f"{len(records)} record(s) as expected.", *evidence)


# -- what a traffic check saw (for diagnosers) --------------------------------------------


def result_of(ctx: CheckContext, params: dict[str, object]) -> ProbeResult | None:
    """The probe result of the traffic check with these raw parameters, from the round's
    cache (the check already sent it, so nothing is sent again); None for other checks or
    when its target cannot be filled in yet."""
    from pydantic import ValidationError

    from tutor.checks.context import Unresolved

    params = {k: v for k, v in params.items() if not k.startswith("__")}
    try:
        if "url" in params:
            p = HttpParams.model_validate(params)
            headers = {k: ctx.expand(v) for k, v in p.headers.items()}
            return _request(p, ctx, "http", p.url, headers=headers)
        if "target" in params:
            t = TcpParams.model_validate(params)
            return _request(t, ctx, "tcp", t.target)
    except (ValidationError, Unresolved):
        return None
    return None
