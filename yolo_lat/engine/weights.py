"""Resolving ``model=`` names: shipped weights and model YAMLs, never a download."""

from __future__ import annotations

from pathlib import Path

from ..paths import PACKAGE, WEIGHTS_DIRS

__all__ = ["is_shipped", "resolve_weights"]


def resolve_weights(name: str | Path) -> str:
    """Path of a weights file (or exported model folder): as given if it exists, else, for a bare name, the file of that name
    shipped in weights/.

    ``yolo-lat-n.pt`` therefore works from any working directory, as Ultralytics' released weights
    do, but nothing is downloaded, and a path with a folder part (``runs/x/best.pt``,
    ``/data/yolo-lat-n.pt``) means that file: when it is missing, that is an error, never a shipped file
    of the same name.
    """
    s = str(name)
    if s.startswith(("http://", "https://")):
        raise FileNotFoundError(f"weights '{s}': YOLO-LAT does not download weights; download the file, then "
                                "pass its path")  # fmt: skip
    p = Path(s)
    if p.is_file() or p.is_dir():  # a folder: an exported model such as yolo-lat-n_openvino_model/
        return s
    if p.suffix == "":
        p = p.with_suffix(".pt")
        if p.is_file():
            return str(p)
    if len(p.parts) > 1:
        missing = next((d for d in reversed(p.parents) if not d.exists()), None)
        why = f"folder {missing} does not exist" if missing is not None else "no such file"
        raise FileNotFoundError(f"weights '{s}' not found ({why}); only a bare name such as yolo-lat-n.pt "
                                "is looked up among the shipped weights")  # fmt: skip
    for d in WEIGHTS_DIRS:
        cand = d / p.name
        if cand.is_file():
            return str(cand)
    shipped = sorted({f.name for d in WEIGHTS_DIRS for f in d.glob("*.pt")})
    raise FileNotFoundError(
        f"weights '{s}' not found in the working directory or in {[str(d) for d in WEIGHTS_DIRS]} "
        f"(shipped: {', '.join(shipped) or 'none'}); YOLO-LAT does not download weights"
    )


def is_shipped(path: str | Path | None) -> bool:
    """Whether ``path`` lies inside the installed package or its shipped weights folders (the checkout's
    weights/ in an editable install): places YOLO-LAT never writes to."""
    if not path:
        return False
    p = Path(path).resolve()
    return any(p.is_relative_to(d.resolve()) for d in (PACKAGE, *WEIGHTS_DIRS))
