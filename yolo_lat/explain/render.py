"""PNG pictures of attention rows: heat-maps over the letterboxed image, montages, atomic writes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

__all__ = ["bar_panel", "grid", "heat_tile", "titled", "write_atomic", "write_png"]

FONT = cv2.FONT_HERSHEY_SIMPLEX
LINE_H = 14  # pixels per text line in label bands
BACKGROUND = (40, 40, 40)


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a new temporary file beside it (created with the
    usual permissions), then os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """Write ``image`` (BGR uint8) as a PNG, atomically."""
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError(f"could not encode {Path(path).name} as PNG")
    return write_atomic(path, data.tobytes())


def _diverging_lut() -> np.ndarray:
    """Blue -> white -> red colour table (BGR), for signed maps."""
    t = np.linspace(-1.0, 1.0, 256)
    b = np.where(t < 0, 255, 255 * (1 - t))
    r = np.where(t > 0, 255, 255 * (1 + t))
    g = 255 * (1 - np.abs(t))
    return np.stack([b, g, r], -1).astype(np.uint8).reshape(256, 1, 3)


_DIVERGING = _diverging_lut()


def _colour(values: np.ndarray, size: int, signed: bool) -> np.ndarray:
    """(h, w) map -> (size, size, 3) BGR colours; scaled to its own maximum (|max| when signed)."""
    v = np.asarray(values, dtype=np.float64)
    peak = float(np.abs(v).max()) if signed else float(v.max())
    scaled = v / peak if peak > 0 else np.zeros_like(v)
    u8 = np.clip((scaled * 0.5 + 0.5 if signed else scaled) * 255, 0, 255).astype(np.uint8)
    u8 = cv2.resize(u8, (size, size), interpolation=cv2.INTER_NEAREST)  # one block per cell: no invented detail
    return cv2.applyColorMap(u8, _DIVERGING) if signed else cv2.applyColorMap(u8, cv2.COLORMAP_TURBO)


def _with_label(image: np.ndarray, lines: Sequence[str]) -> np.ndarray:
    band = np.full((LINE_H * len(lines) + 4, image.shape[1], 3), BACKGROUND, np.uint8)
    for i, text in enumerate(lines):
        cv2.putText(band, text, (3, LINE_H * (i + 1) - 2), FONT, 0.38, (255, 255, 255), 1, cv2.LINE_AA)
    return np.vstack([band, image])


def heat_tile(
    image: np.ndarray,
    values: np.ndarray,
    size: int,
    lines: Sequence[str] = (),
    points: Sequence[tuple[float, float]] = (),
    signed: bool = False,
    alpha: float = 0.55,
) -> np.ndarray:
    """One map over the letterboxed ``image`` (S, S, 3), resized to ``size``; ``points`` (input pixels)
    are marked; ``lines`` of text go in a band above."""
    base = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    tile = cv2.addWeighted(base, 1 - alpha, _colour(values, size, signed), alpha, 0)
    scale = size / image.shape[0]
    for x, y in points:
        c = (int(round(x * scale)), int(round(y * scale)))
        cv2.circle(tile, c, 5, (0, 0, 0), 2, cv2.LINE_AA)
        cv2.circle(tile, c, 3, (255, 255, 255), -1, cv2.LINE_AA)
    return _with_label(tile, lines) if lines else tile


def grid(tiles: Sequence[Sequence[np.ndarray]], gap: int = 4) -> np.ndarray:
    """Tiles in rows (each row a sequence), padded to the largest tile, ``gap`` pixels apart."""
    th = max(t.shape[0] for row in tiles for t in row)
    tw = max(t.shape[1] for row in tiles for t in row)
    cols = max(len(row) for row in tiles)
    out = np.full((len(tiles) * (th + gap) + gap, cols * (tw + gap) + gap, 3), BACKGROUND, np.uint8)
    for r, row in enumerate(tiles):
        for c, t in enumerate(row):
            y, x = gap + r * (th + gap), gap + c * (tw + gap)
            out[y : y + t.shape[0], x : x + t.shape[1]] = t
    return out


def titled(image: np.ndarray, title: str) -> np.ndarray:
    """``image`` with a title band above."""
    band = np.full((24, image.shape[1], 3), BACKGROUND, np.uint8)
    cv2.putText(band, title, (6, 17), FONT, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return np.vstack([band, image])


def bar_panel(
    values: np.ndarray, names: Sequence[str], row_labels: Sequence[str], width: int, signed: Sequence[bool]
) -> np.ndarray:
    """Mixing weights as bars: one row of F bars per query (``values``: (P, F)), the map names under
    the last row; a zero line in the middle where any weight is signed; each row scaled to its
    largest |weight|."""
    p, f = values.shape
    row_h, label_w = 48, 60
    panel = np.full((p * row_h + LINE_H + 6, width, 3), BACKGROUND, np.uint8)
    bar_w = max(1, (width - label_w - 4) // max(f, 1))
    any_signed = bool(np.any(signed)) or bool((values < 0).any())
    for i in range(p):
        y0 = 2 + i * row_h
        base = y0 + (row_h // 2 if any_signed else row_h - 4)
        span = row_h // 2 - 4 if any_signed else row_h - 8
        cv2.putText(panel, row_labels[i], (3, y0 + row_h // 2 + 4), FONT, 0.38, (255, 255, 255), 1, cv2.LINE_AA)
        peak = float(np.abs(values[i]).max()) or 1.0
        for j in range(f):
            x = label_w + j * bar_w
            top = base - int(round(span * values[i, j] / peak))
            colour = (80, 80, 230) if values[i, j] < 0 else (230, 180, 60)
            cv2.rectangle(panel, (x, min(base, top)), (x + max(bar_w - 2, 1), max(base, top)), colour, -1)
        cv2.line(panel, (label_w, base), (width - 2, base), (160, 160, 160), 1)
    chars = max(1, bar_w // 7)
    for j, name in enumerate(names):
        x, y = label_w + j * bar_w, p * row_h + LINE_H + 2
        cv2.putText(panel, name[:chars], (x, y), FONT, 0.35, (255, 255, 255), 1, cv2.LINE_AA)
    return panel
