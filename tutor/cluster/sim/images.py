"""Catalogue of the container images labs use, and how their processes behave on the network.

The simulator has no containers; it asks this catalogue what a container would do: which ports
it listens on, what it answers to an HTTP request, whether an exec probe command succeeds.

Modelled images (any registry and tag; matched on the image's repository name):

- `agnhost` (`registry.k8s.io/e2e-test-images/agnhost:2.39`), by subcommand (first word of
  `command` + `args` after the `/agnhost` binary):
  - `netexec [--http-port=8080] [--udp-port=8081] [--sctp-port=-1]`: HTTP on `--http-port`
    (`/hostname`, `/hostName` -> hostname; `/clientip` -> `ip:port` of the client;
    `/echo?msg=&code=`; `/header?key=` -> that request header (all headers as JSON without a
    key); `/healthz` -> 200 empty; `/readyz` -> 200 `ok`; `/redirect?location=&code=`;
    every other path -> 200 `NOW: <time>`, because netexec's `/` handler catches every path
    the others do not), and UDP on `--udp-port` (disabled with -1).
  - `serve-hostname [--http=true] [--tcp] [--udp] [--port=9376]`: with HTTP, the hostname on
    any path; `--tcp`/`--udp` serve raw TCP/UDP instead (and together with `--http=true`, the
    default, agnhost refuses to start: the container crashes).
  - `pause`: runs, listens on nothing (the probe Pod uses it).
  - anything else (no subcommand, unknown subcommand): the process exits (crash loop).
- `nginx` (any tag): HTTP on 80 (or `$NGINX_PORT`): `/`, `/index.html` -> 200 welcome page,
  `/50x.html` -> 200, other paths -> 404. **Virtual-host mode**: when the container sets the env
  var `NGINX_HOST` (space- or comma-separated server names, `*.example.com` allowed), requests
  whose `Host` header (port removed) matches none of them get 404. On a real cluster the lab
  gets the same behaviour from the nginx image's templates (`/etc/nginx/templates/*.template`
  rendered with `NGINX_HOST`) plus a `default_server` that returns 404.
- `coredns`: DNS on 53 (UDP and TCP), `/health` on 8080, `/ready` on 8181, metrics on 9153.
- `hashicorp/http-echo` (`-text=...`, `-listen=:5678`): the text on any path, `/health` ok.
- `busybox`, `alpine`, `ubuntu`, `debian`, `curlimages/curl` and unknown images: nothing
  listens; the process runs when it has a `command`/`args` (e.g. `sleep 3600`) for the known
  shell images, and always for unknown images.

Exec probes: `true`/`false`/`exit N`, `cat`/`test -f`/`ls` of a file (only `/etc/hostname`,
`/etc/hosts`, `/etc/resolv.conf` exist), `curl`/`wget` to `localhost`/`127.0.0.1`, `nc -z`,
and `sh -c` of one such command are evaluated; other commands are assumed to succeed.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

Obj = dict[str, Any]

NGINX_WELCOME = (
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n"
    "<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully "
    "installed and working.</p>\n</body>\n</html>\n"
)
NGINX_404 = (
    "<html>\n<head><title>404 Not Found</title></head>\n<body>\n<center><h1>404 Not Found</h1>"
    "</center>\n<hr><center>nginx</center>\n</body>\n</html>\n"
)

SIM_NOW = "2026-11-27 00:00:00 +0000 UTC"
"""The time netexec's `/` handler prints in the simulator (fixed, so answers are stable)."""

_EXISTING_FILES = frozenset({"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"})
_SHELL_IMAGES = frozenset({"busybox", "alpine", "ubuntu", "debian", "curl", "bash"})


