"""Per-Pod DNS: resolv.conf from dnsPolicy/dnsConfig, the search walk, and CoreDNS's Corefile.

Sources (read for these tests):
- kubernetes v1.37 pkg/kubelet/network/dns/dns.go: `getPodDNSType`, `GetPodDNS`,
  `generateSearchesForDNSClusterFirst`, `appendDNSConfig`, `mergeDNSOptions`,
  `formDNSConfigFitsLimits` (3 nameservers, 32 search domains).
- kubernetes v1.37 cmd/kubeadm/app/phases/addons/dns/manifests.go `CoreDNSConfigMap`.
- coredns core/dnsserver/server.go `ServeDNS` (the most specific zone's block answers),
  plugin.cfg (hosts, kubernetes, forward order), plugin/hosts/hosts.go (a miss without
  fallthrough is SERVFAIL), plugin/forward/README.md.
- glibc resolv/res_query.c `res_search` and musl `name_from_dns_search`: fewer than ndots dots
  -> search domains first; a trailing dot -> the name alone.
"""

from __future__ import annotations

from typing import Any

from fixtures_dataplane import NS, W1, W2, app, cluster, pod

from tutor.cluster.sim.corefile import KUBEADM_COREFILE, choose_block, parse_corefile
from tutor.cluster.sim.dns import ClusterDns
from tutor.cluster.sim.podresolver import PodResolver
from tutor.cluster.sim.resolvconf import KIND_NODE_RESOLVER, pod_resolv_conf

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.39"


def client(**spec: Any) -> dict[str, Any]:
    """A pause Pod in the lab namespace with extra spec fields."""
    obj = pod("client", W1, containers=[{"name": "c", "image": AGNHOST, "args": ["pause"]}])
    obj["spec"].update(spec)
    return obj


def test_cluster_first_is_the_cluster_dns_search_list_and_ndots_5() -> None:
    conf = pod_resolv_conf(client())
    assert conf.nameservers == ["10.96.0.10"]
    assert conf.searches == [f"{NS}.svc.cluster.local", "svc.cluster.local", "cluster.local"]
    assert conf.options == ["ndots:5"]
    assert conf.ndots == 5


