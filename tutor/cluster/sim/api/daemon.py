"""The simulator's API server as a process of its own (`kube-tutor sim start` runs it).

It loads the saved state, serves on a free port of 127.0.0.1, writes the kubeconfig and
`server.json` (pid and port), saves the state a moment after every change, and on SIGTERM or
SIGINT saves once more and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tutor.cluster.sim.api.credentials import Credentials, sim_dir, write_private


async def serve(folder: Path, port: int) -> None:
    """Serve until a signal says stop."""
    from tutor.cluster.sim.api.persist import StateFile
    from tutor.cluster.sim.api.server import start_server
    from tutor.cluster.sim.cluster import SimCluster

    creds = Credentials(folder)
    state = StateFile(folder / "state.pickle")
    cluster = state.load() or SimCluster()
    if state.note:
        print(f"note: {state.note}", file=sys.stderr, flush=True)
    state.cluster = cluster
    loop = asyncio.get_running_loop()

    def schedule(delay: float, callback: Callable[[], None]) -> None:
        loop.call_later(delay, callback)

    state.schedule = schedule
    running = await start_server(cluster, creds, port=port, state=state)
    creds.write_kubeconfig(running.port)
    info = {"pid": os.getpid(), "port": running.port}
    write_private(folder / "server.json", json.dumps(info).encode())
    print(f"serving on https://127.0.0.1:{running.port} (pid {os.getpid()})", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Windows has no signal handlers on the loop: Ctrl+C ends it instead
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        state.save()
        await running.runner.cleanup()
        try:
            current = json.loads((folder / "server.json").read_text())
            if current.get("pid") == os.getpid():
                (folder / "server.json").unlink()
        except (OSError, ValueError):
            pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: `python -m tutor.cluster.sim.api.daemon [--home DIR] [--port N]`."""
    parser = argparse.ArgumentParser(prog="kube-tutor-sim-server")
    parser.add_argument("--home", type=Path, default=None, help="kube-tutor's data folder")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    args = parser.parse_args(argv)
    folder = sim_dir(args.home)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(serve(folder, args.port))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
