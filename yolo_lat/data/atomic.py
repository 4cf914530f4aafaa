"""Building a dataset folder so that it appears complete or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_dir"]


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
