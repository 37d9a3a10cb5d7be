"""The kind practice cluster's lifecycle: tools, config, `up`, `down`, `status` and `clean`."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from tutor.cluster.base import LAB_LABEL, ClusterError, Obj

CLUSTER_NAME = "kube-tutor"
"""Name of the kind cluster kube-tutor creates."""
CONTEXT_NAME = f"kind-{CLUSTER_NAME}"
"""The kubeconfig context kind writes for it."""
NODE_IMAGE = (
    "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5"
)
"""The node image, pinned by digest (the default image of kind v0.33.0)."""
ZONE_LABEL = "topology.kubernetes.io/zone"
NODE_ZONES: tuple[tuple[str, str], ...] = (
    ("control-plane", "zone-a"),
    ("worker", "zone-a"),
    ("worker", "zone-b"),
    ("worker", "zone-c"),
)
"""Role and zone of each node, in order (node names: kube-tutor-control-plane, -worker,
-worker2, -worker3)."""
NODEPORTS: tuple[int, ...] = tuple(range(30080, 30090))
"""NodePorts labs use; each is mapped to the same port on 127.0.0.1 of the learner's machine."""
PORT_MAPPING_ADDRESS = "127.0.0.1"
AGNHOST_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.39"
PRELOAD_IMAGES: tuple[str, ...] = (AGNHOST_IMAGE,)
"""Images every lab may use (the probe Pod among them); lab manifests can add more."""
CLASS_NAME = "cloud-provider-kind"
"""The GatewayClass and IngressClass cloud-provider-kind creates."""
CAPABILITIES = ("nodeport-host", "loadbalancer", "ingress", "gateway", "zones", "dns")


# -- versions and tools -------------------------------------------------------------------

Version = tuple[int, int, int]

_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str) -> Version | None:
    """The first `X.Y[.Z]` in a tool's output (`kind v0.33.0 go1.25 ...` -> (0, 33, 0))."""
    match = _VERSION_RE.search(text)
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def format_version(version: Version) -> str:
    """`(0, 33, 0)` -> `0.33.0`."""
    return ".".join(str(part) for part in version)


@dataclass(frozen=True)
class Tool:
    """A program `cluster up` needs, how to read its version, and how to install it."""

    name: str
    command: str
    version_args: tuple[str, ...]
    minimum: Version
    install: str
    """The install step shown when it is missing or too old."""
    why: str
    """What kube-tutor needs it for."""


DOCKER = Tool(
    "docker",
    "docker",
    ("version", "--format", "{{.Client.Version}}"),
    (20, 10, 0),
    "Install Docker Engine (Linux: https://docs.docker.com/engine/install/) or Docker Desktop "
    "(macOS/Windows: https://docs.docker.com/desktop/), then start it.",
    "kind runs each node of the practice cluster as a container",
)
PODMAN = Tool(
    "podman",
    "podman",
    ("version", "--format", "{{.Client.Version}}"),
    (4, 0, 0),
    "Install podman (https://podman.io/docs/installation) and start its machine/service.",
    "kind runs each node of the practice cluster as a container",
)
KIND = Tool(
    "kind",
    "kind",
    ("version",),
    (0, 33, 0),
    "Install kind v0.33.0 or newer: `go install sigs.k8s.io/kind@v0.33.0`, `brew install kind`, "
    "or a release binary (https://kind.sigs.k8s.io/docs/user/quick-start/#installation).",
    "it creates the practice cluster (the pinned node image was built for kind v0.33.0)",
)
KUBECTL = Tool(
    "kubectl",
    "kubectl",
    ("version", "--client", "-o", "json"),
    (1, 36, 0),
    "Install kubectl 1.36 or newer (https://kubernetes.io/docs/tasks/tools/), e.g. "
    "`brew install kubectl`.",
    "labs ask you to look at the cluster with it, and the cluster runs Kubernetes 1.37",
)
CLOUD_PROVIDER_KIND = Tool(
    "cloud-provider-kind",
    "cloud-provider-kind",
    ("--version",),
    (0, 9, 0),
    "Install cloud-provider-kind v0.9.0 or newer: "
    "`go install sigs.k8s.io/cloud-provider-kind@latest`, `brew install cloud-provider-kind`, "
    "or a release binary (https://github.com/kubernetes-sigs/cloud-provider-kind/releases).",
    "it gives the cluster LoadBalancer addresses, Ingress and Gateway API",
)


