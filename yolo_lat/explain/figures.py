"""The pictures ``run_explain`` saves: per-layer montages, the overview, the feature decompositions.

- ``<layer>.png``: heads (rows) × query points (columns), the exact attention of each query over
  the layer's feature map, blended over the letterboxed input, the query marked;
- ``overview.png``: the input with its detections and query points, then one row per layer of the
  head-mean attention of each point;
- ``<layer>.features.png``: the key maps of the layer's decomposition (features.py) for one head,
  and each query's mixing weights over them.

Each map is coloured relative to its own maximum; the labels give the normalised entropy Hn
(1 = uniform) and the effective number of attended cells exp(H).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from .render import bar_panel, grid, heat_tile, titled, write_png

if TYPE_CHECKING:
    from .explain import AttentionMap, ExplainResult, FeatureMaps, LayerInfo

__all__ = ["save_figures"]

FEATURE_TILE = 144
FEATURE_COLS = 6


def _tile_size(imgsz: int, count: int = 1) -> int:
    """Tile side: at most 256 px (and the input size); smaller when a row or column holds many tiles."""
    return max(96, min(imgsz, 256, 2304 // max(count, 1)))


def _input_points(result: ExplainResult) -> list[tuple[float, float]]:
    return [result.letterbox.to_input(p) for p in result.points]


def _input_tile(result: ExplainResult, image_lb: np.ndarray, names: dict | None, size: int) -> np.ndarray:
    """The letterboxed input with detections (boxes, class) and numbered query points."""
    img = image_lb.copy()
    for x1, y1, x2, y2, score, cls in result.detections[:20]:
        a = tuple(int(round(v)) for v in result.letterbox.to_input((x1, y1)))
        b = tuple(int(round(v)) for v in result.letterbox.to_input((x2, y2)))
        cv2.rectangle(img, a, b, (60, 220, 60), 1)
        label = f"{(names or {}).get(int(cls), int(cls))} {score:.2f}"
        cv2.putText(img, label, (a[0], max(a[1] - 2, 8)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (60, 220, 60), 1)
    for i, (x, y) in enumerate(_input_points(result)):
        c = (int(round(x)), int(round(y)))
        cv2.circle(img, c, 4, (255, 255, 255), -1)
        cv2.putText(img, f"p{i}", (c[0] + 5, c[1] - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    return heat_tile(img, np.zeros((1, 1)), size, ["input (letterboxed)", f"points: {result.points_from}"], alpha=0.0)


def _map_lines(m: AttentionMap, info: LayerInfo, head: str) -> list[str]:
    x, y = m.point
    return [
        f"{head} p{m.point_index} ({x:.0f},{y:.0f}) cell {m.cell[0]},{m.cell[1]}",
        f"Hn={m.normalized_entropy:.3f} eff={m.effective_positions:.0f}/{m.weights.size} "
        f"peak={m.weights.max() * m.weights.size:.1f}x",
    ]


def _layer_montage(result: ExplainResult, info: LayerInfo, image_lb: np.ndarray) -> np.ndarray:
    size = _tile_size(result.imgsz, max(len(info.heads), len(result.points)))
    pts = _input_points(result)
    rows = []
    for head in info.heads:
        maps = result.select(layer=info.name, head=head)
        rows.append(
            [heat_tile(image_lb, m.weights, size, _map_lines(m, info, f"h{head}"), [pts[m.point_index]]) for m in maps]
        )
    h, w = info.hw
    return titled(grid(rows), f"{info.name}  {info.kernel}  {h}x{w} (stride {info.stride:g})  heads x points")


def _overview(result: ExplainResult, image_lb: np.ndarray, names: dict | None) -> np.ndarray:
    """The input, then per layer the head-mean map of each point: one row per layer, or a single
    row (input, layer 1, layer 2, ...) when there is one point."""
    single = len(result.points) == 1
    size = _tile_size(
        result.imgsz, len(result.layers) + 1 if single else max(len(result.layers) + 1, len(result.points))
    )
    pts = _input_points(result)
    rows = [[_input_tile(result, image_lb, names, size)]]
    for info in result.layers.values():
        row = []
        for p in range(len(result.points)):
            maps = result.select(layer=info.name, point=p)
            mean = np.mean([m.weights for m in maps], axis=0)
            hn = float(-(mean[mean > 0] * np.log(mean[mean > 0])).sum() / np.log(mean.size)) if mean.size > 1 else 1.0
            lines = [
                f"{info.name} {info.hw[0]}x{info.hw[1]} s{info.stride:g}",
                f"p{p}, mean of {len(maps)} head(s): Hn={hn:.3f} peak={mean.max() * mean.size:.1f}x",
            ]
            row.append(heat_tile(image_lb, mean, size, lines, [pts[p]]))
        if single:
            rows[0] += row
        else:
            rows.append(row)
    return titled(grid(rows), f"exact attention of each query point, every ELA layer ({Path(result.source).name})")


def _features_figure(result: ExplainResult, fm: FeatureMaps, image_lb: np.ndarray) -> np.ndarray:
    dec = fm.decomposition
    tiles = [
        heat_tile(
            image_lb,
            fm.maps[f],
            FEATURE_TILE,
            [f"{dec.names[f]}" + (" (signed)" if dec.signed[f] else "")],
            signed=bool(dec.signed[f]),
        )
        for f in range(len(dec.names))
    ]
    rows = [tiles[i : i + FEATURE_COLS] for i in range(0, len(tiles), FEATURE_COLS)]
    maps = grid(rows)
    labels = [f"p{p} mix" for p in range(fm.mix.shape[0])]
    bars = bar_panel(fm.mix, dec.names, labels, maps.shape[1], dec.signed.tolist())
    caption = titled(np.full((1, maps.shape[1], 3), 40, np.uint8), "mixing weights of each query point:")
    what = {
        "softmax_poolings": "w = sum_d a_d * softmax_j(k_jd): one softmax pooling per key feature",
        "distance_terms": "w = a0*uniform + a1*spread + sum_d b_d*(k_jd - mean_d)",
        "feature_poolings": "w = sum_f a_f * psi_f(k_j)/sum_l psi_f(k_l)",
    }[dec.kind]
    return titled(np.vstack([maps, caption, bars]), f"{fm.layer} head {fm.head}: {what}")


def save_figures(result: ExplainResult, image_lb: np.ndarray, names: dict | None = None) -> list[Path]:
    """Write the overview, one montage per layer and the feature figures under ``result.save_dir``."""
    out = result.save_dir
    files = [write_png(out / "overview.png", _overview(result, image_lb, names))]
    for info in result.layers.values():
        files.append(write_png(out / f"{info.name}.png", _layer_montage(result, info, image_lb)))
    for fm in result.features:
        files.append(write_png(out / f"{fm.layer}.features.png", _features_figure(result, fm, image_lb)))
    return files
