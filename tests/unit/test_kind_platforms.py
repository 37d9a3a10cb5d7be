"""Issue 10 items 2-5, 8, 10 and 11: what the kind path does on each engine and platform.

Tool outputs here are recorded from the tools' own sources and docs (cited at each), or
come from real processes started by the test.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.unit.test_kind_lifecycle import (
    ALL_TOOLS,
    GOOD_VERSIONS,
    RUNNING_NODES,
    FakeKube,
    FakeRunner,
    lifecycle,
)
from tutor.cluster import kind, kind_tools, probes
from tutor.cluster.kind import CommandResult, Progress, ToolError

AGNHOST = kind.AGNHOST_IMAGE

# `docker info --format '{{.DriverStatus}}'` with the containerd image store, as Docker's
# docs show it (docs.docker.com/engine/storage/containerd/), and with the classic overlay2
# store (the graph driver's status pairs).
CONTAINERD_STORE = "[[driver-type io.containerd.snapshotter.v1]]\n"
CLASSIC_STORE = "[[Backing Filesystem extfs] [Supports d_type true] [Using metacopy false]]\n"


def test_image_store_is_read_from_driver_status() -> None:
    assert kind_tools.parse_image_store("docker", CONTAINERD_STORE) == "containerd"
    assert kind_tools.parse_image_store("docker", CLASSIC_STORE) == "classic"
    assert kind_tools.parse_image_store("podman", "") == "podman"


def test_containerd_store_saves_the_node_platform_and_loads_an_archive(tmp_path: Path) -> None:
    """Item 2: `kind load docker-image` fails on multi-platform images with the containerd
    store (kind issue #3795); the image is saved for the nodes' platform instead."""
    script = [
        (
            ("docker", "info", "--format", "{{.DriverStatus}}"),
            CommandResult((), 0, CONTAINERD_STORE),
        ),
        (("docker", "version", "--format", "{{.Server.Arch}}"), CommandResult((), 0, "arm64\n")),
        (("docker", "image", "inspect"), CommandResult((), 1, "", "Error: No such image")),
        *GOOD_VERSIONS,
    ]
    runner = FakeRunner(ALL_TOOLS, script)
    lifecycle(tmp_path, runner, platform="linux", wsl2=False).up()
    argvs = runner.argvs()
    assert ("docker", "pull", "--platform", "linux/arm64", AGNHOST) in argvs
    save = next(a for a in argvs if a[:2] == ("docker", "save"))
    assert save[2:4] == ("--platform", "linux/arm64") and save[-1] == AGNHOST
    archive = save[save.index("-o") + 1]
    assert ("kind", "load", "image-archive", archive, "--name", "kube-tutor") in argvs
    assert not any(a[:3] == ("kind", "load", "docker-image") for a in argvs)


def test_classic_store_keeps_kind_load_docker_image(tmp_path: Path) -> None:
    script = [
        (("docker", "info", "--format", "{{.DriverStatus}}"), CommandResult((), 0, CLASSIC_STORE)),
        *GOOD_VERSIONS,
    ]
    runner = FakeRunner(ALL_TOOLS, script)
    lifecycle(tmp_path, runner, platform="linux", wsl2=False).up()
    assert ("kind", "load", "docker-image", AGNHOST, "--name", "kube-tutor") in runner.argvs()


PODMAN_ONLY = {k: v for k, v in ALL_TOOLS.items() if k != "docker"} | {"podman": "/usr/bin/podman"}


def test_podman_engine_check_uses_a_real_podman_field(tmp_path: Path) -> None:
    """Item 5: `{{.ServerVersion}}` is no field of `podman info` (its template data are
    .Host, .Store, .Registries, .Version: podman docs/source/markdown/podman-info.1.md)."""
    runner = FakeRunner(
        PODMAN_ONLY,
        [(("podman", "info", "--format", "{{.Version.Version}}"), CommandResult((), 0, "5.4.2\n"))],
    )
    life = lifecycle(tmp_path, runner)
    assert life.check_engine_running() == ""
    assert runner.argvs()[-1] == ("podman", "info", "--format", "{{.Version.Version}}")
    # and an engine that prints nothing is not taken for a running one
    runner = FakeRunner(PODMAN_ONLY, [(("podman", "info"), CommandResult((), 0, ""))])
    assert "not running" in lifecycle(tmp_path, runner).check_engine_running()


def test_podman_saves_an_archive_instead_of_calling_docker(tmp_path: Path) -> None:
    """Item 5: `kind load docker-image` runs `docker save` (kind: pkg/cmd/kind/load/
    docker-image/docker-image.go, save) even with the podman provider."""
    script = [
        (("podman", "info", "--format", "{{.Version.Version}}"), CommandResult((), 0, "5.4.2\n")),
        (("podman", "version"), CommandResult((), 0, "5.4.2\n")),
        (("kind", "version"), GOOD_VERSIONS[2][1]),
        (("kubectl", "version"), GOOD_VERSIONS[3][1]),
    ]
    runner = FakeRunner(PODMAN_ONLY, script)
    lifecycle(tmp_path, runner, platform="linux", wsl2=False).up()
    argvs = runner.argvs()
    assert not any(a[0] == "docker" for a in argvs)
    save = next(a for a in argvs if a[:2] == ("podman", "save"))
    assert save[2:4] == ("--format", "docker-archive")
    loads = [c for c in runner.calls if c.argv[:3] == ("kind", "load", "image-archive")]
    assert loads and all(c.env == {"KIND_EXPERIMENTAL_PROVIDER": "podman"} for c in loads)


@pytest.mark.parametrize(
    ("platform", "wsl2"), [("darwin", False), ("win32", False), ("linux", True)]
)
def test_where_cloud_provider_needs_rights_the_learner_starts_it(
    tmp_path: Path, platform: str, wsl2: bool
) -> None:
    """Item 3: on macOS it exits without root (cloud-provider-kind cmd/app.go: "please run
    this again with `sudo`"), and README says sudo on WSL2, administrator on Windows. No
    --enable-lb-port-mapping: that replaces the tunnel mode (cmd/app.go) that puts the
    LoadBalancer addresses on the host."""
    runner = FakeRunner(ALL_TOOLS, GOOD_VERSIONS)
    life = lifecycle(
        tmp_path, runner, platform=platform, wsl2=wsl2, elevated=False, cloud_provider_wait=6
    )
    reports: list[Progress] = []
    with pytest.raises(ToolError) as caught:
        life.up(reports.append)
    assert not any(c.background for c in runner.calls)  # never started without rights
    assert "--enable-lb-port-mapping" not in " ".join(" ".join(a) for a in runner.argvs())
    shown = " ".join(r.detail for r in reports if r.state == "line")
    expected = "Run as administrator" if platform == "win32" else "sudo cloud-provider-kind"
    assert expected in shown and expected in caught.value.hint
    assert runner.slept == 6  # it waited for the learner, looking every 2 s


def test_a_cloud_provider_started_with_sudo_is_found_while_waiting(tmp_path: Path) -> None:
    class LearnerStartsIt(FakeRunner):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            self.procs = [
                (4711, ["sudo", "/usr/local/bin/cloud-provider-kind"]),
                (4712, ["/usr/local/bin/cloud-provider-kind"]),
            ]

    runner = LearnerStartsIt(ALL_TOOLS, GOOD_VERSIONS)
    reports: list[Progress] = []
    lifecycle(tmp_path, runner, platform="darwin", elevated=False, cloud_provider_wait=60).up(
        reports.append
    )
    assert any("found it running (pid 4711)" in r.detail for r in reports)
    assert runner.slept == 2


# -- item 4: finding cloud-provider-kind by its full command line ------------------------------


def test_ps_output_is_parsed_and_matched_by_full_name() -> None:
    """`ps -ax -o pid=,args=` (procps and BSD ps: pid right-aligned, then the command line)."""
    text = (
        "    1 /sbin/launchd\n"
        "  812 sudo cloud-provider-kind\n"
        "  813 /usr/local/bin/cloud-provider-kind -v 2\n"
        "  900 vim cloud-provider-kind.log\n"
        "  901 /usr/local/bin/cloud-provider-kind version\n"
    )
    found = [
        pid
        for pid, argv in kind_tools.parse_ps(text)
        if kind_tools.is_program(argv, "cloud-provider-kind")
    ]
    assert found == [812, 813]


def test_tasklist_output_is_parsed() -> None:
    """`tasklist /FO CSV /NH` prints one quoted CSV row per process (image, PID, session...)."""
    text = '"System Idle Process","0","Services","0","8 K"\n"cloud-provider-kind.exe","5120","Console","1","40,112 K"\n'
    rows = kind_tools.parse_tasklist(text)
    assert (5120, ["cloud-provider-kind.exe"]) in rows
    assert [p for p, argv in rows if kind_tools.is_program(argv, "cloud-provider-kind")] == [5120]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_real_cloud_provider_kind_process_is_found_where_pgrep_x_is_not(tmp_path: Path) -> None:
    """A real process named cloud-provider-kind (a copy of sleep): the kernel keeps 15
    characters of its name, so `pgrep -x cloud-provider-kind` misses it; kube-tutor finds it."""
    sleep = shutil.which("sleep")
    assert sleep is not None
    program = tmp_path / "cloud-provider-kind"
    shutil.copy(sleep, program)
    process = subprocess.Popen([str(program), "30"])
    try:
        time.sleep(0.2)
        assert Path(f"/proc/{process.pid}/comm").read_text().strip() == "cloud-provider-"
        if shutil.which("pgrep"):
            pgrep = subprocess.run(
                ["pgrep", "-x", "cloud-provider-kind"], capture_output=True, text=True, check=False
            )
            assert str(process.pid) not in pgrep.stdout.split()
        assert process.pid in kind_tools.find_program(kind_tools.Runner(), "cloud-provider-kind")
    finally:
        process.kill()
        process.wait()


# -- item 8: no version flag ---------------------------------------------------------------------


def test_cloud_provider_version_is_checked_by_its_classes_not_a_flag(tmp_path: Path) -> None:
    runner = FakeRunner(ALL_TOOLS, GOOD_VERSIONS)
    check = lifecycle(tmp_path, runner).check_tool(kind.CLOUD_PROVIDER_KIND)
    assert check.ok and "GatewayClass and IngressClass" in check.warning
    assert not any(a[0] == "cloud-provider-kind" for a in runner.argvs())  # nothing run


# -- item 10: progress, log, half-made cluster, Envoy ---------------------------------------------


def test_kind_output_is_passed_through_and_logged(tmp_path: Path) -> None:
    kind_says = (
        'Creating cluster "kube-tutor" ...\n'
        " ✓ Ensuring node image (kindest/node:v1.37.0) 🖼\n"
        " ✓ Preparing nodes 📦 📦 📦 📦\n"
    )
    script = [
        (("kind", "create"), CommandResult((), 0, kind_says)),
        (("docker", "image", "inspect"), CommandResult((), 1, "", "Error: No such image")),
        *GOOD_VERSIONS,
    ]
    runner = FakeRunner(ALL_TOOLS, script)
    reports: list[Progress] = []
    lifecycle(tmp_path, runner, platform="linux", wsl2=False).up(reports.append)
    lines = [r.detail for r in reports if r.state == "line" and r.step == 2]
    assert " ✓ Preparing nodes 📦 📦 📦 📦" in lines
    log = (tmp_path / "cluster-up.log").read_text()
    assert "Ensuring node image" in log and "[2/6] done" in log
    assert all(r.elapsed >= 0 for r in reports)
    assert (
        "docker",
        "pull",
        kind.ENVOY_IMAGE,
    ) in runner.argvs()  # pre-pulled for cloud-provider-kind


def test_a_half_created_cluster_is_removed_and_made_again(tmp_path: Path) -> None:
    half = "kube-tutor-control-plane\trunning\n"
    script = [
        (("kind", "get", "clusters"), CommandResult((), 0, "kube-tutor\n")),
        (("docker", "ps"), CommandResult((), 0, half)),
        *GOOD_VERSIONS,
    ]
    runner = FakeRunner(ALL_TOOLS, script)
    reports: list[Progress] = []
    lifecycle(tmp_path, runner, platform="linux", wsl2=False).up(reports.append)
    argvs = runner.argvs()
    delete = argvs.index(("kind", "delete", "cluster", "--name", "kube-tutor"))
    create = next(i for i, a in enumerate(argvs) if a[:3] == ("kind", "create", "cluster"))
    assert delete < create
    assert any("half-created" in r.detail for r in reports)


def test_stopped_nodes_are_started_not_recreated(tmp_path: Path) -> None:
    stopped = RUNNING_NODES.replace("worker2\trunning", "worker2\texited")
    script = [
        (("kind", "get", "clusters"), CommandResult((), 0, "kube-tutor\n")),
        (("docker", "ps"), CommandResult((), 0, stopped)),
        *GOOD_VERSIONS,
    ]
    runner = FakeRunner(ALL_TOOLS, script)
    lifecycle(tmp_path, runner, kube=FakeKube(), platform="linux", wsl2=False).up()
    argvs = runner.argvs()
    assert (
        "docker",
        "start",
        "kube-tutor-control-plane",
        "kube-tutor-worker",
        "kube-tutor-worker2",
        "kube-tutor-worker3",
    ) in argvs
    assert not any(a[:2] == ("kind", "create") for a in argvs)


# -- item 11: host probes per node --------------------------------------------------------------


def test_host_probe_goes_to_the_mapping_of_the_node_it_names() -> None:
    nodes = {
        "172.18.0.2": "kube-tutor-control-plane",
        "172.18.0.3": "kube-tutor-worker",
        "172.18.0.4": "kube-tutor-worker2",
        "172.18.0.5": "kube-tutor-worker3",
    }
    assert probes.host_url("http://172.18.0.2:30080/", nodes, "darwin") == "http://127.0.0.1:30080/"
    assert probes.host_url("http://172.18.0.3:30080/", nodes, "darwin") == "http://127.0.0.1:30180/"
    assert probes.host_url("172.18.0.5:30089", nodes, "win32") == "127.0.0.1:30389"
    assert probes.host_url("http://172.18.0.4:30080/", nodes, "linux") == "http://172.18.0.4:30080/"


# -- doctor ----------------------------------------------------------------------------------------


def test_doctor_names_each_missing_part_with_its_fix(tmp_path: Path) -> None:
    from tutor.cluster.doctor import diagnose

    tools = {k: v for k, v in ALL_TOOLS.items() if k != "cloud-provider-kind"}
    script = [
        (
            ("docker", "info", "--format", "{{.DriverStatus}}"),
            CommandResult((), 0, CONTAINERD_STORE),
        ),
        (("docker", "image", "inspect"), CommandResult((), 1, "", "Error: No such image")),
        *GOOD_VERSIONS,
    ]
    findings = {
        f.item: f
        for f in diagnose(
            lifecycle(tmp_path, FakeRunner(tools, script), platform="darwin", elevated=False)
        )
    }
    assert findings["docker"].ok and findings["kind"].ok and findings["kubectl"].ok
    assert not findings["cloud-provider-kind"].ok
    assert "go install sigs.k8s.io/cloud-provider-kind" in findings["cloud-provider-kind"].fix
    assert "containerd image store" in findings["image store"].detail
    assert findings["node image"].fix == f"docker pull {kind.NODE_IMAGE}"
    assert findings["cloud-provider-kind running"].fix == "sudo cloud-provider-kind"
    assert not findings["capability dns"].ok
    assert findings["capability dns"].fix == "kube-tutor cluster up"
