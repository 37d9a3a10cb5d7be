"""nc, `/agnhost connect`, ping and `ip addr`, answered by the data plane.

- OpenBSD netcat (agnhost; Debian's patched build as Alpine packages it), messages on stderr:
  `Connection to HOST (IP) PORT port [tcp/SERVICE] succeeded!` with -v, `nc: connect to HOST
  (IP) port PORT (tcp) failed: Connection refused`, `... timed out: Operation in progress` when
  -w ends the attempt, `nc: getaddrinfo for host "HOST" port PORT: Name does not resolve`
  (musl's text); exit 1 on failure. busybox nc: `HOST (IP:PORT) open`, `nc: HOST (IP:PORT):
  Connection refused`, `nc: bad address 'HOST'`.
- `/agnhost connect HOST:PORT [--timeout D] [--protocol tcp]` (test/images/agnhost/connect/
  connect.go): silent and 0 on success; otherwise exit 1 with `TIMEOUT`, `REFUSED`,
  `DNS: lookup HOST on 10.96.0.10:53: no such host`, `OTHER: ...` or `UNKNOWN: ...` on stderr.
- busybox ping: ICMP reaches Pods, nodes and load balancer containers; a ClusterIP has no ICMP
  responder in iptables mode (kube-proxy only DNATs the Service's ports), so nothing answers.
"""

from __future__ import annotations

import ipaddress
import re

from tutor.cluster.sim.api.commands.proc import Out, Proc, remote_of

_SERVICES = {
    ("tcp", 22): "ssh", ("tcp", 53): "domain", ("udp", 53): "domain", ("tcp", 80): "http",
    ("tcp", 443): "https", ("tcp", 3306): "mysql", ("tcp", 5432): "postgresql",
    ("tcp", 6379): "redis", ("tcp", 8080): "http-alt", ("udp", 123): "ntp",
}  # fmt: skip


def _split_flags(args: list[str], with_value: str) -> tuple[set[str], dict[str, str], list[str]]:
    flags: set[str] = set()
    values: dict[str, str] = {}
    positional: list[str] = []
    words = list(args)
    while words:
        word = words.pop(0)
        if word.startswith("-") and len(word) > 1 and not word[1:].isdigit():
            letters = word[1:]
            for pos, letter in enumerate(letters):
                if letter in with_value:
                    values[letter] = letters[pos + 1 :] or (words.pop(0) if words else "")
                    break
                flags.add(letter)
        else:
            positional.append(word)
    return flags, values, positional


def nc(proc: Proc, args: list[str], stdin: str = "") -> Out:
    """`nc [-z] [-v] [-u] [-w SEC] HOST PORT`."""
    flags, values, positional = _split_flags(args, "wpsiIOqTXxe")
    openbsd = proc.toolbox.nc != "busybox"
    if len(positional) < 2 or not positional[1].split("-")[0].isdigit():
        usage = "usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n"
        return Out(1, "", usage if openbsd else "BusyBox v1.31.1 multi-call binary.\n")
    host, port = positional[0], int(positional[1].split("-")[0])
    udp = "u" in flags
    verbose = "v" in flags
    wait = values.get("w", "")
    timeout = float(wait) if wait.replace(".", "", 1).isdigit() else 300.0
    proto = "udp" if udp else "tcp"
    address = proc.resolve_address(host)
    if address is None:
        if openbsd:
            return Out(
                1, "", f'nc: getaddrinfo for host "{host}" port {port}: Name does not resolve\n'
            )
        return Out(1, "", f"nc: bad address '{host}'\n")
    shown = host if host == address else f"{host} ({address})"
    if udp:
        # a UDP "connection" only sets the peer: nc reports success without an answer
        text = f"Connection to {shown} {port} port [udp/{_SERVICES.get((proto, port), '*')}] succeeded!\n"
        return Out(0, "", text if verbose and openbsd else "")
    attempt = proc.tcp(address, port, timeout)
    remote = remote_of(attempt)
    if remote is not None and host == address:
        shown = host
    if attempt.ok:
        if not verbose:
            return Out(0, "", "")
        if openbsd:
            service = _SERVICES.get((proto, port), "*")
            return Out(0, "", f"Connection to {shown} {port} port [{proto}/{service}] succeeded!\n")
        return Out(0, "", f"{host} ({address}:{port}) open\n")
    error = attempt.error or ""
    if openbsd:
        if error == "timeout":
            reason = "timed out: Operation in progress"
        elif error == "no-route":
            reason = "failed: Host is unreachable"
        else:
            reason = "failed: Connection refused"
        return Out(1, "", f"nc: connect to {shown} port {port} ({proto}) {reason}\n")
    reason = {"timeout": "Connection timed out", "no-route": "Host is unreachable"}.get(
        error, "Connection refused"
    )
    return Out(1, "", f"nc: {host} ({address}:{port}): {reason}\n")


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$")


def _go_duration(text: str) -> float | None:
    if text == "0":
        return 0.0
    total = 0.0
    scale = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    for part in re.findall(r"\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)", text):
        found = _DURATION.match(part)
        if found is None:
            return None
        total += float(found.group(1)) * scale[found.group(2)]
    return total if re.fullmatch(r"(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+", text) else None


