"""Images for checks and demos: the dataset's validation images, or the bundled samples."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..paths import SAMPLES_DIR

__all__ = ["IMAGE_SUFFIXES", "parity_images"]

# image files YOLO-LAT reads with OpenCV (demo folders and globs, validation images for checks)
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})


def parity_images(data: str | None, n: int = 4) -> tuple[list[np.ndarray], str]:
    """Up to ``n`` BGR images from the validation split of ``data`` when it is a data YAML path,
    else (dataset names, missing data) the bundled sample images, which are shapes images."""
    files: list[Path] = []
    if data:
        try:
            import yaml

            from ..data.registry import resolve_data

            p = Path(resolve_data(data)) if Path(str(data)).is_file() else None
            if p is not None:
                d = yaml.safe_load(p.read_text()) or {}
                root = Path(d.get("path") or p.parent)
                root = root if root.is_absolute() else p.parent / root
                val = root / str(d.get("val", ""))
                if val.is_dir():
                    files = sorted(f for f in val.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)[:n]
        except Exception:  # the parity check must not fail because the training data moved
            files = []
    where = f"{len(files)} validation image(s) of {data}" if files else f"bundled samples in {SAMPLES_DIR}"
    if not files:
        files = sorted(SAMPLES_DIR.glob("*.jpg"))[:n]
    return [cv2.imread(str(f)) for f in files], where
