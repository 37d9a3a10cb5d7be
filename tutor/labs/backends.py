"""Open the practice cluster a command asked for (the guard decides what may be touched)."""

from __future__ import annotations

from tutor.cluster.base import Cluster


def open_backend(
    backend: str | None, context: str | None = None, prefix: str | None = None
) -> Cluster:
    """A `Cluster` for `--backend sim|kind|context` (None: the default for this machine)."""
    if backend == "sim":
        from tutor.cluster.connect import open_sim

        return open_sim()
    from tutor.cluster.connect import open_cluster

    return open_cluster(backend, context, namespace_prefix=prefix)