def agnhost(proc: Proc, args: list[str], stdin: str = "") -> Out:
    """`/agnhost SUBCOMMAND ...`: `connect` is modelled; servers cannot be started by exec."""
    if not args:
        return Out(0, "agnhost: a Swiss army knife of test commands\n", "")
    if args[0] != "connect":
        return Out(1, "", f'Error: unknown command "{args[0]}" for "agnhost"\n')
    rest = args[1:]
    timeout = 0.0
    protocol = "tcp"
    positional: list[str] = []
    while rest:
        word = rest.pop(0)
        if word.startswith("--"):
            name, sep, value = word[2:].partition("=")
            if not sep:
                value = rest.pop(0) if rest else ""
            if name == "timeout":
                parsed = _go_duration(value)
                if parsed is None:
                    return Out(
                        1,
                        "",
                        f'Error: invalid argument "{value}" for "--timeout" flag: '
                        f'time: invalid duration "{value}"\n',
                    )
                timeout = parsed
            elif name == "protocol":
                protocol = value
        else:
            positional.append(word)
    if len(positional) != 1:
        return Out(1, "", f"Error: accepts 1 arg(s), received {len(positional)}\n")
    dest = positional[0]
    if protocol not in ("", "tcp"):
        return Out(1, "", "OTHER: only the tcp protocol is modelled\n")
    host, sep, port = dest.rpartition(":")
    if not sep or not host:
        return Out(1, "", f"UNKNOWN: address {dest}: missing port in address\n")
    host = host.strip("[]")
    address = proc.resolve_address(host)
    if address is None or not port.isdigit():
        return Out(1, "", f"DNS: lookup {host} on {_nameserver(proc)}:53: no such host\n")
    attempt = proc.tcp(address, int(port), timeout or 300.0)
    if attempt.ok:
        return Out(0, "", "")
    if attempt.error == "timeout":
        return Out(1, "", "TIMEOUT\n")
    if attempt.error == "refused":
        return Out(1, "", "REFUSED\n")
    target = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    return Out(1, "", f"OTHER: dial tcp {target}: connect: no route to host\n")


def _nameserver(proc: Proc) -> str:
    return "10.96.0.10" if proc.cluster_dns else "172.18.0.1"


def ping(proc: Proc, args: list[str], stdin: str = "") -> Out:
    """busybox `ping [-c N] [-W SEC] HOST` (without -c it is taken as 4 and stopped)."""
    flags, values, positional = _split_flags(args, "cWwsIt")
    if not positional:
        return Out(1, "", "BusyBox v1.31.1 multi-call binary.\n\nUsage: ping [OPTIONS] HOST\n")
    host = positional[-1]
    count = int(values["c"]) if values.get("c", "").isdigit() else 4
    address = proc.resolve_address(host)
    if address is None:
        return Out(1, "", f"ping: bad address '{host}'\n")
    ttl = _icmp_ttl(proc, address)
    lines = [f"PING {host} ({address}): 56 data bytes"]
    if ttl is not None:
        lines += [
            f"64 bytes from {address}: seq={i} ttl={ttl} time=0.{100 + i:03d} ms"
            for i in range(count)
        ]
    received = count if ttl is not None else 0
    lines += [
        "",
        f"--- {host} ping statistics ---",
        f"{count} packets transmitted, {received} packets received, "
        f"{0 if received else 100}% packet loss",
    ]
    if received:
        lines.append("round-trip min/avg/max = 0.100/0.101/0.103 ms")
    return Out(0 if received else 1, "\n".join(lines) + "\n", "")


def _icmp_ttl(proc: Proc, address: str) -> int | None:
    """The TTL of the echo reply, or None when nothing answers ICMP at `address`."""
    if address in ("127.0.0.1", "::1", proc.ip):
        return 64
    pod = proc.objects.pod_by_ip(address)
    if pod is not None:
        same_node = (pod.get("spec") or {}).get("nodeName") == (proc.pod.get("spec") or {}).get(
            "nodeName"
        )
        # routed by the node (same node), or by both nodes (kindnet routes between nodes)
        return 63 if same_node else 62
    kinds = {kind for kind, _ in proc.objects.owners_of_ip(address)}
    if "node" in kinds:
        return 64 if proc.host_network else 63
    if kinds & {"loadBalancer", "gateway", "ingress"}:
        return 63  # cloud-provider-kind's Envoy container on the kind network
    return None  # a ClusterIP (no ICMP responder in iptables mode) or an unknown address


def ip_command(proc: Proc, args: list[str], stdin: str = "") -> Out:
    """`ip addr` / `ip a` / `ip route` (iproute2 layout), for the Pod's interfaces."""
    sub = args[0] if args else ""
    if sub in ("a", "addr", "address"):
        address = proc.ip
        network = ipaddress.ip_network(f"{address}/24", strict=False) if address else None
        mac = "0a:58:" + ":".join(f"{int(p):02x}" for p in address.split(".")) if address else ""
        lines = [
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000",
            "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
            "    inet 127.0.0.1/8 scope host lo",
            "       valid_lft forever preferred_lft forever",
        ]
        if network is not None:
            lines += [
                "2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default",
                f"    link/ether {mac} brd ff:ff:ff:ff:ff:ff link-netnsid 0",
                f"    inet {address}/24 brd {network.broadcast_address} scope global eth0",
                "       valid_lft forever preferred_lft forever",
            ]
        return Out(0, "\n".join(lines) + "\n", "")
    if sub in ("r", "route"):
        address = proc.ip
        if not address:
            return Out(0, "", "")
        gateway = str(next(ipaddress.ip_network(f"{address}/24", strict=False).hosts()))
        network = ipaddress.ip_network(f"{address}/24", strict=False)
        return Out(
            0,
            f"default via {gateway} dev eth0 \n{network} via {gateway} dev eth0 src {address} \n{gateway} dev eth0 scope link src {address} \n",
            "",
        )
    return Out(1, "", f'Object "{sub}" is unknown, try "ip help".\n')
