"""NetworkPolicy on the simulator, as kind's kindnet enforces it.

Sources (read with `fetch`):
- kubernetes-sigs/kube-network-policies (embedded by kindnetd since kind v0.24.0, kind PR 3612):
  `pkg/networkpolicy/networkpolicy.go` (`EvaluatePolicyDirection`, `evaluateIngress`,
  `evaluateEgress`, `evaluateSelectors`, `evaluateIPBlocks`, `evaluatePorts`) and
  `pkg/dataplane/controller.go` (`syncNFTablesRules`: the chain sits in POSTROUTING before SNAT,
  after kube-proxy's DNAT; `meta skuid 0 accept` lets root on the node through).
- kubernetes/api `networking/v1/types.go` (field semantics) and kubernetes
  `pkg/apis/networking/v1/defaults.go` (protocol TCP; policyTypes Ingress, plus Egress when
  there are egress rules), `pkg/apis/networking/validation/validation.go`
  (`ValidateNetworkPolicySpec`, `ValidateNetworkPolicyPort`, `ValidateNetworkPolicyPeer`,
  `ValidateIPBlock`).
"""

from __future__ import annotations

from typing import Any

import pytest

from tutor.cluster.base import InvalidObjectError, ProbeRequest
from tutor.cluster.sim.cluster import SimCluster
from tutor.cluster.sim.netpol import NetworkPolicies, PodEnd, ip_block_matches, ports_match
from tutor.cluster.sim.trace import FAILURES, trace

NS = "shop"
OTHER = "batch"
Obj = dict[str, Any]
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.39"


def pod(name: str, labels: dict[str, str], port: int = 8080) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": AGNHOST,
                    "args": ["netexec", f"--http-port={port}"],
                    "ports": [{"name": "http", "containerPort": port}],
                }
            ]
        },
    }


def service(name: str, port: int = 80, target: Any = 8080, **extra: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "selector": {"app": name},
            "ports": [{"port": port, "targetPort": target}],
            **extra,
        },
    }


def policy(name: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name},
        "spec": {"podSelector": {}, **spec},
    }


def api_ingress(ports: list[Obj] | None = None, peers: list[Obj] | None = None) -> Obj:
    rule: Obj = {}
    if ports is not None:
        rule["ports"] = ports
    if peers is not None:
        rule["from"] = peers
    return policy(
        "api-in",
        podSelector={"matchLabels": {"app": "api"}},
        policyTypes=["Ingress"],
        ingress=[rule],
    )


@pytest.fixture
def cluster() -> SimCluster:
    c = SimCluster()
    c.ensure_namespace(NS, {"team": "shop"})
    c.ensure_namespace(OTHER, {})
    c.apply([pod("api", {"app": "api"}), pod("frontend", {"app": "frontend"}), service("api")], NS)
    c.apply([pod("job", {"app": "frontend"})], OTHER)
    return c


def get(c: SimCluster, source: str, url: str = "http://api.shop/hostname", ns: str = NS) -> Any:
    return c.probe(ProbeRequest("http", url, ns, source=source)).attempts[0]


def test_no_policy_means_not_isolated(cluster: SimCluster) -> None:
    assert get(cluster, "pod:frontend").status == 200
    assert get(cluster, "pod:job", ns=OTHER).status == 200


def test_default_deny_ingress_drops_and_names_the_policy(cluster: SimCluster) -> None:
    """An empty podSelector selects every Pod of the namespace; with no ingress rules the
    Pods are isolated and nothing is allowed (types.go, NetworkPolicySpec.Ingress). kindnet
    drops (nfqueue verdict NfDrop): the client times out, it is not refused."""
    cluster.apply([policy("deny", policyTypes=["Ingress"])], NS)
    attempt = get(cluster, "pod:frontend")
    assert attempt.error == "timeout"
    t = trace(cluster, ProbeRequest("http", "http://api.shop/hostname", NS, source="pod:frontend"))
    failing = [h for h in t.hops if not h.ok]
    assert failing[-1].failure == "policy-denied"
    assert "shop/deny" in failing[-1].summary and "ingress" in failing[-1].summary
    assert "policy-denied" in FAILURES


