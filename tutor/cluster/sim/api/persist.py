"""The simulator's state on disk, so a restart of the server, the app or the machine resumes
every lab where it was.

The whole state (store, allocations, controllers) is pickled from a snapshot and written
atomically (temporary file, fsync, rename), a moment after the last change; a file that cannot
be read (damaged, or from another kube-tutor version) is moved aside and the cluster starts fresh.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tutor import __version__
from tutor.cluster.sim.api.credentials import write_private

if TYPE_CHECKING:
    from tutor.cluster.sim.cluster import SimCluster

FORMAT = 1
SAVE_DELAY = 0.1
"""Seconds between a change and its save (changes in between are saved together)."""


class StateFile:
    """Where one simulator's state lives, and the saving of it."""

    def __init__(self, path: Path, cluster: SimCluster | None = None) -> None:
        self.path = path
        self.cluster = cluster
        self.schedule: Callable[[float, Callable[[], None]], None] | None = None
        self._dirty = False
        self.saves = 0
        self.note = ""
        """What happened to an unreadable file, for the server's log."""

    def load(self) -> SimCluster | None:
        """The saved cluster, or None (no file, or one that could not be used: moved aside)."""
        if not self.path.is_file():
            return None
        from tutor.cluster.sim.cluster import SimCluster

        try:
            with self.path.open("rb") as handle:
                saved = pickle.load(handle)
            if saved.get("format") != FORMAT or saved.get("version") != __version__:
                raise ValueError(f"saved by another kube-tutor ({saved.get('version')})")
            cluster = SimCluster.__new__(SimCluster)
            cluster.topology = saved["topology"]
            cluster._dataplane = None
            cluster.restore(saved["state"])
        except Exception as exc:  # any unreadable state: keep it aside, start fresh
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            self.path.replace(aside)
            self.note = f"the saved simulator state could not be used ({exc}); kept as {aside}"
            return None
        self.cluster = cluster
        return cluster

    def mark_dirty(self) -> None:
        """Save soon (once, however many changes come before then)."""
        if self._dirty:
            return
        self._dirty = True
        if self.schedule is None:
            self.save()
        else:
            self.schedule(SAVE_DELAY, self.save)

    def save(self) -> None:
        """Write the state now."""
        self._dirty = False
        if self.cluster is None:
            return
        saved = {
            "format": FORMAT,
            "version": __version__,
            "topology": self.cluster.topology,
            "state": self.cluster.snapshot(),
        }
        write_private(self.path, pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL))
        self.saves += 1