@dataclass(frozen=True)
class ToolCheck:
    """What was found for one tool."""

    tool: Tool
    path: str | None
    version: Version | None
    ok: bool
    problem: str = ""
    """Empty when fine; otherwise what is wrong and the install step."""
    warning: str = ""
    """A note that does not stop `up` (e.g. a version that could not be read)."""

    @property
    def summary(self) -> str:
        """`kind 0.33.0 (/usr/local/bin/kind)` or the problem."""
        if self.problem:
            return self.problem
        shown = format_version(self.version) if self.version else "version unknown"
        return f"{self.tool.name} {shown} ({self.path})"


# -- running programs ----------------------------------------------------------------------


@dataclass(frozen=True)
class CommandResult:
    """How a program run ended."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """True when it exited 0."""
        return self.returncode == 0


class Runner:
    """The one place kube-tutor runs other programs; tests swap in a recording one."""

    def which(self, command: str) -> str | None:
        """Full path of a program on PATH, or None."""
        return shutil.which(command)

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 600.0,
        env: Mapping[str, str] | None = None,
        log: Path | None = None,
        background: bool = False,
    ) -> CommandResult:
        """Run a program and wait for it; or, with `background`, start it detached with its
        output appended to `log` (the result's stdout is then its process id)."""
        full_env = {**os.environ, **env} if env else None
        if background:
            if log is None:
                raise ValueError("a background program needs a log file")
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("ab") as out:
                process = subprocess.Popen(  # noqa: S603 - argv built by kube-tutor, no shell
                    list(argv),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=full_env,
                    start_new_session=True,
                )
            return CommandResult(tuple(argv), 0, str(process.pid))
        try:
            done = subprocess.run(  # noqa: S603 - argv built by kube-tutor, no shell
                list(argv),
                capture_output=True,
                text=True,
                timeout=timeout,
                env=full_env,
                check=False,
            )
        except FileNotFoundError:
            return CommandResult(tuple(argv), 127, "", f"{argv[0]}: not found")
        except subprocess.TimeoutExpired:
            return CommandResult(tuple(argv), 124, "", f"{argv[0]}: no answer in {timeout:.0f} s")
        return CommandResult(tuple(argv), done.returncode, done.stdout, done.stderr)

    def process_alive(self, pid: int, name: str) -> bool:
        """True when process `pid` runs and its command contains `name`."""
        try:
            os.kill(pid, 0)
        except (OSError, ValueError):
            return False
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists():
            return name in cmdline.read_bytes().decode(errors="replace")
        result = self.run(["ps", "-p", str(pid), "-o", "command="], timeout=10)
        return result.ok and name in result.stdout

    def stop(self, pid: int) -> None:
        """Ask a process to stop (SIGTERM)."""
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)

    def sleep(self, seconds: float) -> None:
        """Wait (only while a background program starts; cluster waits use watches)."""
        time.sleep(seconds)


# -- progress ------------------------------------------------------------------------------

StepState = Literal["start", "done", "skip", "fail"]


@dataclass(frozen=True)
class Progress:
    """One report while `up`/`down`/`clean` work."""

    step: int
    total: int
    title: str
    state: StepState
    detail: str = ""


ProgressFn = Callable[[Progress], None]


def _ignore(_: Progress) -> None:
    return None


class ToolError(ClusterError):
    """A program kube-tutor needs is missing, too old, or failed."""

    reason = "tool"


# -- paths ---------------------------------------------------------------------------------


def data_dir() -> Path:
    """kube-tutor's folder in the user data dir (or `$KUBE_TUTOR_HOME`)."""
    home = os.environ.get("KUBE_TUTOR_HOME")
    if home:
        return Path(home)
    from platformdirs import user_data_dir

    return Path(user_data_dir("kube-tutor", appauthor=False))