def test_policy_types_default_from_the_rules(cluster: SimCluster) -> None:
    """defaults.go SetDefaults_NetworkPolicy: Ingress always, Egress only with egress rules;
    SetDefaults_NetworkPolicyPort: protocol TCP."""
    cluster.apply(
        [
            policy("plain"),
            policy("with-egress", egress=[{"ports": [{"port": 53}]}]),
        ],
        NS,
    )
    plain = cluster.get("NetworkPolicy", "plain", NS)
    both = cluster.get("NetworkPolicy", "with-egress", NS)
    assert plain is not None and both is not None
    assert plain["spec"]["policyTypes"] == ["Ingress"]
    assert both["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert both["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP"


def test_a_policy_without_egress_type_leaves_egress_open(cluster: SimCluster) -> None:
    """A rule-less policy with no policyTypes denies ingress only: the frontend (selected)
    may still call out, but nobody reaches it."""
    cluster.apply([policy("plain", podSelector={"matchLabels": {"app": "frontend"}})], NS)
    assert get(cluster, "pod:frontend").status == 200
    assert get(cluster, "pod:api", "http://frontend.shop:8080/hostname").error is not None


def test_ports_are_the_pod_port_after_dnat(cluster: SimCluster) -> None:
    """The Service maps 80 -> 8080; kindnet judges after DNAT, so only 8080 matches."""
    peers = [{"podSelector": {"matchLabels": {"app": "frontend"}}}]
    cluster.apply([api_ingress([{"port": 80}], peers)], NS)
    assert get(cluster, "pod:frontend").error == "timeout"
    cluster.apply([api_ingress([{"port": 8080}], peers)], NS)
    assert get(cluster, "pod:frontend").status == 200


def test_named_port_is_resolved_on_the_receiving_pod(cluster: SimCluster) -> None:
    """evaluatePorts: a named port matches a container port of that name, number and
    protocol in the Pod that receives (ingress)."""
    cluster.apply([api_ingress([{"port": "http"}])], NS)
    assert get(cluster, "pod:frontend").status == 200
    cluster.apply([api_ingress([{"port": "metrics"}])], NS)
    assert get(cluster, "pod:frontend").error == "timeout"


def test_end_port_range_and_protocol() -> None:
    """evaluatePorts: `port`..`endPort` inclusive; the protocol must match (TCP default)."""
    ranged = [{"protocol": "TCP", "port": 8000, "endPort": 8080}]
    assert ports_match(ranged, None, 8000, "TCP") and ports_match(ranged, None, 8080, "TCP")
    assert not ports_match(ranged, None, 8081, "TCP")
    assert not ports_match(ranged, None, 8040, "UDP")
    assert ports_match([{"protocol": "UDP"}], None, 5353, "UDP")  # no port: every port
    assert ports_match([], None, 1, "SCTP")  # no ports: everything


def test_pod_selector_peer_stays_in_the_policy_namespace(cluster: SimCluster) -> None:
    """evaluateSelectors: a podSelector without namespaceSelector means the policy's namespace,
    so `app=frontend` in namespace batch does not match."""
    cluster.apply([api_ingress(None, [{"podSelector": {"matchLabels": {"app": "frontend"}}}])], NS)
    assert get(cluster, "pod:frontend").status == 200
    assert get(cluster, "pod:job", ns=OTHER).error == "timeout"


def test_namespace_selector_by_metadata_name_and_the_and_form(cluster: SimCluster) -> None:
    """Every namespace carries kubernetes.io/metadata.name; namespaceSelector and podSelector
    in one peer are AND-ed (types.go NetworkPolicyPeer)."""
    by_name = {"matchLabels": {"kubernetes.io/metadata.name": OTHER}}
    cluster.apply([api_ingress(None, [{"namespaceSelector": by_name}])], NS)
    assert get(cluster, "pod:job", ns=OTHER).status == 200
    assert get(cluster, "pod:frontend").error == "timeout"
    both = {"namespaceSelector": by_name, "podSelector": {"matchLabels": {"app": "other"}}}
    cluster.apply([api_ingress(None, [both])], NS)
    assert get(cluster, "pod:job", ns=OTHER).error == "timeout"


def test_match_expressions_in_selectors(cluster: SimCluster) -> None:
    expr = {"matchExpressions": [{"key": "team", "operator": "In", "values": ["shop"]}]}
    cluster.apply([api_ingress(None, [{"namespaceSelector": expr}])], NS)
    assert get(cluster, "pod:frontend").status == 200
    assert get(cluster, "pod:job", ns=OTHER).error == "timeout"


def test_ip_block_with_except() -> None:
    """evaluateIPBlocks: inside cidr and outside every except."""
    block = {"cidr": "10.244.0.0/16", "except": ["10.244.2.0/24"]}
    assert ip_block_matches(block, "10.244.1.7")
    assert not ip_block_matches(block, "10.244.2.7")
    assert not ip_block_matches(block, "172.18.0.1")
    assert not ip_block_matches(block, "fd00:10:244::5")


def test_ip_block_on_pod_addresses(cluster: SimCluster) -> None:
    frontend = cluster.get("Pod", "frontend", NS)
    assert frontend is not None
    ip = frontend["status"]["podIP"]
    cluster.apply(
        [api_ingress(None, [{"ipBlock": {"cidr": "10.244.0.0/16", "except": [f"{ip}/32"]}}])], NS
    )
    assert get(cluster, "pod:frontend").error == "timeout"
    assert get(cluster, "pod:job", ns=OTHER).status == 200


def test_egress_ip_block_with_the_cluster_ip_does_not_match(cluster: SimCluster) -> None:
    """Egress is judged after DNAT too: the destination is the Pod IP, never the ClusterIP."""
    svc = cluster.get("Service", "api", NS)
    assert svc is not None
    vip = svc["spec"]["clusterIP"]
    dns = {"ports": [{"protocol": "UDP", "port": 53}]}
    to_vip = {"to": [{"ipBlock": {"cidr": f"{vip}/32"}}]}
    cluster.apply(
        [
            policy(
                "out",
                podSelector={"matchLabels": {"app": "frontend"}},
                policyTypes=["Egress"],
                egress=[dns, to_vip],
            )
        ],
        NS,
    )
    assert get(cluster, "pod:frontend").error == "timeout"
    to_pods = {"to": [{"podSelector": {"matchLabels": {"app": "api"}}}], "ports": [{"port": 8080}]}
    cluster.apply(
        [
            policy(
                "out",
                podSelector={"matchLabels": {"app": "frontend"}},
                policyTypes=["Egress"],
                egress=[dns, to_pods],
            )
        ],
        NS,
    )
    assert get(cluster, "pod:frontend").status == 200


def test_default_deny_egress_breaks_dns_until_udp_53_to_kube_dns(cluster: SimCluster) -> None:
    """A lookup is egress to the CoreDNS Pods (k8s-app=kube-dns in kube-system) on 53; the
    resolver asks over UDP first, so TCP 53 alone does not bring names back."""
    cluster.apply([policy("deny-out", policyTypes=["Egress"])], NS)
    attempt = get(cluster, "pod:frontend")
    assert attempt.error == "unresolvable" and "53/UDP" in (attempt.detail or "")
    dns_peer = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    tcp_only = {"to": [dns_peer], "ports": [{"protocol": "TCP", "port": 53}]}
    cluster.apply([policy("dns", policyTypes=["Egress"], egress=[tcp_only])], NS)
    assert get(cluster, "pod:frontend").error == "unresolvable"
    both = {
        "to": [dns_peer],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }
    cluster.apply([policy("dns", policyTypes=["Egress"], egress=[both])], NS)
    # names resolve now; the call itself is still denied egress (to api:8080)
    assert get(cluster, "pod:frontend").error == "timeout"
    dns = cluster.probe(ProbeRequest("dns", "api", NS, source="pod:frontend")).attempts[0]
    assert dns.ok


def test_rules_add_up_across_policies(cluster: SimCluster) -> None:
    """EvaluatePolicyDirection: allowed if any rule of any selecting policy matches."""
    cluster.apply([policy("deny", policyTypes=["Ingress"])], NS)
    cluster.apply(
        [api_ingress([{"port": 8080}], [{"podSelector": {"matchLabels": {"app": "frontend"}}}])], NS
    )
    assert get(cluster, "pod:frontend").status == 200
    assert get(cluster, "pod:job", ns=OTHER).error == "timeout"


def test_node_processes_local_bypass_remote_judged(cluster: SimCluster) -> None:
    """`meta skuid 0 accept`: root processes on the Pod's own node are not judged (kubelet
    probes keep working); from another node the source is that node's IP, which selectors
    never match."""
    cluster.apply([policy("deny", policyTypes=["Ingress"])], NS)
    api = cluster.get("Pod", "api", NS)
    assert api is not None
    ip, here = api["status"]["podIP"], api["spec"]["nodeName"]
    other = next(
        n["metadata"]["name"] for n in cluster.list("Node") if n["metadata"]["name"] != here
    )
    url = f"http://{ip}:8080/hostname"
    assert get(cluster, f"node:{here}", url).status == 200
    assert get(cluster, f"node:{other}", url).error == "timeout"


def test_nodeport_from_outside_is_not_a_pod_of_any_namespace(cluster: SimCluster) -> None:
    """kindnet judges before the node's SNAT (ChainPriorityNATSource - 5): a client outside
    the cluster is no Pod, so a namespaceSelector never admits it, whichever node it enters."""
    cluster.apply([service("api", type="NodePort")], NS)
    peers = [{"namespaceSelector": {}}]  # every Pod of every namespace
    cluster.apply([api_ingress([{"port": 8080}], peers)], NS)
    svc = cluster.get("Service", "api", NS)
    assert svc is not None
    node_port = svc["spec"]["ports"][0]["nodePort"]
    for node in cluster.list("Node"):
        address = next(
            a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"
        )
        assert get(cluster, "host", f"http://{address}:{node_port}/hostname").error == "timeout"
    assert get(cluster, "pod:job", ns=OTHER).status == 200


def test_host_network_pods_are_not_managed() -> None:
    """getLocalPodsForNetworkPolicy skips hostNetwork Pods."""
    deny = policy("deny")
    deny["metadata"]["namespace"] = NS
    engine = NetworkPolicies(lambda ns: [deny] if ns == NS else [])
    host_pod = {"metadata": {"name": "h", "namespace": NS}, "spec": {"hostNetwork": True}}
    plain = {"metadata": {"name": "p", "namespace": NS}, "spec": {}}
    assert engine.selecting(host_pod, "Ingress") == []
    assert [p["metadata"]["name"] for p in engine.selecting(plain, "Ingress")] == ["deny"]
    assert not engine.ingress(PodEnd("10.244.1.2", plain), 80, "TCP", PodEnd("10.244.1.3")).allowed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"ingress": [{"ports": [{"port": "http", "endPort": 90}]}]}, "non-numeric"),
        ({"ingress": [{"ports": [{"port": 90, "endPort": 80}]}]}, "greater than or equal"),
        ({"ingress": [{"ports": [{"protocol": "ICMP"}]}]}, "Unsupported value"),
        ({"ingress": [{"from": [{}]}]}, "must specify a peer"),
        (
            {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]},
            "may not specify both ipBlock and another peer",
        ),
        (
            {
                "egress": [
                    {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}}]}
                ]
            },
            "strict subset",
        ),
        ({"egress": [{"to": [{"ipBlock": {"cidr": "nonsense"}}]}]}, "valid CIDR"),
        ({"policyTypes": ["Ingress", "Sideways"]}, "Unsupported value"),
    ],
)
def test_validation(cluster: SimCluster, spec: Obj, message: str) -> None:
    with pytest.raises(InvalidObjectError) as raised:
        cluster.apply([policy("bad", **spec)], NS)
    assert message in str(raised.value) + " ".join(str(p) for p in raised.value.problems)


