"""Real kubectl 1.37 against the simulator's API server: learners' commands work as on kind.

Expected outputs are kubectl's own (its printers and messages); the server is right when
kubectl behaves as it does against a real cluster.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.kubectl.conftest import Kubectl
from tutor.cli import main
from tutor.cluster.sim.api.credentials import sim_dir

LABS = Path(__file__).resolve().parents[2] / "labs"


@pytest.fixture
def ns(kubectl: Kubectl) -> str:
    """A fresh namespace for one test."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    assert kubectl("create", "namespace", name).code == 0
    return name


def test_version_and_discovery(kubectl: Kubectl) -> None:
    ran = kubectl("version", "-o", "json")
    assert ran.code == 0, ran.err
    server = json.loads(ran.out)["serverVersion"]
    assert (server["major"], server["minor"]) == ("1", "37")
    resources = kubectl("api-resources", "--no-headers")
    assert resources.code == 0, resources.err
    names = {line.split()[0] for line in resources.out.splitlines()}
    assert {
        "services",
        "endpointslices",
        "pods",
        "deployments",
        "ingresses",
        "httproutes",
        "gateways",
        "referencegrants",
    } <= names


def test_imperative_commands_sent_as_protobuf(kubectl: Kubectl, ns: str) -> None:
    """`kubectl create deployment` and `expose` send protobuf bodies: decoded, admitted."""
    image = "registry.k8s.io/e2e-test-images/agnhost:2.39"
    made = kubectl(
        "create",
        "deployment",
        "web",
        f"--image={image}",
        "--replicas=2",
        "--port=8080",
        "-n",
        ns,
        "--",
        "/agnhost",
        "netexec",
        "--http-port=8080",
    )
    assert made.code == 0, made.err
    assert "deployment.apps/web created" in made.out
    exposed = kubectl("expose", "deployment", "web", "--port=80", "--target-port=8080", "-n", ns)
    assert exposed.code == 0, exposed.err
    svc = json.loads(kubectl("get", "svc", "web", "-n", ns, "-o", "json").out)
    assert svc["spec"]["selector"] == {"app": "web"}
    assert svc["spec"]["ports"][0]["targetPort"] == 8080
    assert svc["spec"]["clusterIP"].startswith("10.96.")
    pods = kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "name")
    assert len(pods.out.split()) == 2


def test_label_delete_and_graceful_termination(kubectl: Kubectl, ns: str) -> None:
    applied = kubectl("apply", "-n", ns, "-f", str(LABS / "02-selector-mismatch" / "solution"))
    assert applied.code == 0, applied.err
    names = kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "name").out.split()
    assert len(names) == 3
    labelled = kubectl("label", "-n", ns, names[0], "tier=front")
    assert labelled.code == 0, labelled.err
    shown = kubectl("get", "-n", ns, names[0], "--show-labels")
    assert "tier=front" in shown.out
    # A deleted Pod is Terminating first (its slice entry then says terminating), then gone,
    # and the ReplicaSet makes a new one: `kubectl delete` waits for the end as on kind.
    deleted = kubectl("delete", "-n", ns, names[0], timeout=20)
    assert deleted.code == 0, deleted.err
    assert "deleted" in deleted.out
    after = kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "name").out.split()
    assert names[0] not in after and len(after) == 3


def test_scale_and_rollout(kubectl: Kubectl, ns: str) -> None:
    assert (
        kubectl(
            "apply",
            "-n",
            ns,
            "-f",
            str(LABS / "02-selector-mismatch" / "solution"),
        ).code
        == 0
    )
    scaled = kubectl("scale", "-n", ns, "deployment/web", "--replicas=5")
    assert scaled.code == 0, scaled.err
    status = kubectl("rollout", "status", "-n", ns, "deployment/web", "--timeout=10s")
    assert status.code == 0, status.err
    assert "successfully rolled out" in status.out
    count = kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "name").out.split()
    assert len(count) == 5
    restarted = kubectl("rollout", "restart", "-n", ns, "deployment/web")
    assert restarted.code == 0, restarted.err
    again = kubectl("rollout", "status", "-n", ns, "deployment/web", "--timeout=10s")
    assert again.code == 0, again.err


