"""Real traffic probes: HTTP/TCP/DNS from a probe Pod in the lab namespace, a Pod, a kind node,
or this machine; results in the same shapes the simulator gives.

Command construction and output parsing are pure functions (unit-tested without a cluster);
`run_probe` only moves bytes: it execs the commands through the API or opens sockets.
"""

from __future__ import annotations

import builtins
import dataclasses
import errno
import http.client
import re
import socket
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlparse

from tutor.cluster.base import (
    MANAGED_LABEL,
    MANAGED_VALUE,
    ClusterError,
    Obj,
    ProbeAttempt,
    ProbeRequest,
    ProbeResult,
)
from tutor.cluster.kind_config import (
    AGNHOST_IMAGE,
    NODEPORTS,
    PORT_MAPPING_ADDRESS,
    host_ports_by_node,
    node_addresses,
)

PROBE_POD = "kube-tutor-probe"
"""Name of the probe Pod kube-tutor creates in a lab namespace on first use."""
PROBE_LABELS = {"app.kubernetes.io/name": PROBE_POD, MANAGED_LABEL: MANAGED_VALUE}
_MARK = "__kube_tutor__"
_BODY_LIMIT = 4096


class ExecCluster(Protocol):
    """What probes need from a real cluster."""

    backend: str

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None: ...

    def list(
        self, kind: str, namespace: str | None = None, selector: Mapping[str, str] | None = None
    ) -> list[Obj]: ...

    def apply(self, objects: Sequence[Obj], namespace: str) -> Any: ...

    def wait_for(
        self,
        kind: str,
        namespace: str | None,
        predicate: Callable[[builtins.list[Obj]], bool],
        timeout: float,
    ) -> bool: ...

    def exec(
        self, pod: str, namespace: str, command: Sequence[str], timeout: float
    ) -> tuple[int, str, str]: ...


# -- the probe Pod --------------------------------------------------------------------------


PROBE_NODE = "kube-tutor-worker"
"""Where the probe Pod runs on kube-tutor's kind cluster (zone-a), as on the simulator, so
that zone- and node-sensitive labs see the same client on both."""


def probe_pod_manifest(namespace: str, node: str | None = None) -> Obj:
    """The probe Pod: agnhost (it has curl, dig and nc) doing nothing until exec'd into."""
    pod: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": PROBE_POD, "namespace": namespace, "labels": dict(PROBE_LABELS)},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {
                    "name": "probe",
                    "image": AGNHOST_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "args": ["pause"],
                }
            ],
        },
    }
    if node is not None:
        pod["spec"]["nodeSelector"] = {"kubernetes.io/hostname": node}
    return pod


def ensure_probe_pod(cluster: ExecCluster, namespace: str, timeout: float = 90.0) -> None:
    """Create the probe Pod on first use and wait (watching) until it runs."""

    def running(pods: list[Obj]) -> bool:
        return any(p.get("metadata", {}).get("name") == PROBE_POD and _pod_ready(p) for p in pods)

    pod = cluster.get("Pod", PROBE_POD, namespace)
    if pod is not None and _pod_ready(pod):
        return
    if pod is None:
        node = PROBE_NODE if cluster.get("Node", PROBE_NODE) is not None else None
        cluster.apply([probe_pod_manifest(namespace, node)], namespace)
    if not cluster.wait_for("Pod", namespace, running, timeout):
        raise ClusterError(
            f"The probe Pod {PROBE_POD} in {namespace} did not start within {timeout:.0f} s.",
            hint=f"See `kubectl -n {namespace} describe pod {PROBE_POD}`; "
            "`kube-tutor cluster up` preloads its image.",
        )


def _pod_ready(pod: Obj) -> bool:
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return bool(condition.get("status") == "True")
    return False


# -- commands (pure) ------------------------------------------------------------------------


def http_command(request: ProbeRequest) -> list[str]:
    """curl printing the body, then a marker line with the status code and the peer."""
    argv = [
        "curl",
        "-sS",
        "--max-time",
        _seconds(request.timeout),
        "-o",
        "-",
        "-w",
        f"\\n{_MARK} %{{http_code}} %{{remote_ip}}",
    ]
    for key, value in request.headers.items():
        argv += ["-H", f"{key}: {value}"]
    parts = urlparse(request.target)
    if parts.scheme == "https":
        argv.append("-k")  # lab certificates are self-signed
    if request.resolve and parts.hostname:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        argv += ["--resolve", f"{parts.hostname}:{port}:{request.resolve}"]
    argv.append(request.target)
    return argv


