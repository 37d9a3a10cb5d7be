"""`kubectl port-forward` on the simulator: SPDY/3.1 over WebSocket, answered by the Pod.

kubectl 1.37 tunnels SPDY in a WebSocket (`SPDY/3.1+portforward.k8s.io`, client-go
tools/portforward/tunneling_dialer.go) and, for `svc/NAME`, picks one Pod of the Service and
maps the Service port to the container port itself (kubectl pkg/cmd/portforward); each local
connection gets its own error and data streams (tools/portforward/portforward.go).
"""

from __future__ import annotations

import os
import re
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import SimApi
from tests.kubectl.conftest import Kubectl

LABS = Path(__file__).resolve().parents[2] / "labs"


@contextmanager
def forwarding(
    binary: Path, api: SimApi, home: Path, namespace: str, target: str, port: str
) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """Run `kubectl port-forward` until the block ends; yields the local port."""
    process = subprocess.Popen(
        [str(binary), "-n", namespace, "port-forward", target, f":{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "KUBECONFIG": str(api.kubeconfig),
        },
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)", line)
        assert found, (line, process.stderr.read() if process.stderr else "")
        yield int(found[1]), process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_port_forward_to_a_service_answers_from_one_pod(
    kubectl: Kubectl, kubectl_binary: Path, sim_api: SimApi, tmp_path: Path
) -> None:
    """`kubectl port-forward svc/web :80` then plain HTTP from Python: the Pod answers, and
    always the same Pod (port-forward bypasses kube-proxy's balancing)."""
    ns = f"t-{uuid.uuid4().hex[:8]}"
    assert kubectl("create", "namespace", ns).code == 0
    applied = kubectl("apply", "-n", ns, "-f", str(LABS / "02-selector-mismatch" / "solution"))
    assert applied.code == 0, applied.err
    pods = set(kubectl("get", "pods", "-n", ns, "-o", "name").out.split())
    with forwarding(kubectl_binary, sim_api, tmp_path, ns, "svc/web", "80") as (port, _):
        answers = []
        for _ in range(3):  # three local connections: three pairs of SPDY streams
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hostname", timeout=5) as reply:
                assert reply.status == 200
                answers.append(reply.read().decode())
    assert len(set(answers)) == 1
    assert f"pod/{answers[0]}" in pods


def test_port_forward_to_a_closed_port_reports_the_kubelets_error(
    kubectl: Kubectl, kubectl_binary: Path, sim_api: SimApi, tmp_path: Path
) -> None:
    """Nothing listens on the Pod's port 9999: the connection ends without an answer and
    kubectl prints the error the kubelet sent on the error stream."""
    ns = f"t-{uuid.uuid4().hex[:8]}"
    assert kubectl("create", "namespace", ns).code == 0
    applied = kubectl("apply", "-n", ns, "-f", str(LABS / "02-selector-mismatch" / "solution"))
    assert applied.code == 0, applied.err
    pod = kubectl("get", "pods", "-n", ns, "-o", "name").out.split()[0]
    with forwarding(kubectl_binary, sim_api, tmp_path, ns, pod, "9999") as (port, process):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
            raise AssertionError("a closed port answered")
        except OSError:
            pass  # the remote side closed without a response
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "error forwarding port 9999" in err and "connection refused" in err
