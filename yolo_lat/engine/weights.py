"""Resolving ``model=`` names: shipped weights and model YAMLs, never a download."""

from __future__ import annotations

from pathlib import Path

from ..paths import WEIGHTS_DIRS

__all__ = ["resolve_weights"]


def resolve_weights(name: str | Path) -> str:
    """Path of a weights file: as given if it exists, else a file of that name shipped in weights/.

    ``yolo-lat-n.pt`` therefore works from any working directory, as Ultralytics' released weights
    do, but nothing is downloaded: a name that is neither on disk nor shipped is an error.
    """
    s = str(name)
    p = Path(s)
    if p.is_file():
        return s
    if p.suffix == "" and not s.startswith(("http:", "https:")):
        p = p.with_suffix(".pt")
        if p.is_file():
            return str(p)
    for d in WEIGHTS_DIRS:
        cand = d / p.name
        if cand.is_file():
            return str(cand)
    shipped = sorted({f.name for d in WEIGHTS_DIRS for f in d.glob("*.pt")})
    raise FileNotFoundError(
        f"weights '{s}' not found in the working directory or in {[str(d) for d in WEIGHTS_DIRS]} "
        f"(shipped: {', '.join(shipped) or 'none'}); YOLO-LAT does not download weights"
    )
