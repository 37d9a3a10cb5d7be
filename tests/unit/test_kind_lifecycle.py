"""Tool checks and the commands `up`/`down`/`status`/`clean` run, recorded, never executed."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tutor.cluster import kind
from tutor.cluster.kind import CommandResult, KindLifecycle, Progress, Runner, ToolError

# -- fakes --------------------------------------------------------------------------------


@dataclass
class Call:
    argv: tuple[str, ...]
    env: Mapping[str, str] | None
    background: bool
    log: Path | None


class FakeRunner(Runner):
    """Records every command; answers from a script of (argv prefix -> result)."""

    def __init__(
        self,
        tools: Mapping[str, str | None] | None = None,
        script: Sequence[tuple[tuple[str, ...], CommandResult]] = (),
    ) -> None:
        self.tools = dict(tools or {})
        self.script = list(script)
        self.calls: list[Call] = []
        self.alive: set[int] = set()
        self.stopped: list[int] = []
        self.procs: list[tuple[int, list[str]]] = []
        """What `processes()` shows (pid, command line)."""
        self.slept = 0.0

    def which(self, command: str) -> str | None:
        return self.tools.get(command)

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 600.0,
        env: Mapping[str, str] | None = None,
        log: Path | None = None,
        background: bool = False,
    ) -> CommandResult:
        self.calls.append(Call(tuple(argv), env, background, log))
        for prefix, result in self.script:
            if tuple(argv[: len(prefix)]) == prefix:
                return CommandResult(tuple(argv), result.returncode, result.stdout, result.stderr)
        if background:
            self.alive.add(4242)
            return CommandResult(tuple(argv), 0, "4242")
        return CommandResult(tuple(argv), 0, "")

    def stream(
        self,
        argv: Sequence[str],
        on_line: Callable[[str], None] = lambda _: None,
        *,
        timeout: float = 900.0,
        env: Mapping[str, str] | None = None,
    ) -> CommandResult:
        result = self.run(argv, timeout=timeout, env=env)
        for line in (result.stdout + result.stderr).splitlines():
            on_line(line)
        return result

    def processes(self) -> list[tuple[int, list[str]]]:
        return list(self.procs)

    def process_alive(self, pid: int, name: str) -> bool:
        return pid in self.alive

    def stop(self, pid: int) -> None:
        self.stopped.append(pid)
        self.alive.discard(pid)

    def sleep(self, seconds: float) -> None:
        self.slept += seconds

    def argvs(self) -> list[tuple[str, ...]]:
        return [call.argv for call in self.calls]


ALL_TOOLS = {
    "docker": "/usr/bin/docker",
    "kind": "/usr/local/bin/kind",
    "kubectl": "/usr/local/bin/kubectl",
    "cloud-provider-kind": "/usr/local/bin/cloud-provider-kind",
}

GOOD_VERSIONS: list[tuple[tuple[str, ...], CommandResult]] = [
    (("docker", "version"), CommandResult((), 0, "28.2.2\n")),
    (("docker", "info"), CommandResult((), 0, "28.2.2\n")),
    (("kind", "version"), CommandResult((), 0, "kind v0.33.0 go1.25.1 linux/amd64\n")),
    (
        ("kubectl", "version"),
        CommandResult((), 0, json.dumps({"clientVersion": {"gitVersion": "v1.37.0"}})),
    ),
    (("cloud-provider-kind", "--version"), CommandResult((), 0, "cloud-provider-kind v0.11.1\n")),
]


RUNNING_NODES = "".join(
    f"{name}\trunning\n"
    for name in (
        "kube-tutor-control-plane",
        "kube-tutor-worker",
        "kube-tutor-worker2",
        "kube-tutor-worker3",
    )
)
"""`docker ps -a --filter label=io.x-k8s.kind.cluster=kube-tutor --format '{{.Names}}\t{{.State}}'`
of a complete cluster (kind labels node containers so: providers/docker/constants.go)."""


@dataclass
class FakeKube:
    """Stands in for KubeCluster in lifecycle tests."""

    ready: bool = True
    classes: bool = True
    namespaces: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)

    def wait_for(
        self, kind: str, namespace: str | None, predicate: Callable[[list[Any]], bool], t: float
    ) -> bool:
        self.waits.append(kind)
        if kind == "Node":
            return self.ready
        return self.classes

    def list(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return []

    def lab_namespaces(self) -> list[str]:
        return list(self.namespaces)

    def delete_namespace(self, name: str, *, wait: bool = True) -> None:
        self.deleted.append(name)


def lifecycle(
    tmp_path: Path,
    runner: FakeRunner,
    kube: FakeKube | None = None,
    **kwargs: Any,
) -> KindLifecycle:
    fake = kube or FakeKube()
    return KindLifecycle(runner, home=tmp_path, kube_factory=lambda: fake, **kwargs)


# -- versions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("kind v0.33.0 go1.25.1 linux/amd64", (0, 33, 0)),
        ("28.2.2", (28, 2, 2)),
        ("v1.37.0-gke.1", (1, 37, 0)),
        ("Docker version 27.1", (27, 1, 0)),
        ("no digits here", None),
    ],
)
def test_parse_version(text: str, version: tuple[int, int, int] | None) -> None:
    assert kind.parse_version(text) == version


def test_all_tools_present_and_recent(tmp_path: Path) -> None:
    runner = FakeRunner(ALL_TOOLS, GOOD_VERSIONS)
    checks = lifecycle(tmp_path, runner).check_tools()
    assert [c.tool.name for c in checks] == ["docker", "kind", "kubectl", "cloud-provider-kind"]
    assert all(c.ok for c in checks), [c.problem for c in checks]
    assert checks[1].version == (0, 33, 0)
    assert checks[2].version == (1, 37, 0)


def test_missing_tool_names_the_install_step(tmp_path: Path) -> None:
    runner = FakeRunner({**ALL_TOOLS, "kind": None}, GOOD_VERSIONS)
    check = lifecycle(tmp_path, runner).check_tool(kind.KIND)
    assert not check.ok
    assert "kind is not installed" in check.problem
    assert "go install sigs.k8s.io/kind@v0.33.0" in check.problem


def test_old_kind_is_refused_with_the_minimum(tmp_path: Path) -> None:
    script = [(("kind", "version"), CommandResult((), 0, "kind v0.29.0 go1.24 linux/amd64"))]
    runner = FakeRunner(ALL_TOOLS, script)
    check = lifecycle(tmp_path, runner).check_tool(kind.KIND)
    assert not check.ok
    assert "0.29.0 is too old" in check.problem and "0.33.0 or newer" in check.problem


def test_old_kubectl_read_from_json(tmp_path: Path) -> None:
    out = json.dumps({"clientVersion": {"gitVersion": "v1.32.4-dispatcher"}})
    runner = FakeRunner(ALL_TOOLS, [(("kubectl", "version"), CommandResult((), 0, out))])
    check = lifecycle(tmp_path, runner).check_tool(kind.KUBECTL)
    assert check.version == (1, 32, 4)
    assert not check.ok and "1.36.0 or newer" in check.problem


def test_docker_version_is_read_even_when_its_engine_is_down(tmp_path: Path) -> None:
    down = CommandResult((), 1, "28.2.2\n", "Cannot connect to the Docker daemon")
    runner = FakeRunner(ALL_TOOLS, [(("docker", "version"), down)])
    check = lifecycle(tmp_path, runner).check_tool(kind.DOCKER)
    assert check.ok and check.version == (28, 2, 2)


def test_cloud_provider_without_version_flag_is_a_warning(tmp_path: Path) -> None:
    usage = CommandResult((), 2, "", "flag provided but not defined: -version\n  -v int (0.0.0)")
    runner = FakeRunner(ALL_TOOLS, [(("cloud-provider-kind", "--version"), usage)])
    check = lifecycle(tmp_path, runner).check_tool(kind.CLOUD_PROVIDER_KIND)
    assert check.ok and check.version is None
    assert "0.9.0" in check.warning


def test_podman_is_used_when_docker_is_absent(tmp_path: Path) -> None:
    tools = {**ALL_TOOLS, "docker": None, "podman": "/usr/bin/podman"}
    runner = FakeRunner(tools)
    life = lifecycle(tmp_path, runner)
    assert life.engine() is kind.PODMAN
    life.cluster_exists()
    assert runner.calls[-1].env == {"KIND_EXPERIMENTAL_PROVIDER": "podman"}


# -- up -----------------------------------------------------------------------------------


def test_up_without_docker_fails_with_every_problem_and_runs_nothing_else(
    tmp_path: Path,
) -> None:
    runner = FakeRunner({**ALL_TOOLS, "docker": None})
    reports: list[Progress] = []
    with pytest.raises(ToolError) as caught:
        lifecycle(tmp_path, runner).up(reports.append)
    assert "docker is not installed" in caught.value.message
    assert "docs.docker.com" in caught.value.message
    assert "--backend sim" in caught.value.hint
    assert not any(argv[:2] == ("kind", "create") for argv in runner.argvs())
    assert reports[-1].state == "fail"


def test_up_with_engine_down_says_to_start_it(tmp_path: Path) -> None:
    script = [
        (("docker", "info"), CommandResult((), 1, "", "Cannot connect to the Docker daemon")),
        *GOOD_VERSIONS,
    ]
    runner = FakeRunner(ALL_TOOLS, script)
    with pytest.raises(ToolError) as caught:
        lifecycle(tmp_path, runner).up()
    assert "engine is not running" in caught.value.message
    assert "Cannot connect to the Docker daemon" in caught.value.message


def test_up_runs_the_steps_in_order(tmp_path: Path) -> None:
    not_here = CommandResult((), 1, "", "Error: No such image")
    runner = FakeRunner(ALL_TOOLS, [(("docker", "image", "inspect"), not_here), *GOOD_VERSIONS])
    kube = FakeKube()
    reports: list[Progress] = []
    life = lifecycle(tmp_path, runner, kube, platform="linux")
    life.up(reports.append)

    argvs = runner.argvs()
    create = argvs.index(
        (
            "kind",
            "create",
            "cluster",
            "--name",
            "kube-tutor",
            "--config",
            str(tmp_path / "kind-config.yaml"),
            "--wait",
            "120s",
        )
    )
    background = [c for c in runner.calls if c.background]
    assert [c.argv for c in background] == [("cloud-provider-kind",)]
    assert background[0].log == tmp_path / "cloud-provider-kind.log"
    assert (tmp_path / "cloud-provider-kind.pid").read_text().strip() == "4242"
    pull = argvs.index(("docker", "pull", kind.AGNHOST_IMAGE))
    load = argvs.index(("kind", "load", "docker-image", kind.AGNHOST_IMAGE, "--name", "kube-tutor"))
    assert create < pull < load
    assert kube.waits == ["Node", "GatewayClass", "IngressClass"]
    written = (tmp_path / "kind-config.yaml").read_text()
    assert written == kind.kind_config_yaml()
    done = [r.step for r in reports if r.state in ("done", "skip")]
    assert done == [1, 2, 3, 4, 5, 6]
    assert all(r.total == 6 for r in reports)


def test_up_reuses_an_existing_cluster_and_running_cloud_provider(tmp_path: Path) -> None:
    script = [
        (("kind", "get", "clusters"), CommandResult((), 0, "other\nkube-tutor\n")),
        (("docker", "ps"), CommandResult((), 0, RUNNING_NODES)),
        (("docker", "image", "inspect"), CommandResult((), 0, "48200000")),
        *GOOD_VERSIONS,
    ]
    runner = FakeRunner(ALL_TOOLS, script)
    runner.alive.add(777)
    (tmp_path / "cloud-provider-kind.pid").write_text("777\n")
    reports: list[Progress] = []
    lifecycle(tmp_path, runner).up(reports.append)
    argvs = runner.argvs()
    assert not any(a[:2] == ("kind", "create") for a in argvs)
    assert not any(c.background for c in runner.calls)
    assert not any(a[:2] == ("docker", "pull") for a in argvs)  # already present
    assert ("kind", "load", "docker-image", kind.AGNHOST_IMAGE, "--name", "kube-tutor") in argvs
    skipped = [r.detail for r in reports if r.state == "skip"]
    assert any("already exists" in d for d in skipped)
    assert any("pid 777" in d for d in skipped)


def test_up_preloads_images_of_the_labs_too(tmp_path: Path) -> None:
    runner = FakeRunner(ALL_TOOLS, GOOD_VERSIONS)
    lifecycle(tmp_path, runner, images=["nginx:1.27", kind.AGNHOST_IMAGE]).up()
    loads = [a[3] for a in runner.argvs() if a[:3] == ("kind", "load", "docker-image")]
    assert loads == [kind.AGNHOST_IMAGE, "nginx:1.27"]


def test_up_without_cloud_provider_skips_it(tmp_path: Path) -> None:
    runner = FakeRunner({**ALL_TOOLS, "cloud-provider-kind": None}, GOOD_VERSIONS)
    kube = FakeKube()
    life = lifecycle(tmp_path, runner, kube, cloud_provider=False)
    life.up()
    assert not any(c.background for c in runner.calls)
    assert kube.waits == ["Node"]
    assert len(life.up_steps()) == 4


def test_up_on_linux_starts_cloud_provider_without_port_mapping(tmp_path: Path) -> None:
    runner = FakeRunner(ALL_TOOLS, GOOD_VERSIONS)
    lifecycle(tmp_path, runner, platform="linux", wsl2=False, elevated=False).up()
    background = [c.argv for c in runner.calls if c.background]
    assert background == [("cloud-provider-kind",)]


def test_up_fails_clearly_when_kind_create_fails(tmp_path: Path) -> None:
    script = [
        (("kind", "create"), CommandResult((), 1, "", "ERROR: failed to create cluster: boom")),
        *GOOD_VERSIONS,
    ]
    runner = FakeRunner(ALL_TOOLS, script)
    with pytest.raises(ToolError) as caught:
        lifecycle(tmp_path, runner).up()
    assert "boom" in caught.value.message
    assert "removes a half-created cluster" in caught.value.hint


def test_up_fails_when_nodes_never_get_ready(tmp_path: Path) -> None:
    runner = FakeRunner(ALL_TOOLS, GOOD_VERSIONS)
    with pytest.raises(ToolError, match="Ready"):
        lifecycle(tmp_path, runner, FakeKube(ready=False)).up(timeout=1)


def test_up_fails_when_classes_are_missing(tmp_path: Path) -> None:
    runner = FakeRunner(ALL_TOOLS, GOOD_VERSIONS)
    with pytest.raises(ToolError) as caught:
        lifecycle(tmp_path, runner, FakeKube(classes=False)).up()
    assert "GatewayClass and IngressClass" in caught.value.message
    assert "cloud-provider-kind.log" in caught.value.hint


def test_cloud_provider_that_dies_at_once_is_reported(tmp_path: Path) -> None:
    class DyingRunner(FakeRunner):
        def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
            result = super().run(argv, **kwargs)
            self.alive.clear()
            return result

    runner = DyingRunner(ALL_TOOLS, GOOD_VERSIONS)
    with pytest.raises(ToolError, match="stopped right after"):
        lifecycle(tmp_path, runner).start_cloud_provider()


# -- dry run, down, status, clean ---------------------------------------------------------


def test_dry_run_prints_config_and_steps_and_runs_nothing_that_changes(tmp_path: Path) -> None:
    runner = FakeRunner(ALL_TOOLS)
    text = lifecycle(tmp_path, runner).dry_run()
    assert "extraPortMappings" in text and "zone-c" in text
    assert "kind create cluster --name kube-tutor" in text
    assert "kind load docker-image registry.k8s.io/e2e-test-images/agnhost:2.39" in text
    # only read-only questions to the engine (its image store, for the load commands)
    assert {c.argv[:2] for c in runner.calls} <= {("docker", "info"), ("docker", "version")}
    assert not (tmp_path / "kind-config.yaml").exists()


def test_down_stops_cloud_provider_and_deletes_the_cluster(tmp_path: Path) -> None:
    runner = FakeRunner(ALL_TOOLS)
    runner.alive.add(999)
    (tmp_path / "cloud-provider-kind.pid").write_text("999")
    lifecycle(tmp_path, runner).down()
    assert runner.stopped == [999]
    assert runner.argvs() == [("kind", "delete", "cluster", "--name", "kube-tutor")]
    assert not (tmp_path / "cloud-provider-kind.pid").exists()


def test_down_never_stops_a_process_that_is_not_cloud_provider(tmp_path: Path) -> None:
    runner = FakeRunner(ALL_TOOLS)  # pid 999 is not alive as cloud-provider-kind
    (tmp_path / "cloud-provider-kind.pid").write_text("999")
    lifecycle(tmp_path, runner).down()
    assert runner.stopped == []


def test_cloud_provider_started_by_the_learner_is_found_but_not_stopped(tmp_path: Path) -> None:
    runner = FakeRunner(ALL_TOOLS, GOOD_VERSIONS)
    runner.procs = [(31337, ["sudo", "cloud-provider-kind"]), (31338, ["cloud-provider-kind"])]
    life = lifecycle(tmp_path, runner)
    assert life.cloud_provider_pid() == 31337
    life.up()
    assert not any(c.background for c in runner.calls)  # reused, not started again
    life.down()
    assert runner.stopped == []


def test_status_without_engine_lists_every_capability_as_missing(tmp_path: Path) -> None:
    script = [(("docker", "info"), CommandResult((), 1, "", "Cannot connect"))]
    status = lifecycle(tmp_path, FakeRunner(ALL_TOOLS, script)).status()
    assert status.engine is None and "not running" in status.engine_problem
    assert not status.cluster_exists
    assert set(status.missing) == set(kind.CAPABILITIES)
    text = "\n".join(status.lines())
    assert "[--] loadbalancer" in text and "not created" in text


def test_clean_deletes_only_the_lab_namespaces_it_is_given(tmp_path: Path) -> None:
    kube = FakeKube(namespaces=["kt-01-first", "kt-02-second"])
    removed = lifecycle(tmp_path, FakeRunner(ALL_TOOLS), kube).clean()
    assert removed == kube.deleted == ["kt-01-first", "kt-02-second"]


def test_real_runner_reports_missing_programs_without_raising(tmp_path: Path) -> None:
    result = Runner().run(["kube-tutor-no-such-program-xyz"], timeout=5)
    assert result.returncode == 127 and not result.ok
