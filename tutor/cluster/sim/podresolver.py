"""A Pod's resolver: its own resolv.conf, its nameservers, and the DNS servers behind them.

Each candidate of the search walk (`ClusterDns.resolve`, with the Pod's `search` and `ndots`)
is sent to the Pod's nameservers in order. Who answers at an address:

- the kube-dns ClusterIP or a CoreDNS Pod of kube-system: CoreDNS running the Corefile of
  ConfigMap `kube-system/coredns` (kubeadm's when the ConfigMap is missing);
- a Service ClusterIP or a Pod IP whose (first ready) Pod runs the `coredns` image: CoreDNS with
  the Corefile its `-conf` path reads from a mounted ConfigMap;
- the kind node's resolver: the outside world, which the model has no Internet for
  (`ClusterDns._outside`: NXDOMAIN for names under no public top-level domain, no answer for
  the rest); a public resolver's address (8.8.8.8): no answer;
- anything else: nothing answers (the query times out).

A stub resolver moves to the next nameserver when one does not answer at all; libc resolvers
also on SERVFAIL (glibc resolv/res_send.c `send_dg`; musl `res_msend` retries on it), while
dig does not (`+nofail` is its default, BIND 9.16 dig manual). An NXDOMAIN is final: the next
nameserver is never asked about that name.

In a CoreDNS block plugins run in plugin.cfg's order: `hosts` (a miss is passed on only with
`fallthrough`, else SERVFAIL, plugin/hosts/hosts.go), `kubernetes` (authoritative for its
zones; misses fall through only for the zones `fallthrough` names), then `forward FROM TO...`
(`/etc/resolv.conf` means the CoreDNS Pod's own file; several upstreams: the model asks the
first). A name no plugin answers is SERVFAIL.
"""

from __future__ import annotations

import ipaddress
import posixpath
from dataclasses import dataclass

from tutor.cluster.base import Obj
from tutor.cluster.sim.corefile import (
    KUBEADM_COREFILE,
    CorefileError,
    ServerBlock,
    choose_block,
    hosts_entries,
    in_zone,
    parse_corefile,
)
from tutor.cluster.sim.dns import (
    ClusterDns,
    DnsAnswer,
    DnsRecord,
    LookupResult,
    cluster_ips,
    cond_ready,
    is_ip,
    meta,
    spec,
)
from tutor.cluster.sim.resolvconf import KIND_NODE_RESOLVER, ResolvConf, pod_resolv_conf

CLUSTER_DNS_LABEL = "cluster DNS, kube-dns"
MAX_HOPS = 4
"""Forwarding depth after which the model calls it a loop (the loop plugin would stop CoreDNS)."""
CLUSTER_RANGES = tuple(
    ipaddress.ip_network(n) for n in ("10.96.0.0/12", "10.244.0.0/16", "172.18.0.0/16")
)
"""kind's Service and Pod ranges and its Docker network: addresses that are not 'outside'."""


@dataclass(frozen=True)
class Server:
    """A DNS server at an address: `coredns` (with its Corefile), `outside` or `none`."""

    kind: str
    label: str
    corefile: str = ""
    pod: Obj | None = None