@dataclass(frozen=True)
class Workload:
    """What one container's process does on the network, as the simulator models it."""

    image: str
    program: str = "unknown"
    """`netexec`, `serve-hostname`, `pause`, `nginx`, `http-echo`, `idle` or `unknown`."""
    tcp_ports: frozenset[int] = frozenset()
    """TCP ports with a listener (HTTP or raw)."""
    udp_ports: frozenset[int] = frozenset()
    """UDP ports with a listener."""
    http_ports: frozenset[int] = frozenset()
    """The TCP ports that speak HTTP."""
    runs: bool = True
    """False when the process exits at once (the container ends up in CrashLoopBackOff)."""
    exit_message: str = ""
    """Why the process exits, when it does (what `kubectl logs` would show)."""
    vhosts: tuple[str, ...] = ()
    """nginx virtual-host mode: the server names it answers (empty = any Host)."""
    text: str = ""
    """http-echo: the text it answers."""

    def listens(self, port: int, protocol: str = "TCP") -> bool:
        """True when the process accepts connections (TCP/SCTP) or datagrams (UDP) on `port`."""
        if not self.runs:
            return False
        if protocol.upper() == "UDP":
            return port in self.udp_ports
        return port in self.tcp_ports

    def http(
        self,
        port: int,
        path: str,
        headers: Mapping[str, str],
        *,
        pod_name: str,
        client_ip: str,
    ) -> tuple[int, str]:
        """Answer one HTTP GET: (status, body).

        `path` may carry a query string; `pod_name` is what the process sees as its hostname;
        `client_ip` is the source address it sees (`ip` or `ip:port`). Raises
        `ConnectionRefusedError` when nothing listens on `port`, and `ConnectionResetError`
        when the listener there does not speak HTTP (a raw TCP server).
        """
        if not self.listens(port, "TCP"):
            raise ConnectionRefusedError(f"nothing listens on TCP port {port} in {self.image}")
        if port not in self.http_ports:
            raise ConnectionResetError(f"port {port} of {self.image} does not speak HTTP")
        parts = urlsplit(path if path.startswith("/") else "/" + path)
        route = parts.path or "/"
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        lower = {k.lower(): v for k, v in headers.items()}
        if self.program == "netexec":
            return _netexec(route, query, headers, lower, pod_name, client_ip)
        if self.program == "serve-hostname":
            return 200, pod_name
        if self.program == "nginx":
            return self._nginx(route, lower)
        if self.program == "coredns":
            if (port, route) in ((8080, "/health"), (8181, "/ready")):
                return 200, "OK"
            return 404, "404 page not found\n"
        if self.program == "http-echo":
            if route == "/health":
                return 200, '{"status":"ok"}'
            return 200, self.text + "\n"
        raise ConnectionResetError(f"port {port} of {self.image} does not speak HTTP")

    def _nginx(self, route: str, lower: Mapping[str, str]) -> tuple[int, str]:
        if self.vhosts:
            host = lower.get("host", "").rsplit(":", 1)[0].lower()
            if not any(_host_matches(pattern, host) for pattern in self.vhosts):
                return 404, NGINX_404
        if route in ("/", "/index.html"):
            return 200, NGINX_WELCOME
        if route == "/50x.html":
            return 200, "<h1>An error occurred.</h1>\n"
        return 404, NGINX_404

    def exec(self, command: Sequence[str], *, pod_name: str = "") -> int:
        """Exit code of `command` run inside the container (for exec probes)."""
        if not self.runs:
            return 126
        words = list(command)
        if (
            len(words) >= 3
            and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash")
            and (words[1] == "-c")
        ):
            try:
                words = shlex.split(words[2])
            except ValueError:
                return 2
        if not words:
            return 0
        name = words[0].rsplit("/", 1)[-1]
        rest = words[1:]
        if name == "true":
            return 0
        if name == "false":
            return 1
        if name == "exit":
            return int(rest[0]) if rest and rest[0].isdigit() else 0
        if name in ("cat", "ls", "stat"):
            files = [w for w in rest if not w.startswith("-")]
            return 0 if files and all(f in _EXISTING_FILES for f in files) else 1
        if name in ("test", "["):
            files = [w for w in rest if w.startswith("/")]
            return 0 if files and all(f in _EXISTING_FILES for f in files) else 1
        if name in ("curl", "wget"):
            return self._exec_http_client(name, rest, pod_name)
        if name in ("nc", "netcat"):
            numbers = [w for w in rest if w.isdigit()]
            hosts = [w for w in rest if not w.startswith("-") and not w.isdigit()]
            if numbers and all(h in ("localhost", "127.0.0.1") for h in hosts):
                protocol = "UDP" if "-u" in rest or "-uz" in rest or "-zu" in rest else "TCP"
                return 0 if self.listens(int(numbers[0]), protocol) else 1
            return 0
        return 0

    def _exec_http_client(self, name: str, rest: list[str], pod_name: str) -> int:
        urls = [w for w in rest if "://" in w or w.startswith(("localhost", "127.0.0.1"))]
        if not urls:
            return 0
        url = urls[0] if "://" in urls[0] else "http://" + urls[0]
        parts = urlsplit(url)
        if parts.hostname not in ("localhost", "127.0.0.1"):
            return 0
        port = parts.port or 80
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            status, _ = self.http(port, path, {}, pod_name=pod_name, client_ip="127.0.0.1")
        except ConnectionRefusedError:
            return 7 if name == "curl" else 4
        except ConnectionResetError:
            return 56 if name == "curl" else 4
        if status >= 400:
            fail = any(w in ("-f", "--fail", "-sf", "-fs", "-fsS", "-sSf") for w in rest)
            if name == "wget":
                return 8
            return 22 if fail else 0
        return 0


