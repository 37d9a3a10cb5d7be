"""CoreDNS Corefiles: the one kubeadm (and so kind) writes, parsed into server blocks.

`KUBEADM_COREFILE` is cmd/kubeadm/app/phases/addons/dns/manifests.go `CoreDNSConfigMap`
(kubernetes v1.37) with the cluster domain filled in. The parser keeps what the simulated DNS
honours: each block's zones and port, and the plugins `kubernetes` (its zones and
`fallthrough`), `hosts` (inline entries and `fallthrough`) and `forward FROM TO... { except }`.
Other plugins (errors, health, cache, loop, reload, loadbalance, ...) are kept by name only.

CoreDNS picks the server block whose zone is the longest suffix of the query name
(core/dnsserver/server.go `ServeDNS`: it strips labels from the left until a zone matches);
within a block plugins run in plugin.cfg's order, not the file's: hosts, then kubernetes,
then forward.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KUBEADM_COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
"""
PLUGIN_ORDER = ("hosts", "kubernetes", "forward")
"""The plugins the model runs, in plugin.cfg's order."""
MAX_UPSTREAMS = 15
"""forward accepts at most 15 upstreams (plugin/forward/README.md)."""


class CorefileError(ValueError):
    """The Corefile does not parse; CoreDNS would keep the last good one (reload plugin)."""


@dataclass
class Plugin:
    """One plugin line of a server block, with the lines of its own `{ }` block."""

    name: str
    args: list[str]
    body: list[list[str]] = field(default_factory=list)

    def option(self, name: str) -> list[str] | None:
        """The arguments of an option line inside the plugin's block, or None."""
        for line in self.body:
            if line and line[0] == name:
                return line[1:]
        return None


@dataclass
class ServerBlock:
    """One server block: its zones (normalised, no trailing dot; `.` is the root) and port."""

    zones: list[str]
    port: int
    plugins: list[Plugin]

    def plugin(self, name: str) -> Plugin | None:
        """The block's plugin of that name, if it has one."""
        return next((p for p in self.plugins if p.name == name), None)


def normalise_zone(zone: str) -> str:
    """`Corp.Example.` -> `corp.example`; the root stays `.`."""
    zone = zone.strip().lower()
    for scheme in ("dns://",):
        zone = zone.removeprefix(scheme)
    return "." if zone in (".", "") else zone.rstrip(".")


def in_zone(name: str, zone: str) -> bool:
    """Is `name` the zone or below it, on a label boundary?"""
    name = name.rstrip(".").lower()
    zone = normalise_zone(zone)
    return zone == "." or name == zone or name.endswith("." + zone)


def _tokens(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0]
        for token in re.findall(r"[{}]|[^\s{}]+", line):
            out.append((number, token))
        out.append((number, "\n"))
    return out


def parse_corefile(text: str) -> list[ServerBlock]:
    """The server blocks of a Corefile; raises CorefileError on unbalanced braces."""
    blocks: list[ServerBlock] = []
    tokens = _tokens(text)
    i = 0
    keys: list[str] = []
    while i < len(tokens):
        number, token = tokens[i]
        i += 1
        if token == "\n":
            continue
        if token == "}":
            raise CorefileError(f"line {number}: unexpected '}}'")
        if token != "{":
            keys.append(token)
            continue
        if not keys:
            raise CorefileError(f"line {number}: a server block needs a zone before '{{'")
        plugins, i = _block(tokens, i)
        zones, port = [], 53
        for key in keys:
            for part in key.split(","):
                if not part:
                    continue
                zone, _, port_text = part.rpartition(":") if ":" in part else (part, "", "")
                if port_text.isdigit():
                    port = int(port_text)
                zones.append(normalise_zone(zone or "."))
        blocks.append(ServerBlock(zones, port, plugins))
        keys = []
    if keys:
        raise CorefileError(f"server block {' '.join(keys)!r} has no '{{ }}'")
    return blocks


def _block(tokens: list[tuple[int, str]], i: int) -> tuple[list[Plugin], int]:
    plugins: list[Plugin] = []
    line: list[str] = []
    while i < len(tokens):
        number, token = tokens[i]
        i += 1
        if token == "\n":
            if line:
                plugins.append(Plugin(line[0], line[1:]))
                line = []
            continue
        if token == "}":
            if line:
                plugins.append(Plugin(line[0], line[1:]))
            return plugins, i
        if token == "{":
            if not line:
                raise CorefileError(f"line {number}: '{{' without a plugin name")
            body, i = _body(tokens, i)
            plugins.append(Plugin(line[0], line[1:], body))
            line = []
            continue
        line.append(token)
    raise CorefileError("a server block is not closed with '}'")


def _body(tokens: list[tuple[int, str]], i: int) -> tuple[list[list[str]], int]:
    lines: list[list[str]] = []
    line: list[str] = []
    depth = 0
    while i < len(tokens):
        _number, token = tokens[i]
        i += 1
        if token == "{":
            depth += 1
            continue
        if token == "}":
            if depth == 0:
                if line:
                    lines.append(line)
                return lines, i
            depth -= 1
            continue
        if token == "\n":
            if line:
                lines.append(line)
                line = []
            continue
        line.append(token)
    raise CorefileError("a plugin block is not closed with '}'")


def choose_block(blocks: list[ServerBlock], name: str, port: int = 53) -> ServerBlock | None:
    """The block CoreDNS serves `name` from: the most specific zone containing it."""
    best: tuple[int, ServerBlock] | None = None
    for block in blocks:
        if block.port != port:
            continue
        for zone in block.zones:
            if in_zone(name, zone):
                length = 0 if zone == "." else zone.count(".") + 1
                if best is None or length > best[0]:
                    best = (length, block)
    return best[1] if best else None


def hosts_entries(plugin: Plugin) -> dict[str, list[str]]:
    """Inline `hosts` lines (`IP name...`) -> name -> addresses."""
    entries: dict[str, list[str]] = {}
    for line in plugin.body:
        if line[0] in ("ttl", "no_reverse", "reload", "fallthrough", "fallthrough_unsupported"):
            continue
        address, *names = line
        for name in names:
            entries.setdefault(name.rstrip(".").lower(), []).append(address)
    return entries
