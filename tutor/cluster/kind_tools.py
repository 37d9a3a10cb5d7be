"""The programs the kind path needs: how they are found, run, versioned and read.

Every program kube-tutor starts goes through `Runner` (tests swap in a recording one), and
every output it reads is parsed by a pure function here, tested against outputs recorded
from the real tools' sources and docs.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tutor.cluster.base import ClusterError
from tutor.cluster.kind_config import API_SERVER_PORT, CONTROL_PLANE_CONTAINER

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
    """Empty: kube-tutor does not run the program to learn its version."""
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
    # No version is read: there is no `--version` flag, `version` exists only from v0.11 and
    # prints an empty version in `go install` builds (cmd/app.go: newVersionCommand prints a
    # variable set by the release build's ldflags), and on a build without that subcommand
    # the argument would start the provider. What it creates (GatewayClass and IngressClass
    # `cloud-provider-kind`) tells whether it is recent enough.
    (),
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
    """A note that does not stop `up` (e.g. a version checked another way)."""

    @property
    def summary(self) -> str:
        """`kind 0.33.0 (/usr/local/bin/kind)` or the problem."""
        if self.problem:
            return self.problem
        shown = format_version(self.version) if self.version else "version not read"
        return f"{self.tool.name} {shown} ({self.path})"


class ToolError(ClusterError):
    """A program kube-tutor needs is missing, too old, or failed."""

    reason = "tool"


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


LineFn = Callable[[str], None]


def _no_line(_: str) -> None:
    return None


class Runner:
    """The one place kube-tutor runs other programs; tests swap in a recording one."""

    platform: str = sys.platform

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

    def stream(
        self,
        argv: Sequence[str],
        on_line: LineFn = _no_line,
        *,
        timeout: float = 900.0,
        env: Mapping[str, str] | None = None,
    ) -> CommandResult:
        """Run a program, passing each line it prints (stdout and stderr merged) to `on_line`
        as it comes; the result holds all of it as stdout."""
        full_env = {**os.environ, **env} if env else None
        try:
            process = subprocess.Popen(  # noqa: S603 - argv built by kube-tutor, no shell
                list(argv),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=full_env,
                text=True,
                errors="replace",
                bufsize=1,
            )
        except FileNotFoundError:
            return CommandResult(tuple(argv), 127, "", f"{argv[0]}: not found")
        lines: list[str] = []

        def pump() -> None:
            assert process.stdout is not None
            for raw in process.stdout:
                line = raw.rstrip("\r\n")
                lines.append(line)
                on_line(line)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            reader.join(timeout=5)
            return CommandResult(
                tuple(argv), 124, "\n".join(lines), f"{argv[0]}: no answer in {timeout:.0f} s"
            )
        reader.join(timeout=5)
        return CommandResult(tuple(argv), code, "\n".join(lines), "")

    def processes(self) -> list[tuple[int, list[str]]]:
        """(pid, full command line) of every process this user can see."""
        proc = Path("/proc")
        if self.platform.startswith("linux") and proc.is_dir():
            found: list[tuple[int, list[str]]] = []
            for entry in proc.iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    raw = (entry / "cmdline").read_bytes()
                except OSError:  # the process ended, or is not ours to read
                    continue
                argv = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
                if argv:
                    found.append((int(entry.name), argv))
            return found
        if self.platform == "win32":
            result = self.run(["tasklist", "/FO", "CSV", "/NH"], timeout=30)
            return parse_tasklist(result.stdout) if result.ok else []
        result = self.run(["ps", "-ax", "-o", "pid=,args="], timeout=30)
        return parse_ps(result.stdout) if result.ok else []

    def process_alive(self, pid: int, name: str) -> bool:
        """True when process `pid` runs and its command line is program `name`."""
        return any(p == pid and is_program(argv, name) for p, argv in self.processes())

    def stop(self, pid: int) -> None:
        """Ask a process to stop (SIGTERM)."""
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)

    def sleep(self, seconds: float) -> None:
        """Wait (only while a background program starts; cluster waits use watches)."""
        time.sleep(seconds)


def last_line(result: CommandResult) -> str:
    """The last non-empty line a program printed (its error, usually)."""
    lines = [line for line in (result.stderr or result.stdout).strip().splitlines() if line]
    return lines[-1] if lines else f"exit code {result.returncode}"


# -- processes (pure parsing) ----------------------------------------------------------------


def parse_ps(text: str) -> list[tuple[int, list[str]]]:
    """`ps -ax -o pid=,args=` output -> (pid, argv). procps and BSD ps print the pid
    right-aligned, a space, then the full command line (ps(1): a `=` after a column name
    drops the header)."""
    found: list[tuple[int, list[str]]] = []
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and parts[0].isdigit():
            found.append((int(parts[0]), parts[1].split()))
    return found


def parse_tasklist(text: str) -> list[tuple[int, list[str]]]:
    """`tasklist /FO CSV /NH` output (`"image.exe","pid","session",...`) -> (pid, [image])."""
    import csv

    found: list[tuple[int, list[str]]] = []
    for row in csv.reader(text.splitlines()):
        if len(row) >= 2 and row[1].strip().isdigit():
            found.append((int(row[1]), [row[0]]))
    return found


_WRAPPERS = frozenset({"sudo", "doas", "env", "nohup"})


def is_program(argv: Sequence[str], name: str) -> bool:
    """True when a command line runs program `name` (its own argv[0], or behind sudo/env)
    with no subcommand that ends at once (`version`, `list-images`). Matches the full name:
    the kernel's process name (what `pgrep -x` compares) is cut at 15 characters
    (TASK_COMM_LEN 16), so `cloud-provider-kind` shows as `cloud-provider-`."""
    words = list(argv)
    while words and (_base(words[0]) in _WRAPPERS or "=" in words[0] or words[0].startswith("-")):
        words = words[1:]
    if not words or _base(words[0]) not in (name, f"{name}.exe"):
        return False
    return not (len(words) > 1 and words[1] in ("version", "list-images", "help"))


def _base(word: str) -> str:
    return word.replace("\\", "/").rsplit("/", 1)[-1].lower()


def find_program(runner: Runner, name: str) -> list[int]:
    """Process ids of running `name` programs, oldest (lowest pid) first."""
    return sorted(pid for pid, argv in runner.processes() if is_program(argv, name))


# -- container engines (pure parsing) ---------------------------------------------------------

ImageStore = Literal["classic", "containerd", "podman", "unknown"]


def engine_info_argv(engine: str) -> list[str]:
    """The command that tells whether the engine answers, printing its server version.

    docker: `.ServerVersion` of `docker info`; podman has no such field (its template data
    are `.Host`, `.Store`, `.Registries`, `.Version`: podman docs/source/markdown/
    podman-info.1.md), so its version is `.Version.Version`."""
    if engine == "podman":
        return ["podman", "info", "--format", "{{.Version.Version}}"]
    return ["docker", "info", "--format", "{{.ServerVersion}}"]


def image_store_argv(engine: str) -> list[str]:
    """The command whose output tells Docker's image store (`.DriverStatus`)."""
    return [engine, "info", "--format", "{{.DriverStatus}}"]


