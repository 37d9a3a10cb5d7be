"""What the kubelet decides about a Pod's containers: probes, readiness, restarts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tutor.cluster.sim.controllers.common import Obj
from tutor.cluster.sim.images import Workload, workload_for


def is_pod_ready(pod: Obj) -> bool:
    """True when the Pod's Ready condition is True."""
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def _pod_active(pod: Obj) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed")


@dataclass(frozen=True)
class ProbeOutcome:
    """Whether a probe passes, and what kubelet would say when it does not."""

    ok: bool
    message: str = ""


def run_probe(
    kind: str,
    probe: Obj,
    container: Obj,
    workload: Workload,
    pod_ip: str,
    hostname: str,
    node_ip: str,
) -> ProbeOutcome:
    """Evaluate one probe (`kind` is Readiness, Liveness or Startup) against the catalogue."""
    label = f"{kind} probe"

    def port_of(value: Any) -> int | None:
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        for port in container.get("ports") or ():
            if port.get("name") == value:
                return int(port.get("containerPort", 0))
        return None

    if "httpGet" in probe:
        get = probe["httpGet"]
        port = port_of(get.get("port"))
        scheme = str(get.get("scheme") or "HTTP").lower()
        path = str(get.get("path") or "/")
        if port is None:
            return ProbeOutcome(False, f"{label} errored: unable to find port {get.get('port')!r}")
        host = get.get("host") or pod_ip
        url = f"{scheme}://{host}:{port}{path}"
        headers = {h.get("name", ""): h.get("value", "") for h in get.get("httpHeaders") or ()}
        headers.setdefault("Host", f"{host}:{port}")
        try:
            status, _ = workload.http(port, path, headers, pod_name=hostname, client_ip=node_ip)
        except ConnectionRefusedError:
            return ProbeOutcome(
                False,
                f'{label} failed: Get "{url}": dial tcp {host}:{port}: connect: connection refused',
            )
        except ConnectionResetError:
            return ProbeOutcome(
                False, f'{label} failed: Get "{url}": read tcp: connection reset by peer'
            )
        if scheme == "https":
            return ProbeOutcome(
                False,
                f'{label} failed: Get "{url}": http: server gave HTTP response to HTTPS client',
            )
        if 200 <= status < 400:
            return ProbeOutcome(True)
        return ProbeOutcome(False, f"{label} failed: HTTP probe failed with statuscode: {status}")
    if "tcpSocket" in probe:
        port = port_of(probe["tcpSocket"].get("port"))
        if port is None:
            return ProbeOutcome(
                False, f"{label} errored: unable to find port {probe['tcpSocket'].get('port')!r}"
            )
        if workload.listens(port, "TCP"):
            return ProbeOutcome(True)
        return ProbeOutcome(
            False, f"{label} failed: dial tcp {pod_ip}:{port}: connect: connection refused"
        )
    if "exec" in probe:
        command = [str(c) for c in probe["exec"].get("command") or ()]
        code = workload.exec(command, pod_name=hostname)
        if code == 0:
            return ProbeOutcome(True)
        return ProbeOutcome(
            False, f"{label} failed: command {' '.join(command)!r} exited with {code}"
        )
    if "grpc" in probe:
        port = port_of(probe["grpc"].get("port"))
        if port is not None and workload.listens(port, "TCP") and workload.program == "coredns":
            return ProbeOutcome(True)
        return ProbeOutcome(
            False,
            f'{label} failed: timeout: failed to connect service "{pod_ip}:{port}" within 1s',
        )
    return ProbeOutcome(True)


@dataclass
class ContainerVerdict:
    """What kubelet makes of one container."""

    name: str
    image: str
    running: bool
    ready: bool
    waiting_reason: str = ""
    message: str = ""
    probe_failures: tuple[str, ...] = ()


def evaluate_containers(pod: Obj, pod_ip: str, node_ip: str) -> list[ContainerVerdict]:
    """Run every container of a Pod against the catalogue: does it run, is it ready."""
    spec = pod["spec"]
    hostname = spec.get("hostname") or pod["metadata"]["name"][:63]
    verdicts = []
    for container in spec.get("containers") or ():
        workload = workload_for(container)
        name = str(container.get("name", ""))
        image = str(container.get("image", ""))
        if not workload.runs:
            verdicts.append(
                ContainerVerdict(
                    name, image, False, False, "CrashLoopBackOff", workload.exit_message
                )
            )
            continue
        failures: list[str] = []
        crashed = False
        for kind, key in (("Liveness", "livenessProbe"), ("Startup", "startupProbe")):
            probe = container.get(key)
            if probe:
                outcome = run_probe(kind, probe, container, workload, pod_ip, hostname, node_ip)
                if not outcome.ok:
                    failures.append(outcome.message)
                    crashed = True
        if crashed:
            verdicts.append(
                ContainerVerdict(
                    name,
                    image,
                    False,
                    False,
                    "CrashLoopBackOff",
                    "the container keeps being restarted because a probe fails",
                    tuple(failures),
                )
            )
            continue
        ready = True
        readiness = container.get("readinessProbe")
        if readiness:
            outcome = run_probe(
                "Readiness", readiness, container, workload, pod_ip, hostname, node_ip
            )
            if not outcome.ok:
                ready = False
                failures.append(outcome.message)
        verdicts.append(ContainerVerdict(name, image, True, ready, probe_failures=tuple(failures)))
    return verdicts
