"""A cache of `kube-tutor list` rows, keyed by every content file's size and change time.

Loading the course imports pydantic and validates every file (~0.2 s with the interpreter's
start); `list` only needs a few fields. When no content file changed since the last run, the
rows come from this cache and pydantic is never imported. Any change to any file under a
course root (added, removed, edited) changes the key, so the cache can be stale only if a
file changes without its size or nanosecond mtime changing.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from tutor import __version__

NO_BUILTIN_ENV = "KUBE_TUTOR_NO_BUILTIN"  # the same switch as tutor.content.loader's


def course_roots(content: list[Path]) -> list[Path]:
    """The roots `load_course(content)` reads, found without importing the loader (which
    imports pydantic). Mirrors `tutor.content.loader.default_roots`; a test keeps them equal."""
    roots: list[Path] = []
    if os.environ.get(NO_BUILTIN_ENV, "0") in ("", "0"):
        package = Path(__file__).resolve().parent.parent
        checkout = package.parent
        if (checkout / "lessons").is_dir() and (checkout / "pyproject.toml").is_file():
            roots.append(checkout)
        else:
            roots.append(package / "_course")
    return roots + [Path(root) for root in content]


def signature(roots: list[Path]) -> str:
    """A digest of every file under the roots' lessons/ and labs/ (path, size, mtime)."""
    digest = hashlib.sha256(__version__.encode())
    for root in roots:
        digest.update(str(root.resolve()).encode())
        for part in ("lessons", "labs"):
            for folder, dirs, files in os.walk(root / part):
                dirs.sort()
                for name in sorted(files):
                    stat = os.stat(os.path.join(folder, name))
                    digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


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
