"""`kube-tutor sim kubeconfig --merge`: add the simulator's cluster, user and context to the
learner's own kubeconfig, only when asked, replacing only entries named `kube-tutor-sim*`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from tutor.cluster.sim.api.credentials import SIM_CLUSTER, SIM_CONTEXT, SIM_USER, write_private


def merge_into_default(sim_kubeconfig: Path, target: Path | None = None) -> Path:
    """Merge the simulator's entries into `target` (default `~/.kube/config`); the current
    context and every other entry stay as they were. Returns the file written."""
    target = target or Path(os.path.expanduser("~/.kube/config"))
    ours: dict[str, Any] = yaml.safe_load(sim_kubeconfig.read_text(encoding="utf-8"))
    theirs: dict[str, Any] = {}
    if target.is_file():
        theirs = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
    theirs.setdefault("apiVersion", "v1")
    theirs.setdefault("kind", "Config")
    for section, name in (
        ("clusters", SIM_CLUSTER),
        ("users", SIM_USER),
        ("contexts", SIM_CONTEXT),
    ):
        kept = [e for e in theirs.get(section) or [] if e.get("name") != name]
        kept.extend(e for e in ours[section] if e.get("name") == name)
        theirs[section] = kept
    theirs.setdefault("current-context", SIM_CONTEXT)
    write_private(target, yaml.safe_dump(theirs, sort_keys=False).encode("utf-8"))
    return target
