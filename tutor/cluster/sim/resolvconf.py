"""A Pod's /etc/resolv.conf as the kubelet builds it from `dnsPolicy` and `dnsConfig`.

pkg/kubelet/network/dns/dns.go (v1.37):

- `getPodDNSType`: `None` -> empty base; `ClusterFirstWithHostNet` -> cluster; `ClusterFirst`
  -> cluster, except for a `hostNetwork` Pod, which falls through to `Default` (the node's
  resolv.conf).
- `GetPodDNS`, cluster: `nameserver <clusterDNS>`, search `<ns>.svc.<domain> svc.<domain>
  <domain>` followed by the node's search domains (`generateSearchesForDNSClusterFirst`),
  options `ndots:5` only (`defaultDNSOptions`).
- `appendDNSConfig`: `dnsConfig.nameservers` and `searches` appended (duplicates dropped),
  `options` merged by name with the Pod's value winning (`mergeDNSOptions`).
- `formDNSConfigFitsLimits`: at most 3 nameservers and 32 search domains are kept.

The node's resolv.conf on kind is Docker's with 127.0.0.11 swapped for the network's gateway
(kind images/base/files/usr/local/bin/entrypoint, `fix_dns`); the model gives it no search
domains (kind passes the host's through, which vary by machine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tutor.cluster.base import Obj

CLUSTER_DNS_IP = "10.96.0.10"
CLUSTER_DOMAIN = "cluster.local"
KIND_NODE_RESOLVER = "172.18.0.1"
"""What a kind node's /etc/resolv.conf names (Docker's resolver on the kind network, which the
kind entrypoint makes reachable); Pods with `dnsPolicy: Default` inherit it."""
NODE_OPTIONS = ("edns0", "trust-ad", "ndots:0")
"""The options line of a kind node's resolv.conf (Docker writes them)."""
MAX_NAMESERVERS = 3
MAX_SEARCHES = 32
DEFAULT_NDOTS = 1
"""What a resolver assumes when resolv.conf sets no ndots (resolv.conf(5))."""


@dataclass(frozen=True)
class ResolvConf:
    """The three things a stub resolver reads from /etc/resolv.conf."""

    nameservers: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    policy: str = "ClusterFirst"
    """The Pod's effective policy family: `cluster`, `host` or `none`."""

    @property
    def ndots(self) -> int:
        """The `ndots` option (the last one wins), 1 when unset."""
        value = DEFAULT_NDOTS
        for option in self.options:
            name, _, raw = option.partition(":")
            if name == "ndots" and raw.isdigit():
                value = min(int(raw), 15)  # glibc and musl cap it at 15
        return value

    def render(self) -> str:
        """The file as containerd writes it: `search`, `nameserver` lines, then `options`."""
        lines = []
        if self.searches:
            lines.append("search " + " ".join(self.searches))
        lines += [f"nameserver {s}" for s in self.nameservers]
        if self.options:
            lines.append("options " + " ".join(self.options))
        return "\n".join(lines) + "\n"


def dns_type(pod: Obj) -> str:
    """`cluster`, `host` or `none`, as `getPodDNSType` decides."""
    spec = pod.get("spec") or {}
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    if policy == "None":
        return "none"
    if policy == "ClusterFirstWithHostNet":
        return "cluster"
    if policy == "ClusterFirst" and not spec.get("hostNetwork"):
        return "cluster"
    return "host"


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    return [i for i in items if not (i in seen or seen.add(i))]  # type: ignore[func-returns-value]


def pod_resolv_conf(
    pod: Obj,
    *,
    cluster_dns: str = CLUSTER_DNS_IP,
    domain: str = CLUSTER_DOMAIN,
    node_servers: tuple[str, ...] = (KIND_NODE_RESOLVER,),
    node_searches: tuple[str, ...] = (),
) -> ResolvConf:
    """The resolv.conf the kubelet writes for `pod`."""
    kind = dns_type(pod)
    namespace = (pod.get("metadata") or {}).get("namespace") or "default"
    servers: list[str] = []
    searches: list[str] = []
    options: list[str] = []
    if kind == "cluster":
        servers = [cluster_dns]
        searches = _unique([f"{namespace}.svc.{domain}", f"svc.{domain}", domain, *node_searches])
        options = ["ndots:5"]
    elif kind == "host":
        servers = list(node_servers)
        searches = list(node_searches)
        options = list(NODE_OPTIONS)
    config: dict[str, Any] = (pod.get("spec") or {}).get("dnsConfig") or {}
    servers = _unique(servers + [str(s) for s in config.get("nameservers") or []])
    searches = _unique(searches + [str(s) for s in config.get("searches") or []])
    for item in config.get("options") or []:
        name = str((item or {}).get("name", ""))
        if not name:
            continue
        value = item.get("value")
        text = f"{name}:{value}" if value not in (None, "") else name
        # the kubelet merges through a map (order unspecified); the model keeps base order
        # and puts a replaced or new option last, so the file is stable
        options = [o for o in options if o.split(":", 1)[0] != name] + [text]
    return ResolvConf(servers[:MAX_NAMESERVERS], searches[:MAX_SEARCHES], options, policy=kind)