def test_default_is_the_nodes_resolver_and_host_network_falls_back_to_it() -> None:
    # getPodDNSType: ClusterFirst on a hostNetwork Pod falls through to Default
    for pod_ in (client(dnsPolicy="Default"), client(hostNetwork=True)):
        conf = pod_resolv_conf(pod_)
        assert conf.nameservers == [KIND_NODE_RESOLVER]
        assert conf.searches == []
    with_host_net = pod_resolv_conf(client(hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet"))
    assert with_host_net.nameservers == ["10.96.0.10"]


def test_dns_config_is_appended_and_options_merge_by_name() -> None:
    conf = pod_resolv_conf(
        client(
            dnsConfig={
                "nameservers": ["10.0.0.53", "10.96.0.10"],
                "searches": ["corp.example", "svc.cluster.local"],
                "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}],
            }
        )
    )
    assert conf.nameservers == ["10.96.0.10", "10.0.0.53"]  # duplicates dropped
    assert conf.searches[-1] == "corp.example" and conf.searches.count("svc.cluster.local") == 1
    assert sorted(conf.options) == ["edns0", "ndots:2"]
    assert conf.ndots == 2


def test_none_starts_empty_and_caps_nameservers_at_three() -> None:
    conf = pod_resolv_conf(
        client(
            dnsPolicy="None",
            dnsConfig={"nameservers": ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"]},
        )
    )
    assert conf.nameservers == ["1.1.1.1", "2.2.2.2", "3.3.3.3"]
    assert conf.searches == [] and conf.options == []
    assert conf.ndots == 1  # resolv.conf(5): ndots defaults to 1
    assert conf.render() == "nameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 3.3.3.3\n"


def test_external_name_walks_the_whole_search_list_first() -> None:
    src = cluster()
    answer = PodResolver(ClusterDns(src)).resolve(client(), "api.example.com")
    assert answer.tried == (
        f"api.example.com.{NS}.svc.cluster.local",
        "api.example.com.svc.cluster.local",
        "api.example.com.cluster.local",
        "api.example.com",
    )
    dotted = PodResolver(ClusterDns(src)).resolve(client(), "api.example.com.")
    assert dotted.tried == ("api.example.com",)
    fewer = client(dnsConfig={"options": [{"name": "ndots", "value": "2"}]})
    assert PodResolver(ClusterDns(src)).resolve(fewer, "api.example.com").tried[0] == (
        "api.example.com"
    )


def test_default_policy_cannot_resolve_a_service_but_cluster_first_can() -> None:
    src = cluster()
    app(src, "web", [W1, W2], cluster_ip="10.96.0.80")
    resolver = PodResolver(ClusterDns(src))
    assert resolver.resolve(client(), "web").values == ("10.96.0.80",)
    lost = resolver.resolve(client(dnsPolicy="Default"), "web")
    assert lost.values == () and lost.rcode == "NXDOMAIN"
    # a second nameserver does not help: the node resolver's NXDOMAIN is final
    appended = client(
        dnsPolicy="Default",
        dnsConfig={"nameservers": ["10.96.0.10"], "searches": ["svc.cluster.local"]},
    )
    assert resolver.resolve(appended, "web").values == ()


def test_host_aliases_answer_libc_lookups_but_not_dig() -> None:
    src = cluster()
    pinned = client(dnsPolicy="Default", hostAliases=[{"ip": "10.96.0.80", "hostnames": ["web"]}])
    resolver = PodResolver(ClusterDns(src))
    assert resolver.resolve(pinned, "web").values == ("10.96.0.80",)
    assert resolver.resolve(pinned, "web", libc=False).values == ()


def test_kubeadm_corefile_blocks_and_stub_domain_routing() -> None:
    blocks = parse_corefile(KUBEADM_COREFILE + "corp.example:53 {\n    forward . 10.96.0.53\n}\n")
    root = blocks[0]
    kube = root.plugin("kubernetes")
    assert kube is not None and kube.args == ["cluster.local", "in-addr.arpa", "ip6.arpa"]
    assert kube.option("pods") == ["insecure"]
    forward = root.plugin("forward")
    assert forward is not None and forward.args == [".", "/etc/resolv.conf"]
    assert [p.name for p in root.plugins][-3:] == ["loop", "reload", "loadbalance"]
    assert choose_block(blocks, "git.corp.example").zones == ["corp.example"]
    assert choose_block(blocks, "mycorp.example").zones == ["."]  # whole labels only
    assert choose_block(blocks, "corp.example.com").zones == ["."]


def _stub_server(src: Any) -> None:
    """A CoreDNS Deployment's Pod serving corp.example from hosts, forwarding the rest."""
    corefile = (
        "corp.example:53 {\n    hosts {\n        192.0.2.20 git.corp.example\n    }\n}\n"
        ".:53 {\n    forward . 10.96.0.10\n}\n"
    )
    src.add(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "corp-dns", "namespace": NS},
            "data": {"Corefile": corefile},
        }
    )
    container = {
        "name": "coredns",
        "image": "registry.k8s.io/coredns/coredns:v1.12.1",
        "args": ["-conf", "/etc/coredns/Corefile"],
        "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns"}],
    }
    _svc, pods = app(src, "corp-dns", [W2], containers=[container], cluster_ip="10.96.0.53")
    pods[0]["spec"]["volumes"] = [{"name": "config", "configMap": {"name": "corp-dns"}}]


def test_none_policy_through_a_stub_server_resolves_both_zones() -> None:
    src = cluster()
    app(src, "web", [W1], cluster_ip="10.96.0.80")
    _stub_server(src)
    resolver = PodResolver(ClusterDns(src))
    good = client(
        dnsPolicy="None",
        dnsConfig={
            "nameservers": ["10.96.0.53"],
            "searches": ["svc.cluster.local", "corp.example"],
        },
    )
    assert resolver.resolve(good, f"web.{NS}", libc=False).values == ("10.96.0.80",)
    assert resolver.resolve(good, "git", libc=False).values == ("192.0.2.20",)
    # hosts without fallthrough: a miss in corp.example is SERVFAIL, not forwarded
    assert resolver.resolve(good, "wiki.corp.example.", libc=False).rcode == "SERVFAIL"
    forgot = client(
        dnsPolicy="None", dnsConfig={"nameservers": ["10.96.0.53"], "searches": ["corp.example"]}
    )
    assert resolver.resolve(forgot, f"web.{NS}", libc=False).values == ()


def test_kube_system_corefile_stub_block_is_honoured() -> None:
    src = cluster()
    _stub_server(src)
    src.add(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": "kube-system"},
            "data": {
                "Corefile": KUBEADM_COREFILE + "corp.example:53 {\n    forward . 10.96.0.53\n}\n"
            },
        }
    )
    resolver = PodResolver(ClusterDns(src))
    answer = resolver.resolve(client(), "git.corp.example.", libc=False)
    assert answer.values == ("192.0.2.20",)
    plain = cluster()
    _stub_server(plain)
    # kubeadm's Corefile alone forwards corp.example to the node, which cannot know it
    assert PodResolver(ClusterDns(plain)).resolve(client(), "git.corp.example.").values == ()