def parse_image_store(engine: str, driver_status: str) -> ImageStore:
    """Docker's image store from `docker info --format '{{.DriverStatus}}'`: with the
    containerd image store it prints `[[driver-type io.containerd.snapshotter.v1]]`
    (docs.docker.com/engine/storage/containerd/); the classic store prints its graph
    driver's details (`[[Backing Filesystem extfs] [Supports d_type true] ...]`)."""
    if engine == "podman":
        return "podman"
    if "io.containerd.snapshotter" in driver_status:
        return "containerd"
    if driver_status.strip().startswith("["):
        return "classic"
    return "unknown"


def engine_arch_argv(engine: str) -> list[str]:
    """The command printing the engine's architecture (`amd64`, `arm64`), the platform
    the node containers run and so the one to load."""
    if engine == "podman":
        return ["podman", "info", "--format", "{{.Host.Arch}}"]
    return ["docker", "version", "--format", "{{.Server.Arch}}"]


def control_plane_endpoint_argv(engine: str) -> list[str]:
    """The command kind itself runs to find the API server's host address of the cluster
    (kind: pkg/cluster/internal/providers/docker/provider.go, GetAPIServerEndpoint: the first
    host binding of port 6443/tcp, printed as `HostIp<TAB>HostPort`)."""
    ports = f'(index (index .NetworkSettings.Ports "{API_SERVER_PORT}/tcp") 0)'
    # `\\t` is a Go template string escape: docker prints a tab between address and port
    template = "{{ with " + ports + ' }}{{ printf "%s\\t%s" .HostIp .HostPort }}{{ end }}'
    return [engine, "inspect", "--format", template, CONTROL_PLANE_CONTAINER]


def parse_endpoint(text: str) -> tuple[str, int] | None:
    """`127.0.0.1\\t41234` -> ("127.0.0.1", 41234); None when not that shape."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if len(lines) != 1:
        return None
    host, _, port = lines[0].strip().partition("\t")
    if not host or not port.strip().isdigit():
        return None
    return host.strip(), int(port)


def is_wsl2(read: Callable[[], str] | None = None) -> bool:
    """True inside WSL2 (its kernel names Microsoft in /proc/version), as cloud-provider-kind
    checks (cmd/app.go, isWSL2)."""
    try:
        text = read() if read else Path("/proc/version").read_text(encoding="utf-8")
    except OSError:
        return False
    return "microsoft" in text.lower()


def cloud_provider_needs_elevation(platform: str, wsl2: bool) -> bool:
    """cloud-provider-kind must run with sudo on macOS and WSL2 and as administrator on
    Windows (its README, "Mac, Windows and WSL2 support"; on macOS it exits at once without
    root: cmd/app.go "please run this again with `sudo`")."""
    return platform in ("darwin", "win32") or (platform.startswith("linux") and wsl2)


def elevated_command(platform: str) -> str:
    """How the learner starts cloud-provider-kind where it needs rights."""
    if platform == "win32":
        return "cloud-provider-kind   (in a terminal opened with `Run as administrator`)"
    return "sudo cloud-provider-kind"
