"""`kubectl exec` and `kubectl logs` on the simulator: what a command prints and exits with.

`run_command` answers as a kind cluster would: the API server finds the Pod and the container
(pkg/registry/core/pod/strategy.go `streamLocation`, `validateContainer`), the kubelet finds a
running container (`container not found ("NAME")` otherwise), containerd/runc start the
executable, and the command runs against the simulated DNS and data plane (see
`tutor.cluster.sim.api.commands`). An executable missing from the image never starts: runc's
`exec.LookPath` fails, containerd wraps it (internal/cri/server/container_execsync.go
`failed to start exec %q`, cmd/containerd-shim-runc-v2 `OCI runtime exec failed`, `: unknown`
from the gRPC error code), and the kubelet sends an InternalError Status
(staging/.../kubelet/pkg/cri/streaming/remotecommand/exec.go `ServeExec`) that kubectl prints as
`error: Internal error occurred: error executing command in container: ...` and exits 1.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tutor.cluster.base import ClusterError, NotFoundError, Obj
from tutor.cluster.sim.api.commands.logs import container_log
from tutor.cluster.sim.api.commands.proc import Proc
from tutor.cluster.sim.api.commands.shell import run_tool
from tutor.cluster.sim.api.commands.toolbox import toolbox_for

if TYPE_CHECKING:
    from tutor.cluster.sim.cluster import SimCluster


class ExecRefusedError(ClusterError):
    """The API server or the kubelet refused to run the command (no process was started).

    `code` is the HTTP status and `api_reason` the `Status.reason` the server answers with:
    400 `BadRequest` (no such container, no node yet) or 500 `InternalError` (the kubelet found
    no running container)."""

    reason = "refused"

    def __init__(self, message: str, *, code: int = 400, api_reason: str = "BadRequest") -> None:
        super().__init__(message)
        self.code = code
        self.api_reason = api_reason


@dataclass(frozen=True)
class ExecResult:
    """What `kubectl exec POD -- ARGV...` prints and exits with."""

    code: int
    """The exit code of the process (kubectl exits with it); 1 when it never started."""
    stdout: str
    stderr: str
    argv: tuple[str, ...] = ()
    """The command that ran (named in the NonZeroExitCode message)."""
    failure: str = ""
    """When the process never started: the message of the InternalError Status the kubelet
    sends on the error channel (kubectl prints `error: ` and this, and exits 1)."""

    def status(self) -> dict[str, Any]:
        """The `Status` for the exec error channel (v4/v5.channel.k8s.io), as the kubelet
        writes it: Success, NonZeroExitCode with the ExitCode cause, or InternalError."""
        meta: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}}
        if self.failure:
            inner = self.failure.removeprefix("Internal error occurred: ")
            return {
                **meta,
                "status": "Failure",
                "message": self.failure,
                "reason": "InternalError",
                "details": {"causes": [{"message": inner}]},
                "code": 500,
            }
        if self.code == 0:
            return {**meta, "status": "Success"}
        return {
            **meta,
            "status": "Failure",
            # the kubelet wraps containerd's codeExitError (internal/cri/server/streaming.go)
            "message": "command terminated with non-zero exit code: error executing command "
            f"[{' '.join(self.argv)}], exit code {self.code}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(self.code)}]},
        }


def _find(
    cluster: SimCluster, namespace: str, pod_name: str, container: str | None
) -> tuple[Obj, Obj]:
    pod = cluster.view.get("Pod", pod_name, namespace)
    if pod is None:
        raise NotFoundError(f'pods "{pod_name}" not found')
    containers = [c for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]
    every = containers + [
        c
        for key in ("initContainers", "ephemeralContainers")
        for c in (pod.get("spec") or {}).get(key) or []
        if isinstance(c, dict)
    ]
    if not container:
        if len(containers) == 1:
            return pod, containers[0]
        if not containers:
            raise ExecRefusedError(f"a container name must be specified for pod {pod_name}")
        names = " ".join(str(c.get("name")) for c in every)
        raise ExecRefusedError(
            f"a container name must be specified for pod {pod_name}, choose one of: [{names}]"
        )
    for candidate in every:
        if candidate.get("name") == container:
            return pod, candidate
    raise ExecRefusedError(f"container {container} is not valid for pod {pod_name}")


def _running(pod: Obj, container: Obj) -> bool:
    name = container.get("name")
    for entry in (pod.get("status") or {}).get("containerStatuses") or []:
        if entry.get("name") == name:
            return "running" in (entry.get("state") or {})
    return False


def _check_node(pod: Obj) -> None:
    if not (pod.get("spec") or {}).get("nodeName"):
        raise ExecRefusedError(f"pod {pod['metadata']['name']} does not have a host assigned")


def run_command(
    cluster: SimCluster, namespace: str, pod: str, container: str | None, argv: list[str]
) -> ExecResult:
    """Run `argv` in a container of a Pod of the simulator and return what it printed.

    Raises `NotFoundError` for a missing Pod and `ExecRefusedError` for a bad container name,
    an unscheduled Pod or a container that is not running."""
    found, spec = _find(cluster, namespace, pod, container)
    _check_node(found)
    if not _running(found, spec):
        raise ExecRefusedError(
            f'unable to upgrade connection: container not found ("{spec.get("name")}")',
            code=500,
            api_reason="InternalError",
        )
    if not argv:
        raise ExecRefusedError("you must specify at least 1 command for the container")
    toolbox = toolbox_for(str(spec.get("image") or ""))
    if toolbox.find(argv[0]) is None:
        return ExecResult(1, "", "", tuple(argv), _not_started(found, spec, argv))
    proc = Proc(cluster, found, spec, toolbox)
    out = run_tool(proc, list(argv))
    return ExecResult(out.code, out.stdout, out.stderr, tuple(argv))


def _not_started(pod: Obj, container: Obj, argv: list[str]) -> str:
    word = argv[0]
    if "/" in word:
        why = f'exec: "{word}": stat {word}: no such file or directory'
    else:
        why = f'exec: "{word}": executable file not found in $PATH'
    seed = f"{pod['metadata'].get('uid')}/{container.get('name')}/{' '.join(argv)}"
    exec_id = hashlib.sha256(seed.encode()).hexdigest()
    return (
        "Internal error occurred: error executing command in container: failed to exec in "
        f'container: failed to start exec "{exec_id}": OCI runtime exec failed: exec failed: '
        f"unable to start container process: {why}: unknown"
    )


def pod_logs(
    cluster: SimCluster, namespace: str, pod: str, container: str | None, *, tail: int | None = None
) -> str:
    """What `kubectl logs` prints for a container (the last `tail` lines when given)."""
    found, spec = _find(cluster, namespace, pod, container)
    name = str(spec.get("name"))
    statuses = {
        str(s.get("name")): s for s in (found.get("status") or {}).get("containerStatuses") or []
    }
    status = statuses.get(name)
    if status is None or not (found.get("spec") or {}).get("nodeName"):
        raise ExecRefusedError(
            f'container "{name}" in pod "{pod}" is waiting to start: ContainerCreating'
        )
    started_text = str(
        ((status.get("state") or {}).get("running") or {}).get("startedAt")
        or found["metadata"].get("creationTimestamp")
        or "2026-01-01T00:00:00Z"
    )
    started = datetime.strptime(started_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    lines = container_log(cluster, found, spec, started)
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []
    return "".join(f"{line}\n" for line in lines)