def test_get_watch_sees_a_change(kubectl: Kubectl, ns: str) -> None:
    """`kubectl get -w` lists, then streams the change made while it watches."""
    import subprocess
    import threading

    assert kubectl("create", "configmap", "one", "-n", ns, "--from-literal=a=1").code == 0
    later = threading.Timer(
        1.0, lambda: kubectl("create", "configmap", "two", "-n", ns, "--from-literal=b=2")
    )
    later.start()
    try:
        watched = kubectl("get", "configmaps", "-n", ns, "-w", "--request-timeout=3s", timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("kubectl get -w did not end")
    finally:
        later.join()
    assert "one" in watched.out and "two" in watched.out


def test_error_messages_are_the_api_servers(kubectl: Kubectl, ns: str) -> None:
    missing = kubectl("get", "svc", "nothing", "-n", ns)
    assert missing.code == 1
    assert 'Error from server (NotFound): services "nothing" not found' in missing.err
    taken = kubectl("create", "namespace", ns)
    assert f'Error from server (AlreadyExists): namespaces "{ns}" already exists' in taken.err
    bad = kubectl(
        "create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=80", "-n", ns
    )
    assert bad.code == 1
    # kubectl's `create service` words it so (k8s.io/kubectl/pkg/cmd/create/create_service.go)
    assert (
        'failed to create NodePort service: Service "np" is invalid: spec.ports[0].nodePort: '
        "Invalid value: 80: provided port is not in the valid range" in bad.err
    )
    system = kubectl("delete", "namespace", "kube-system", "--wait=false")
    assert "Forbidden" in system.err


def test_fixing_lab_02_with_kubectl_edit_turns_lab_check_green(
    kubectl_binary: Path, sim_daemon: Path, tmp_path: Path
) -> None:
    """The issue's done-when: `lab start 02`, look with kubectl, fix with `kubectl edit`."""
    import os
    import subprocess

    assert main(["lab", "start", "02"]) == 0
    kubeconfig = sim_daemon / "sim" / "kubeconfig"
    assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/app: frontend/app: web/' \"$1\"\n")
    editor.chmod(0o755)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "KUBECONFIG": str(kubeconfig),
        "KUBE_EDITOR": str(editor),
    }
    ns = "kt-02-selector-mismatch"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(kubectl_binary), *args, "-n", ns],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    pods = run("get", "pods", "--show-labels")
    assert pods.returncode == 0 and "app=web" in pods.stdout
    described = run("describe", "svc", "web")
    assert "Selector:" in described.stdout and "app=frontend" in described.stdout
    assert main(["lab", "check", "02"]) == 1
    edited = run("edit", "svc", "web")
    assert edited.returncode == 0, edited.stderr
    assert main(["lab", "check", "02"]) == 0


def test_lab_apply_keeps_learner_labels_and_takes_back_its_own_fields(
    kubectl_binary: Path, sim_daemon: Path, tmp_path: Path
) -> None:
    """Server-side apply as on kind: `lab apply` (field manager kube-tutor, forced) takes back
    the fields its files set (the selector a learner edited) and leaves fields only the
    learner set (a label added with `kubectl label`)."""
    import os
    import subprocess

    assert main(["lab", "start", "02"]) == 0
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "KUBECONFIG": str(sim_dir(sim_daemon) / "kubeconfig"),
    }
    ns = "kt-02-selector-mismatch"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(kubectl_binary), *args, "-n", ns],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert run("label", "svc", "web", "owner=learner").returncode == 0
    assert run("patch", "svc", "web", "-p", '{"spec":{"selector":{"app":"web"}}}').returncode == 0
    assert main(["lab", "apply", "02"]) == 0
    shown = run("get", "svc", "web", "-o", "json", "--show-managed-fields")
    svc = json.loads(shown.stdout)
    assert svc["metadata"]["labels"] == {"owner": "learner"}
    assert svc["spec"]["selector"] == {"app": "frontend"}  # the workspace file says so
    managers = {m["manager"]: m["operation"] for m in svc["metadata"]["managedFields"]}
    assert managers.get("kube-tutor") == "Apply" and managers.get("kubectl-label") == "Update"


def test_exec_and_logs_answered_by_the_data_plane(kubectl: Kubectl, ns: str) -> None:
    """`kubectl exec ... curl|dig|nc` and `kubectl logs` as on kind (agnhost 2.39's tools)."""
    assert (
        kubectl("apply", "-n", ns, "-f", str(LABS / "02-selector-mismatch" / "solution")).code == 0
    )
    assert (
        kubectl(
            "run",
            "client",
            "-n",
            ns,
            "--image=registry.k8s.io/e2e-test-images/agnhost:2.39",
            "--",
            "/agnhost",
            "pause",
        ).code
        == 0
    )
    curl = kubectl("exec", "-n", ns, "client", "--", "curl", "-s", "http://web/hostname")
    assert curl.code == 0, curl.err
    assert curl.out.startswith("web-")
    dig = kubectl("exec", "-n", ns, "client", "--", "dig", "+short", f"web.{ns}.svc.cluster.local")
    assert dig.code == 0 and dig.out.strip().startswith("10.96.")
    closed = kubectl("exec", "-n", ns, "client", "--", "nc", "-z", "-w", "1", "web", "81")
    assert closed.code == 1  # no such Service port: the exit code travels back through kubectl
    missing = kubectl("exec", "-n", ns, "client", "--", "jq", "--version")
    assert missing.code != 0 and "executable file not found" in missing.err
    resolv = kubectl("exec", "-n", ns, "client", "--", "cat", "/etc/resolv.conf")
    assert f"search {ns}.svc.cluster.local svc.cluster.local cluster.local" in resolv.out
    pod = kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "name").out.split()[0]
    logs = kubectl("logs", "-n", ns, pod)
    assert logs.code == 0 and logs.out.strip()


