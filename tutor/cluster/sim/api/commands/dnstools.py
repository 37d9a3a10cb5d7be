"""dig and nslookup (BIND 9.16 in agnhost; busybox's elsewhere), answered by the cluster's DNS.

dig's layout is BIND's: `; <<>> DiG ... <<>>` and `;; global options:` (+cmd), the header with
`status:` and flags (+comments), the QUESTION/ANSWER/AUTHORITY sections, and the statistics;
`+short` prints only the record data; `+noall` turns every part off before the flags that
follow it; `+search` applies resolv.conf's search list and ndots (dig's default is +nosearch).
dig exits 0 whenever a server answered (NXDOMAIN included) and 9 when none did
(`;; connection timed out; no servers could be reached`). CoreDNS (the kubernetes plugin, TTL 30
as kind's Corefile sets it) answers cluster names authoritatively (`qr aa rd`, and dig warns that
recursion is not available); a missing name gets the zone's SOA in AUTHORITY.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.cluster.sim.api.commands.proc import Out, Proc
from tutor.cluster.sim.dns import DNS_SERVICE_IP, DnsAnswer, DnsRecord, is_ip, reverse_name
from tutor.cluster.sim.podresolver import PodResolver
from tutor.cluster.sim.resolvconf import ResolvConf, pod_resolv_conf

TTL = 30
DIG_VERSION = "9.16.44"
_TYPES = frozenset({"A", "AAAA", "SRV", "PTR", "CNAME", "MX", "TXT", "NS", "SOA", "ANY"})
_NAME_DATA = frozenset({"CNAME", "PTR", "NS"})
ROOT_SOA = "a.root-servers.net. nstld.verisign-grs.com. 2026110100 1800 900 604800 86400"
SOA = "ns.dns.cluster.local. hostmaster.cluster.local. 1764201600 7200 1800 86400 30"


@dataclass
class DigArgs:
    """Parsed dig command line."""

    name: str = ""
    qtype: str = "A"
    server: str = ""
    search: bool = False
    short: bool = False
    sections: dict[str, bool] = field(
        default_factory=lambda: {
            "cmd": True,
            "comments": True,
            "question": True,
            "answer": True,
            "authority": True,
            "additional": True,
            "stats": True,
        }
    )
    reverse: bool = False


def parse_dig(args: list[str]) -> DigArgs:
    """dig's options (unknown `+` options are ignored, as harmless ones are)."""
    parsed = DigArgs()
    words = list(args)
    while words:
        word = words.pop(0)
        if word.startswith("@"):
            parsed.server = word[1:]
        elif word.startswith("+"):
            flag = word[1:].lower()
            on = not flag.startswith("no")
            name = flag[2:] if not on else flag
            name = name.split("=", 1)[0]
            if name == "all":
                parsed.sections = {k: on for k in parsed.sections}
            elif name in parsed.sections:
                parsed.sections[name] = on
            elif name == "short":
                parsed.short = on
            elif name == "search":
                parsed.search = on
        elif word == "-t" and words:
            parsed.qtype = words.pop(0).upper()
        elif word == "-x" and words:
            parsed.name = words.pop(0)
            parsed.qtype = "PTR"
            parsed.reverse = True
        elif word in ("-p", "-b", "-c", "-k", "-y", "-q") and words:
            value = words.pop(0)
            if word == "-q":
                parsed.name = value
        elif word.startswith("-"):
            continue
        elif (
            word.upper() in _TYPES
            and parsed.name
            and not parsed.reverse
            or word.upper() in _TYPES
            and not parsed.name
            and word.upper() != "A"
        ):
            parsed.qtype = word.upper()
        elif word.upper() == "IN":
            continue
        else:
            parsed.name = word
    return parsed


def _rdata(record: DnsRecord) -> str:
    if record.type in _NAME_DATA:
        return record.value.rstrip(".") + "."
    if record.type == "SRV":
        *numbers, target = record.value.split()
        return " ".join([*numbers, target.rstrip(".") + "."])
    return record.value


