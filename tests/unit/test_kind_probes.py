"""Real-cluster probes: the commands they run, how their output is read, and host probes
against servers on this machine's loopback."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest

from tutor.cluster import probes
from tutor.cluster.base import Obj, ProbeRequest

# -- commands -------------------------------------------------------------------------------


def test_http_command_prints_body_then_status_marker() -> None:
    request = ProbeRequest(
        "http", "http://web/hostname", "kt-01", headers={"Host": "shop.example"}, timeout=2.4
    )
    argv = probes.http_command(request)
    assert argv[:4] == ["curl", "-sS", "--max-time", "2"]
    assert argv[argv.index("-w") + 1] == "\\n__kube_tutor__ %{http_code} %{remote_ip}"
    assert argv[argv.index("-H") + 1] == "Host: shop.example"
    assert argv[-1] == "http://web/hostname"


def test_tcp_command_uses_nc_zero_io() -> None:
    argv = probes.tcp_command(ProbeRequest("tcp", "web:8080", "kt-01", timeout=3))
    assert argv == ["nc", "-z", "-v", "-w", "3", "web", "8080"]


def test_dns_command_uses_search_domains_and_asks_the_record_type() -> None:
    argv = probes.dns_command(ProbeRequest("dns", "web", "kt-01", record_type="SRV"))
    assert argv[:2] == ["dig", "+search"]
    assert "+comments" in argv and "+answer" in argv
    assert argv[-2:] == ["web", "SRV"]
    ptr = probes.dns_command(ProbeRequest("dns", "10.96.0.10", "kt-01", record_type="PTR"))
    assert ptr[-2:] == ["-x", "10.96.0.10"]


@pytest.mark.parametrize(
    ("target", "pair"),
    [
        ("web:80", ("web", 80)),
        ("10.96.0.1:443", ("10.96.0.1", 443)),
        ("[fd00::1]:80", ("fd00::1", 80)),
    ],
)
def test_split_host_port(target: str, pair: tuple[str, int]) -> None:
    assert probes.split_host_port(target) == pair


def test_split_host_port_rejects_a_missing_port() -> None:
    with pytest.raises(ValueError):
        probes.split_host_port("web")


# -- parsing --------------------------------------------------------------------------------


def test_parse_http_hostname_names_the_backend() -> None:
    out = "web-5d9c7b-x2k8p\n__kube_tutor__ 200 10.244.1.5"
    attempt = probes.parse_http("http://web/hostname", 0, out, "")
    assert attempt.ok and attempt.status == 200
    assert attempt.backend == "web-5d9c7b-x2k8p"
    assert attempt.body == "web-5d9c7b-x2k8p"


def test_parse_http_serve_hostname_backend_when_body_is_a_pod_name() -> None:
    out = "web-0\n__kube_tutor__ 200 10.244.2.7"
    attempt = probes.parse_http("http://web/anything", 0, out, "", pods=["web-0", "web-1"])
    assert attempt.backend == "web-0"
    other = probes.parse_http("http://web/anything", 0, "hello\n__kube_tutor__ 200 x", "")
    assert other.backend is None


def test_parse_http_clientip() -> None:
    out = "10.244.0.1:53422\n__kube_tutor__ 200 10.244.1.5"
    attempt = probes.parse_http("http://web:8080/clientip", 0, out, "")
    assert attempt.client_ip == "10.244.0.1"


def test_parse_http_error_status_is_still_a_response() -> None:
    attempt = probes.parse_http("http://web/missing", 0, "404 page\n__kube_tutor__ 404 1.2.3.4", "")
    assert attempt.ok and attempt.status == 404


@pytest.mark.parametrize(
    ("code", "stderr", "error"),
    [
        (7, "curl: (7) Failed to connect to web port 80: Connection refused", "refused"),
        (28, "curl: (28) Connection timed out after 3001 milliseconds", "timeout"),
        (6, "curl: (6) Could not resolve host: wbe", "unresolvable"),
        (56, "curl: (56) Recv failure: Connection reset by peer", "reset"),
        (7, "curl: (7) Failed to connect to 10.0.0.9 port 80: No route to host", "no-route"),
        (35, "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL", "tls"),
        (60, "curl: (60) SSL certificate problem", "curl: (60) SSL certificate problem"),
    ],
)
def test_parse_http_failures(code: int, stderr: str, error: str) -> None:
    attempt = probes.parse_http("http://web/", code, "\n__kube_tutor__ 000 ", stderr)
    assert not attempt.ok and attempt.error == error


@pytest.mark.parametrize(
    ("code", "stderr", "ok", "error"),
    [
        (0, "Connection to web 80 port [tcp/http] succeeded!", True, None),
        (1, "nc: connect to web port 81 (tcp) failed: Connection refused", False, "refused"),
        (
            1,
            "nc: connect to 10.96.5.5 port 80 (tcp) timed out: Operation now in progress",
            False,
            "timeout",
        ),
        (
            1,
            'nc: getaddrinfo for host "wbe" port 80: Name or service not known',
            False,
            "unresolvable",
        ),
    ],
)
def test_parse_tcp(code: int, stderr: str, ok: bool, error: str | None) -> None:
    attempt = probes.parse_tcp(code, stderr)
    assert attempt.ok is ok and attempt.error == error


DIG_A = """\
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 5012
;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1

