"""Dataset files: folders built so that they appear complete or not at all, JSON read with clear errors."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_dir", "read_json"]


@contextlib.contextmanager
def atomic_dir(final: Path, marker: str) -> Iterator[Path]:
    """Yield a temporary folder beside ``final``; when the block succeeds it is renamed to ``final``
    (if another process got there first, as shown by ``final/marker``, it is discarded), and on
    any error or interrupt it is removed. An interrupted build never leaves a half-written folder."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        yield tmp
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / marker).is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def read_json(path: str | Path, what: str, keys: tuple[str, ...] = ()) -> Any:
    """The JSON document at ``path``; ``what`` names it in errors (a missing file, invalid JSON, or,
    when ``keys`` are given, a document that is not an object with all of them)."""
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} '{path}' not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{what} '{path}' is not valid JSON: {exc}") from None
    if keys and (not isinstance(doc, dict) or not all(k in doc for k in keys)):
        listed = ", ".join(f"'{k}'" for k in keys[:-1]) + f" and '{keys[-1]}'" if len(keys) > 1 else f"'{keys[0]}'"
        raise ValueError(f"{what} '{path}' must be an object with {listed}")
    return doc