# -- config --------------------------------------------------------------------------------


def kind_config(
    *,
    name: str = CLUSTER_NAME,
    image: str = NODE_IMAGE,
    nodeports: Iterable[int] = NODEPORTS,
) -> dict[str, Any]:
    """The kind cluster config: 1 control-plane + 3 workers with zone labels, the pinned node
    image, and the labs' NodePorts mapped to 127.0.0.1 on the control-plane node."""
    nodes: list[dict[str, Any]] = []
    for role, zone in NODE_ZONES:
        node: dict[str, Any] = {"role": role, "image": image, "labels": {ZONE_LABEL: zone}}
        if role == "control-plane":
            node["extraPortMappings"] = [
                {
                    "containerPort": port,
                    "hostPort": port,
                    "listenAddress": PORT_MAPPING_ADDRESS,
                    "protocol": "TCP",
                }
                for port in nodeports
            ]
        nodes.append(node)
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": name,
        "networking": {"ipFamily": "ipv4", "kubeProxyMode": "iptables"},
        "nodes": nodes,
    }


def kind_config_yaml(**kwargs: Any) -> str:
    """The kind config as YAML text."""
    header = (
        "# kind config written by kube-tutor: 1 control-plane + 3 workers in zones\n"
        "# zone-a/zone-a/zone-b/zone-c; NodePorts 30080-30089 reachable on 127.0.0.1.\n"
    )
    return header + yaml.safe_dump(kind_config(**kwargs), sort_keys=False)


def lab_images(manifests: Iterable[Obj]) -> list[str]:
    """Container images named in manifests (Pod templates and bare Pods), first-seen order."""
    found: dict[str, None] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("initContainers", "containers"):
                for container in node.get(key) or []:
                    if isinstance(container, dict) and isinstance(container.get("image"), str):
                        found.setdefault(container["image"], None)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for manifest in manifests:
        visit(manifest)
    return list(found)


# -- capabilities --------------------------------------------------------------------------


def capabilities_from(
    nodes: Sequence[Obj],
    ingress_classes: Sequence[Obj],
    gateway_classes: Sequence[Obj],
    *,
    cloud_provider_running: bool,
    host_reaches_nodeports: bool = True,
) -> dict[str, str]:
    """Which lab capabilities work, each with the reason, from what the cluster shows.

    Returns `{capability: reason}` for the capabilities that work; the ones missing from
    the result do not (see `missing_reasons`)."""
    works: dict[str, str] = {}
    ready = [n for n in nodes if _node_ready(n)]
    if ready:
        works["dns"] = "the cluster answers and CoreDNS runs in it"
        if host_reaches_nodeports:
            works["nodeport-host"] = (
                f"NodePorts {NODEPORTS[0]}-{NODEPORTS[-1]} are mapped to {PORT_MAPPING_ADDRESS}"
            )
    zones = {n.get("metadata", {}).get("labels", {}).get(ZONE_LABEL) for n in nodes}
    zones.discard(None)
    if len(zones) >= 2:
        works["zones"] = f"nodes are labelled in {len(zones)} zones"
    if cloud_provider_running and ready:
        works["loadbalancer"] = "cloud-provider-kind gives LoadBalancer Services an address"
        names = {c.get("metadata", {}).get("name") for c in ingress_classes}
        if CLASS_NAME in names:
            works["ingress"] = f"IngressClass {CLASS_NAME} exists"
        names = {c.get("metadata", {}).get("name") for c in gateway_classes}
        if CLASS_NAME in names:
            works["gateway"] = f"GatewayClass {CLASS_NAME} exists"
    return works