web.kt-01.svc.cluster.local. 30	IN	A	10.96.12.7
"""

DIG_HEADLESS = """\
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1
web.kt-01.svc.cluster.local. 30 IN A 10.244.1.4
web.kt-01.svc.cluster.local. 30 IN A 10.244.2.9
"""

DIG_SRV = """\
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 2
_http._tcp.web.kt-01.svc.cluster.local. 30 IN SRV 0 100 80 web.kt-01.svc.cluster.local.
"""

DIG_CNAME = """\
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 3
db.kt-05.svc.cluster.local. 30 IN CNAME db.example.com.
"""

DIG_NX = """\
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 4
"""


def test_parse_dns_a_record() -> None:
    attempt = probes.parse_dns("A", 0, DIG_A)
    assert attempt.ok and attempt.records == ("10.96.12.7",)


def test_parse_dns_headless_gives_every_pod_address() -> None:
    assert probes.parse_dns("A", 0, DIG_HEADLESS).records == ("10.244.1.4", "10.244.2.9")


def test_parse_dns_srv_as_priority_weight_port_target() -> None:
    records = probes.parse_dns("SRV", 0, DIG_SRV).records
    assert records == ("0 100 80 web.kt-01.svc.cluster.local",)


def test_parse_dns_externalname_gives_the_cname() -> None:
    attempt = probes.parse_dns("A", 0, DIG_CNAME)
    assert attempt.ok and attempt.records == ("db.example.com",)


def test_parse_dns_externalname_with_addresses_lists_the_alias_first() -> None:
    out = DIG_CNAME + "db.example.com. 300 IN A 93.184.215.14\n"
    assert probes.parse_dns("A", 0, out).records == ("db.example.com", "93.184.215.14")


def test_parse_dns_nxdomain_and_timeout() -> None:
    nx = probes.parse_dns("A", 0, DIG_NX)
    assert not nx.ok and nx.error == "nxdomain"
    timeout = probes.parse_dns("A", 9, ";; connection timed out; no servers could be reached\n")
    assert not timeout.ok and timeout.error == "timeout"


def test_host_url_maps_node_ports_to_loopback_off_linux() -> None:
    url = "http://172.18.0.3:30080/hostname"
    assert probes.host_url(url, ["172.18.0.3"], "linux") == url
    assert probes.host_url(url, ["172.18.0.3"], "darwin") == "http://127.0.0.1:30080/hostname"
    assert probes.host_url("172.18.0.3:30081", ["172.18.0.3"], "win32") == "127.0.0.1:30081"
    # a port outside the mapped range, or an address that is not a node, stays as it is
    assert probes.host_url("http://172.18.0.3:31000/", ["172.18.0.3"], "darwin").endswith(":31000/")
    assert probes.host_url("http://172.18.0.9:30080/", ["172.18.0.3"], "darwin").startswith(
        "http://172.18.0.9"
    )


# -- host probes against loopback servers -------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path == "/hostname":
            body, status = b"web-abc\n", 200
        elif self.path == "/clientip":
            body, status = f"{self.client_address[0]}:{self.client_address[1]}".encode(), 200
        elif self.path == "/host":
            body, status = (self.headers.get("Host") or "").encode(), 200
        else:
            body, status = b"nope", 404
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture()
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_host_http_reads_status_body_backend_and_client(server: str) -> None:
    attempt = probes.host_http(f"http://{server}/hostname", {}, 2)
    assert attempt.ok and attempt.status == 200 and attempt.backend == "web-abc"
    client = probes.host_http(f"http://{server}/clientip", {}, 2)
    assert client.client_ip == "127.0.0.1"
    missing = probes.host_http(f"http://{server}/other", {}, 2)
    assert missing.ok and missing.status == 404
    host = probes.host_http(f"http://{server}/host", {"Host": "shop.example"}, 2)
    assert host.body == "shop.example"


def test_host_http_refused() -> None:
    attempt = probes.host_http(f"http://127.0.0.1:{_free_port()}/", {}, 2)
    assert not attempt.ok and attempt.error == "refused"


def test_host_tcp(server: str) -> None:
    assert probes.host_tcp(server, 2).ok
    refused = probes.host_tcp(f"127.0.0.1:{_free_port()}", 2)
    assert not refused.ok and refused.error == "refused"


def test_host_dns_of_localhost_and_an_unknown_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert probes.host_dns("localhost", "A").ok  # answered from the hosts file

    def no_such_name(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)  # no query leaves the machine
    missing = probes.host_dns("web.kt-01.svc.cluster.local", "A")
    assert not missing.ok and missing.error == "nxdomain"


# -- running through a cluster's exec -------------------------------------------------------


class FakeExecCluster:
    """Records exec calls; the probe Pod becomes Ready when created."""

    backend = "kind"

    def __init__(self, answer: Callable[[Sequence[str]], tuple[int, str, str]]) -> None:
        self.answer = answer
        self.objects: dict[tuple[str, str], Obj] = {}
        self.execs: list[tuple[str, str, list[str]]] = []
        self.applied: list[Obj] = []

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        return self.objects.get((kind, name))

    def list(
        self, kind: str, namespace: str | None = None, selector: Mapping[str, str] | None = None
    ) -> list[Obj]:
        return [o for (k, _), o in self.objects.items() if k == kind]

    def apply(self, objects: Sequence[Obj], namespace: str) -> Any:
        for obj in objects:
            self.applied.append(obj)
            ready = {"conditions": [{"type": "Ready", "status": "True"}], "podIP": "10.244.3.3"}
            self.objects[(obj["kind"], obj["metadata"]["name"])] = {**obj, "status": ready}

    def wait_for(
        self, kind: str, namespace: str | None, predicate: Callable[[list[Obj]], bool], t: float
    ) -> bool:
        return predicate(self.list(kind, namespace))

    def exec(
        self, pod: str, namespace: str, command: Sequence[str], timeout: float
    ) -> tuple[int, str, str]:
        self.execs.append((pod, namespace, list(command)))
        return self.answer(command)


def test_probe_pod_is_created_once_and_exec_runs_count_times() -> None:
    names = iter(["web-a", "web-b", "web-a", "unused"])
    cluster = FakeExecCluster(lambda argv: (0, f"{next(names)}\n__kube_tutor__ 200 10.0.0.1", ""))
    request = ProbeRequest("http", "http://web/hostname", "kt-01", count=3)
    result = probes.run_probe(cluster, request)
    assert [a.backend for a in result.attempts] == ["web-a", "web-b", "web-a"]
    assert result.backends == ["web-a", "web-b"]
    assert [o["metadata"]["name"] for o in cluster.applied] == ["kube-tutor-probe"]
    pod = cluster.applied[0]
    container = pod["spec"]["containers"][0]
    assert container["image"] == "registry.k8s.io/e2e-test-images/agnhost:2.39"
    assert container["args"] == ["pause"]
    assert {e[0] for e in cluster.execs} == {"kube-tutor-probe"}
    assert {a.source_ip for a in result.attempts} == {"10.244.3.3"}
    assert {e[1] for e in cluster.execs} == {"kt-01"}
    # a second probe reuses the Pod
    probes.run_probe(cluster, ProbeRequest("tcp", "web:80", "kt-01"))
    assert len(cluster.applied) == 1


def test_probe_from_a_named_pod_execs_there() -> None:
    cluster = FakeExecCluster(lambda argv: (1, "", "nc: connect failed: Connection refused"))
    result = probes.run_probe(cluster, ProbeRequest("tcp", "web:81", "kt-01", source="pod:client"))
    assert cluster.execs[0][0] == "client"
    assert result.errors == ["refused"] and cluster.applied == []


def test_node_probe_outside_kind_says_why() -> None:
    cluster = FakeExecCluster(lambda argv: (0, "", ""))
    cluster.backend = "context"
    result = probes.run_probe(cluster, ProbeRequest("http", "http://x/", "kt-01", source="node:n1"))
    assert result.attempts[0].error == "node probes need the kind backend"


def test_host_probe_through_run_probe(server: str) -> None:
    cluster = FakeExecCluster(lambda argv: (0, "", ""))
    request = ProbeRequest("http", f"http://{server}/hostname", "kt-01", source="host", count=2)
    result = probes.run_probe(cluster, request)
    assert result.ok_count == 2 and result.backends == ["web-abc"]
    assert {a.source_ip for a in result.attempts} == {"127.0.0.1"}
    assert cluster.execs == [] and cluster.applied == []