def tcp_command(request: ProbeRequest) -> list[str]:
    """nc connecting without sending (`-z`), verbose so a failure says why."""
    host, port = split_host_port(request.target)
    return ["nc", "-z", "-v", "-w", _seconds(request.timeout), host, str(port)]


def dns_command(request: ProbeRequest) -> list[str]:
    """dig using the Pod's search domains, printing the answer and the response status."""
    argv = ["dig", "+search", f"+time={_seconds(request.timeout)}", "+tries=1"]
    argv += ["+noall", "+comments", "+answer"]
    if request.record_type == "PTR" and _is_ip(request.target):
        return [*argv, "-x", request.target]
    return [*argv, request.target, request.record_type]


def command_for(request: ProbeRequest) -> list[str]:
    """The command a probe runs inside the cluster."""
    if request.protocol == "http":
        return http_command(request)
    if request.protocol == "tcp":
        return tcp_command(request)
    return dns_command(request)


def _seconds(timeout: float) -> str:
    return str(max(1, round(timeout)))


def split_host_port(target: str) -> tuple[str, int]:
    """`web:80` -> (`web`, 80); `[fd00::1]:80` -> (`fd00::1`, 80)."""
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        return host, int(rest.lstrip(":"))
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"a TCP target is host:port, got {target!r}")
    return host, int(port)


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# -- parsing (pure) -------------------------------------------------------------------------

_CURL_ERRORS = {
    6: "unresolvable",
    7: "refused",
    28: "timeout",
    35: "tls",  # the TLS handshake failed (no listener for the SNI name, a plain port)
    52: "reset",
    56: "reset",
}


def parse_http(
    url: str, code: int, stdout: str, stderr: str, *, pods: Sequence[str] = (), detail: str = ""
) -> ProbeAttempt:
    """One curl run -> `ProbeAttempt` (status, body, which backend answered, client IP)."""
    body, marker, tail = stdout.rpartition(f"\n{_MARK} ")
    if not marker:
        body, tail = stdout, ""
    status_text = tail.split()[0] if tail.split() else "000"
    status = int(status_text) if status_text.isdigit() else 0
    if code != 0 or status == 0:
        return ProbeAttempt(ok=False, error=classify_curl(code, stderr), detail=detail)
    return http_attempt(url, status, body, pods=pods, detail=detail)


def http_attempt(
    url: str, status: int, body: str, *, pods: Sequence[str] = (), detail: str = ""
) -> ProbeAttempt:
    """A successful HTTP exchange; agnhost tells who answered (`/hostname`, or serve-hostname's
    Pod name for any path) and whom it saw (`/clientip`)."""
    body = body[:_BODY_LIMIT]
    text = body.strip()
    path = urlparse(url).path.rstrip("/")
    backend = None
    client_ip = None
    if text and "\n" not in text and " " not in text:
        if path.endswith("/hostname") or text in pods:
            backend = text
        if path.endswith("/clientip"):
            client_ip = _strip_port(text)
    return ProbeAttempt(
        ok=True, status=status, body=text, backend=backend, client_ip=client_ip, detail=detail
    )


def classify_curl(code: int, stderr: str) -> str:
    """A curl failure as `refused`, `timeout`, `reset`, `unresolvable`, `no-route` or text."""
    lowered = stderr.lower()
    if "no route" in lowered or "unreachable" in lowered:
        return "no-route"
    if "timed out" in lowered:
        return "timeout"
    if code in _CURL_ERRORS:
        return _CURL_ERRORS[code]
    lines = [line for line in stderr.strip().splitlines() if line]
    return lines[-1] if lines else f"curl exit code {code}"


def parse_tcp(code: int, stderr: str, *, detail: str = "") -> ProbeAttempt:
    """One `nc -z` run -> `ProbeAttempt`."""
    if code == 0:
        return ProbeAttempt(ok=True, detail=detail)
    return ProbeAttempt(ok=False, error=classify_socket_text(stderr, code), detail=detail)