def missing_reasons(
    works: Mapping[str, str], *, cloud_provider_running: bool, cluster_running: bool = True
) -> dict[str, str]:
    """Why each capability absent from `works` does not work, and what to do."""
    if not cluster_running:
        down = "the cluster is not running: run `kube-tutor cluster up`"
        return {cap: down for cap in CAPABILITIES if cap not in works}
    why = {
        "dns": "the cluster is not running: run `kube-tutor cluster up`",
        "nodeport-host": "the cluster is not running: run `kube-tutor cluster up`",
        "zones": "the nodes carry no zone labels (recreate with `kube-tutor cluster up`)",
        "loadbalancer": "cloud-provider-kind is not running: run `kube-tutor cluster up`",
        "ingress": (
            f"IngressClass {CLASS_NAME} is missing (cloud-provider-kind v0.9.0+ creates it)"
            if cloud_provider_running
            else "cloud-provider-kind is not running: run `kube-tutor cluster up`"
        ),
        "gateway": (
            f"GatewayClass {CLASS_NAME} is missing (cloud-provider-kind v0.8.0+ creates it)"
            if cloud_provider_running
            else "cloud-provider-kind is not running: run `kube-tutor cluster up`"
        ),
    }
    return {cap: why[cap] for cap in CAPABILITIES if cap not in works}