def _host_matches(pattern: str, host: str) -> bool:
    pattern = pattern.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and host != pattern[2:]
    return pattern == host


def _netexec(
    route: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    lower: Mapping[str, str],
    pod_name: str,
    client_ip: str,
) -> tuple[int, str]:
    if route in ("/hostname", "/hostName"):
        return 200, pod_name
    if route == "/clientip":
        return 200, client_ip if ":" in client_ip else f"{client_ip}:40000"
    if route == "/echo":
        code = query.get("code", "")
        if code:
            if not code.lstrip("-").isdigit():
                return 200, f"argument 'code' must be an integer or empty, got {code!r}\n"
            return int(code), query.get("msg", "")
        return 200, query.get("msg", "")
    if route == "/header":
        key = query.get("key", "")
        if key:
            return 200, lower.get(key.lower(), "")
        return 200, json.dumps({k.title(): [v] for k, v in headers.items()}, sort_keys=True)
    if route == "/healthz":
        return 200, ""
    if route == "/readyz":
        return 200, "ok"
    if route == "/redirect":
        code = query.get("code", "")
        return (int(code) if code.isdigit() else 302), ""
    return 200, f"NOW: {SIM_NOW}"


# -- parsing containers ---------------------------------------------------------------------


def image_repository(image: str) -> str:
    """The last path element of an image reference, without tag or digest
    (`registry.k8s.io/e2e-test-images/agnhost:2.39` -> `agnhost`)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


def _flags(words: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Go-style flags (`--name=value`, `--name value`, `-name=value`, bare `--bool`) and the
    positional words."""
    flags: dict[str, str] = {}
    positional: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("-") and len(word) > 1:
            name = word.lstrip("-")
            if "=" in name:
                key, value = name.split("=", 1)
                flags[key] = value
            elif (
                index + 1 < len(words)
                and not words[index + 1].startswith("-")
                and (name not in ("http", "tcp", "udp", "close"))
            ):
                flags[name] = words[index + 1]
                index += 1
            else:
                flags[name] = "true"
        else:
            positional.append(word)
        index += 1
    return flags, positional


