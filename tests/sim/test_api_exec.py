"""`kubectl exec` / `kubectl logs` on the simulator: real output formats and exit codes, and the
round trip through the parsers kube-tutor uses on kind (`tutor.cluster.probes`)."""

from __future__ import annotations

import statistics
import time

import pytest

from tutor.cluster.base import NotFoundError, ProbeRequest
from tutor.cluster.probes import (
    dns_command,
    http_command,
    parse_dns,
    parse_http,
    parse_tcp,
    tcp_command,
)
from tutor.cluster.sim.api.execs import ExecRefusedError, ExecResult, pod_logs, run_command
from tutor.cluster.sim.cluster import SimCluster

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.39"
NS = "lab"
LAB = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - {{name: web, image: "{AGNHOST}", args: [netexec, --http-port=8080]}}
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  selector: {{app: web}}
  ports: [{{name: http, port: 80, targetPort: 8080}}]
---
apiVersion: v1
kind: Service
metadata: {{name: empty}}
spec:
  selector: {{app: nothing}}
  ports: [{{port: 80}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: client}}
spec:
  containers:
  - {{name: c, image: "{AGNHOST}", args: [pause], env: [{{name: MODE, value: test}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: nginx}}
spec:
  containers:
  - {{name: nginx, image: "nginx:1.27"}}
---
apiVersion: v1
kind: Pod
metadata: {{name: pair}}
spec:
  containers:
  - {{name: one, image: "{AGNHOST}", args: [pause]}}
  - {{name: two, image: "busybox:1.36", command: [sleep, "3600"]}}
"""


@pytest.fixture(scope="module")
def lab() -> SimCluster:
    return SimCluster.from_manifests(LAB, NS)


def run(
    cluster: SimCluster, *argv: str, pod: str = "client", container: str | None = None
) -> ExecResult:
    return run_command(cluster, NS, pod, container, list(argv))


def web_pods(cluster: SimCluster) -> list[str]:
    return [p["metadata"]["name"] for p in cluster.list("Pod", NS, {"app": "web"})]


def cluster_ip(cluster: SimCluster, name: str) -> str:
    svc = cluster.get("Service", name, NS)
    assert svc is not None
    return str(svc["spec"]["clusterIP"])


# -- curl -------------------------------------------------------------------------------------


def test_curl_probe_command_parses_like_on_kind(lab: SimCluster) -> None:
    """The exact argv probes.py execs on kind, fed back to its parser."""
    request = ProbeRequest("http", "http://web/hostname", NS, source="pod:client")
    result = run(lab, *http_command(request))
    attempt = parse_http(
        request.target, result.code, result.stdout, result.stderr, pods=web_pods(lab)
    )
    assert result.code == 0
    assert attempt.ok and attempt.status == 200
    assert attempt.backend in web_pods(lab)
    # %{remote_ip} is the ClusterIP the client connected to
    assert result.stdout.rstrip().endswith(cluster_ip(lab, "web"))


def test_curl_loop_spreads_over_endpoints(lab: SimCluster) -> None:
    """kube-proxy picks an endpoint at random per connection: a loop of curls meets several."""
    result = run(lab, "sh", "-c", "for i in $(seq 1 12); do curl -s web/hostname; echo; done")
    seen = set(result.stdout.split())
    assert result.code == 0
    assert len(seen) > 1 and seen <= set(web_pods(lab))


def test_curl_refused_when_the_service_has_no_endpoints(lab: SimCluster) -> None:
    """kube-proxy REJECTs a Service without endpoints; curl 7.79 prints strerror (lib/connect.c)."""
    request = ProbeRequest("http", "http://empty/", NS)
    result = run(lab, *http_command(request))
    assert result.code == 7
    assert (
        "curl: (7) Failed to connect to empty port 80 after 0 ms: Connection refused"
        in result.stderr
    )
    assert parse_http(request.target, result.code, result.stdout, result.stderr).error == "refused"


def test_curl_times_out_on_an_undeclared_port(lab: SimCluster) -> None:
    """No iptables rule for port 81 of the ClusterIP: packets are dropped until --max-time
    (lib/multi.c `Connection timed out after N milliseconds`, exit 28)."""
    result = run(lab, "curl", "-sS", "--max-time", "2", "http://web:81/")
    assert result.code == 28
    assert result.stderr == "curl: (28) Connection timed out after 2001 milliseconds\n"
    assert (
        parse_http("http://web:81/", result.code, result.stdout, result.stderr).error == "timeout"
    )


def test_curl_unknown_name(lab: SimCluster) -> None:
    result = run(lab, "curl", "-sS", "http://nope/")
    assert (result.code, result.stderr) == (6, "curl: (6) Could not resolve host: nope\n")
    assert (
        parse_http("http://nope/", result.code, result.stdout, result.stderr).error
        == "unresolvable"
    )


def test_curl_silent_hides_errors_and_write_out_prints_000(lab: SimCluster) -> None:
    result = run(lab, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\\n", "http://empty/")
    assert (result.code, result.stdout, result.stderr) == (7, "000\n", "")
    ok = run(lab, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\\n", "http://web/")
    assert (ok.code, ok.stdout) == (0, "200\n")


def test_curl_head_fail_and_options(lab: SimCluster) -> None:
    head = run(lab, "curl", "-sI", "http://web/")
    assert head.stdout.startswith("HTTP/1.1 200 OK\r\n") and head.stdout.endswith("\r\n\r\n")
    missing = run(lab, "curl", "-sSf", "http://nginx-pod-ip/", pod="client")
    assert missing.code == 6
    assert run(lab, "curl", "--max-time=3", "http://web/").code == 2  # curl has no --opt=value
    assert run(lab, "curl", "-s").stderr.startswith("curl: no URL specified!")


def test_curl_to_nginx_404_with_fail(lab: SimCluster) -> None:
    nginx = lab.get("Pod", "nginx", NS)
    assert nginx is not None
    ip = nginx["status"]["podIP"]
    result = run(lab, "curl", "-sS", "-f", f"http://{ip}/nothing")
    assert result.code == 22
    assert result.stderr == "curl: (22) The requested URL returned error: 404\n"
    page = run(lab, "curl", "-s", f"http://{ip}/")
    assert "Welcome to nginx!" in page.stdout


def test_curl_progress_meter_without_silent(lab: SimCluster) -> None:
    """stdout is a pipe under kubectl exec (no -t), so curl draws its meter on stderr."""
    result = run(lab, "curl", "http://web/hostname")
    assert result.code == 0 and result.stdout in web_pods(lab)
    assert "% Total    % Received" in result.stderr


# -- nc, agnhost connect ----------------------------------------------------------------------


def test_nc_probe_round_trip(lab: SimCluster) -> None:
    ok = run(lab, *tcp_command(ProbeRequest("tcp", "web:80", NS)))
    assert ok.code == 0
    assert (
        ok.stderr == f"Connection to web ({cluster_ip(lab, 'web')}) 80 port [tcp/http] succeeded!\n"
    )
    assert parse_tcp(ok.code, ok.stderr).ok
    refused = run(lab, *tcp_command(ProbeRequest("tcp", "empty:80", NS)))
    assert refused.code == 1 and "(tcp) failed: Connection refused" in refused.stderr
    assert parse_tcp(refused.code, refused.stderr).error == "refused"
    dropped = run(lab, *tcp_command(ProbeRequest("tcp", "web:81", NS, timeout=1)))
    assert parse_tcp(dropped.code, dropped.stderr).error == "timeout"
    unknown = run(lab, *tcp_command(ProbeRequest("tcp", "nope:80", NS)))
    assert unknown.stderr == 'nc: getaddrinfo for host "nope" port 80: Name does not resolve\n'
    assert parse_tcp(unknown.code, unknown.stderr).error == "unresolvable"


def test_agnhost_connect_messages(lab: SimCluster) -> None:
    """test/images/agnhost/connect/connect.go: silent success, REFUSED/TIMEOUT/DNS prefixes."""
    ok = run(lab, "/agnhost", "connect", "web:80", "--timeout", "1s")
    assert (ok.code, ok.stdout, ok.stderr) == (0, "", "")
    assert run(lab, "/agnhost", "connect", "empty:80", "--timeout=1s").stderr == "REFUSED\n"
    assert run(lab, "/agnhost", "connect", "web:81", "--timeout=1s").stderr == "TIMEOUT\n"
    dns = run(lab, "/agnhost", "connect", "nope:80", "--timeout=1s")
    assert (dns.code, dns.stderr) == (1, "DNS: lookup nope on 10.96.0.10:53: no such host\n")


def test_agnhost_binary_is_not_on_path(lab: SimCluster) -> None:
    """The image ADDs the binary at / (ENTRYPOINT ["/agnhost"]); runc's LookPath does not
    find `agnhost`, and kubectl gets the kubelet's InternalError (remotecommand/exec.go)."""
    result = run(lab, "agnhost", "connect", "web:80")
    assert result.code == 1 and result.stdout == result.stderr == ""
    assert result.failure.startswith(
        "Internal error occurred: error executing command in container: failed to exec in "
        'container: failed to start exec "'
    )
    assert result.failure.endswith(
        "OCI runtime exec failed: exec failed: unable to start container process: exec: "
        '"agnhost": executable file not found in $PATH: unknown'
    )
    status = result.status()
    assert (status["reason"], status["code"]) == ("InternalError", 500)


def test_missing_tools_per_image(lab: SimCluster) -> None:
    """nginx (Debian) has curl but no dig; an absolute path that does not exist is a stat error."""
    assert "executable file not found" in run(lab, "dig", "web", pod="nginx").failure
    assert run(lab, "curl", "-s", "localhost", pod="nginx").code == 0
    stat = run(lab, "/bin/nope", pod="client").failure
    assert 'exec: "/bin/nope": stat /bin/nope: no such file or directory' in stat
    shell = run(lab, "sh", "-c", "dig web", pod="nginx")
    assert (shell.code, shell.stderr) == (127, "sh: 1: dig: not found\n")
    ash = run(lab, "sh", "-c", "nope", pod="client")
    assert (ash.code, ash.stderr) == (127, "sh: nope: not found\n")


def test_exit_status_channel() -> None:
    assert ExecResult(0, "", "").status()["status"] == "Success"
    failed = ExecResult(7, "", "", ("curl", "-s", "http://empty/")).status()
    assert failed["reason"] == "NonZeroExitCode"
    assert failed["message"] == (
        "command terminated with non-zero exit code: error executing command "
        "[curl -s http://empty/], exit code 7"
    )
    assert failed["details"]["causes"] == [{"reason": "ExitCode", "message": "7"}]


# -- DNS --------------------------------------------------------------------------------------


def test_dig_probe_round_trip(lab: SimCluster) -> None:
    ok = run(lab, *dns_command(ProbeRequest("dns", "web", NS)))
    attempt = parse_dns("A", ok.code, ok.stdout)
    assert ok.code == 0 and "status: NOERROR" in ok.stdout
    assert attempt.ok and attempt.records == (cluster_ip(lab, "web"),)
    missing = run(lab, *dns_command(ProbeRequest("dns", "nope", NS)))
    assert missing.code == 0  # dig exits 0 on any answer
    assert parse_dns("A", missing.code, missing.stdout).error == "nxdomain"
    srv = run(lab, *dns_command(ProbeRequest("dns", "_http._tcp.web", NS, record_type="SRV")))
    assert parse_dns("SRV", srv.code, srv.stdout).records == ("0 100 80 web.lab.svc.cluster.local",)


def test_dig_short_ptr_and_no_search(lab: SimCluster) -> None:
    ip = cluster_ip(lab, "web")
    assert run(lab, "dig", "+short", "web.lab.svc.cluster.local").stdout == f"{ip}\n"
    assert run(lab, "dig", "+short", "-x", ip).stdout == "web.lab.svc.cluster.local.\n"
    # dig does not use the search list unless told (+search): `web.` is no cluster name
    assert run(lab, "dig", "+short", "web").stdout == ""
    assert run(lab, "dig", "+short", "+search", "web").stdout == f"{ip}\n"
    full = run(lab, "dig", "web.lab.svc.cluster.local").stdout
    assert ";; ANSWER SECTION:\nweb.lab.svc.cluster.local.\t\t30\tIN\tA\t" + ip in full
    assert ";; flags: qr aa rd; QUERY: 1, ANSWER: 1" in full


def test_dig_to_a_server_that_does_not_answer(lab: SimCluster) -> None:
    result = run(lab, "dig", "@8.8.8.8", "+short", "web.lab.svc.cluster.local")
    assert (result.code, result.stdout) == (
        9,
        ";; connection timed out; no servers could be reached\n",
    )


def test_nslookup_bind_in_agnhost(lab: SimCluster) -> None:
    ok = run(lab, "nslookup", "web")
    assert ok.code == 0
    assert ok.stdout.startswith("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n")
    assert f"Name:\tweb.lab.svc.cluster.local\nAddress: {cluster_ip(lab, 'web')}\n" in ok.stdout
    missing = run(lab, "nslookup", "nope")
    assert missing.code == 1 and "** server can't find nope: NXDOMAIN" in missing.stdout
    busybox = run(lab, "nslookup", "web", pod="pair", container="two")
    assert "Address:\t10.96.0.10:53" in busybox.stdout


# -- files, environment, shell -----------------------------------------------------------------


def test_resolv_conf_hosts_hostname(lab: SimCluster) -> None:
    """kubelet ClusterFirst on kind: search <ns>.svc.cluster.local svc.cluster.local
    cluster.local, nameserver 10.96.0.10, options ndots:5."""
    assert run(lab, "cat", "/etc/resolv.conf").stdout == (
        "search lab.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\noptions ndots:5\n"
    )
    client = lab.get("Pod", "client", NS)
    assert client is not None
    hosts = run(lab, "cat", "/etc/hosts").stdout
    assert hosts.startswith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n")
    assert hosts.endswith(f"{client['status']['podIP']}\tclient\n")
    assert run(lab, "hostname").stdout == "client\n"
    assert run(lab, "cat", "/nope").code == 1


def test_env_service_links(lab: SimCluster) -> None:
    """pkg/kubelet/envvars FromServices: Services of the namespace at container start, plus
    the `kubernetes` Service; named ports get _SERVICE_PORT_<NAME>."""
    env = dict(line.split("=", 1) for line in run(lab, "env").stdout.splitlines())
    ip = cluster_ip(lab, "web")
    assert env["WEB_SERVICE_HOST"] == ip and env["WEB_SERVICE_PORT_HTTP"] == "80"
    assert env["WEB_PORT_80_TCP"] == f"tcp://{ip}:80" and env["WEB_PORT_80_TCP_ADDR"] == ip
    assert env["KUBERNETES_SERVICE_HOST"] == "10.96.0.1" and env["MODE"] == "test"
    assert env["HOSTNAME"] == "client" and env["HOME"] == "/root"
    assert run(lab, "printenv", "WEB_SERVICE_PORT").stdout == "80\n"
    assert run(lab, "printenv", "NOPE").code == 1


def test_a_service_made_after_the_pod_is_not_in_its_environment() -> None:
    cluster = SimCluster.from_manifests(LAB, NS)
    cluster.apply(
        [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "later"},
          "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}],
        NS,
    )  # fmt: skip
    assert "LATER_SERVICE_HOST" not in run(cluster, "env").stdout
    assert "WEB_SERVICE_HOST" in run(cluster, "env").stdout


def test_shell_chains_pipes_and_exit_codes(lab: SimCluster) -> None:
    assert run(lab, "sh", "-c", "false && echo no || echo yes").stdout == "yes\n"
    assert run(lab, "sh", "-c", "true; echo $?; false; echo $?").stdout == "0\n1\n"
    assert run(lab, "sh", "-c", "cat /etc/resolv.conf | grep nameserver").stdout == (
        "nameserver 10.96.0.10\n"
    )
    assert run(lab, "sh", "-c", "exit 3").code == 3
    assert run(lab, "sh", "-c", "echo \"$HOSTNAME\" '$HOME'").stdout == "client $HOME\n"
    loop = run(
        lab, "sh", "-c", "for i in 1 2 3 4; do curl -s web/hostname; echo; done | sort | uniq -c"
    )
    assert sum(int(line.split()[0]) for line in loop.stdout.splitlines()) == 4


def test_ping_clusterip_has_no_icmp_but_pods_answer(lab: SimCluster) -> None:
    """iptables-mode kube-proxy only DNATs the Service's ports: nothing answers ICMP on a
    ClusterIP; a Pod IP is a real interface."""
    vip = run(lab, "ping", "-c", "1", "-W", "1", "web")
    assert vip.code == 1 and "100% packet loss" in vip.stdout
    nginx = lab.get("Pod", "nginx", NS)
    assert nginx is not None
    pod = run(lab, "ping", "-c", "2", nginx["status"]["podIP"])
    assert pod.code == 0 and "2 packets received, 0% packet loss" in pod.stdout


# -- errors -------------------------------------------------------------------------------------


def test_exec_errors_as_the_api_server_words_them(lab: SimCluster) -> None:
    """strategy.go validateContainer/streamLocation messages."""
    with pytest.raises(NotFoundError, match='pods "ghost" not found'):
        run(lab, "true", pod="ghost")
    with pytest.raises(ExecRefusedError, match="container x is not valid for pod client"):
        run(lab, "true", container="x")
    with pytest.raises(ExecRefusedError) as error:
        run(lab, "true", pod="pair")
    assert (
        error.value.message
        == "a container name must be specified for pod pair, choose one of: [one two]"
    )
    assert run(lab, "hostname", pod="pair", container="two").stdout == "pair\n"


# -- logs -------------------------------------------------------------------------------------


def test_logs_of_netexec_pause_and_nginx() -> None:
    cluster = SimCluster.from_manifests(LAB, NS)
    for _ in range(6):
        run(cluster, "curl", "-s", "http://web/hostname")
    lines = [
        line for pod in web_pods(cluster) for line in pod_logs(cluster, NS, pod, None).splitlines()
    ]
    assert sum(line.endswith(" Started HTTP server on port 8080") for line in lines) == 3
    assert sum(line.endswith(" GET /hostname") for line in lines) == 6
    assert pod_logs(cluster, NS, "client", None) == "Paused\n"
    ip = cluster.get("Pod", "nginx", NS)["status"]["podIP"]  # type: ignore[index]
    run(cluster, "curl", "-s", f"http://{ip}/")
    nginx = pod_logs(cluster, NS, "nginx", None, tail=1)
    client_ip = cluster.get("Pod", "client", NS)["status"]["podIP"]  # type: ignore[index]
    assert nginx.startswith(f"{client_ip} - - [") and '"GET / HTTP/1.1" 200 ' in nginx
    assert nginx.rstrip().endswith('"curl/7.79.1" "-"')


# -- speed ------------------------------------------------------------------------------------


def test_one_curl_is_fast_at_lab_size(lab: SimCluster) -> None:
    argv = http_command(ProbeRequest("http", "http://web/hostname", NS))
    timings = []
    for _ in range(50):
        started = time.perf_counter()
        run(lab, *argv)
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    print(f"curl run_command median: {median * 1000:.3f} ms")
    assert median < 0.02  # aim 2 ms; bound loose for a shared CI machine
