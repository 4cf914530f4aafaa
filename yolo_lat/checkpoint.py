"""Loading ``.pt`` checkpoints without running code from them.

A ``.pt`` file is a pickle, and unpickling may call any function the file names: a crafted
checkpoint can run code the moment it is loaded. YOLO-LAT therefore loads every checkpoint
with ``torch.load(weights_only=True)`` and an explicit allowlist of the types that detection
checkpoints written by YOLO-LAT and by Ultralytics' trainer contain:

- ``torch.nn`` module classes, Ultralytics' module and model classes (``ultralytics.nn``), its
  loss/assigner classes, and YOLO-LAT's module classes (``yolo_lat.nn``): nn.Module subclasses
  defined there, nothing else from those modules;
- the argument namespaces (``types.SimpleNamespace``, Ultralytics' ``IterableSimpleNamespace``),
  ``datetime`` values, paths, and numpy arrays, scalars and dtypes.

Anything else is refused before a byte is unpickled, with an error naming the refused type.
A file you trust (you wrote it, with code you trust) can be loaded anyway with ``trust=True``
or ``YOLO_LAT_TRUST_CHECKPOINTS=1``.

Class paths of earlier YOLO-LAT versions are mapped to today's classes (``LEGACY_CLASSES``), so
their checkpoints and the shipped weights keep loading after modules move.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import torch

__all__ = ["LEGACY_CLASSES", "TRUST_ENV", "UnsafeCheckpointError", "load_checkpoint", "refused_globals"]

TRUST_ENV = "YOLO_LAT_TRUST_CHECKPOINTS"

# module prefixes whose nn.Module subclasses a checkpoint may name
_MODULE_PACKAGES = ("torch.nn.modules", "ultralytics.nn", "yolo_lat.nn")
# modules whose own classes (of any kind) a checkpoint may name: Ultralytics' criterion and assigner
_CLASS_MODULES = ("ultralytics.utils.loss", "ultralytics.utils.tal")
# single names a checkpoint may reference
_EXACT = {
    "types.SimpleNamespace",
    "argparse.Namespace",
    "ultralytics.utils.IterableSimpleNamespace",
    "collections.OrderedDict",
    "collections.defaultdict",
    "datetime.datetime",
    "datetime.date",
    "datetime.timedelta",
    "datetime.timezone",
    "pathlib.Path",
    "pathlib.PosixPath",
    "pathlib.WindowsPath",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
}
# class paths of earlier YOLO-LAT versions -> where the class lives now
LEGACY_CLASSES: dict[str, str] = {}


class UnsafeCheckpointError(ValueError):
    """A checkpoint names a type outside the allowlist; nothing in it was executed."""


def _import_attr(path: str) -> Any:
    module, _, attr = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr, None)
    except ImportError:
        return None


def _allowed(name: str) -> Any:
    """The object a checkpoint's global ``name`` may resolve to, or None when it is not allowed."""
    target = LEGACY_CLASSES.get(name, name)
    module, _, _ = target.rpartition(".")
    if target in _EXACT:
        return _import_attr(target)
    if module == "numpy.dtypes":
        import numpy as np

        obj = _import_attr(target)
        return obj if isinstance(obj, type) and issubclass(obj, np.dtype) else None
    if module in _CLASS_MODULES:
        obj = _import_attr(target)
        return obj if isinstance(obj, type) and obj.__module__ == module else None
    if any(module == p or module.startswith(p + ".") for p in _MODULE_PACKAGES):
        obj = _import_attr(target)
        return obj if isinstance(obj, type) and issubclass(obj, torch.nn.Module) else None
    return None


def _trusted(trust: bool | None) -> bool:
    if trust is not None:
        return bool(trust)
    return os.environ.get(TRUST_ENV, "0").strip().lower() not in ("", "0", "false", "no")


def _globals_in(path: Path) -> list[str]:
    try:
        return list(torch.serialization.get_unsafe_globals_in_checkpoint(str(path)))
    except (ValueError, RuntimeError, OSError) as exc:
        raise ValueError(
            f"checkpoint {path} is not a PyTorch checkpoint (a torch.save zip archive): {exc}; "
            "it was not loaded and nothing in it was executed"
        ) from None


def refused_globals(path: str | Path) -> list[str]:
    """The globals a checkpoint names that the allowlist refuses (empty: it loads safely)."""
    return [g for g in _globals_in(Path(path)) if _allowed(g) is None]


def load_checkpoint(path: str | Path, trust: bool | None = None, map_location: Any = "cpu") -> Any:
    """``torch.load`` a checkpoint, allowing only the types detection checkpoints contain.

    Args:
        path: the ``.pt`` file.
        trust: load with plain ``torch.load`` (which can run code from the file). None: the
            ``YOLO_LAT_TRUST_CHECKPOINTS`` environment variable decides (default: not trusted).
        map_location: as for ``torch.load``.

    Raises:
        FileNotFoundError: no such file.
        UnsafeCheckpointError: the file names a type outside the allowlist (it was not loaded).
        ValueError: the file is not a torch.save archive.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found")
    if _trusted(trust):
        return torch.load(path, map_location=map_location, weights_only=False)
    names = _globals_in(path)
    resolved, refused = [], []
    for name in names:
        obj = _allowed(name)
        (refused if obj is None else resolved).append(name if obj is None else (obj, name))
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise UnsafeCheckpointError(
            f"checkpoint {path} refers to '{refused[0]}'{more}, which is not among the types a detection "
            "checkpoint contains; it was not loaded and nothing in it was executed. If you trust this file, "
            f"load it with trust=True or set {TRUST_ENV}=1"
        )
    with torch.serialization.safe_globals(resolved):
        return torch.load(path, map_location=map_location, weights_only=True)