def _node_ready(node: Obj) -> bool:
    for condition in node.get("status", {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return bool(condition.get("status") == "True")
    return False


# -- status --------------------------------------------------------------------------------


@dataclass
class ClusterStatus:
    """What runs and what labs can use."""

    engine: str | None = None
    """`docker` or `podman` when its engine answers."""
    engine_problem: str = ""
    cluster_exists: bool = False
    nodes: list[tuple[str, bool, str]] = field(default_factory=list)
    """(name, ready, zone) of each node."""
    cloud_provider_pid: int | None = None
    capabilities: dict[str, str] = field(default_factory=dict)
    """Working capabilities and why."""
    missing: dict[str, str] = field(default_factory=dict)
    """Capabilities that do not work and why."""
    problem: str = ""

    def lines(self) -> list[str]:
        """The status as plain lines for the CLI."""
        out = [
            f"container engine: {self.engine}"
            if self.engine
            else f"container engine: not available. {self.engine_problem}",
            f"kind cluster {CLUSTER_NAME}: {'exists' if self.cluster_exists else 'not created'}",
        ]
        for name, ready, zone in self.nodes:
            out.append(f"  node {name}: {'Ready' if ready else 'NotReady'}, zone {zone or '-'}")
        pid = self.cloud_provider_pid
        out.append(f"cloud-provider-kind: {f'running (pid {pid})' if pid else 'not running'}")
        if self.problem:
            out.append(f"problem: {self.problem}")
        out.append("lab capabilities:")
        for cap in CAPABILITIES:
            if cap in self.capabilities:
                out.append(f"  [ok] {cap}: {self.capabilities[cap]}")
            else:
                out.append(f"  [--] {cap}: {self.missing.get(cap, 'not available')}")
        return out


# -- the lifecycle -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of `up`."""

    title: str
    commands: tuple[str, ...] = ()
    """The commands it runs, as shown by `--dry-run`."""


class KindLifecycle:
    """Creates, inspects and removes the kube-tutor kind cluster and cloud-provider-kind."""

    def __init__(
        self,
        runner: Runner | None = None,
        *,
        home: Path | None = None,
        images: Sequence[str] = PRELOAD_IMAGES,
        cloud_provider: bool = True,
        kube_factory: Callable[[], Any] | None = None,
        platform: str | None = None,
    ) -> None:
        self.runner = runner or Runner()
        self.home = home or data_dir()
        self.images = list(dict.fromkeys([*PRELOAD_IMAGES, *images]))
        self.cloud_provider = cloud_provider
        self.platform = platform or sys.platform
        self._kube_factory = kube_factory
        self._engine: Tool | None = None

    # -- files ---------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        """Where the generated kind config is written."""
        return self.home / "kind-config.yaml"

    @property
    def cloud_provider_log(self) -> Path:
        """cloud-provider-kind's log."""
        return self.home / "cloud-provider-kind.log"

    @property
    def cloud_provider_pidfile(self) -> Path:
        """The id of the cloud-provider-kind process kube-tutor started."""
        return self.home / "cloud-provider-kind.pid"

    # -- tools ---------------------------------------------------------------------------

    def engine(self) -> Tool:
        """docker, or podman when only podman is installed (kind then uses its podman
        provider)."""
        if self._engine is None:
            has_docker = self.runner.which(DOCKER.command) is not None
            has_podman = self.runner.which(PODMAN.command) is not None
            self._engine = PODMAN if has_podman and not has_docker else DOCKER
        return self._engine

    def _env(self) -> dict[str, str]:
        return {"KIND_EXPERIMENTAL_PROVIDER": "podman"} if self.engine() is PODMAN else {}

    def check_tool(self, tool: Tool) -> ToolCheck:
        """Is the tool there, and recent enough?"""
        path = self.runner.which(tool.command)
        if path is None:
            return ToolCheck(
                tool, None, None, False, f"{tool.name} is not installed; {tool.why}. {tool.install}"
            )
        result = self.runner.run([tool.command, *tool.version_args], timeout=30)
        version: Version | None = None
        if tool is KUBECTL:
            version = _kubectl_version(result.stdout)
        elif result.ok or tool is not CLOUD_PROVIDER_KIND:
            # docker prints its client version even when its engine is down (exit 1);
            # cloud-provider-kind's usage text on an unknown flag must not be read as one.
            version = parse_version(result.stdout)
        if tool is CLOUD_PROVIDER_KIND and version is None:
            # Some builds have no version flag; the IngressClass/GatewayClass check after
            # start-up tells whether it is recent enough.
            return ToolCheck(
                tool,
                path,
                None,
                True,
                warning=(
                    f"could not read the version of {tool.name}; it needs "
                    f"v{format_version(tool.minimum)} or newer for Ingress and Gateway labs"
                ),
            )
        if version is None:
            return ToolCheck(
                tool,
                path,
                None,
                False,
                f"{tool.name} at {path} did not tell its version "
                f"(`{' '.join([tool.command, *tool.version_args])}` failed). {tool.install}",
            )
        if version < tool.minimum:
            return ToolCheck(
                tool,
                path,
                version,
                False,
                f"{tool.name} {format_version(version)} is too old; kube-tutor needs "
                f"{format_version(tool.minimum)} or newer ({tool.why}). {tool.install}",
            )
        return ToolCheck(tool, path, version, True)

    def check_engine_running(self) -> str:
        """Empty when the container engine answers; otherwise what to do."""
        engine = self.engine()
        result = self.runner.run(
            [engine.command, "info", "--format", "{{.ServerVersion}}"], timeout=30
        )
        if result.ok:
            return ""
        detail = (result.stderr or result.stdout).strip().splitlines()
        reason = detail[-1] if detail else "no answer"
        return (
            f"{engine.name} is installed but its engine is not running ({reason}). "
            f"Start Docker Desktop or the docker service (`sudo systemctl start docker`), "
            f"or podman's machine (`podman machine start`), then try again."
        )

    def check_tools(self) -> list[ToolCheck]:
        """Every tool `up` needs, in order."""
        tools = [self.engine(), KIND, KUBECTL]
        if self.cloud_provider:
            tools.append(CLOUD_PROVIDER_KIND)
        return [self.check_tool(tool) for tool in tools]

    # -- steps ---------------------------------------------------------------------------

    def up_steps(self) -> list[Step]:
        """What `up` does, in order (also what `up --dry-run` shows)."""
        engine = self.engine().command
        steps = [
            Step(
                "check docker/podman, kind, kubectl"
                + (" and cloud-provider-kind" if self.cloud_provider else ""),
                (f"{engine} info", "kind version", "kubectl version --client"),
            ),
            Step(
                f"create the kind cluster {CLUSTER_NAME} (1 control-plane + 3 workers)",
                tuple(" ".join(argv) for argv in (self._create_argv(),)),
            ),
        ]
        if self.cloud_provider:
            steps.append(
                Step(
                    "start cloud-provider-kind in the background",
                    (f"{' '.join(self._cloud_provider_argv())} >> {self.cloud_provider_log}",),
                )
            )
        steps.append(Step("wait until all 4 nodes are Ready"))
        loads: list[str] = []
        for image in self.images:
            loads.append(f"{engine} pull {image}")
            loads.append(" ".join(self._load_argv(image)))
        steps.append(Step("preload the images labs use", tuple(loads)))
        if self.cloud_provider:
            steps.append(Step(f"check GatewayClass and IngressClass {CLASS_NAME}"))
        return steps

    def _create_argv(self) -> list[str]:
        return [
            "kind",
            "create",
            "cluster",
            "--name",
            CLUSTER_NAME,
            "--config",
            str(self.config_path),
            "--wait",
            "120s",
        ]

    def _load_argv(self, image: str) -> list[str]:
        return ["kind", "load", "docker-image", image, "--name", CLUSTER_NAME]

    def _cloud_provider_argv(self) -> list[str]:
        argv = ["cloud-provider-kind"]
        if self.platform != "linux":
            # Docker Desktop/podman machine: the kind network is not reachable from the
            # host, so publish each load balancer's port on the host as well.
            argv.append("--enable-lb-port-mapping")
        return argv

    def dry_run(self) -> str:
        """The kind config and the steps, as text, without running anything."""
        lines = [f"# {self.config_path}", kind_config_yaml().rstrip(), "", "Steps of `up`:"]
        for number, step in enumerate(self.up_steps(), start=1):
            lines.append(f"  {number}. {step.title}")
            lines.extend(f"       $ {command}" for command in step.commands)
        return "\n".join(lines)

    # -- up ------------------------------------------------------------------------------

    def up(self, progress: ProgressFn = _ignore, *, timeout: float = 300.0) -> None:
        """Create (or reuse) the cluster, start cloud-provider-kind, wait for the nodes,
        preload images and check the classes; raises `ToolError` with what to do."""
        steps = self.up_steps()
        total = len(steps)
        number = 0

        def report(state: StepState, detail: str = "") -> None:
            progress(Progress(number, total, steps[number - 1].title, state, detail))

        number = 1
        report("start")
        checks = self.check_tools()
        problems = [check.problem for check in checks if not check.ok]
        if checks[0].ok:
            engine_problem = self.check_engine_running()
            if engine_problem:
                problems.append(engine_problem)
        if problems:
            report("fail", f"{len(problems)} problem(s)")
            raise ToolError(
                "kube-tutor cannot create the practice cluster yet:\n"
                + "\n".join(f"  - {problem}" for problem in problems),
                hint="Fix these, then run `kube-tutor cluster up` again. "
                "Meanwhile the labs run on the built-in simulator: `--backend sim`.",
            )
        report("done", "; ".join(check.warning for check in checks if check.warning))

        number = 2
        report("start")
        if self.cluster_exists():
            report("skip", f"cluster {CLUSTER_NAME} already exists")
        else:
            self.home.mkdir(parents=True, exist_ok=True)
            self.config_path.write_text(kind_config_yaml(), encoding="utf-8")
            result = self.runner.run(self._create_argv(), timeout=900, env=self._env())
            if not result.ok:
                report("fail", _last_line(result))
                raise ToolError(
                    f"kind could not create the cluster: {_last_line(result)}",
                    hint="See the output of `kind create cluster` above; "
                    "`kube-tutor cluster down` cleans up a half-made cluster.",
                )
            report("done")

        if self.cloud_provider:
            number += 1
            report("start")
            pid = self.cloud_provider_pid()
            if pid is not None:
                report("skip", f"already running (pid {pid})")
            else:
                pid = self.start_cloud_provider()
                report("done", f"pid {pid}, log {self.cloud_provider_log}")

        number += 1
        report("start")
        kube = self._kube()
        deadline = time.monotonic() + timeout
        ok = kube.wait_for(
            "Node", None, lambda nodes: len(nodes) >= 4 and all(map(_node_ready, nodes)), timeout
        )
        if not ok:
            report("fail", "nodes not Ready in time")
            raise ToolError(
                f"The nodes did not become Ready within {timeout:.0f} s.",
                hint="Look at `kubectl get nodes` and `kubectl describe node`; "
                "then `kube-tutor cluster down` and `up` again.",
            )
        report("done")

        number += 1
        report("start")
        for image in self.images:
            self._preload(image)
        report("done", ", ".join(self.images))

        if self.cloud_provider:
            number += 1
            report("start")
            remaining = max(10.0, deadline - time.monotonic())
            missing = self._wait_classes(kube, remaining)
            if missing:
                report("fail", ", ".join(missing))
                raise ToolError(
                    f"cloud-provider-kind did not create {' and '.join(missing)} "
                    f"`{CLASS_NAME}` (Ingress needs v0.9.0+, Gateway API v0.8.0+).",
                    hint=f"Upgrade it ({CLOUD_PROVIDER_KIND.install}) and see its log: "
                    f"{self.cloud_provider_log}",
                )
            report("done")

    def _preload(self, image: str) -> None:
        engine = self.engine().command
        if not self.runner.run([engine, "image", "inspect", image], timeout=60).ok:
            pulled = self.runner.run([engine, "pull", image], timeout=900)
            if not pulled.ok:
                raise ToolError(
                    f"Could not download the image {image}: {_last_line(pulled)}",
                    hint="Check the network connection of your container engine, then retry.",
                )
        loaded = self.runner.run(self._load_argv(image), timeout=900, env=self._env())
        if not loaded.ok:
            raise ToolError(
                f"kind could not load {image} into the nodes: {_last_line(loaded)}",
                hint="Retry `kube-tutor cluster up`; the cluster itself is fine.",
            )

    def _wait_classes(self, kube: Any, timeout: float) -> list[str]:
        def has(objs: list[Obj]) -> bool:
            return any(o.get("metadata", {}).get("name") == CLASS_NAME for o in objs)

        missing = []
        deadline = time.monotonic() + timeout
        if not kube.wait_for("GatewayClass", None, has, timeout):
            missing.append("GatewayClass")
        if not kube.wait_for("IngressClass", None, has, max(1.0, deadline - time.monotonic())):
            missing.append("IngressClass")
        return missing

    # -- cloud-provider-kind -------------------------------------------------------------

    def cloud_provider_pid(self) -> int | None:
        """The pid of a running cloud-provider-kind: the one kube-tutor started, or one the
        learner started (e.g. with sudo on macOS), found by name."""
        own = self._own_cloud_provider_pid()
        if own is not None:
            return own
        found = self.runner.run(["pgrep", "-x", "cloud-provider-kind"], timeout=10)
        pids = [int(word) for word in found.stdout.split() if word.isdigit()] if found.ok else []
        return pids[0] if pids else None

    def _own_cloud_provider_pid(self) -> int | None:
        try:
            pid = int(self.cloud_provider_pidfile.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        return pid if self.runner.process_alive(pid, "cloud-provider-kind") else None

    def start_cloud_provider(self) -> int:
        """Start cloud-provider-kind detached, its output appended to the log; returns pid."""
        self.home.mkdir(parents=True, exist_ok=True)
        result = self.runner.run(
            self._cloud_provider_argv(),
            background=True,
            log=self.cloud_provider_log,
            env=self._env(),
        )
        pid = int(result.stdout)
        self.cloud_provider_pidfile.write_text(f"{pid}\n", encoding="utf-8")
        self.runner.sleep(1.0)  # let a bad binary fail fast, so we can say so now
        if not self.runner.process_alive(pid, "cloud-provider-kind"):
            raise ToolError(
                "cloud-provider-kind stopped right after it started.",
                hint=f"See its log: {self.cloud_provider_log}. On macOS and Windows it needs "
                "to run with sudo/as administrator.",
            )
        return pid

    def stop_cloud_provider(self) -> bool:
        """Stop the cloud-provider-kind kube-tutor started (never one it did not start);
        False when none ran."""
        pid = self._own_cloud_provider_pid()
        self.cloud_provider_pidfile.unlink(missing_ok=True)
        if pid is None:
            return False
        self.runner.stop(pid)
        return True

    # -- down, status, clean -------------------------------------------------------------

    def cluster_exists(self) -> bool:
        """True when `kind get clusters` lists kube-tutor."""
        result = self.runner.run(["kind", "get", "clusters"], timeout=60, env=self._env())
        return result.ok and CLUSTER_NAME in result.stdout.split()

    def down(self, progress: ProgressFn = _ignore) -> None:
        """Delete the cluster and stop cloud-provider-kind."""
        title = "stop cloud-provider-kind"
        progress(Progress(1, 2, title, "start"))
        if self.stop_cloud_provider():
            progress(Progress(1, 2, title, "done"))
        else:
            progress(Progress(1, 2, title, "skip", "it was not running"))
        title = f"delete the kind cluster {CLUSTER_NAME}"
        progress(Progress(2, 2, title, "start"))
        if self.runner.which("kind") is None:
            progress(Progress(2, 2, title, "skip", "kind is not installed"))
            return
        result = self.runner.run(
            ["kind", "delete", "cluster", "--name", CLUSTER_NAME], timeout=600, env=self._env()
        )
        if not result.ok:
            progress(Progress(2, 2, title, "fail", _last_line(result)))
            raise ToolError(f"kind could not delete the cluster: {_last_line(result)}")
        progress(Progress(2, 2, title, "done"))

    def status(self) -> ClusterStatus:
        """What runs and which lab capabilities work (never raises for a stopped cluster)."""
        status = ClusterStatus()
        if self.runner.which(self.engine().command) is None:
            status.engine_problem = f"{self.engine().name} is not installed"
        else:
            status.engine_problem = self.check_engine_running()
            if not status.engine_problem:
                status.engine = self.engine().name
        status.cloud_provider_pid = self.cloud_provider_pid()
        running = status.cloud_provider_pid is not None
        if status.engine and self.runner.which("kind"):
            status.cluster_exists = self.cluster_exists()
        if status.cluster_exists:
            try:
                kube = self._kube()
                nodes = kube.list("Node")
                status.nodes = [
                    (
                        n["metadata"]["name"],
                        _node_ready(n),
                        n["metadata"].get("labels", {}).get(ZONE_LABEL, ""),
                    )
                    for n in nodes
                ]
                status.capabilities = capabilities_from(
                    nodes,
                    _list_or_empty(kube, "IngressClass"),
                    _list_or_empty(kube, "GatewayClass"),
                    cloud_provider_running=running,
                )
            except ClusterError as exc:
                status.problem = str(exc)
        status.missing = missing_reasons(
            status.capabilities,
            cloud_provider_running=running,
            cluster_running=bool(status.nodes),
        )
        return status

    def clean(self, progress: ProgressFn = _ignore) -> list[str]:
        """Delete every namespace labelled `kube-tutor.dev/lab` (and nothing else)."""
        kube = self._kube()
        names = kube.lab_namespaces()
        for number, name in enumerate(names, start=1):
            progress(Progress(number, len(names), f"delete namespace {name}", "start"))
            kube.delete_namespace(name, wait=True)
            progress(Progress(number, len(names), f"delete namespace {name}", "done"))
        return list(names)

    def _kube(self) -> Any:
        if self._kube_factory is not None:
            return self._kube_factory()
        from tutor.cluster.connect import open_cluster

        return open_cluster("kind", None)


def _list_or_empty(kube: Any, kind: str) -> list[Obj]:
    try:
        return list(kube.list(kind))
    except ClusterError:
        return []


def _kubectl_version(stdout: str) -> Version | None:
    import json

    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    git_version = data.get("clientVersion", {}).get("gitVersion", "")
    return parse_version(git_version) if isinstance(git_version, str) else None


def _last_line(result: CommandResult) -> str:
    lines = [line for line in (result.stderr or result.stdout).strip().splitlines() if line]
    return lines[-1] if lines else f"exit code {result.returncode}"


__all__ = [
    "AGNHOST_IMAGE",
    "CLASS_NAME",
    "CLUSTER_NAME",
    "CONTEXT_NAME",
    "LAB_LABEL",
    "NODE_IMAGE",
    "ClusterStatus",
    "CommandResult",
    "KindLifecycle",
    "Progress",
    "Runner",
    "ToolCheck",
    "ToolError",
    "kind_config",
    "kind_config_yaml",
    "parse_version",
]
