"""On a real kind cluster: image preload per image store, finding a running
cloud-provider-kind, the sudo flow of macOS/WSL2 as far as Linux can run it, podman, and the
per-node NodePort host mappings (issue 10, items 2-5 and 11)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.kind.conftest import engine_runs
from tutor.cluster.base import Cluster, ProbeRequest
from tutor.cluster.kind import AGNHOST_IMAGE, KindLifecycle
from tutor.cluster.kind_config import ENVOY_IMAGE, host_port, node_addresses, node_names
from tutor.cluster.kind_report import Progress, StepReporter
from tutor.cluster.kind_tools import (
    PODMAN,
    Runner,
    engine_info_argv,
    find_program,
    image_store_argv,
    parse_image_store,
)
from tutor.cluster.probes import host_url

pytestmark = pytest.mark.kind

NS = "kt-e2e-bands"
NODE_PORT = 30081


def _run(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)


def _node_images(engine: str, node: str) -> set[str]:
    """The image names the node's containerd holds (`crictl images -o json`, the CRI's
    ListImages: repoTags), as kind's own docs check a loaded image."""
    done = _run(engine, "exec", node, "crictl", "images", "-o", "json")
    assert done.returncode == 0, done.stderr
    return {tag for image in json.loads(done.stdout)["images"] for tag in image["repoTags"]}


# -- item 2: preload with the engine's image store ---------------------------------------------


def test_image_store_is_read_as_the_engine_reports_it(lifecycle: KindLifecycle) -> None:
    engine = lifecycle.engine().command
    done = _run(*image_store_argv(engine))
    assert lifecycle.image_store() == parse_image_store(engine, done.stdout)
    assert lifecycle.image_store() != "unknown", done.stdout


def test_preloaded_images_are_in_every_node_whatever_the_store(lifecycle: KindLifecycle) -> None:
    """With Docker's containerd image store `kind load docker-image` fails on a
    multi-platform image (kind issue #3795); agnhost is one (a manifest list), so finding it
    on every node proves the store's own path worked (`save --platform` + image-archive)."""
    engine = lifecycle.engine().command
    plan = [" ".join(argv) for argv in lifecycle._load_plan(AGNHOST_IMAGE, "/tmp/a.tar")]
    if lifecycle.image_store() == "containerd":
        assert any("--platform linux/" + lifecycle.arch() in step for step in plan), plan
        assert any(step.startswith("kind load image-archive") for step in plan), plan
    for node in node_names():
        assert AGNHOST_IMAGE in _node_images(engine, node), node


def test_envoy_image_for_cloud_provider_kind_was_pulled(lifecycle: KindLifecycle) -> None:
    done = _run(lifecycle.engine().command, "image", "inspect", ENVOY_IMAGE)
    assert done.returncode == 0, done.stderr


# -- items 3 and 4: a running cloud-provider-kind -------------------------------------------


def _running_cloud_provider() -> int:
    pids = find_program(Runner(), "cloud-provider-kind")
    assert pids, "the session's `cluster up` started cloud-provider-kind"
    return pids[0]


def test_running_cloud_provider_is_found_by_its_full_command_line() -> None:
    """The kernel's process name is cut at 15 characters (TASK_COMM_LEN), so `pgrep -x
    cloud-provider-kind` matches nothing while the full command line does."""
    pid = _running_cloud_provider()
    comm = Path(f"/proc/{pid}/comm")
    if comm.exists():
        assert comm.read_text().strip() == "cloud-provider-"
    if shutil.which("pgrep"):
        assert _run("pgrep", "-x", "cloud-provider-kind").stdout.strip() == ""
    assert Runner().process_alive(pid, "cloud-provider-kind")


@pytest.mark.parametrize(
    ("platform", "wsl2"), [("darwin", False), ("linux", True), ("win32", False)]
)
def test_where_sudo_is_needed_a_running_one_is_found_and_none_is_started(
    platform: str, wsl2: bool, tmp_path: Path
) -> None:
    """The macOS/WSL2/Windows flow on this machine: kube-tutor may not start
    cloud-provider-kind there (it needs sudo or administrator rights); one the learner
    started, which kube-tutor has no pid file for, is found and the step is skipped."""
    pid = _running_cloud_provider()
    other = KindLifecycle(home=tmp_path, platform=platform, wsl2=wsl2, elevated=False)
    shown = " ".join(c for step in other.up_steps() for c in step.commands)
    assert "you start it" in shown
    events: list[Progress] = []
    other._cloud_provider_step(StepReporter(events.append, 1, lambda _: None))
    assert [(e.state, e.detail) for e in events] == [("skip", f"already running (pid {pid})")]
    assert not other.cloud_provider_pidfile.exists()
    assert other.stop_cloud_provider() is False  # never one it did not start
    assert Runner().process_alive(pid, "cloud-provider-kind")


