"""The kind practice cluster's lifecycle: `up`, `down`, `status` and `clean`.

The facts about the cluster live in `kind_config`, the programs and their outputs in
`kind_tools`, what labs can use in `capabilities`; this module runs the steps, reporting
each (with the tools' own output passed through) and keeping a log file.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from tutor.cluster.base import LAB_LABEL, ClusterError, Obj
from tutor.cluster.capabilities import (
    CAPABILITIES,
    capabilities_from,
    missing_reasons,
    node_ready,
)
from tutor.cluster.kind_config import (
    AGNHOST_IMAGE,
    CLASS_NAME,
    CLUSTER_NAME,
    CONTEXT_NAME,
    ENVOY_IMAGE,
    KIND_CLUSTER_LABEL,
    NODE_IMAGE,
    NODE_ZONES,
    NODEPORTS,
    PORT_MAPPING_ADDRESS,
    PRELOAD_IMAGES,
    ZONE_LABEL,
    kind_config,
    kind_config_yaml,
    lab_images,
    node_names,
)
from tutor.cluster.kind_report import (
    ClusterStatus,
    Progress,
    ProgressFn,
    Step,
    StepReporter,
    StepState,
    ignore_progress,
)
from tutor.cluster.kind_tools import (
    CLOUD_PROVIDER_KIND,
    DOCKER,
    KIND,
    KUBECTL,
    PODMAN,
    CommandResult,
    ImageStore,
    Runner,
    Tool,
    ToolCheck,
    ToolError,
    Version,
    cloud_provider_needs_elevation,
    elevated_command,
    engine_arch_argv,
    engine_info_argv,
    find_program,
    format_version,
    image_store_argv,
    is_wsl2,
    last_line,
    parse_image_store,
    parse_version,
)
from tutor.core.dirs import data_dir

# -- the lifecycle -------------------------------------------------------------------------


ClusterHealth = Literal["absent", "complete", "stopped", "broken"]


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
        wsl2: bool | None = None,
        cloud_provider_wait: float = 0.0,
        elevated: bool | None = None,
    ) -> None:
        self.runner = runner or Runner()
        self.home = home or data_dir()
        self.images = list(dict.fromkeys([*PRELOAD_IMAGES, *images]))
        self.cloud_provider = cloud_provider
        self.platform = platform or sys.platform
        self.wsl2 = is_wsl2() if wsl2 is None else wsl2
        self.cloud_provider_wait = cloud_provider_wait
        """Seconds `up` waits for the learner to start cloud-provider-kind with sudo."""
        geteuid = getattr(os, "geteuid", None)
        self.elevated = (geteuid() == 0 if geteuid else False) if elevated is None else elevated
        self._kube_factory = kube_factory
        self._engine: Tool | None = None
        self._store: ImageStore | None = None
        self._arch: str | None = None

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

    @property
    def log_path(self) -> Path:
        """Everything `up` ran and every line it printed."""
        return self.home / "cluster-up.log"

    def _log(self, text: str) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a", encoding="utf-8") as out:
            out.write(text.rstrip("\n") + "\n")

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
        if not tool.version_args:
            return ToolCheck(
                tool,
                path,
                None,
                True,
                warning=(
                    f"{tool.name}'s version is checked by what it creates: GatewayClass and "
                    f"IngressClass `{CLASS_NAME}` (v{format_version(tool.minimum)} or newer)"
                ),
            )
        result = self.runner.run([tool.command, *tool.version_args], timeout=30)
        # docker prints its client version even when its engine is down (exit 1)
        version = (
            _kubectl_version(result.stdout) if tool is KUBECTL else parse_version(result.stdout)
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
        result = self.runner.run(engine_info_argv(engine.command), timeout=30)
        if result.ok and result.stdout.strip():
            return ""
        reason = last_line(result) if not result.ok else "it printed no server version"
        start = (
            "podman's machine (`podman machine start`)"
            if engine is PODMAN
            else "Docker Desktop or the docker service (`sudo systemctl start docker`)"
        )
        return (
            f"{engine.name} is installed but its engine is not running ({reason}). "
            f"Start {start}, then try again."
        )

    def check_tools(self) -> list[ToolCheck]:
        """Every tool `up` needs, in order."""
        tools = [self.engine(), KIND, KUBECTL]
        if self.cloud_provider:
            tools.append(CLOUD_PROVIDER_KIND)
        return [self.check_tool(tool) for tool in tools]

    def image_store(self) -> ImageStore:
        """Where the engine keeps images: Docker's classic store, its containerd image store
        (Docker Desktop's default, new Docker Engine installs), or podman."""
        if self._store is None:
            engine = self.engine().command
            if engine == "podman":
                self._store = "podman"
            else:
                result = self.runner.run(image_store_argv(engine), timeout=30)
                self._store = parse_image_store(engine, result.stdout) if result.ok else "unknown"
        return self._store

    def arch(self) -> str:
        """The engine's architecture (`amd64`, `arm64`): the platform of the nodes."""
        if self._arch is None:
            result = self.runner.run(engine_arch_argv(self.engine().command), timeout=30)
            word = result.stdout.strip() if result.ok else ""
            self._arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(word, word) or "amd64"
        return self._arch

    # -- steps ---------------------------------------------------------------------------

    def up_steps(self) -> list[Step]:
        """What `up` does, in order (also what `up --dry-run` shows)."""
        engine = self.engine().command
        steps = [
            Step(
                "check docker/podman, kind, kubectl"
                + (" and cloud-provider-kind" if self.cloud_provider else ""),
                (" ".join(engine_info_argv(engine)), "kind version", "kubectl version --client"),
            ),
            Step(
                f"create the kind cluster {CLUSTER_NAME} (1 control-plane + 3 workers)",
                (" ".join(self._create_argv()),),
            ),
        ]
        if self.cloud_provider:
            if self._needs_learner_start():
                how = f"(you start it: {elevated_command(self.platform)})"
            else:
                how = f"{' '.join(self._cloud_provider_argv())} >> {self.cloud_provider_log}"
            steps.append(Step("start cloud-provider-kind in the background", (how,)))
        steps.append(Step("wait until all 4 nodes are Ready"))
        loads: list[str] = []
        for image in self.images:
            loads += [" ".join(argv) for argv in self._load_plan(image, "/tmp/image.tar")]
        if self.cloud_provider:
            loads.append(f"{engine} pull {ENVOY_IMAGE}")
        steps.append(Step("download and preload the images labs use", tuple(loads)))
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

    def _cloud_provider_argv(self) -> list[str]:
        # No --enable-lb-port-mapping: on macOS, Windows and WSL2 cloud-provider-kind picks
        # its tunnel mode, which puts each LoadBalancer address on the host; the flag would
        # replace it with port mapping, and host probes to the address would time out
        # (cmd/app.go: Tunnel by platform, Portmap only when the flag is given).
        return ["cloud-provider-kind"]

    def _needs_learner_start(self) -> bool:
        return cloud_provider_needs_elevation(self.platform, self.wsl2) and not self.elevated

    def _load_plan(self, image: str, archive: str) -> list[list[str]]:
        """The commands that bring one image into the nodes, for this image store.

        `kind load docker-image` runs `docker save` on every image it is given (kind:
        pkg/cmd/kind/load/docker-image/docker-image.go, `save`): with the containerd image
        store that fails on multi-platform images (kind issue #3795), and with podman there
        is no docker CLI. So those save the node's platform to an archive and use
        `kind load image-archive`."""
        engine = self.engine().command
        store = self.image_store()
        load_archive = ["kind", "load", "image-archive", archive, "--name", CLUSTER_NAME]
        if store == "podman":
            return [
                ["podman", "pull", image],
                ["podman", "save", "--format", "docker-archive", "-o", archive, image],
                load_archive,
            ]
        if store == "containerd":
            platform = f"linux/{self.arch()}"
            return [
                [engine, "pull", "--platform", platform, image],
                [engine, "save", "--platform", platform, "-o", archive, image],
                load_archive,
            ]
        return [
            [engine, "pull", image],
            ["kind", "load", "docker-image", image, "--name", CLUSTER_NAME],
        ]

    def dry_run(self) -> str:
        """The kind config and the steps, as text, without running anything."""
        lines = [f"# {self.config_path}", kind_config_yaml().rstrip(), "", "Steps of `up`:"]
        for number, step in enumerate(self.up_steps(), start=1):
            lines.append(f"  {number}. {step.title}")
            lines.extend(f"       $ {command}" for command in step.commands)
        return "\n".join(lines)

    # -- up ------------------------------------------------------------------------------

    def up(self, progress: ProgressFn = ignore_progress, *, timeout: float = 300.0) -> None:
        """Create (or reuse, or repair) the cluster, start cloud-provider-kind, wait for the
        nodes, preload images and check the classes; raises `ToolError` with what to do.
        Every step is reported, tools' output passed through, and logged to `log_path`."""
        steps = self.up_steps()
        run = StepReporter(progress, len(steps), self._log)
        self._log(f"--- kube-tutor cluster up, {time.strftime('%Y-%m-%d %H:%M:%S')}")

        run.begin(steps[0].title)
        checks = self.check_tools()
        problems = [check.problem for check in checks if not check.ok]
        if checks[0].ok:
            engine_problem = self.check_engine_running()
            if engine_problem:
                problems.append(engine_problem)
        if problems:
            run.end("fail", f"{len(problems)} problem(s)")
            raise ToolError(
                "kube-tutor cannot create the practice cluster yet:\n"
                + "\n".join(f"  - {problem}" for problem in problems),
                hint="Fix these (`kube-tutor doctor` shows the fix for each), then run "
                "`kube-tutor cluster up` again. Meanwhile the labs run on the built-in "
                "simulator: `--backend sim`.",
            )
        run.end("done", "; ".join(check.warning for check in checks if check.warning))

        run.begin(steps[1].title)
        self._create_or_repair(run)

        if self.cloud_provider:
            run.begin(steps[2].title)
            self._cloud_provider_step(run)

        run.begin("wait until all 4 nodes are Ready")
        kube = self._kube()
        deadline = time.monotonic() + timeout
        ok = kube.wait_for(
            "Node", None, lambda nodes: len(nodes) >= 4 and all(map(node_ready, nodes)), timeout
        )
        if not ok:
            run.end("fail", "nodes not Ready in time")
            raise ToolError(
                f"The nodes did not become Ready within {timeout:.0f} s.",
                hint="Look at `kubectl get nodes` and `kubectl describe node`; "
                "then `kube-tutor cluster down` and `up` again.",
            )
        run.end("done")

        run.begin("download and preload the images labs use")
        sizes = [self._preload(image, run) for image in self.images]
        if self.cloud_provider:
            sizes.append(self._pull(ENVOY_IMAGE, run, platform=None))
        run.end("done", ", ".join(sizes))

        if self.cloud_provider:
            run.begin(steps[-1].title)
            remaining = max(10.0, deadline - time.monotonic())
            missing = self._wait_classes(kube, remaining, run)
            if missing:
                run.end("fail", ", ".join(missing))
                raise ToolError(
                    f"cloud-provider-kind did not create {' and '.join(missing)} "
                    f"`{CLASS_NAME}` (Ingress needs v0.9.0+, Gateway API v0.8.0+).",
                    hint=f"Upgrade it ({CLOUD_PROVIDER_KIND.install}) and see its log: "
                    f"{self.cloud_provider_log}",
                )
            run.end("done")

    def _create_or_repair(self, run: StepReporter) -> None:
        health, why = self.cluster_health()
        if health == "complete":
            self._ensure_context(run)
            run.end("skip", f"cluster {CLUSTER_NAME} already exists")
            return
        if health == "stopped":
            names = node_names()
            run.line(f"the cluster's nodes are stopped ({why}); starting them")
            started = self.runner.stream(
                [self.engine().command, "start", *names], run.line, timeout=300, env=self._env()
            )
            if started.ok:
                self._ensure_context(run)
                run.end("done", "restarted the stopped nodes")
                return
            health, why = "broken", f"the nodes would not start: {last_line(started)}"
        if health == "broken":
            run.line(f"found a half-created cluster {CLUSTER_NAME} ({why}); removing it first")
            self.runner.stream(
                ["kind", "delete", "cluster", "--name", CLUSTER_NAME],
                run.line,
                timeout=600,
                env=self._env(),
            )
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(kind_config_yaml(), encoding="utf-8")
        result = self.runner.stream(self._create_argv(), run.line, timeout=900, env=self._env())
        if not result.ok:
            run.end("fail", last_line(result))
            raise ToolError(
                f"kind could not create the cluster: {last_line(result)}",
                hint=f"kind's output is above and in {self.log_path}; run "
                "`kube-tutor cluster up` again: it removes a half-created cluster first.",
            )
        run.end("done")

    def cluster_health(self) -> tuple[ClusterHealth, str]:
        """Whether kube-tutor's cluster exists with all its nodes running, and why not."""
        if not self.cluster_exists():
            return "absent", "kind does not list it"
        engine = self.engine().command
        listed = self.runner.run(
            [
                engine,
                "ps",
                "-a",
                "--filter",
                f"label={KIND_CLUSTER_LABEL}={CLUSTER_NAME}",
                "--format",
                "{{.Names}}\t{{.State}}",
            ],
            timeout=60,
        )
        states = dict(line.split("\t", 1) for line in listed.stdout.splitlines() if "\t" in line)
        expected = node_names()
        missing = [name for name in expected if name not in states]
        if missing:
            return "broken", f"node container(s) {', '.join(missing)} missing"
        stopped = [name for name in expected if states[name].strip().lower() != "running"]
        if stopped:
            return "stopped", f"{', '.join(stopped)} not running"
        return "complete", ""

    def _ensure_context(self, run: StepReporter) -> None:
        from tutor.cluster.guard import kind_context_present

        if not kind_context_present():
            run.line(f"the kubeconfig has no context {CONTEXT_NAME}; asking kind to write it")
            self.runner.stream(
                ["kind", "export", "kubeconfig", "--name", CLUSTER_NAME],
                run.line,
                timeout=60,
                env=self._env(),
            )

    def _pull(self, image: str, run: StepReporter, *, platform: str | None) -> str:
        engine = self.engine().command
        present = self.runner.run(
            [engine, "image", "inspect", "--format", "{{.Size}}", image], timeout=60
        )
        if not present.ok:
            argv = [engine, "pull", *(["--platform", platform] if platform else []), image]
            pulled = self.runner.stream(argv, run.line, timeout=900)
            if not pulled.ok:
                run.end("fail", f"download of {image} failed")
                raise ToolError(
                    f"Could not download the image {image}: {last_line(pulled)}",
                    hint="Check the network connection of your container engine, then retry.",
                )
            present = self.runner.run(
                [engine, "image", "inspect", "--format", "{{.Size}}", image], timeout=60
            )
        short = image.rsplit("/", 1)[-1]
        size = present.stdout.strip()
        return f"{short} ({_megabytes(size)})" if size.isdigit() else short

    def _preload(self, image: str, run: StepReporter) -> str:
        store = self.image_store()
        platform = f"linux/{self.arch()}" if store == "containerd" else None
        shown = self._pull(image, run, platform=platform)
        with tempfile.TemporaryDirectory(prefix="kube-tutor-image-") as folder:
            archive = str(Path(folder) / "image.tar")
            for argv in self._load_plan(image, archive)[1:]:  # the pull was done above
                result = self.runner.stream(argv, run.line, timeout=900, env=self._env())
                if not result.ok:
                    run.end("fail", f"{image}: {last_line(result)}")
                    raise ToolError(
                        f"Could not load {image} into the nodes (`{' '.join(argv[:4])}`): "
                        f"{last_line(result)}",
                        hint=f"Image store: {store}. Retry `kube-tutor cluster up`; the "
                        "cluster itself is fine. `kube-tutor doctor` shows the engine's state.",
                    )
        return shown

    def _wait_classes(self, kube: Any, timeout: float, run: StepReporter) -> list[str]:
        def has(objs: list[Obj]) -> bool:
            return any(o.get("metadata", {}).get("name") == CLASS_NAME for o in objs)

        missing = []
        deadline = time.monotonic() + timeout
        for kind in ("GatewayClass", "IngressClass"):
            left = max(1.0, deadline - time.monotonic())
            if not _wait_with_note(kube, kind, has, left, run.line):
                missing.append(kind)
        return missing

    # -- cloud-provider-kind -------------------------------------------------------------

    def _cloud_provider_step(self, run: StepReporter) -> None:
        pid = self.cloud_provider_pid()
        if pid is not None:
            run.end("skip", f"already running (pid {pid})")
            return
        if self._needs_learner_start():
            command = elevated_command(self.platform)
            run.line(
                "cloud-provider-kind needs administrator rights on this system (it adds the "
                "LoadBalancer addresses to this machine). In another terminal, run:"
            )
            run.line(f"    {command}")
            waited = 0.0
            while waited < self.cloud_provider_wait:
                self.runner.sleep(2.0)
                waited += 2.0
                pid = self.cloud_provider_pid()
                if pid is not None:
                    run.end("done", f"found it running (pid {pid})")
                    return
            run.end("fail", "not running")
            raise ToolError(
                "cloud-provider-kind is not running, and on this system it must be started "
                "with administrator rights, which kube-tutor does not take.",
                hint=f"Run `{command}` in another terminal and keep it open, then run "
                "`kube-tutor cluster up` again (the cluster is kept).",
            )
        pid = self.start_cloud_provider()
        run.end("done", f"pid {pid}, log {self.cloud_provider_log}")

    def cloud_provider_pid(self) -> int | None:
        """The pid of a running cloud-provider-kind: the one kube-tutor started, or one the
        learner started (e.g. with sudo), found by its full command line."""
        own = self._own_cloud_provider_pid()
        if own is not None:
            return own
        pids = find_program(self.runner, "cloud-provider-kind")
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
                hint=f"See its log: {self.cloud_provider_log}. On macOS and WSL2 it must run "
                "with sudo, on Windows as administrator: start it yourself "
                f"(`{elevated_command(self.platform)}`) and run `kube-tutor cluster up` again.",
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

    def down(self, progress: ProgressFn = ignore_progress) -> None:
        """Delete the cluster and stop cloud-provider-kind."""
        title = "stop cloud-provider-kind"
        progress(Progress(1, 2, title, "start"))
        if self.stop_cloud_provider():
            progress(Progress(1, 2, title, "done"))
        else:
            progress(Progress(1, 2, title, "skip", "kube-tutor did not start one"))
        title = f"delete the kind cluster {CLUSTER_NAME}"
        progress(Progress(2, 2, title, "start"))
        if self.runner.which("kind") is None:
            progress(Progress(2, 2, title, "skip", "kind is not installed"))
            return
        result = self.runner.run(
            ["kind", "delete", "cluster", "--name", CLUSTER_NAME], timeout=600, env=self._env()
        )
        if not result.ok:
            progress(Progress(2, 2, title, "fail", last_line(result)))
            raise ToolError(f"kind could not delete the cluster: {last_line(result)}")
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
                        node_ready(n),
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

    def clean(self, progress: ProgressFn = ignore_progress, *, force: bool = False) -> list[str]:
        """Delete every namespace labelled `kube-tutor.dev/lab` (and nothing else); with
        `force`, first unblock what kube-tutor made that holds a namespace in Terminating."""
        kube = self._kube()
        names = kube.lab_namespaces()
        for number, name in enumerate(names, start=1):
            progress(Progress(number, len(names), f"delete namespace {name}", "start"))
            if force:
                for line in kube.force_clean_namespace(name):
                    progress(Progress(number, len(names), f"delete namespace {name}", "line", line))
            kube.delete_namespace(name, wait=True)
            progress(Progress(number, len(names), f"delete namespace {name}", "done"))
        return list(names)

    def _kube(self) -> Any:
        if self._kube_factory is not None:
            return self._kube_factory()
        from tutor.cluster.connect import open_cluster

        return open_cluster("kind", None)


def _wait_with_note(
    kube: Any,
    kind: str,
    predicate: Callable[[list[Obj]], bool],
    timeout: float,
    note: Callable[[str], None],
) -> bool:
    try:
        return bool(kube.wait_for(kind, None, predicate, timeout, on_wait=note))
    except TypeError:  # a stand-in without on_wait
        return bool(kube.wait_for(kind, None, predicate, timeout))


def _megabytes(size: str) -> str:
    return f"{int(size) / 1_000_000:.1f} MB"


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


__all__ = [
    "ProgressFn",
    "Step",
    "StepState",
    "data_dir",
    "AGNHOST_IMAGE",
    "CAPABILITIES",
    "CLASS_NAME",
    "CLUSTER_NAME",
    "CONTEXT_NAME",
    "LAB_LABEL",
    "NODEPORTS",
    "NODE_IMAGE",
    "NODE_ZONES",
    "PORT_MAPPING_ADDRESS",
    "ClusterStatus",
    "CommandResult",
    "KindLifecycle",
    "Progress",
    "Runner",
    "ToolCheck",
    "ToolError",
    "capabilities_from",
    "kind_config",
    "kind_config_yaml",
    "lab_images",
    "missing_reasons",
    "parse_version",
]