class PodResolver:
    """Resolves names for one Pod the way its container's stub resolver does."""

    def __init__(self, dns: ClusterDns) -> None:
        self.dns = dns
        self.objects = dns.objects

    # -- the Pod's side --

    def resolve(
        self, pod: Obj, name: str, qtype: str = "A", *, libc: bool = True, search: bool = True
    ) -> DnsAnswer:
        """Resolve `name` from `pod` (libc=False: as dig does; search=False: no search list).
        A libc resolver reads /etc/hosts first (musl's `name_from_hosts`, glibc's `files`
        before `dns`): the kubelet writes `hostAliases` there; dig never reads it."""
        if libc and qtype.upper() in ("A", "AAAA"):
            wanted = name.strip().rstrip(".").lower()
            for alias in spec(pod).get("hostAliases") or []:
                names = [str(h).lower() for h in alias.get("hostnames") or []]
                ip = str(alias.get("ip", ""))
                if wanted in names and is_ip(ip):
                    return DnsAnswer(
                        name,
                        qtype.upper(),
                        wanted,
                        "NOERROR",
                        (DnsRecord(wanted, qtype.upper(), ip),),
                        (),
                        (f"{wanted}: from /etc/hosts (the Pod's hostAliases), DNS not asked",),
                    )
        conf = pod_resolv_conf(pod)
        return self.resolve_with(conf, name, qtype, libc=libc, search=search)

    def resolve_with(
        self,
        conf: ResolvConf,
        name: str,
        qtype: str = "A",
        *,
        libc: bool = True,
        search: bool = True,
    ) -> DnsAnswer:
        """Resolve `name` with a given resolv.conf."""

        def ask(fqdn: str, qt: str) -> LookupResult:
            return self.ask_servers(conf.nameservers, fqdn, qt, libc=libc)

        return self.dns.resolve(
            name,
            qtype,
            searches=conf.searches if search else [],
            ndots=conf.ndots,
            ask=ask,
        )

    def ask_servers(
        self, servers: list[str], fqdn: str, qtype: str, *, libc: bool = True, hops: int = 0
    ) -> LookupResult:
        """Ask each nameserver in turn until one gives a final answer."""
        last = LookupResult(
            "SERVFAIL",
            steps=[f"{fqdn}: no nameserver in resolv.conf"],
            failure="unresolvable",
        )
        for address in servers:
            server = self.server_at(address)
            result = self.ask(server, fqdn, qtype, hops)
            if result is None:
                last = LookupResult(
                    "SERVFAIL",
                    steps=[f"{fqdn}: no answer from {address} ({server.label}): timed out"],
                    failure="unresolvable",
                )
                continue
            if server.label != CLUSTER_DNS_LABEL:
                # the usual path (kube-dns) reads as before; other servers are named
                result.steps.insert(0, f"asked {address} ({server.label})")
            if result.rcode == "SERVFAIL" and libc:
                last = result
                continue
            return result
        return last

    # -- the servers' side --

    def server_at(self, address: str) -> Server:
        """Which DNS server answers on `address`, port 53."""
        address = address.strip()
        for service in self.objects.services("kube-system"):
            if meta(service).get("name") == "kube-dns" and address in cluster_ips(service):
                return Server("coredns", CLUSTER_DNS_LABEL, self._kube_system_corefile())
        pod = self.objects.pod_by_ip(address)
        if pod is None:
            pod = self._service_backend(address)
        if pod is not None:
            labels = meta(pod).get("labels") or {}
            if meta(pod).get("namespace") == "kube-system" and labels.get("k8s-app") == "kube-dns":
                return Server(
                    "coredns", "cluster DNS, CoreDNS Pod", self._kube_system_corefile(), pod
                )
            corefile = self._pod_corefile(pod)
            if corefile is not None:
                return Server("coredns", f"CoreDNS in Pod {meta(pod).get('name')}", corefile, pod)
            return Server("none", f"Pod {meta(pod).get('name')}, which serves no DNS")
        if address == KIND_NODE_RESOLVER:
            return Server("outside", "the node's resolver")
        if is_ip(address) and not _in_cluster(address):
            return Server("none", "a public resolver, which needs the Internet the model lacks")
        return Server("none", "nothing serves DNS there")

    def ask(self, server: Server, fqdn: str, qtype: str, hops: int = 0) -> LookupResult | None:
        """One server's answer for one name, or None when it does not answer."""
        if server.kind == "none":
            return None
        if server.kind == "outside":
            # names under a public top-level domain need the Internet, which the model lacks:
            # the outside resolver gives no answer (the query times out)
            outside = self.dns.lookup_outside(fqdn, qtype)
            return None if outside.failure == "unresolvable" else outside
        if hops >= MAX_HOPS:
            return LookupResult(
                "SERVFAIL", steps=[f"{fqdn}: forwarded in a loop"], failure="unresolvable"
            )
        try:
            blocks = parse_corefile(server.corefile)
        except CorefileError as exc:
            # a broken Corefile never loads (reload keeps the old one; a new Pod crashes)
            return LookupResult("SERVFAIL", steps=[f"the Corefile does not parse: {exc}"])
        block = choose_block(blocks, fqdn)
        if block is None:
            return LookupResult(
                "SERVFAIL", steps=[f"{fqdn}: no server block of the Corefile has its zone"]
            )
        return self._run_block(server, block, fqdn, qtype, hops)

    def _run_block(
        self, server: Server, block: ServerBlock, fqdn: str, qtype: str, hops: int
    ) -> LookupResult | None:
        zone = " ".join(block.zones)
        hosts = block.plugin("hosts")
        if hosts is not None:
            zones = [z for z in hosts.args[1:]] or block.zones
            if any(in_zone(fqdn, z) for z in zones):
                entries = hosts_entries(hosts)
                family = 6 if qtype == "AAAA" else 4
                found = [
                    a
                    for a in entries.get(fqdn, [])
                    if is_ip(a) and ipaddress.ip_address(a).version == family
                ]
                if found:
                    return LookupResult(
                        "NOERROR",
                        [DnsRecord(fqdn, qtype, a) for a in found],
                        [f"block {zone}: the hosts plugin has {fqdn}"],
                    )
                if fqdn in entries:
                    return LookupResult(
                        "NOERROR", steps=[f"block {zone}: hosts has {fqdn}, no {qtype} record"]
                    )
                if hosts.option("fallthrough") is None:
                    return LookupResult(
                        "SERVFAIL",
                        steps=[f"block {zone}: hosts has no {fqdn} and no fallthrough"],
                    )
        kube = block.plugin("kubernetes")
        if kube is not None:
            zones = kube.args or block.zones
            if any(in_zone(fqdn, z) for z in zones):
                result = self.dns.lookup(fqdn, qtype)
                through = kube.option("fallthrough")
                passes = through is not None and (
                    not through or any(in_zone(fqdn, z) for z in through)
                )
                if not (result.rcode == "NXDOMAIN" and passes):
                    if block.zones != ["."]:
                        result.steps.insert(0, f"block {zone}: the kubernetes plugin answers")
                    return result
        forward = block.plugin("forward")
        if forward is not None and forward.args:
            origin, *targets = forward.args
            skip = forward.option("except") or []
            if in_zone(fqdn, origin) and not any(in_zone(fqdn, z) for z in skip) and targets:
                upstreams = self._upstreams(server, targets)
                where = " ".join(upstreams) or "nothing"
                result = self.ask_servers(upstreams, fqdn, qtype, libc=False, hops=hops + 1)
                if result.rcode == "SERVFAIL":
                    result.steps.append("no upstream answered: CoreDNS replies SERVFAIL")
                result.steps.insert(
                    0, f"block {zone}: forward {origin} {' '.join(targets)} -> {where}"
                )
                return result
        return LookupResult(
            "SERVFAIL", steps=[f"block {zone}: no plugin answers {fqdn}"], failure="unresolvable"
        )

    def _upstreams(self, server: Server, targets: list[str]) -> list[str]:
        out: list[str] = []
        for target in targets[:15]:
            if target.startswith("/"):
                # a resolv.conf path: the CoreDNS Pod's own file (kubeadm's runs dnsPolicy Default)
                own = server.pod or {"spec": {"dnsPolicy": "Default"}}
                out += pod_resolv_conf(own).nameservers
                continue
            host = target.removeprefix("dns://")
            if host.startswith("["):
                host = host[1:].split("]", 1)[0]
            elif host.count(":") == 1:
                host = host.split(":", 1)[0]
            out.append(host)
        # forward's default policy is random; the model asks the first upstream
        return out[:1] if out else []

    def _kube_system_corefile(self) -> str:
        cm = self.objects.get("ConfigMap", "coredns", "kube-system")
        text = ((cm or {}).get("data") or {}).get("Corefile")
        return str(text) if text else KUBEADM_COREFILE

    def _service_backend(self, address: str) -> Obj | None:
        for service in self.objects.services():
            if address not in cluster_ips(service):
                continue
            for slice_ in self.objects.slices(service):
                for endpoint in slice_.get("endpoints") or []:
                    if not cond_ready(endpoint):
                        continue
                    for ip in endpoint.get("addresses") or []:
                        pod = self.objects.pod_by_ip(str(ip))
                        if pod is not None:
                            return pod
            return {
                "metadata": {"name": f"(Service {meta(service).get('name')}, no ready endpoint)"}
            }
        return None

    def _pod_corefile(self, pod: Obj) -> str | None:
        """The Corefile a Pod's coredns container reads, from a mounted ConfigMap."""
        for container in spec(pod).get("containers") or []:
            image = str(container.get("image", ""))
            repo = image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
            if repo != "coredns":
                continue
            argv = [
                str(a) for a in (container.get("command") or []) + (container.get("args") or [])
            ]
            path = "Corefile"
            if "-conf" in argv and argv.index("-conf") + 1 < len(argv):
                path = argv[argv.index("-conf") + 1]
            return self._mounted_file(pod, container, path)
        return None

    def _mounted_file(self, pod: Obj, container: Obj, path: str) -> str | None:
        volumes = {v.get("name"): v for v in spec(pod).get("volumes") or []}
        for mount in container.get("volumeMounts") or []:
            base = str(mount.get("mountPath", "")).rstrip("/")
            if not path.startswith(base + "/"):
                continue
            relative = path[len(base) + 1 :]
            source = (volumes.get(mount.get("name")) or {}).get("configMap")
            if not source:
                continue
            namespace = meta(pod).get("namespace")
            cm = self.objects.get("ConfigMap", str(source.get("name", "")), namespace)
            data = (cm or {}).get("data") or {}
            items = source.get("items")
            if items:
                keys = {str(i.get("path")): str(i.get("key")) for i in items}
                key = keys.get(relative)
            else:
                key = relative if posixpath.dirname(relative) == "" else None
            if key is not None and key in data:
                return str(data[key])
        return None


def _in_cluster(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip in net for net in CLUSTER_RANGES if net.version == ip.version)
