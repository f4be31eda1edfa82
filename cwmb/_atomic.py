"""Atomic file writes: a temporary file in the same folder, then `os.replace`.

Readers (and a run killed half-way) see the old file or the new one, never half of one.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_text_atomically(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def update_json_atomically(path: str | Path, update: Callable[[Any], Any], *, indent: int = 1,
                           sort_keys: bool = False) -> Any:
    """Read the JSON at `path` ({} when absent), apply `update` to it, write it back atomically.

    Holds an exclusive lock on `<path>.lock` throughout, so concurrent processes that update the
    same file (several builds or reference runs at once) never lose each other's changes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        value = update(json.loads(path.read_text()) if path.exists() else {})
        write_text_atomically(path, json.dumps(value, indent=indent, sort_keys=sort_keys) + "\n")
    return value
