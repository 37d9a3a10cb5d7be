"""What a simulated container's process writes to its log (`kubectl logs`).

- agnhost netexec (test/images/agnhost/netexec/netexec.go): Go's `log` lines
  `Started HTTP server on port 8080`, `Started UDP server on port  8081` (an empty listen
  address before the port), then one `GET /hostname`-style line per request it answered.
- agnhost pause (pause/pause.go): `Paused`.
- nginx: the image entrypoint's start-up lines, nginx's notices, then one access-log line
  (combined format plus `"$http_x_forwarded_for"`) per request.
- a process that exits: why it did (the simulator's crash reason).
Requests are the ones exec'd clients sent through `run_command` (lab probes are not logged).
"""

from __future__ import annotations

from datetime import datetime

from tutor.cluster.base import Obj
from tutor.cluster.sim.api.commands.proc import Served, state_of
from tutor.cluster.sim.images import Workload, workload_for

_NGINX_START = """/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration
/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/
/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh
10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf
10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf
/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh
/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh
/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh
/docker-entrypoint.sh: Configuration complete; ready for start up"""


def _go(when: datetime, text: str) -> str:
    return f"{when.strftime('%Y/%m/%d %H:%M:%S')} {text}"


def _start_lines(workload: Workload, container: Obj, when: datetime) -> list[str]:
    if not workload.runs:
        return [workload.exit_message] if workload.exit_message else []
    program = workload.program
    if program == "netexec":
        http = sorted(workload.http_ports)
        lines = [_go(when, f"Started HTTP server on port {http[0]}")] if http else []
        lines += [_go(when, f"Started UDP server on port  {p}") for p in sorted(workload.udp_ports)]
        return lines
    if program == "serve-hostname":
        ports = sorted(workload.tcp_ports | workload.udp_ports)
        return [_go(when, f"Serving on port {ports[0]}.")] if ports else []
    if program == "pause":
        return ["Paused"]
    if program == "nginx":
        stamp = when.strftime("%Y/%m/%d %H:%M:%S")
        tag = str(container.get("image") or "").rpartition(":")[2] or "1.27.5"
        notices = [
            'using the "epoll" event method',
            f"nginx/{tag}",
            "OS: Linux 6.8.0",
            "getrlimit(RLIMIT_NOFILE): 1048576:1048576",
            "start worker processes",
            "start worker process 29",
        ]
        return _NGINX_START.splitlines() + [f"{stamp} [notice] 1#1: {n}" for n in notices]
    if program == "http-echo":
        port = sorted(workload.http_ports)[0] if workload.http_ports else 5678
        return [_go(when, f"[INFO] server is listening on :{port}")]
    if program == "coredns":
        return [".:53", "CoreDNS-1.12.1", "linux/amd64, go1.24.1, 707c7c1"]
    return []


def _request_line(workload: Workload, served: Served) -> str:
    if workload.program == "nginx":
        when = served.when.strftime("%d/%b/%Y:%H:%M:%S +0000")
        return (
            f'{served.client} - - [{when}] "{served.method} {served.path} HTTP/1.1" '
            f'{served.status} {served.size} "-" "{served.agent}" "-"'
        )
    if workload.program == "netexec":
        return _go(served.when, f"GET {served.path.split('?', 1)[0]}")
    if workload.program == "serve-hostname":
        return _go(served.when, f"HTTP request from {served.client}:40000")
    return ""


def container_log(cluster: object, pod: Obj, container: Obj, started: datetime) -> list[str]:
    """The log lines of one container, oldest first."""
    workload = workload_for(container)
    lines = _start_lines(workload, container, started)
    from tutor.cluster.sim.cluster import SimCluster

    if isinstance(cluster, SimCluster) and workload.runs:
        key = (str(pod["metadata"].get("namespace") or ""), str(pod["metadata"]["name"]))
        for served in state_of(cluster).served.get(key, []):
            line = _request_line(workload, served)
            if line:
                lines.append(line)
    return lines
