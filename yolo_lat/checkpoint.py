"""Loading ``.pt`` checkpoints without running code from them.

A ``.pt`` file is a pickle, and unpickling may call any function the file names: a crafted
checkpoint can run code the moment it is loaded. YOLO-LAT therefore loads every checkpoint
with ``torch.load(weights_only=True)`` and an explicit allowlist of the types that detection
checkpoints written by YOLO-LAT and by Ultralytics' trainer contain:

- ``torch.nn`` module classes, Ultralytics' module and model classes (``ultralytics.nn``), its
  loss/assigner classes, and YOLO-LAT's module classes (``yolo_lat.nn``): nn.Module subclasses
  defined there, nothing else from those modules (and not Ultralytics' inference backends and text
  encoders, which read files when constructed);
- the argument namespaces (``types.SimpleNamespace``, Ultralytics' ``IterableSimpleNamespace``),
  ``datetime`` values, paths, and numpy arrays, scalars and dtypes.

Anything else is refused before a byte is unpickled, with an error naming the refused type.
A file you trust (you wrote it, with code you trust) can be loaded anyway with ``trust=True``
or ``YOLO_LAT_TRUST_CHECKPOINTS=1``.

Class paths of earlier YOLO-LAT versions are mapped to today's classes (``LEGACY_CLASSES``), so
their checkpoints and the shipped weights keep loading after modules move (trusted loads too);
``resave_checkpoint`` rewrites such a file with today's paths, which plain Ultralytics can read.

Every checkpoint Ultralytics reads in a process that imported YOLO-LAT comes here:
``yolo_lat._ultralytics`` installs ``load_checkpoint`` behind Ultralytics' ``torch_safe_load``.
"""

from __future__ import annotations

import importlib
import os
import pickle
import types
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "LEGACY_CLASSES",
    "TRUST_ENV",
    "UnsafeCheckpointError",
    "check_checkpoint",
    "load_checkpoint",
    "refused_globals",
    "resave_checkpoint",
]

TRUST_ENV = "YOLO_LAT_TRUST_CHECKPOINTS"

# module prefixes whose nn.Module subclasses a checkpoint may name
_MODULE_PACKAGES = ("torch.nn.modules", "ultralytics.nn", "yolo_lat.nn")
# ... except these: modules whose construction reads or downloads files (the inference backends,
# text encoders), never part of a detection checkpoint
_EXCLUDED_PACKAGES = ("ultralytics.nn.autobackend", "ultralytics.nn.backends", "ultralytics.nn.text_model")
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
# class paths of earlier YOLO-LAT versions -> where the class lives now. Checkpoints keep the path a
# class had when they were written: the shipped weights and runs made before nn/attention.py became
# nn/elattention.py name yolo_lat.nn.attention.ELAttention.
LEGACY_CLASSES: dict[str, str] = {
    "yolo_lat.nn.attention.ELAttention": "yolo_lat.nn.elattention.ELAttention",
    # Ultralytics' own renames, mapped as its loader maps them (YOLOv10 and YOLOv9e checkpoints, paths
    # pickled on the other operating system)
    "ultralytics.nn.tasks.YOLOv10DetectionModel": "ultralytics.nn.tasks.DetectionModel",
    "ultralytics.utils.loss.v10DetectLoss": "ultralytics.utils.loss.E2EDetectLoss",
    "ultralytics.nn.modules.block.Silence": "torch.nn.modules.linear.Identity",
    **(
        {"pathlib.PosixPath": "pathlib.WindowsPath"}
        if os.name == "nt"
        else {"pathlib.WindowsPath": "pathlib.PosixPath"}
    ),
}


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
    if _module_package(module):
        obj = _import_attr(target)
        # judged by where it is defined, too (a module may import a class from elsewhere)
        is_module_class = isinstance(obj, type) and issubclass(obj, torch.nn.Module)
        return obj if is_module_class and _module_package(obj.__module__) else None
    return None


def _module_package(module: str) -> bool:
    """Whether ``module`` is one whose nn.Module classes a checkpoint may name."""

    def within(packages: tuple[str, ...]) -> bool:
        return any(module == p or module.startswith(p + ".") for p in packages)

    return within(_MODULE_PACKAGES) and not within(_EXCLUDED_PACKAGES)


class _LegacyUnpickler(pickle.Unpickler):
    """The standard unpickler (it runs whatever the file names), with class paths of earlier versions
    mapped by LEGACY_CLASSES: what a trusted load uses."""

    def find_class(self, module: str, name: str) -> Any:
        module, _, name = LEGACY_CLASSES.get(f"{module}.{name}", f"{module}.{name}").rpartition(".")
        return super().find_class(module, name)


def _legacy_load(file: Any, **kwargs: Any) -> Any:
    return _LegacyUnpickler(file, **kwargs).load()


# a pickle module for torch.load(pickle_module=...): torch subclasses its Unpickler
_LEGACY_PICKLE = types.ModuleType("yolo_lat_legacy_pickle")
_LEGACY_PICKLE.__dict__.update({k: v for k, v in vars(pickle).items() if not k.startswith("__")})
_LEGACY_PICKLE.Unpickler = _LegacyUnpickler
_LEGACY_PICKLE.load = _legacy_load


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


def _allowlisted_globals(path: Path) -> list[tuple[Any, str]]:
    """(object, name) for every global the checkpoint names; UnsafeCheckpointError if one is refused."""
    resolved, refused = [], []
    for name in _globals_in(path):
        obj = _allowed(name)
        (refused if obj is None else resolved).append(name if obj is None else (obj, name))
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise UnsafeCheckpointError(
            f"checkpoint {path} refused: it refers to '{refused[0]}'{more}, which is not among the types a "
            "detection checkpoint contains; it was not loaded and nothing in it was executed. If you trust this file, "
            f"load it with trust=True or set {TRUST_ENV}=1"
        )
    return resolved


def check_checkpoint(path: str | Path, trust: bool | None = None) -> None:
    """Raise what ``load_checkpoint`` would raise for a refused or unreadable file, without loading it
    (for callers whose own error would hide the reason)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found")
    if not _trusted(trust):
        _allowlisted_globals(path)


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
        return torch.load(path, map_location=map_location, weights_only=False, pickle_module=_LEGACY_PICKLE)
    resolved = _allowlisted_globals(path)
    try:
        with torch.serialization.safe_globals(resolved):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:  # something the scan of its globals does not show
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnsafeCheckpointError(
            f"checkpoint {path} was refused by torch's weights-only loader ({reason}); nothing in it was executed. "
            f"If you trust this file, load it with trust=True or set {TRUST_ENV}=1"
        ) from None


def resave_checkpoint(path: str | Path, out: str | Path | None = None) -> Path:
    """Write a checkpoint again (to ``out``, default: in place) with today's class paths.

    A checkpoint of an earlier YOLO-LAT version names classes where they were then
    (``LEGACY_CLASSES``); YOLO-LAT maps them, plain ``torch.load`` and Ultralytics' loader do not.
    Resaved, it loads there too (with yolo_lat installed). It is read with the allowlist.
    """
    ckpt = load_checkpoint(path)
    out = Path(out) if out is not None else Path(path)
    torch.save(ckpt, out)
    return out
