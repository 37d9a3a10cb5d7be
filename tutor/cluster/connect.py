"""Open the practice cluster a command asked for: the simulator, kind, or a named context."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping

from tutor.cluster.base import Cluster, UnreachableError
from tutor.cluster.guard import (
    KIND_CONTEXT,
    EndpointFn,
    kind_context_present,
    resolve_target,
)


def _note_to_stderr(note: str) -> None:
    print(f"note: {note}", file=sys.stderr)


def default_backend(
    env: Mapping[str, str] | None = None, which: Callable[[str], str | None] = shutil.which
) -> tuple[str, str]:
    """The backend to use when none was asked for, and why: kind when a container engine,
    kind and kube-tutor's kind context are all present, else the simulator."""
    if which("docker") is None and which("podman") is None:
        return "sim", "using the built-in simulator: Docker (or podman) is not installed"
    if which("kind") is None:
        return "sim", "using the built-in simulator: kind is not installed"
    if not kind_context_present(env):
        return "sim", (
            f"using the built-in simulator: no kind cluster yet (context {KIND_CONTEXT}); "
            "run `kube-tutor cluster up` to practise on a real one"
        )
    return "kind", f"using the kind cluster (context {KIND_CONTEXT})"


def open_cluster(
    backend: str | None,
    context: str | None,
    *,
    namespace_prefix: str | None = None,
    env: Mapping[str, str] | None = None,
    on_note: Callable[[str], None] | None = None,
    kind_endpoint: EndpointFn | None = None,
) -> Cluster:
    """A `Cluster` for `--backend sim|kind|context` (None: the default for this machine).

    The guard decides first which context may be touched (refusing with
    `RefusedContextError` before any client exists). When no backend was asked for and no
    context named, kind is used if it is set up, otherwise the simulator, with a one-line
    note saying why (to `on_note`, or standard error).
    """
    note = on_note or _note_to_stderr
    if backend is None and not context:
        backend, why = default_backend(env)
        if backend == "sim":
            note(why)
    if backend == "sim":
        return open_sim(env)
    target = resolve_target(
        backend, context, namespace_prefix=namespace_prefix, env=env, kind_endpoint=kind_endpoint
    )
    from tutor.cluster.kube import KubeCluster

    return KubeCluster(target)


_IN_PROCESS: dict[str, Cluster] = {}


def open_sim(env: Mapping[str, str] | None = None) -> Cluster:
    """The simulated cluster: its API server on loopback (started when needed), reached with
    the same client as kind. `KUBE_TUTOR_SIM=in-process` keeps it inside this process
    instead (one per data folder), for unit tests and benchmarks."""
    env = os.environ if env is None else env
    if env.get("KUBE_TUTOR_SIM") == "in-process":
        import importlib

        from tutor.core.dirs import data_dir

        key = str(data_dir())
        if key not in _IN_PROCESS:
            module = importlib.import_module("tutor.cluster.sim.cluster")
            _IN_PROCESS[key] = module.SimCluster()
        return _IN_PROCESS[key]
    from tutor.cluster.kube import KubeCluster
    from tutor.cluster.sim.api.control import ensure_running, sim_target

    return KubeCluster(sim_target(ensure_running()))


__all__ = ["UnreachableError", "default_backend", "open_cluster"]
