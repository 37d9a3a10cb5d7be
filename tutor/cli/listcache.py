"""A cache of `kube-tutor list` rows, keyed by every content file's size and change time.

Loading the course imports pydantic and validates every file (~0.2 s with the interpreter's
start); `list` only needs a few fields. When no content file changed since the last run, the
rows come from this cache and pydantic is never imported. Any change to any file under a
course root (added, removed, edited) changes the key, so the cache can be stale only if a
file changes without its size or nanosecond mtime changing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tutor.content.index import course_roots, signature

# The key is the course map index's own (tutor.content.index), so both caches agree.
__all__ = ["course_roots", "read", "signature", "write"]


def _file() -> Path:
    from tutor.core.dirs import data_dir

    return data_dir() / "cache" / "list.json"


def read(key: str, what: str) -> tuple[list[dict[str, Any]], int] | None:
    """Cached rows and the number of broken files for `what`, if the key still matches."""
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key or what not in data.get("rows", {}):
        return None
    return list(data["rows"][what]), int(data.get("broken", 0))


def write(key: str, rows: dict[str, list[dict[str, Any]]], broken: int) -> None:
    """Keep every kind of row for this key (written whole, then renamed)."""
    target = _file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f"list.{os.getpid()}.tmp")
        temporary.write_text(
            json.dumps({"key": key, "rows": rows, "broken": broken}), encoding="utf-8"
        )
        temporary.replace(target)
    except OSError:
        pass  # a cache that cannot be written only costs speed
