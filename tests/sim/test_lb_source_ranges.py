"""`loadBalancerSourceRanges` at cloud-provider-kind's Envoy, one rule a test.

Sources: cloud-provider-kind `pkg/loadbalancer/proxy.go` (`generateConfig` turns each range into
`filter_chain_match.source_prefix_ranges`; since v0.3.0, commit 43bafaba), kindnet
`images/kindnetd/cmd/kindnetd/masq.go` (Pod traffic leaving the Pod CIDR is masqueraded to the
node), kubernetes `pkg/proxy/serviceport.go` (kube-proxy keeps only `ipMode: VIP` addresses, so
it does not filter cloud-provider-kind's `Proxy` ones).
"""

from __future__ import annotations

from typing import Any

from fixtures_dataplane import NODE_IP, NS, W1, W2, FakeSource, app, cluster, probe_pod

from tutor.cluster.base import ProbeRequest, ProbeResult
from tutor.cluster.sim.dataplane import DataPlane
from tutor.cluster.sim.lb_source_ranges import source_ranges
from tutor.cluster.sim.trace import trace

LB = "172.18.0.50"


def probe(src: FakeSource, source: str, path: str = "/hostname") -> ProbeResult:
    return DataPlane(src).probe(ProbeRequest("http", f"http://{LB}{path}", NS, source=source))


def failure(src: FakeSource, source: str) -> str | None:
    return trace(src, ProbeRequest("http", f"http://{LB}/", NS, source=source)).failure


def lb_with(**spec: Any) -> FakeSource:
    src = cluster().add(probe_pod(W1))
    app(src, "web", [W2], type="LoadBalancer", lb_ip=LB, **spec)
    return src


def test_no_ranges_accept_every_source() -> None:
    src = lb_with()
    assert probe(src, "host").ok_count == 1
    assert probe(src, f"node:{W1}").ok_count == 1


def test_a_source_outside_every_range_is_reset_by_envoy() -> None:
    # no filter chain matches, so Envoy closes the accepted connection: a reset, not a timeout
    src = lb_with(loadBalancerSourceRanges=["192.168.1.0/24"])
    assert probe(src, "host").errors == ["reset"]
    assert failure(src, "host") == "lb-source-range"


def test_the_host_is_let_in_by_the_kind_gateway_address() -> None:
    src = lb_with(loadBalancerSourceRanges=["192.168.1.0/24", "172.18.0.1/32"])
    assert probe(src, "host").ok_count == 1
    # a node arrives from its own address, which the /32 does not cover
    assert probe(src, f"node:{W1}").errors == ["reset"]


def test_a_pod_is_judged_by_its_node_address_after_kindnet_masquerades_it() -> None:
    allow_w1 = lb_with(loadBalancerSourceRanges=[f"{NODE_IP[W1]}/32"])
    assert probe(allow_w1, "probe").ok_count == 1
    allow_pods = lb_with(loadBalancerSourceRanges=["10.244.0.0/16"])
    assert probe(allow_pods, "probe").errors == ["reset"]


def test_padded_entries_are_trimmed_as_the_api_allows() -> None:
    src = lb_with(loadBalancerSourceRanges=[" 172.18.0.1/32 "])
    assert [str(r) for r in source_ranges(src.get("Service", "web", NS) or {})] == [
        "172.18.0.1/32"
    ]
    assert probe(src, "host").ok_count == 1


def test_the_clusterip_is_not_filtered() -> None:
    src = lb_with(loadBalancerSourceRanges=["192.168.1.0/24"])
    result = DataPlane(src).probe(ProbeRequest("http", "http://web/hostname", NS))
    assert result.ok_count == 1
