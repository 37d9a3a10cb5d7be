"""Start, find and stop the simulator's API server process (no aiohttp imported here, so the
CLI stays quick): `ensure_running` is what `lab start`, the app and every lab command call."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tutor.cluster.base import UnreachableError
from tutor.cluster.guard import Target, resolve_sim_target
from tutor.cluster.sim.api.credentials import Credentials, sim_dir

START_TIMEOUT = 15.0


@dataclass(frozen=True)
class ServerInfo:
    """A running simulator server."""

    pid: int
    port: int
    kubeconfig: Path

    @property
    def url(self) -> str:
        """`https://127.0.0.1:PORT`."""
        return f"https://127.0.0.1:{self.port}"


def _read_info(folder: Path) -> tuple[int, int] | None:
    try:
        data = json.loads((folder / "server.json").read_text(encoding="utf-8"))
        return int(data["pid"]), int(data["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _healthy(folder: Path, port: int) -> bool:
    creds = Credentials(folder)
    try:
        context = ssl.create_default_context(cafile=str(creds.ca_cert))
        handler = urllib.request.HTTPSHandler(context=context)
        opener = urllib.request.build_opener(handler, urllib.request.ProxyHandler({}))
        with opener.open(f"https://127.0.0.1:{port}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, ValueError, ssl.SSLError):
        return False


def status(home: Path | None = None) -> ServerInfo | None:
    """The running server, or None."""
    folder = sim_dir(home)
    found = _read_info(folder)
    if found is None:
        return None
    pid, port = found
    if not _alive(pid) or not _healthy(folder, port):
        return None
    return ServerInfo(pid, port, Credentials(folder).kubeconfig)


@contextmanager
def _start_lock(folder: Path) -> Iterator[None]:
    """One starter at a time (two commands at once must not start two servers)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; a second server would only race
        yield
        return
    with (folder / "start.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_running(home: Path | None = None) -> ServerInfo:
    """The running server, started first when needed (raises `UnreachableError` when it
    cannot start, with its log's last lines)."""
    running = status(home)
    if running is not None:
        return running
    folder = sim_dir(home)
    with _start_lock(folder):
        running = status(home)
        if running is not None:
            return running
        (folder / "server.json").unlink(missing_ok=True)
        log = folder / "server.log"
        command = [
            sys.executable,
            "-m",
            "tutor.cluster.sim.api.daemon",
            "--home",
            str(folder.parent),
        ]
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
                close_fds=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            found = _read_info(folder)
            if found is not None and found[0] == process.pid:
                return ServerInfo(found[0], found[1], Credentials(folder).kubeconfig)
            if process.poll() is not None:
                break
            time.sleep(0.02)
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-5:]
        raise UnreachableError(
            "The simulated cluster's API server did not start.",
            hint="Its log says: " + (" | ".join(tail) or "(nothing)") + f" (see {log}).",
        )


def stop(home: Path | None = None, timeout: float = 10.0) -> bool:
    """Stop the running server (it saves its state first); False when none ran."""
    folder = sim_dir(home)
    found = _read_info(folder)
    if found is None or not _alive(found[0]):
        return False
    pid = found[0]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        # reap it when it is our child (tests start it from this process)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.02)
    return True


def sim_target(info: ServerInfo) -> Target:
    """The guard's target for the simulator: its own kubeconfig (checked by the guard: in the
    data folder, 0600, one context, loopback, no proxy) and context."""
    return resolve_sim_target(info.kubeconfig)