def _line(record: DnsRecord) -> str:
    return f"{record.name.rstrip('.')}.\t\t{TTL}\tIN\t{record.type}\t{_rdata(record)}"


def _servers(proc: Proc, server: str | None) -> list[str]:
    """The nameservers a tool asks: the one named on its command line, else resolv.conf's."""
    return [server] if server else pod_resolv_conf(proc.pod).nameservers


def _server_answers(proc: Proc, servers: list[str]) -> bool:
    """True when some server in the list answers DNS at all (tutor.cluster.sim.podresolver)."""
    resolver = PodResolver(proc.dns)
    return any(resolver.server_at(s).kind != "none" for s in servers)


def lookup(
    proc: Proc, name: str, qtype: str, search: bool, servers: list[str] | None = None
) -> DnsAnswer:
    """Ask the Pod's nameservers (or `servers`) as dig does, with or without the search
    list; a timeout from every server comes back as SERVFAIL with failure `unresolvable`."""
    conf = pod_resolv_conf(proc.pod)
    if servers is not None:
        conf = ResolvConf(servers, conf.searches, conf.options, conf.policy)
    return PodResolver(proc.dns).resolve_with(conf, name, qtype, libc=False, search=search)


def _timed_out(answer: DnsAnswer) -> bool:
    return answer.rcode == "SERVFAIL" and any("timed out" in step for step in answer.steps[-1:])


def dig(proc: Proc, args: list[str], stdin: str = "") -> Out:
    """`dig ARGS...` from the Pod."""
    opts = parse_dig(args)
    if not opts.name:
        opts.name, opts.qtype = ".", "NS"
    servers = _servers(proc, opts.server)
    server = servers[0] if servers else DNS_SERVICE_IP
    answer = lookup(proc, opts.name, opts.qtype, opts.search, servers)
    if not _server_answers(proc, servers) or _timed_out(answer):
        # nothing answers there, or the outside resolver needs the Internet the model lacks
        text = ";; connection timed out; no servers could be reached\n"
        if not opts.short and opts.sections["cmd"]:
            text = (
                f"\n; <<>> DiG {DIG_VERSION} <<>> {' '.join(args)}\n;; global options: +cmd\n"
                + text
            )
        return Out(9, text, "")
    qname = answer.name.rstrip(".") if answer.name else opts.name.rstrip(".")
    if opts.reverse and is_ip(opts.name):
        qname = reverse_name(opts.name)
    if opts.short:
        return Out(0, "".join(_rdata(r) + "\n" for r in answer.records), "")
    inside = qname.endswith("cluster.local") or qname.endswith(".arpa")
    authoritative = inside and answer.rcode != "SERVFAIL"
    flags = "qr aa rd" if authoritative else "qr rd ra"
    authority = 1 if (not answer.records and answer.rcode != "SERVFAIL") else 0
    sections = opts.sections
    out: list[str] = []
    if sections["cmd"]:
        out += ["", f"; <<>> DiG {DIG_VERSION} <<>> {' '.join(args)}", ";; global options: +cmd"]
    if sections["comments"]:
        out += [
            ";; Got answer:",
            f";; ->>HEADER<<- opcode: QUERY, status: {answer.rcode}, id: {_query_id(qname)}",
            f";; flags: {flags}; QUERY: 1, ANSWER: {len(answer.records)}, "
            f"AUTHORITY: {authority}, ADDITIONAL: 1",
        ]
        if authoritative:
            out.append(";; WARNING: recursion requested but not available")
        out += ["", ";; OPT PSEUDOSECTION:", "; EDNS: version: 0, flags:; udp: 1232"]
    if sections["question"]:
        if sections["comments"]:
            out.append(";; QUESTION SECTION:")
        out.append(f";{qname}.\t\t\tIN\t{opts.qtype}")
        out.append("")
    if answer.records and sections["answer"]:
        if sections["comments"]:
            out.append(";; ANSWER SECTION:")
        out += [_line(r) for r in answer.records]
        out.append("")
    if authority and sections["authority"]:
        if sections["comments"]:
            out.append(";; AUTHORITY SECTION:")
        soa = (
            f"cluster.local.\t\t{TTL}\tIN\tSOA\t{SOA}"
            if inside
            else f".\t\t{TTL}\tIN\tSOA\t{ROOT_SOA}"
        )
        out.append(soa)
        out.append("")
    if sections["stats"]:
        out += [
            ";; Query time: 0 msec",
            f";; SERVER: {server}#53({server})",
            f";; WHEN: {proc.now().strftime('%a %b %d %H:%M:%S UTC %Y')}",
            f";; MSG SIZE  rcvd: {_size(qname, answer)}",
            "",
        ]
    return Out(0, "\n".join(out) + "\n" if out else "", "")