def classify_socket_text(text: str, code: int = 1) -> str:
    """An error message from nc (or a socket) as one of the probe error words."""
    lowered = text.lower()
    if "refused" in lowered:
        return "refused"
    if "timed out" in lowered or "timeout" in lowered or "in progress" in lowered:
        return "timeout"
    if "no route" in lowered or "unreachable" in lowered:
        return "no-route"
    if "reset" in lowered:
        return "reset"
    if "resolve" in lowered or "not known" in lowered or "bad address" in lowered:
        return "unresolvable"
    lines = [line for line in text.strip().splitlines() if line]
    return lines[-1] if lines else f"exit code {code}"


_STATUS_RE = re.compile(r"status:\s*([A-Z]+)")


def parse_dns(record_type: str, code: int, stdout: str, *, detail: str = "") -> ProbeAttempt:
    """One dig run -> `ProbeAttempt` with the records (SRV as `priority weight port target`)."""
    match = _STATUS_RE.search(stdout)
    if match is None:
        lowered = stdout.lower()
        error = "timeout" if code == 9 or "timed out" in lowered else f"dig exit code {code}"
        return ProbeAttempt(ok=False, error=error, detail=detail)
    status = match.group(1)
    records_in_order: list[str] = []
    for line in stdout.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        fields = line.split()
        if len(fields) < 5:
            continue
        rtype, rdata = fields[3].upper(), [f.rstrip(".") for f in fields[4:]]
        # like the simulator: an alias (ExternalName) answers with its CNAME, then the
        # records of the name it points to
        if rtype == record_type or rtype == "CNAME":
            records_in_order.append(" ".join(rdata))
    records = tuple(records_in_order)
    if status == "NXDOMAIN":
        return ProbeAttempt(ok=False, error="nxdomain", detail=detail)
    if status != "NOERROR":
        return ProbeAttempt(ok=False, error=status.lower(), detail=detail)
    return ProbeAttempt(ok=bool(records), records=records, detail=detail)


def _strip_port(text: str) -> str:
    if text.startswith("["):
        return text[1:].partition("]")[0]
    if text.count(":") == 1:
        return text.partition(":")[0]
    return text


# -- from this machine ----------------------------------------------------------------------


def host_http(
    url: str,
    headers: Mapping[str, str],
    timeout: float,
    *,
    pods: Sequence[str] = (),
    resolve: str | None = None,
) -> ProbeAttempt:
    """An HTTP request from this machine (no proxies: the target is the practice cluster)."""
    if resolve:
        return _pinned_http(url, resolve, headers, timeout, pods)
    detail = f"from this machine: GET {url}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers=dict(headers), method="GET")
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(_BODY_LIMIT).decode("utf-8", "replace")
            return http_attempt(url, int(response.status), body, pods=pods, detail=detail)
    except urllib.error.HTTPError as exc:  # a response all the same (4xx/5xx)
        body = exc.read(_BODY_LIMIT).decode("utf-8", "replace")
        return http_attempt(url, int(exc.code), body, pods=pods, detail=detail)
    except urllib.error.URLError as exc:
        return ProbeAttempt(ok=False, error=classify_os_error(exc.reason), detail=detail)
    except OSError as exc:
        return ProbeAttempt(ok=False, error=classify_os_error(exc), detail=detail)


