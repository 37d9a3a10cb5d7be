"""Where kube-tutor keeps the learner's files: progress, lab workspaces, simulator journals."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """`$KUBE_TUTOR_HOME` when set (tests, classrooms), else the platform's user data dir."""
    home = os.environ.get("KUBE_TUTOR_HOME")
    if home:
        return Path(home)
    from platformdirs import user_data_dir

    return Path(user_data_dir("kube-tutor", appauthor=False))