def _query_id(name: str) -> int:
    return sum(ord(c) * (i + 1) for i, c in enumerate(name)) % 65536


def _size(qname: str, answer: DnsAnswer) -> int:
    # header + question + OPT, then each record (compressed names are short)
    return 12 + len(qname) + 6 + 11 + sum(12 + len(_rdata(r)) for r in answer.records)


# -- nslookup -------------------------------------------------------------------------------


def nslookup(proc: Proc, args: list[str], stdin: str = "") -> Out:
    """`nslookup NAME [SERVER]`: BIND's in agnhost (`Address: 10.96.0.10#53`), busybox's
    elsewhere (`Address: 10.96.0.10:53`); exit 1 when the name is not found."""
    words = [w for w in args if not w.startswith("-")]
    qtype = "A"
    for word in args:
        if word.lower().startswith(("-type=", "-query=", "-q=")):
            qtype = word.split("=", 1)[1].upper()
    if not words:
        return Out(1, "", "nslookup: interactive mode is not available here\n")
    name = words[0]
    servers = _servers(proc, words[1] if len(words) > 1 else None)
    server = servers[0] if servers else DNS_SERVICE_IP
    bind = proc.toolbox.nslookup == "bind"
    answer = lookup(proc, name, qtype, True, servers)
    if not _server_answers(proc, servers) or _timed_out(answer):
        if bind:
            return Out(1, ";; connection timed out; no servers could be reached\n\n", "")
        return Out(1, "", f"nslookup: can't connect to remote host ({server}): timed out\n")
    sep = "#" if bind else ":"
    head = f"Server:\t\t{server}\nAddress:\t{server}{sep}53\n\n"
    if is_ip(name):
        answer = proc.dns.resolve(name, "PTR")
        if not answer.records:
            return Out(1, head + f"** server can't find {reverse_name(name)}: NXDOMAIN\n\n", "")
        names = [f"{reverse_name(name)}\tname = {_rdata(r)}" for r in answer.records]
        return Out(0, head + "\n".join(names) + "\n\n", "")
    if answer.rcode != "NOERROR" or not answer.records:
        if answer.rcode == "NOERROR":
            # the name exists without records of the type (BIND says so on stdout)
            return Out(0, head + f"*** Can't find {name}: No answer\n\n", "")
        return Out(1, head + f"** server can't find {name}: {answer.rcode}\n\n", "")
    lines: list[str] = []
    for record in answer.records:
        if record.type == "CNAME":
            lines.append(f"{record.name}\tcanonical name = {_rdata(record)}")
        elif record.type in ("A", "AAAA"):
            lines += [f"Name:\t{record.name}", f"Address: {record.value}"]
        elif record.type == "SRV":
            lines.append(f"{record.name}\tservice = {_rdata(record)}")
        else:
            lines.append(f"{record.name}\t{record.type.lower()} = {_rdata(record)}")
    return Out(0, head + "\n".join(lines) + "\n\n", "")