def _pinned_http(
    url: str, address: str, headers: Mapping[str, str], timeout: float, pods: Sequence[str]
) -> ProbeAttempt:
    """`curl -k --resolve`: connect to `address`, send the URL's host as SNI and Host."""
    parts = urlparse(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    detail = f"from this machine: GET {url} (connecting to {address})"
    sent = {"Host": host if port in (80, 443) else f"{host}:{port}", **headers}
    connection: http.client.HTTPConnection
    if https:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = _SniConnection(address, port, host, timeout, context)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        connection.request(
            "GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), headers=sent
        )
        response = connection.getresponse()
        body = response.read(_BODY_LIMIT).decode("utf-8", "replace")
        attempt = http_attempt(url, int(response.status), body, pods=pods, detail=detail)
        location = response.getheader("Location")
        return dataclasses.replace(attempt, location=location) if location else attempt
    except ssl.SSLError:
        return ProbeAttempt(ok=False, error="tls", detail=detail)
    except OSError as exc:
        return ProbeAttempt(ok=False, error=classify_os_error(exc), detail=detail)
    finally:
        connection.close()


class _SniConnection(http.client.HTTPSConnection):
    """An HTTPS connection to one address that sends another name as SNI."""

    def __init__(
        self, address: str, port: int, sni: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(address, port, timeout=timeout, context=context)
        self._sni = sni
        self._tls_context = context

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._tls_context.wrap_socket(raw, server_hostname=self._sni or None)


def host_tcp(target: str, timeout: float) -> ProbeAttempt:
    """A TCP connection from this machine."""
    detail = f"from this machine: connect {target}"
    try:
        host, port = split_host_port(target)
        with socket.create_connection((host, port), timeout=timeout):
            return ProbeAttempt(ok=True, detail=detail)
    except ValueError as exc:
        return ProbeAttempt(ok=False, error=str(exc), detail=detail)
    except OSError as exc:
        return ProbeAttempt(ok=False, error=classify_os_error(exc), detail=detail)


def host_dns(name: str, record_type: str) -> ProbeAttempt:
    """A name lookup from this machine (A/AAAA through the system resolver)."""
    detail = f"from this machine: resolve {name}"
    family = socket.AF_INET6 if record_type == "AAAA" else socket.AF_INET
    try:
        infos = socket.getaddrinfo(name, None, family, socket.SOCK_STREAM)
    except socket.gaierror:
        return ProbeAttempt(ok=False, error="nxdomain", detail=detail)
    records = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    return ProbeAttempt(ok=bool(records), records=records, detail=detail)


def classify_os_error(reason: object) -> str:
    """A socket error as a probe error word."""
    if isinstance(reason, ConnectionRefusedError):
        return "refused"
    if isinstance(reason, ConnectionResetError):
        return "reset"
    if isinstance(reason, socket.timeout | TimeoutError):
        return "timeout"
    if isinstance(reason, socket.gaierror):
        return "unresolvable"
    if isinstance(reason, OSError) and reason.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "no-route"
    return classify_socket_text(str(reason))


def host_url(
    url: str,
    node_ips: Sequence[str] | Mapping[str, str],
    platform: str = sys.platform,
) -> str:
    """Where to send a host request: on macOS/Windows a kind node's address is not reachable,
    so a NodePort of the labs (30080-30089) on a node's address is sent to that node's own
    mapping on 127.0.0.1 (`kind_config.host_port`: control-plane 30080.., worker 30180..).

    `node_ips` maps each node's InternalIP to its name (a plain list of addresses is read
    as control-plane-only, as older callers pass)."""
    if platform == "linux":
        return url
    parsed = urlparse(url if "//" in url else f"//{url}")
    names = dict(node_ips) if isinstance(node_ips, Mapping) else {ip: "" for ip in node_ips}
    if parsed.hostname not in names or parsed.port not in NODEPORTS:
        return url
    by_node = host_ports_by_node()
    ports = by_node.get(names[parsed.hostname]) or next(iter(by_node.values()))
    netloc = f"{PORT_MAPPING_ADDRESS}:{ports[parsed.port]}"
    return parsed._replace(netloc=netloc).geturl().lstrip("/")


# -- running --------------------------------------------------------------------------------


def run_probe(cluster: ExecCluster, request: ProbeRequest) -> ProbeResult:
    """Send the request `count` times from its source and collect the attempts."""
    pods = [p["metadata"]["name"] for p in cluster.list("Pod", request.namespace)]
    attempts: list[ProbeAttempt] = []
    send = _sender(cluster, request, pods)
    for _ in range(max(1, request.count)):
        attempts.append(send())
    return ProbeResult(request, tuple(attempts))


def _sender(
    cluster: ExecCluster, request: ProbeRequest, pods: Sequence[str]
) -> Callable[[], ProbeAttempt]:
    source = request.source
    if source == "host":
        return _host_sender(cluster, request, pods)
    if source.startswith("node:"):
        return _node_sender(cluster, request, source.partition(":")[2], pods)
    if source == "probe":
        ensure_probe_pod(cluster, request.namespace)
        pod = PROBE_POD
    elif source.startswith("pod:"):
        pod = source.partition(":")[2]
    else:
        raise ValueError(f"unknown probe source {source!r}")
    argv = command_for(request)
    detail = f"from Pod {pod}: {' '.join(argv)}"
    found = cluster.get("Pod", pod, request.namespace) or {}
    source_ip = found.get("status", {}).get("podIP") or None

    def send() -> ProbeAttempt:
        code, out, err = cluster.exec(pod, request.namespace, argv, request.timeout + 5)
        attempt = _parse(request, code, out, err, pods, detail)
        return dataclasses.replace(attempt, source_ip=source_ip)

    return send


def _parse(
    request: ProbeRequest, code: int, out: str, err: str, pods: Sequence[str], detail: str
) -> ProbeAttempt:
    if request.protocol == "http":
        return parse_http(request.target, code, out, err, pods=pods, detail=detail)
    if request.protocol == "tcp":
        return parse_tcp(code, err or out, detail=detail)
    return parse_dns(request.record_type, code, out, detail=detail)


def _host_sender(
    cluster: ExecCluster, request: ProbeRequest, pods: Sequence[str]
) -> Callable[[], ProbeAttempt]:
    node_ips: dict[str, str] = {}
    if cluster.backend == "kind" and sys.platform != "linux":
        node_ips = node_addresses(cluster.list("Node"))
    if request.protocol == "dns":
        return lambda: host_dns(request.target, request.record_type)
    target = host_url(request.target, node_ips)
    source_ip = local_address_towards(target)
    if request.protocol == "http":
        return lambda: dataclasses.replace(
            host_http(target, request.headers, request.timeout, pods=pods, resolve=request.resolve),
            source_ip=source_ip,
        )
    return lambda: dataclasses.replace(host_tcp(target, request.timeout), source_ip=source_ip)


def local_address_towards(target: str) -> str | None:
    """This machine's address on the route to an IP target (a UDP socket is connected,
    which sends nothing), or None for names and errors."""
    parsed = urlparse(target if "//" in target else f"//{target}")
    host = parsed.hostname or ""
    if not _is_ip(host):
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((host, parsed.port or 80))
            return str(sock.getsockname()[0])
    except OSError:
        return None


def _node_sender(
    cluster: ExecCluster, request: ProbeRequest, node: str, pods: Sequence[str]
) -> Callable[[], ProbeAttempt]:
    """A probe from a kind node's network namespace (`docker exec NODE curl ...`): the
    node images ship curl; kube-proxy's rules apply to it as to any host process."""
    if cluster.backend != "kind":
        return lambda: ProbeAttempt(
            ok=False, error="node probes need the kind backend", detail=f"node {node}"
        )
    from tutor.cluster.kind_tools import Runner

    runner = Runner()
    # the engine kind uses: docker, or podman when only podman is installed
    engine = "podman" if runner.which("docker") is None and runner.which("podman") else "docker"
    if request.protocol == "dns":
        return lambda: ProbeAttempt(
            ok=False, error="DNS probes from a node are not supported", detail=f"node {node}"
        )
    if request.protocol == "http":
        argv = [engine, "exec", node, *http_command(request)]
    else:
        host, port = split_host_port(request.target)
        # the node image has no nc; bash's /dev/tcp opens a TCP connection
        script = f"exec 3<>/dev/tcp/{host}/{port}"
        argv = [engine, "exec", node, "timeout", _seconds(request.timeout), "bash", "-c", script]
    detail = f"from node {node}: {' '.join(argv[3:])}"

    def send() -> ProbeAttempt:
        started = time.monotonic()
        result = runner.run(argv, timeout=request.timeout + 10)
        if request.protocol == "http":
            return parse_http(
                request.target,
                result.returncode,
                result.stdout,
                result.stderr,
                pods=pods,
                detail=detail,
            )
        if result.returncode == 124 or time.monotonic() - started >= request.timeout:
            return ProbeAttempt(ok=False, error="timeout", detail=detail)
        return parse_tcp(result.returncode, result.stderr, detail=detail)

    return send
