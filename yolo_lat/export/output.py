"""Where an export is written, and that it appears whole.

Ultralytics' exporter writes beside the weights it exports (``dir/best.pt`` -> ``dir/best.onnx``),
directly under the final name. For a user's weights that is where they look; for the shipped weights
it is inside the checkout's weights/ or site-packages, so YOLO-LAT writes those exports into the
current directory instead, or into ``project/name`` when given (for any weights). The exporter runs
in a hidden temporary folder beside the destination and what it wrote is moved into place with
``os.replace`` once it has succeeded: an interrupted or failed export leaves no partial file under
the final name.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch.nn as nn

from .. import _ultralytics as ul
from ..engine.defaults import RunFolder, run_project
from ..engine.weights import is_shipped

__all__ = ["EXPORT_ALIASES", "Written", "atomic_export", "check_export_format", "export_dir"]

# other names Ultralytics' exporter accepts for its formats (Exporter.__call__)
EXPORT_ALIASES = frozenset({"tensorrt", "trt", "mlmodel", "mlpackage", "mlprogram", "apple", "ios", "huawei",
                            "cann", "om", "vitis", "vitisai", "versal", "tflite", "tfjs"})  # fmt: skip


def check_export_format(fmt: str) -> None:
    """Raise ValueError (one line, the valid formats) for a ``format=`` the exporter would refuse.

    Checked before Ultralytics' ``Model.export``, which on any error first logs an invitation to
    export in its cloud service. Names it accepts with a correction (a close misspelling) pass.
    """
    fmt = str(fmt).lower()
    names = ul.export_format_names()
    if fmt in names or fmt in EXPORT_ALIASES:
        return
    valid = ", ".join(names)
    if fmt == "pt":
        raise ValueError(f"format=pt: the model is already a PyTorch checkpoint; export formats: {valid}")
    if not difflib.get_close_matches(fmt, names, n=1, cutoff=0.6):  # the exporter's own correction
        raise ValueError(f"unknown export format '{fmt}'; valid formats: {valid}")


def export_dir(weights: str | Path | None, project: str | Path | None = None, name: str | None = None) -> Path | None:
    """The folder an export of ``weights`` goes to: ``project/name`` when either is given (``project``
    by default ./runs/detect, ``name`` by default export); else the current directory for shipped
    weights; else None (beside the weights, as Ultralytics writes)."""
    if project or name:
        return Path(run_project(project)) / str(name or "export")
    if is_shipped(weights):
        return Path.cwd()
    return None


@dataclass
class Written:
    """What an export wrote: ``path`` is the exporter's return value, then its final location."""

    path: str | None = None


def _move_into(src: Path, dst: Path) -> None:
    """Move ``src`` (file or folder) to ``dst`` in one rename; an existing folder ``dst`` is set aside
    first and deleted after."""
    if src.is_dir() and dst.is_dir():
        old = Path(tempfile.mkdtemp(prefix=f".{dst.name}.old-", dir=dst.parent))
        os.replace(dst, old / dst.name)
        os.replace(src, dst)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(src, dst)


@contextlib.contextmanager
def atomic_export(model: nn.Module, out_dir: Path | None) -> Iterator[Written]:
    """Run an export (assign its return value to ``.path`` of the yielded ``Written``) in a temporary
    folder; on success move everything it wrote into ``out_dir`` (default: beside ``model.pt_path``,
    else the current directory) and point ``.path`` there, on failure delete the temporary folder."""
    given = getattr(model, "pt_path", None)
    source = Path(given) if given else Path(str(getattr(model, "yaml", {}).get("yaml_file") or "model.yaml"))
    out_dir = Path(out_dir) if out_dir is not None else (source.parent if given else Path.cwd())
    made = RunFolder(str(out_dir.parent), out_dir.name, exist_ok=True) if not out_dir.exists() else None
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".yolo-lat-export-", dir=out_dir))
    written = Written()
    try:
        ul.name_exports_after(model, tmp / f"{source.stem}.pt")
        yield written
        ul.name_exports_after(model, given)
        if written.path is None:
            raise RuntimeError("export returned no path")
        produced = Path(written.path).resolve()
        for entry in sorted(tmp.iterdir()):
            _move_into(entry, out_dir / entry.name)
        written.path = str(out_dir.resolve() / produced.relative_to(tmp.resolve()))
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise OSError(exc.errno, f"no space left on the device of {out_dir} while exporting there") from None
        raise
    finally:
        ul.name_exports_after(model, given)
        shutil.rmtree(tmp, ignore_errors=True)
        if made is not None and out_dir.is_dir() and not any(out_dir.iterdir()):
            made.discard(out_dir)  # nothing was exported: the folders this export made go too
