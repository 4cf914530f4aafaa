"""Defaults shared by the ``YOLOLAT`` class, the demo and the command line."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = [
    "DEFAULT_DATA",
    "DEFAULT_IMGSZ",
    "DEFAULT_MODEL",
    "DEFAULT_WEIGHTS",
    "RUNS",
    "RunFolder",
    "run_project",
]

DEFAULT_MODEL = "yolo-lat-n.yaml"  # what `train` builds without model=
DEFAULT_WEIGHTS = "yolo-lat-n.pt"  # what val, predict, export and demo load without model= (shipped)
DEFAULT_DATA = "shapes"  # what `train` trains on without data= (embedded generator)
DEFAULT_IMGSZ = 640  # input size when none is given: Ultralytics' default imgsz
RUNS = "runs"  # run folders go under ./runs/<task> of the current directory


def run_project(project: str | Path | None, task: str | None = "detect") -> str:
    """The absolute folder a run folder is made in: ``project`` (relative to the current directory),
    by default ``./runs/<task>``.

    Ultralytics puts a missing or relative ``project`` under its global ``runs_dir`` setting, which
    it derives once from the git checkout around its install and then keeps in its settings file;
    an absolute path is used as given, so YOLO-LAT always passes one (no symlink is resolved).
    """
    return os.path.abspath(project if project else Path(RUNS) / (task or "detect"))


class RunFolder:
    """What a run is about to create under ``project/name``, noted before Ultralytics creates it, so
    that a run that fails can remove what it made (and nothing that was there before)."""

    def __init__(self, project: str, name: str, exist_ok: bool):
        project_path = Path(project).resolve()
        # exist_ok=True reuses project/name as it is; otherwise Ultralytics makes a new, numbered folder
        self.kept = exist_ok and (project_path / name).exists()
        self.made_from = next((p for p in (*reversed(project_path.parents), project_path) if not p.exists()), None)

    def discard(self, save_dir: Path | None) -> bool:
        """Delete ``save_dir`` (when this run made it) and the empty parents this run made; True if deleted."""
        if save_dir is None or self.kept or not Path(save_dir).is_dir():
            return False
        save_dir = Path(save_dir)
        shutil.rmtree(save_dir, ignore_errors=True)
        parent = save_dir.parent
        while self.made_from is not None and parent.is_relative_to(self.made_from) and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
        return True
