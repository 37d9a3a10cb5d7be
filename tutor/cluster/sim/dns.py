"""Cluster DNS as the Kubernetes DNS specification (and CoreDNS on kind) answers it.

Works over any `ObjectSource` (the simulator, or a snapshot of a real cluster's objects):
records are derived from Services and EndpointSlices at question time, nothing is cached.

What is answered, in zone `cluster.local`:

- `<svc>.<ns>.svc` A/AAAA -> the ClusterIP(s), even when the Service has no endpoints;
  headless (`clusterIP: None`): one record per *ready* endpoint, NXDOMAIN when none is ready.
- `<hostname>.<svc>.<ns>.svc` -> the endpoint whose EndpointSlice entry carries that `hostname`
  (headless Services only; the EndpointSlice controller fills it for Pods with `hostname` and
  `subdomain == <svc>`, which StatefulSets set for their Pods).
- `_<port>._<proto>.<svc>.<ns>.svc` SRV, for *named* ports only: ClusterIP Services answer one
  record to the Service name, headless ones one per ready endpoint.
- ExternalName: CNAME to `spec.externalName`; the target is followed when it is a cluster name.
  Names outside the cluster resolve to nothing here: the model has no Internet (on a real
  cluster CoreDNS forwards them upstream).
- `a-b-c-d.<ns>.pod` A (kind's CoreDNS runs `pods insecure`), PTR for ClusterIPs and headless
  endpoints, `kubernetes.default` -> 10.96.0.1 (synthesised when the source lacks it).

Pods resolve short names with the search path `<ns>.svc.cluster.local svc.cluster.local
cluster.local` and `ndots:5`, like their `/etc/resolv.conf` on kind.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tutor.cluster.base import Obj, ObjectSource
from tutor.cluster.sim.objectview import (
    BUILTIN_SERVICES,
    CLUSTER_DOMAIN,
    DNS_SERVICE_IP,
    KUBERNETES_SERVICE_IP,
    MAX_CNAME_DEPTH,
    NDOTS,
    PUBLIC_TLDS,
    SERVICE_NAME_LABEL,
    Objects,
    Rcode,
    Upstream,
    _kube_dns_service,
    _kubernetes_service,
    cluster_ips,
    cond_ready,
    cond_serving,
    cond_terminating,
    family,
    is_headless,
    is_ip,
    meta,
    name_of,
    node_ip,
    ns_of,
    pod_ips,
    service_type,
    spec,
    status,
)

# -- answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DnsRecord:
    """One resource record of an answer."""

    name: str
    """Owner name, fully qualified, without the trailing dot."""
    type: str
    """`A`, `AAAA`, `SRV`, `CNAME` or `PTR`."""
    value: str
    """Address; `priority weight port target` for SRV; the target name for CNAME/PTR."""

    def __str__(self) -> str:
        return f"{self.name}. {self.type} {self.value}"


@dataclass(frozen=True)
class DnsAnswer:
    """The outcome of resolving one name, with the reasoning that led to it."""

    query: str
    """The name as asked."""
    qtype: str
    name: str
    """The fully qualified name that produced the answer (the last one tried on failure)."""
    rcode: Rcode
    records: tuple[DnsRecord, ...] = ()
    tried: tuple[str, ...] = ()
    """Every fully qualified name tried, in order (search path expansion)."""
    steps: tuple[str, ...] = ()
    """Plain-words explanation, one line per step."""
    service: Obj | None = None
    """The Service the answer comes from, when one does."""
    failure: str | None = None
    """Why no usable answer: `nxdomain`, `no-endpoints`, `no-ready-endpoints`,
    `externalname-unresolvable`, `unresolvable`; None when answered."""

    @property
    def values(self) -> tuple[str, ...]:
        """Record values of the asked type (plus CNAMEs when CNAME was asked)."""
        return tuple(r.value for r in self.records if r.type == self.qtype)

    @property
    def cnames(self) -> tuple[str, ...]:
        """CNAME targets met on the way."""
        return tuple(r.value for r in self.records if r.type == "CNAME")

    @property
    def error(self) -> str | None:
        """What a client sees: None, `nxdomain` or `unresolvable`."""
        if self.rcode == "NXDOMAIN":
            return "nxdomain"
        if self.failure in ("externalname-unresolvable", "unresolvable") or self.rcode != "NOERROR":
            return "unresolvable"
        if not self.values:
            return "nxdomain" if self.failure else "no-data"
        return None


@dataclass
class _Result:
    rcode: Rcode
    records: list[DnsRecord] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    service: Obj | None = None
    failure: str | None = None


LookupResult = _Result
"""One server's answer for one fully qualified name (what `ClusterDns.lookup` returns)."""