def test_kubectl_get_networkpolicy_columns() -> None:
    """printers.go `printNetworkPolicy`: NAME, POD-SELECTOR (metav1.FormatLabelSelector,
    `<none>` for the empty selector), AGE."""
    from datetime import UTC, datetime

    from tutor.cluster.sim.api.tables import to_table

    now = datetime(2026, 3, 1, 12, 5, 0, tzinfo=UTC)
    objs = [
        {
            "metadata": {"name": "deny", "creationTimestamp": "2026-03-01T12:00:00Z"},
            "spec": {"podSelector": {}},
        },
        {
            "metadata": {"name": "api-in", "creationTimestamp": "2026-03-01T12:00:00Z"},
            "spec": {"podSelector": {"matchLabels": {"app": "api"}}},
        },
    ]
    table = to_table("NetworkPolicy", objs, now=now)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Pod-Selector", "Age"]
    assert [r["cells"] for r in table["rows"]] == [
        ["deny", "<none>", "5m"],
        ["api-in", "app=api", "5m"],
    ]


def test_probe_stand_in_carries_the_probe_pods_labels() -> None:
    """The stand-in probe is judged as kube-tutor's probe Pod would be on kind."""
    from tutor.cluster.probes import PROBE_LABELS
    from tutor.cluster.sim import netpol

    assert netpol.PROBE_LABELS == PROBE_LABELS


def test_trace_names_the_rule_that_allowed_it(cluster: SimCluster) -> None:
    cluster.apply(
        [api_ingress([{"port": "http"}], [{"podSelector": {"matchLabels": {"app": "frontend"}}}])],
        NS,
    )
    t = trace(cluster, ProbeRequest("http", "http://api.shop/hostname", NS, source="pod:frontend"))
    policy_hops = [h for h in t.hops if h.name == "policy"]
    assert len(policy_hops) == 1 and policy_hops[0].ok
    assert "shop/api-in ingress[0]" in policy_hops[0].summary
