"""Traces: hops in order, the failing hop with its code and evidence, rendering."""

from __future__ import annotations

from fixtures_dataplane import NODE_IP, NS, W1, W2, W3, app, cluster, probe_pod, service

from tutor.cluster.base import ProbeRequest
from tutor.cluster.sim.trace import FAILURES, Trace, trace


def _trace(target: str, src_fn: str = "ok", **kw: object) -> Trace:
    src = cluster().add(probe_pod(W1))
    if src_fn == "ok":
        app(src, "web", [W1, W2, W3], trafficDistribution="PreferSameZone")
    elif src_fn == "notready":
        app(src, "web", [W2], ready=[False])
    elif src_fn == "local":
        app(src, "web", [W2], type="NodePort", externalTrafficPolicy="Local")
    return trace(src, ProbeRequest("http", target, NS, **kw))  # type: ignore[arg-type]


def test_successful_trace_walks_client_dns_service_proxy_pod_answer() -> None:
    t = _trace("http://web/hostname")
    assert t.ok and t.failing_hop is None and t.failure is None
    assert [h.name for h in t.hops] == ["client", "dns", "service", "kube-proxy", "pod", "answer"]
    assert "zone-a" in t.hops[0].summary
    proxy = t.hops[3]
    assert "forZones" in proxy.reason and "zone-a" in proxy.reason
    assert t.attempt.status == 200


def test_failing_trace_names_the_hop_code_and_evidence() -> None:
    t = _trace("http://web/", "notready")
    hop = t.failing_hop
    assert hop is not None and hop.name == "kube-proxy"
    assert hop.failure == "no-ready-endpoints" == t.failure
    assert hop.evidence and "conditions.ready" in str(hop.evidence[0])
    assert t.attempt.error == "refused"


def test_local_policy_drop_trace_from_host() -> None:
    src = cluster()
    svc, _ = app(src, "web", [W2], type="NodePort", externalTrafficPolicy="Local")
    port = svc["spec"]["ports"][0]["nodePort"]
    t = trace(src, ProbeRequest("http", f"http://{NODE_IP[W1]}:{port}/", NS, source="host"))
    assert t.failure == "no-local-endpoint"
    assert any(e.path == "spec.externalTrafficPolicy" for e in t.failing_hop.evidence)  # type: ignore[union-attr]
    assert [h.name for h in t.hops][:3] == ["client", "nodeport", "kube-proxy"]


def test_nxdomain_trace_lists_the_names_tried() -> None:
    t = _trace("http://nope/")
    assert t.failure == "nxdomain"
    assert "nope.lab.svc.cluster.local" in t.failing_hop.reason  # type: ignore[union-attr]


def test_every_failure_code_used_is_in_the_vocabulary() -> None:
    src = cluster().add(probe_pod(W1))
    app(src, "web", [W2], ready=[False])
    src.add(service("empty", selector={"app": "none"}))
    codes = {
        trace(src, ProbeRequest("http", url, NS)).failure
        for url in ("http://web/", "http://empty/", "http://nope/", "web:81")
    }
    codes.discard(None)
    assert codes and codes <= set(FAILURES)


def test_render_fits_78_columns_box_and_plain() -> None:
    for t in (_trace("http://web/hostname"), _trace("http://web/", "notready")):
        fancy = t.render()
        plain = t.render(plain=True)
        assert all(len(line) <= 78 for line in fancy.splitlines())
        assert all(len(line) <= 78 for line in plain.splitlines())
        assert "▼" in fancy and "│" in fancy
        assert plain.isascii()
        assert "Result:" in plain
    failed = _trace("http://web/", "notready").render(plain=True)
    assert "[FAIL] kube-proxy" in failed and "[no-ready-endpoints]" in failed