def test_misspelt_field_refused_with_kubectls_strict_validation_error(
    kubectl: Kubectl, ns: str, tmp_path: Path
) -> None:
    """kubectl 1.37 asks for `fieldValidation=Strict`; the server answers as 1.37 does
    (k8s.io/apimachinery strict decoding: `strict decoding error: unknown field ...`)."""
    manifest = tmp_path / "svc.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: typo\nspec:\n"
        "  selectr:\n    app: web\n  ports:\n  - port: 80\n"
    )
    refused = kubectl("apply", "-n", ns, "-f", str(manifest))
    assert refused.code == 1
    assert 'strict decoding error: unknown field "spec.selectr"' in refused.err
    assert kubectl("get", "svc", "typo", "-n", ns).code == 1  # nothing was created


def test_explain_reads_the_servers_openapi(kubectl: Kubectl) -> None:
    explained = kubectl("explain", "service.spec.ports.targetPort")
    assert explained.code == 0, explained.err
    assert "IntOrString" in explained.out
    route = kubectl("explain", "httproute.spec.parentRefs")
    assert route.code == 0, route.err
    assert "GROUP:" in route.out and "gateway.networking.k8s.io" in route.out


def test_daemonsets_endpoints_events_and_service_accounts(
    kubectl: Kubectl, ns: str, tmp_path: Path
) -> None:
    """kubectl get/describe of the kinds kube-controller-manager keeps: a DaemonSet's Pods on
    the three workers (not the tainted control plane), the endpoints controller's Endpoints,
    a mirrored EndpointSlice for hand-written Endpoints, the default ServiceAccount, and the
    Events `describe` and `kubectl events` find by the object's uid."""
    manifest = tmp_path / "agent.yaml"
    manifest.write_text(
        """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - {name: a, image: "registry.k8s.io/e2e-test-images/agnhost:2.39", args: [netexec]}
---
apiVersion: v1
kind: Service
metadata: {name: agent}
spec:
  selector: {app: agent}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext}
subsets:
- addresses: [{ip: 172.18.0.50}]
  ports: [{port: 8080}]
"""
    )
    applied = kubectl("apply", "-n", ns, "-f", str(manifest))
    assert applied.code == 0, applied.err
    got = kubectl("get", "ds,endpoints,events,sa", "-o", "wide", "-n", ns)
    assert got.code == 0, got.err
    ds_row = next(line for line in got.out.splitlines() if line.startswith("daemonset.apps/agent"))
    assert ds_row.split()[1:6] == ["3", "3", "3", "3", "3"]
    assert "endpoints/ext" in got.out and "172.18.0.50:8080" in got.out
    assert "serviceaccount/default" in got.out
    assert "SuccessfulCreate" in got.out
    nodes = kubectl("get", "pods", "-n", ns, "-l", "app=agent", "-o", "jsonpath={..nodeName}")
    assert sorted(nodes.out.split()) == [
        "kube-tutor-worker",
        "kube-tutor-worker2",
        "kube-tutor-worker3",
    ]
    slices = kubectl("get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=ext")
    assert "172.18.0.50" in slices.out, slices.out
    described = kubectl("describe", "ds", "agent", "-n", ns)
    assert "Desired Number of Nodes Scheduled: 3" in described.out
    assert "daemonset-controller  Created pod:" in described.out
    pod = kubectl("get", "pods", "-n", ns, "-l", "app=agent", "-o", "name").out.split()[0]
    described_pod = kubectl("describe", pod, "-n", ns)
    assert "Successfully assigned" in described_pod.out, described_pod.out
    endpoints = kubectl("describe", "endpoints", "agent", "-n", ns)
    assert "endpoints.kubernetes.io/managed-by=endpoint-controller" in endpoints.out
    events = kubectl("events", "-n", ns, "--for", "daemonset/agent")
    assert events.code == 0, events.err
    assert "Created pod" in events.out