def _int_flag(flags: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(flags.get(name, default))
    except ValueError:
        return default


def _bool_flag(flags: Mapping[str, str], name: str, default: bool) -> bool:
    if name not in flags:
        return default
    return flags[name].lower() in ("true", "1", "t", "yes")


def _env(container: Obj) -> dict[str, str]:
    return {
        str(item.get("name")): str(item.get("value", ""))
        for item in container.get("env") or []
        if isinstance(item, dict) and "name" in item
    }


def workload_for(container: Obj) -> Workload:
    """How a container (a Pod spec `containers[]` item) behaves, from its image,
    `command`/`args` and env."""
    image = str(container.get("image") or "")
    repo = image_repository(image)
    words = [str(w) for w in (container.get("command") or [])] + [
        str(w) for w in (container.get("args") or [])
    ]
    if repo == "agnhost":
        return _agnhost(image, words)
    if repo == "nginx" or repo.startswith("nginx-"):
        env = _env(container)
        port = _int_flag(env, "NGINX_PORT", 80)
        names = tuple(n for n in env.get("NGINX_HOST", "").replace(",", " ").split() if n)
        return Workload(
            image=image,
            program="nginx",
            tcp_ports=frozenset({port}),
            http_ports=frozenset({port}),
            vhosts=names,
        )
    if repo == "coredns":
        return Workload(
            image=image,
            program="coredns",
            tcp_ports=frozenset({53, 8080, 8181, 9153}),
            udp_ports=frozenset({53}),
            http_ports=frozenset({8080, 8181, 9153}),
        )
    if repo == "http-echo":
        flags, _ = _flags(words)
        listen = flags.get("listen", ":5678")
        tail = listen.rsplit(":", 1)[-1]
        port = int(tail) if tail.isdigit() else 5678
        return Workload(
            image=image,
            program="http-echo",
            tcp_ports=frozenset({port}),
            http_ports=frozenset({port}),
            text=flags.get("text", ""),
        )
    if repo in _SHELL_IMAGES:
        if words:
            return Workload(image=image, program="idle")
        return Workload(
            image=image, program="idle", runs=False, exit_message="no command: the shell exits"
        )
    return Workload(image=image, program="unknown")


def _agnhost(image: str, words: list[str]) -> Workload:
    while words and words[0].rsplit("/", 1)[-1] == "agnhost":
        words = words[1:]
    flags, positional = _flags(words)
    sub = positional[0] if positional else ""
    if sub == "netexec":
        http_port = _int_flag(flags, "http-port", 8080)
        udp_port = _int_flag(flags, "udp-port", 8081)
        sctp_port = _int_flag(flags, "sctp-port", -1)
        tcp = {http_port}
        if sctp_port > 0:
            tcp.add(sctp_port)
        return Workload(
            image=image,
            program="netexec",
            tcp_ports=frozenset(tcp),
            udp_ports=frozenset({udp_port} if udp_port > 0 else set()),
            http_ports=frozenset({http_port}),
        )
    if sub == "serve-hostname":
        port = _int_flag(flags, "port", 9376)
        do_http = _bool_flag(flags, "http", True)
        do_tcp = _bool_flag(flags, "tcp", False)
        do_udp = _bool_flag(flags, "udp", False)
        if do_http and (do_tcp or do_udp):
            return Workload(
                image=image,
                program="serve-hostname",
                runs=False,
                exit_message="serve-hostname: --http cannot be combined with --tcp or --udp",
            )
        return Workload(
            image=image,
            program="serve-hostname",
            tcp_ports=frozenset({port} if (do_http or do_tcp) else set()),
            udp_ports=frozenset({port} if do_udp else set()),
            http_ports=frozenset({port} if do_http else set()),
        )
    if sub == "pause":
        return Workload(image=image, program="pause")
    return Workload(
        image=image,
        program="unknown",
        runs=False,
        exit_message=(
            f"agnhost: unknown subcommand {sub!r}" if sub else "agnhost: no subcommand given"
        ),
    )


def pod_workloads(pod: Obj) -> list[tuple[Obj, Workload]]:
    """Each container of a Pod with its workload, in spec order."""
    containers = (pod.get("spec") or {}).get("containers") or []
    return [(c, workload_for(c)) for c in containers if isinstance(c, dict)]


def pod_listener(pod: Obj, port: int, protocol: str = "TCP") -> Workload | None:
    """The workload of the Pod's container that listens on `port`, or None (containers of a
    Pod share one network namespace, so any container may own the port)."""
    for _, workload in pod_workloads(pod):
        if workload.listens(port, protocol):
            return workload
    return None