def _dashed(ip: str) -> str:
    return ip.replace(".", "-").replace(":", "-")


def reverse_name(ip: str) -> str:
    """`in-addr.arpa` / `ip6.arpa` name of an address."""
    return ipaddress.ip_address(ip).reverse_pointer


class ClusterDns:
    """The cluster's DNS server (CoreDNS) and a Pod's resolver in front of it."""

    def __init__(
        self,
        source: ObjectSource | Objects,
        *,
        domain: str = CLUSTER_DOMAIN,
        upstream: Upstream | None = None,
    ) -> None:
        self.objects = source if isinstance(source, Objects) else Objects(source)
        self.domain = domain.strip(".")
        self.upstream = upstream

    # -- resolver side --

    def search_path(self, namespace: str) -> list[str]:
        """The search domains in a Pod's resolv.conf."""
        return [f"{namespace}.svc.{self.domain}", f"svc.{self.domain}", self.domain]

    def candidates(
        self,
        name: str,
        namespace: str | None,
        *,
        searches: list[str] | None = None,
        ndots: int = NDOTS,
    ) -> list[str]:
        """Fully qualified names the resolver tries, in order: with fewer than `ndots` dots
        the search domains first, then the name as written (glibc `res_search`, musl
        `name_from_dns_search`); a trailing dot means the name alone. `searches` (a Pod's
        resolv.conf list) replaces the namespace's cluster search path."""
        name = name.strip().lower()
        domains = searches if searches is not None else (
            self.search_path(namespace) if namespace is not None else []
        )
        if name.endswith(".") or not domains:
            return [name.rstrip(".")]
        expanded = [f"{name}.{d.strip('.')}" for d in domains]
        if name.count(".") >= ndots:
            return [name, *expanded]
        return [*expanded, name]

    def resolve(
        self,
        name: str,
        qtype: str = "A",
        *,
        namespace: str | None = None,
        searches: list[str] | None = None,
        ndots: int = NDOTS,
        ask: Callable[[str, str], _Result] | None = None,
    ) -> DnsAnswer:
        """Resolve `name` like a Pod in `namespace` does (search path, ndots 5); with
        `namespace=None` the name is taken as absolute. A Pod's own resolv.conf gives
        `searches` and `ndots`, and `ask` (its nameservers, tutor.cluster.sim.podresolver)
        answers each candidate instead of this cluster DNS."""
        qtype = qtype.upper()
        if qtype == "PTR" and is_ip(name.strip()):
            name = reverse_name(name.strip()) + "."
        tried: list[str] = []
        steps: list[str] = []
        names = self.candidates(name, namespace, searches=searches, ndots=ndots)
        shown = searches if searches is not None else self.search_path(namespace or "")
        if len(names) > 1:
            if name.count(".") >= ndots:
                steps.append(
                    f"{name!r} has at least {ndots} dots: tried as-is first, then "
                    "with each search domain"
                )
            else:
                steps.append(
                    f"{name!r} has fewer than {ndots} dots: the resolver tries each "
                    f"search domain first ({' '.join(shown)})"
                )
        answer_one = ask or self.lookup
        nodata: tuple[str, _Result] | None = None
        telling: tuple[str, _Result] | None = None
        last: tuple[str, _Result] | None = None
        for fqdn in names:
            tried.append(fqdn)
            result = answer_one(fqdn, qtype)
            last = (fqdn, result)
            if result.rcode == "NXDOMAIN":
                # a miss that matched a Service says more than a plain miss
                if result.service is not None and telling is None:
                    telling = (fqdn, result)
                steps.append(
                    f"{fqdn}: NXDOMAIN" + (f" ({result.steps[-1]})" if result.steps else "")
                )
                continue
            if result.rcode == "SERVFAIL" and telling is not None:
                steps.append(f"{fqdn}: no answer ({result.steps[-1]})")
                continue
            if result.rcode == "NOERROR" and not result.records:
                nodata = nodata or (fqdn, result)
                steps.append(f"{fqdn}: exists but has no {qtype} record")
                continue
            steps.extend(result.steps)
            return DnsAnswer(
                name,
                qtype,
                fqdn,
                result.rcode,
                tuple(result.records),
                tuple(tried),
                tuple(steps),
                result.service,
                result.failure,
            )
        if nodata is not None:
            fqdn, result = nodata
            return DnsAnswer(
                name,
                qtype,
                fqdn,
                "NOERROR",
                (),
                tuple(tried),
                tuple(steps),
                result.service,
                result.failure,
            )
        chosen = telling or last
        assert chosen is not None
        fqdn, result = chosen
        return DnsAnswer(
            name,
            qtype,
            fqdn,
            result.rcode,
            (),
            tuple(tried),
            tuple(steps),
            result.service,
            result.failure or "nxdomain",
        )

    # -- server side --

    def lookup(self, fqdn: str, qtype: str, depth: int = 0) -> _Result:
        """Answer one fully qualified name (no search path)."""
        fqdn = fqdn.strip().rstrip(".").lower()
        if fqdn.endswith(".in-addr.arpa") or fqdn.endswith(".ip6.arpa"):
            return self._ptr(fqdn) if qtype == "PTR" else _Result("NOERROR")
        suffix = "." + self.domain
        if not fqdn.endswith(suffix):
            return self._outside(fqdn, qtype)
        labels = fqdn[: -len(suffix)].split(".")
        if len(labels) >= 2 and labels[-1] == "svc":
            return self._svc_zone(fqdn, labels[:-1], qtype, depth)
        if len(labels) == 3 and labels[-1] == "pod":
            return self._pod_record(fqdn, labels[0], qtype)
        return _Result("NXDOMAIN", steps=[f"no record {fqdn} in the cluster zone"])

    def lookup_outside(self, fqdn: str, qtype: str) -> _Result:
        """What a resolver outside the cluster answers for `fqdn` (the model has no Internet)."""
        return self._outside(fqdn.strip().rstrip(".").lower(), qtype)

    def _outside(self, fqdn: str, qtype: str) -> _Result:
        if self.upstream is not None:
            values = self.upstream(fqdn, qtype)
            if values:
                return _Result(
                    "NOERROR",
                    [DnsRecord(fqdn, qtype, v) for v in values],
                    [f"{fqdn}: answered by the upstream resolver"],
                )
            return _Result("NXDOMAIN", steps=[f"{fqdn}: the upstream resolver has no record"])
        if fqdn.rsplit(".", 1)[-1] not in PUBLIC_TLDS:
            return _Result(
                "NXDOMAIN",
                steps=[f"{fqdn} is not a cluster name and has no public top-level domain"],
            )
        return _Result(
            "SERVFAIL",
            steps=[
                f"{fqdn} is outside {self.domain}: CoreDNS would forward it to the upstream "
                "resolver, and kube-tutor's model has no Internet, so it resolves to nothing "
                "here"
            ],
            failure="unresolvable",
        )

    def _svc_zone(self, fqdn: str, labels: list[str], qtype: str, depth: int) -> _Result:
        if len(labels) == 1:
            return _Result("NXDOMAIN", steps=[f"{fqdn} names a namespace, not a Service"])
        ns, svc_name = labels[-1], labels[-2]
        service = self.objects.get("Service", svc_name, ns)
        if service is None:
            return _Result("NXDOMAIN", steps=[f"no Service {svc_name!r} in namespace {ns!r}"])
        rest = labels[:-2]
        if not rest:
            return self._service_record(fqdn, service, qtype, depth)
        if len(rest) == 2 and rest[0].startswith("_") and rest[1].startswith("_"):
            return self._srv(fqdn, service, rest[0][1:], rest[1][1:], qtype)
        if len(rest) == 1:
            return self._endpoint_record(fqdn, service, rest[0], qtype)
        return _Result("NXDOMAIN", service=service, steps=[f"no record {fqdn}"])

    def _service_record(self, fqdn: str, service: Obj, qtype: str, depth: int) -> _Result:
        ref = f"Service {ns_of(service)}/{name_of(service)}"
        if service_type(service) == "ExternalName":
            return self._external_name(fqdn, service, qtype, depth)
        if qtype == "SRV":
            return _Result("NOERROR", service=service)
        if is_headless(service):
            return self._headless_addresses(fqdn, service, qtype)
        want = "IPv6" if qtype == "AAAA" else "IPv4"
        if qtype not in ("A", "AAAA"):
            return _Result("NOERROR", service=service)
        ips = [ip for ip in cluster_ips(service) if family(ip) == want]
        records = [DnsRecord(fqdn, qtype, ip) for ip in ips]
        step = (
            (
                f"{fqdn}: {ref} has ClusterIP {', '.join(ips)}; the name answers with it "
                "whether or not the Service has endpoints"
            )
            if ips
            else (f"{fqdn}: {ref} has no {want} ClusterIP")
        )
        return _Result("NOERROR", records, [step], service)

    def ready_endpoints(
        self, service: Obj, fam: str
    ) -> tuple[list[tuple[str, dict[str, Any]]], int]:
        """(address, endpoint) of ready endpoints of that family, and how many endpoints
        the slices list in all (ready or not)."""
        ready: list[tuple[str, dict[str, Any]]] = []
        total = 0
        for eps in self.objects.slices(service):
            if eps.get("addressType", "IPv4") != fam:
                continue
            for ep in eps.get("endpoints") or []:
                total += 1
                if not cond_ready(ep):
                    continue
                for addr in (ep.get("addresses") or [])[:1]:
                    ready.append((str(addr), ep))
        return ready, total

    def _headless_addresses(self, fqdn: str, service: Obj, qtype: str) -> _Result:
        ref = f"Service {ns_of(service)}/{name_of(service)}"
        fam = "IPv6" if qtype == "AAAA" else "IPv4"
        ready, total = self.ready_endpoints(service, fam)
        if not ready:
            other, other_total = self.ready_endpoints(service, "IPv4" if fam == "IPv6" else "IPv6")
            if other:
                return _Result(
                    "NOERROR",
                    service=service,
                    steps=[
                        f"{fqdn}: headless {ref} has only {('IPv4' if fam == 'IPv6' else 'IPv6')} "
                        "endpoints"
                    ],
                )
            failure = "no-ready-endpoints" if total or other_total else "no-endpoints"
            why = (
                f"its {total + other_total} endpoint(s) are not ready"
                if failure == "no-ready-endpoints"
                else "its EndpointSlices list no endpoint"
            )
            return _Result(
                "NXDOMAIN",
                service=service,
                failure=failure,
                steps=[
                    f"{fqdn}: {ref} is headless and {why}, so the name does not exist (NXDOMAIN)"
                ],
            )
        records = [DnsRecord(fqdn, qtype, ip) for ip, _ in ready]
        return _Result(
            "NOERROR",
            records,
            [
                f"{fqdn}: {ref} is headless: one {qtype} record per ready endpoint "
                f"({len(records)} of {total})"
            ],
            service,
        )

    def _endpoint_record(self, fqdn: str, service: Obj, label: str, qtype: str) -> _Result:
        ref = f"Service {ns_of(service)}/{name_of(service)}"
        if not is_headless(service):
            return _Result(
                "NXDOMAIN",
                service=service,
                steps=[
                    f"{fqdn}: per-endpoint names exist only for headless Services; {ref} has a "
                    "ClusterIP"
                ],
            )
        fam = "IPv6" if qtype == "AAAA" else "IPv4"
        for want_fam in (fam, "IPv6" if fam == "IPv4" else "IPv4"):
            ready, _ = self.ready_endpoints(service, want_fam)
            hits = [
                ip
                for ip, ep in ready
                if ep.get("hostname") == label or (not ep.get("hostname") and _dashed(ip) == label)
            ]
            if hits:
                if want_fam != fam or qtype not in ("A", "AAAA"):
                    return _Result("NOERROR", service=service)
                return _Result(
                    "NOERROR",
                    [DnsRecord(fqdn, qtype, ip) for ip in hits],
                    [f"{fqdn}: the ready endpoint of {ref} with hostname {label!r}"],
                    service,
                )
        known = sorted(
            {
                str(ep.get("hostname"))
                for eps in self.objects.slices(service)
                for ep in eps.get("endpoints") or []
                if ep.get("hostname")
            }
        )
        hint = (
            f" (endpoint hostnames: {', '.join(known)})"
            if known
            else " (no endpoint has a hostname: Pods need spec.hostname and spec.subdomain "
            f"= {name_of(service)!r}, which StatefulSets set)"
        )
        return _Result(
            "NXDOMAIN",
            service=service,
            steps=[f"{fqdn}: no ready endpoint of {ref} is named {label!r}{hint}"],
        )

    def _srv(self, fqdn: str, service: Obj, port_name: str, proto: str, qtype: str) -> _Result:
        ref = f"Service {ns_of(service)}/{name_of(service)}"
        ports = [
            p
            for p in spec(service).get("ports") or []
            if p.get("name") == port_name and str(p.get("protocol", "TCP")).lower() == proto
        ]
        if not ports:
            named = [str(p.get("name")) for p in spec(service).get("ports") or [] if p.get("name")]
            return _Result(
                "NXDOMAIN",
                service=service,
                steps=[
                    f"{fqdn}: {ref} has no {proto.upper()} port named {port_name!r} "
                    f"(SRV records exist only for named ports; named: {', '.join(named) or 'none'})"
                ],
            )
        if qtype != "SRV":
            return _Result("NOERROR", service=service)
        base = f"{name_of(service)}.{ns_of(service)}.svc.{self.domain}"
        if not is_headless(service):
            return _Result(
                "NOERROR",
                [DnsRecord(fqdn, "SRV", f"0 100 {ports[0]['port']} {base}")],
                [f"{fqdn}: {ref} port {port_name!r} is {ports[0]['port']}"],
                service,
            )
        records = []
        for fam in ("IPv4", "IPv6"):
            ready, _ = self.ready_endpoints(service, fam)
            for eps in self.objects.slices(service):
                if eps.get("addressType", "IPv4") != fam:
                    continue
                slice_ports = [
                    p
                    for p in eps.get("ports") or []
                    if p.get("name") == port_name and str(p.get("protocol", "TCP")).lower() == proto
                ]
                if not slice_ports:
                    continue
                addrs = {id(ep) for _, ep in ready}
                for ep in eps.get("endpoints") or []:
                    if id(ep) not in addrs:
                        continue
                    host = ep.get("hostname") or _dashed(str((ep.get("addresses") or [""])[0]))
                    records.append((slice_ports[0].get("port"), f"{host}.{base}"))
        if not records:
            return _Result(
                "NXDOMAIN",
                service=service,
                failure="no-ready-endpoints",
                steps=[f"{fqdn}: headless {ref} has no ready endpoint serving port {port_name!r}"],
            )
        weight = max(1, 100 // len(records))
        out = [DnsRecord(fqdn, "SRV", f"0 {weight} {port} {target}") for port, target in records]
        return _Result(
            "NOERROR",
            out,
            [f"{fqdn}: headless {ref}: one SRV record per ready endpoint ({len(out)})"],
            service,
        )

    def _external_name(self, fqdn: str, service: Obj, qtype: str, depth: int) -> _Result:
        ref = f"Service {ns_of(service)}/{name_of(service)}"
        target = str(spec(service).get("externalName") or "").rstrip(".").lower()
        cname = DnsRecord(fqdn, "CNAME", target)
        steps = [
            f"{fqdn}: {ref} is type ExternalName: CNAME to {target!r} (no ClusterIP, no "
            "proxying: the client connects to whatever the target resolves to)"
        ]
        if qtype == "CNAME" or not target:
            return _Result("NOERROR", [cname], steps, service)
        if depth >= MAX_CNAME_DEPTH:
            return _Result(
                "SERVFAIL", [cname], [*steps, "CNAME chain too long"], service, "unresolvable"
            )
        inner = self.lookup(target, qtype, depth + 1)
        steps.extend(inner.steps)
        if inner.rcode == "NOERROR" and inner.records:
            return _Result("NOERROR", [cname, *inner.records], steps, service)
        if inner.failure == "unresolvable":
            return _Result("NOERROR", [cname], steps, service, "externalname-unresolvable")
        return _Result(
            inner.rcode if inner.rcode != "NOERROR" else "NOERROR",
            [cname],
            steps,
            service,
            inner.failure or "externalname-unresolvable",
        )

    def _pod_record(self, fqdn: str, label: str, qtype: str) -> _Result:
        text = label.replace("-", "." if qtype != "AAAA" else ":")
        if not is_ip(text) or qtype not in ("A", "AAAA"):
            return _Result("NXDOMAIN", steps=[f"{fqdn}: not an address-shaped Pod name"])
        return _Result(
            "NOERROR",
            [DnsRecord(fqdn, qtype, text)],
            [
                f"{fqdn}: legacy Pod record (deprecated; kind's CoreDNS runs `pods insecure`, which "
                "answers any address-shaped name)"
            ],
        )

    def _ptr(self, fqdn: str) -> _Result:
        try:
            ip = _from_reverse(fqdn)
        except ValueError:
            return _Result("NXDOMAIN", steps=[f"{fqdn}: not a reverse name"])
        for kind, obj in self.objects.owners_of_ip(ip):
            if kind == "clusterIP":
                target = f"{name_of(obj)}.{ns_of(obj)}.svc.{self.domain}"
                return _Result(
                    "NOERROR",
                    [DnsRecord(fqdn, "PTR", target)],
                    [f"{ip} is the ClusterIP of Service {ns_of(obj)}/{name_of(obj)}"],
                    obj,
                )
        for svc in self.objects.services():
            if not is_headless(svc):
                continue
            ready, _ = self.ready_endpoints(svc, family(ip))
            for addr, ep in ready:
                if addr == ip:
                    host = ep.get("hostname") or _dashed(ip)
                    target = f"{host}.{name_of(svc)}.{ns_of(svc)}.svc.{self.domain}"
                    return _Result(
                        "NOERROR",
                        [DnsRecord(fqdn, "PTR", target)],
                        [
                            f"{ip} is a ready endpoint of headless Service "
                            f"{ns_of(svc)}/{name_of(svc)}"
                        ],
                        svc,
                    )
        return _Result("NXDOMAIN", steps=[f"no Service or headless endpoint has address {ip}"])


def _from_reverse(fqdn: str) -> str:
    if fqdn.endswith(".in-addr.arpa"):
        parts = fqdn[: -len(".in-addr.arpa")].split(".")
        return str(ipaddress.IPv4Address(".".join(reversed(parts))))
    nibbles = fqdn[: -len(".ip6.arpa")].split(".")
    hexstr = "".join(reversed(nibbles))
    return str(ipaddress.IPv6Address(int(hexstr, 16)))


def format_records(records: Iterable[DnsRecord]) -> tuple[str, ...]:
    """Record values as `dig +short` prints them."""
    return tuple(r.value for r in records)


__all__ = [
    "BUILTIN_SERVICES",
    "CLUSTER_DOMAIN",
    "ClusterDns",
    "DNS_SERVICE_IP",
    "DnsAnswer",
    "DnsRecord",
    "KUBERNETES_SERVICE_IP",
    "MAX_CNAME_DEPTH",
    "NDOTS",
    "Objects",
    "PUBLIC_TLDS",
    "Rcode",
    "SERVICE_NAME_LABEL",
    "Upstream",
    "_Result",
    "_dashed",
    "_from_reverse",
    "_kube_dns_service",
    "_kubernetes_service",
    "cluster_ips",
    "cond_ready",
    "cond_serving",
    "cond_terminating",
    "family",
    "format_records",
    "is_headless",
    "is_ip",
    "meta",
    "name_of",
    "node_ip",
    "ns_of",
    "pod_ips",
    "reverse_name",
    "service_type",
    "spec",
    "status",
]
