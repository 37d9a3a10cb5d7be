"""Trace requests built from typed targets and from traffic checks (tutor.labs.trace)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.checks.context import Unresolved
from tutor.checks.verdict import Status, Verdict
from tutor.cli import main
from tutor.cluster.sim.cluster import SimCluster
from tutor.content.loader import Lab, load_course
from tutor.labs.session import LabSession
from tutor.labs.trace import (
    check_request,
    check_to_trace,
    guess_protocol,
    parse_headers,
    run_trace,
    target_request,
)

PACK = Path(__file__).parents[1] / "ui" / "pack"


@pytest.fixture
def lab() -> Lab:
    found = load_course([PACK], builtin=False).lab("01-fix-selector")
    assert found is not None
    return found


@pytest.fixture
def session(lab: Lab, tmp_path: Path) -> LabSession:
    started = LabSession(lab, SimCluster(), workspace=tmp_path / lab.id)
    assert started.start().ok
    return started


def test_protocol_is_guessed_from_the_target() -> None:
    assert guess_protocol("http://web/") == "http"
    assert guess_protocol("web:80") == "tcp"
    assert guess_protocol("web.default") == "dns"


def test_headers_are_parsed_from_name_value_pairs() -> None:
    assert parse_headers(["Host: a.example", "bad", "X-A:1"]) == {"Host": "a.example", "X-A": "1"}


def test_typed_target_is_expanded_in_the_lab_namespace(session: LabSession) -> None:
    ctx = session.context()
    traced = target_request(ctx, "http://{cluster_ip:web}/", headers={"Host": "web"})
    assert traced.request.protocol == "http"
    assert traced.request.target.startswith("http://10.96.")
    assert traced.request.namespace == "kt-01-fix-selector"
    assert traced.params == {
        "url": "http://{cluster_ip:web}/",
        "from": "probe",
        "headers": {"Host": "web"},
    }
    with pytest.raises(Unresolved):
        target_request(ctx, "http://{cluster_ip:nothing}/")


def test_the_failing_traffic_check_is_traced_and_explained(lab: Lab, session: LabSession) -> None:
    verdicts = [
        Verdict("endpoints", "", Status.FAIL, ""),
        Verdict("reach", "", Status.FAIL, ""),
    ]
    spec = check_to_trace(lab.spec.checks, verdicts)
    assert spec is not None and spec.id == "reach"  # the state check has no request
    ctx = session.context()
    state = next(s for s in lab.spec.checks if s.id == "endpoints")
    assert check_request(ctx, state) is None
    traced = check_request(ctx, spec)
    assert traced is not None and traced.label == "http://web/hostname"
    report = run_trace(ctx, traced)
    assert not report.ok and report.trace.failure == "no-endpoints"
    assert [d.name for d in report.diagnoses] == ["selector-mismatch"]
    text = report.render(plain=True)
    assert "[FAIL] kube-proxy" in text and "\nWhy (Service -> EndpointSlice): " in text


def test_a_passing_lab_still_offers_its_first_traffic_check(lab: Lab) -> None:
    passing = [Verdict(s.id, "", Status.PASS, "") for s in lab.spec.checks]
    spec = check_to_trace(lab.spec.checks, passing)
    assert spec is not None and spec.id == "reach"


def test_cli_trace_uses_the_same_core(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--content", str(PACK), "--backend", "sim"]
    assert main(["lab", "start", "01-fix-selector", *base]) == 0
    capsys.readouterr()
    code = main(["trace", "01-fix-selector", "http://web/hostname", "--plain", *base])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("HTTP http://web/hostname  from probe")
    assert "[FAIL] kube-proxy" in out and "Why (Service -> EndpointSlice)" in out
