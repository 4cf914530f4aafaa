"""Where YOLO-LAT finds its model YAMLs, dataset registry and shipped weights.

A source checkout (``pip install -e .``) keeps them at the repository root: ``cfg/``,
``datasets.yaml`` and ``weights/``. A wheel install carries the same files under
``yolo_lat/_assets/`` (copied there by setup.py). Both are searched, checkout first. Nothing
here is ever written to: outputs go under the run folders the user names (``project/name``).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPO = PACKAGE.parent  # the checkout in an editable install; site-packages after a wheel install
_ASSETS = PACKAGE / "_assets"

CFG_DIRS: list[Path] = [
    p for p in (REPO / "cfg" / "models", REPO / "cfg", _ASSETS / "cfg" / "models", _ASSETS / "cfg") if p.is_dir()
]
DATASETS_YAML: Path = next(
    (p for p in (REPO / "datasets.yaml", _ASSETS / "datasets.yaml") if p.is_file()), REPO / "datasets.yaml"
)
WEIGHTS_DIRS: list[Path] = [p for p in (REPO / "weights", _ASSETS / "weights") if p.is_dir()]
SAMPLES_DIR: Path = PACKAGE / "assets" / "samples"  # a few shapes images: default predict/demo source