def test_a_second_lifecycle_does_not_start_a_second_cloud_provider(tmp_path: Path) -> None:
    """Two cloud-provider-kind processes fight over the Envoy containers: on Linux, with no
    pid file of its own, `up`'s step finds the running one and skips."""
    before = find_program(Runner(), "cloud-provider-kind")
    other = KindLifecycle(home=tmp_path, platform="linux", wsl2=False)
    events: list[Progress] = []
    other._cloud_provider_step(StepReporter(events.append, 1, lambda _: None))
    assert events[-1].state == "skip"
    assert find_program(Runner(), "cloud-provider-kind") == before


# -- item 5: podman ---------------------------------------------------------------------


class _PodmanOnly(Runner):
    """A runner that finds no docker, so the lifecycle picks podman."""

    def which(self, command: str) -> str | None:
        return None if command == "docker" else super().which(command)


def _needs_podman() -> None:
    # asked inside the test, so collecting the suite never waits for `podman info`
    if not engine_runs("podman"):
        pytest.skip("podman is not installed or not running")


def test_podman_is_reported_running_and_its_store_is_podman(tmp_path: Path) -> None:
    """`podman info` has no `.ServerVersion` (podman-info.1.md); `.Version.Version` answers."""
    _needs_podman()
    life = KindLifecycle(_PodmanOnly(), home=tmp_path)
    assert life.engine() is PODMAN
    assert _run(*engine_info_argv("podman")).stdout.strip()
    assert life.check_engine_running() == ""
    assert life.image_store() == "podman"
    plan = life._load_plan(AGNHOST_IMAGE, "/tmp/a.tar")
    assert plan[1][:4] == ["podman", "save", "--format", "docker-archive"]


def test_podman_preload_reaches_the_nodes(lifecycle: KindLifecycle) -> None:
    """`podman save | kind load image-archive`, on a cluster kind made with podman."""
    _needs_podman()
    if lifecycle.engine() is not PODMAN:
        pytest.skip("the session's cluster was made with docker (podman is only used alone)")
    for node in node_names():
        assert AGNHOST_IMAGE in _node_images("podman", node), node


# -- item 11: one host port band per node ---------------------------------------------------


def _pinned_web(node: str) -> list[dict[str, Any]]:
    labels = {"app": "pinned"}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "pinned"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "nodeSelector": {"kubernetes.io/hostname": node},
                        "containers": [
                            {
                                "name": "web",
                                "image": AGNHOST_IMAGE,
                                "args": ["netexec", "--http-port=8080"],
                                "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080}},
                            }
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "pinned"},
            "spec": {
                "type": "NodePort",
                "externalTrafficPolicy": "Local",
                "selector": labels,
                "ports": [{"port": 80, "targetPort": 8080, "nodePort": NODE_PORT}],
            },
        },
    ]


def test_a_probe_through_a_workers_band_reaches_that_node(kind_cluster: Cluster) -> None:
    """With `externalTrafficPolicy: Local` only the node that runs the Pod answers on the
    NodePort (kube-proxy drops it elsewhere: pkg/proxy/iptables, the XLB chain without local
    endpoints). So the answer through worker2's host band (30081 + 2*100) and the silence
    through worker3's band prove each band reaches its own node, and the macOS/Windows
    rewrite of worker2's address lands on worker2's band."""
    cluster: Any = kind_cluster
    worker2 = node_names()[2]
    cluster.ensure_namespace(NS, {"kube-tutor.dev/lab": "e2e"})
    try:
        cluster.apply(_pinned_web(worker2), NS)
        assert cluster.wait_for(
            "Pod",
            NS,
            lambda pods: any(
                any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in p.get("status", {}).get("conditions", [])
                )
                for p in pods
            ),
            180,
        )
        found = cluster.list("Pod", NS, {"app": "pinned"})[0]
        assert found["spec"]["nodeName"] == worker2
        pod = found["metadata"]["name"]

        def from_host(port: int, count: int = 3) -> Any:
            url = f"http://127.0.0.1:{port}/hostname"
            return cluster.probe(ProbeRequest("http", url, NS, source="host", count=count))

        through_worker2 = from_host(host_port(2, NODE_PORT))
        assert through_worker2.ok_count == 3, through_worker2.errors
        assert set(through_worker2.backends) == {pod}
        through_worker3 = from_host(host_port(3, NODE_PORT), count=1)
        assert through_worker3.ok_count == 0

        addresses = {name: ip for ip, name in node_addresses(cluster.list("Node")).items()}
        rewritten = host_url(
            f"http://{addresses[worker2]}:{NODE_PORT}/hostname",
            {ip: name for name, ip in addresses.items()},
            platform="darwin",
        )
        assert rewritten == f"http://127.0.0.1:{host_port(2, NODE_PORT)}/hostname"
        if sys.platform == "linux":  # only there are the node addresses reachable
            url = f"http://{addresses[worker2]}:{NODE_PORT}/hostname"
            direct = cluster.probe(ProbeRequest("http", url, NS, source="host"))
            assert direct.ok_count == 1 and set(direct.backends) == {pod}
    finally:
        cluster.delete_namespace(NS)
