"""``run_explain``: the exact attention of chosen query pixels, at every ELA layer, over one image.

For each ELA attention layer, each head and each query point (pixels of the original image), the
attention row of the query's feature-map cell over all h·w cells of that layer (ELA paper, arXiv
2605.18848: κ(q, k) = φ(q)·ψ(k), so one row costs O(L); no L×L matrix is built), returned as
(h, w) arrays that are non-negative and sum to 1, and saved as PNG heat-maps over the letterboxed
image: one montage per layer (heads × points), one overview (layers × points, head mean), and, for
kernels that have one, the per-feature decomposition of a chosen head (see features.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn as nn

from .. import _ultralytics as ul
from .capture import Captured, capture_qkv, ela_layers
from .features import FeatureDecomposition, decompose
from .geometry import Letterbox, Point, cell_of, grid_points, parse_points
from .render import write_atomic
from .rows import attention_rows
from .selection import select_heads, select_layers

__all__ = [
    "AttentionMap",
    "ExplainResult",
    "FeatureMaps",
    "LayerInfo",
    "explain_model",
    "forward_capture",
    "run_explain",
]

LOGGER = logging.getLogger("yolo_lat.explain")


@dataclass
class LayerInfo:
    """An ELA attention layer as seen on this image: kernel, heads, feature map (h, w), stride."""

    name: str
    kernel: str
    num_heads: int
    heads: list[int]
    hw: tuple[int, int]
    stride: float


@dataclass
class AttentionMap:
    """The exact attention row of one query point, for one layer and head.

    Attributes:
        layer: the layer's name in ``model.named_modules()``.
        head: head index.
        point_index: index into ``ExplainResult.points``.
        point: (x, y) query point in original-image pixels.
        cell: (row, col) of the query's cell on the layer's feature map.
        weights: (h, w) float64 attention weights over the layer's feature map, ≥ 0, summing to 1.
    """

    layer: str
    head: int
    point_index: int
    point: Point
    cell: tuple[int, int]
    weights: np.ndarray

    @property
    def normalized_entropy(self) -> float:
        """−Σ w log w / log(h·w): 1 for uniform attention, 0 for a single cell."""
        w = self.weights[self.weights > 0]
        return float(-(w * np.log(w)).sum() / math.log(self.weights.size)) if self.weights.size > 1 else 1.0

    @property
    def effective_positions(self) -> float:
        """exp(entropy): how many cells the row attends to, as if uniformly."""
        return float(math.exp(self.normalized_entropy * math.log(self.weights.size)))


@dataclass
class FeatureMaps:
    """One layer's attention rows of one head as mixtures of key maps (features.py).

    ``maps``: (F, h, w); ``mix``: (P, F), one row per query point; rows = mix @ maps.
    """

    layer: str
    head: int
    decomposition: FeatureDecomposition
    maps: np.ndarray
    mix: np.ndarray


@dataclass
class ExplainResult:
    """What ``run_explain`` computed and wrote."""

    source: str
    image_hw: tuple[int, int]
    imgsz: int
    letterbox: Letterbox
    points: list[Point]
    points_from: str  # "user", "detections" or "grid"
    detections: np.ndarray  # (n, 6): x1, y1, x2, y2 (original pixels), score, class
    layers: dict[str, LayerInfo]
    maps: list[AttentionMap]
    features: list[FeatureMaps] = field(default_factory=list)
    save_dir: Path | None = None
    files: list[Path] = field(default_factory=list)

    def select(self, layer: str | None = None, head: int | None = None, point: int | None = None) -> list[AttentionMap]:
        """The maps of a layer / head / point index (None: any)."""
        return [
            m
            for m in self.maps
            if (layer is None or m.layer == layer)
            and (head is None or m.head == head)
            and (point is None or m.point_index == point)
        ]

    def summary(self) -> str:
        """One line for the command line."""
        where = f"; saved to {self.save_dir}" if self.save_dir else ""
        pairs = sum(len(i.heads) for i in self.layers.values())
        return (
            f"{len(self.maps)} attention maps: {len(self.layers)} ELA layer(s), {pairs} (layer, head) pair(s) × "
            f"{len(self.points)} point(s) from {self.points_from}{where}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (no weight arrays): layers, points, per-map statistics, files."""
        return {
            "source": self.source,
            "image_hw": list(self.image_hw),
            "imgsz": self.imgsz,
            "points": [list(p) for p in self.points],
            "points_from": self.points_from,
            "detections": self.detections.round(3).tolist(),
            "layers": {n: {**vars(i), "hw": list(i.hw)} for n, i in self.layers.items()},
            "maps": [
                {
                    "layer": m.layer,
                    "head": m.head,
                    "point": m.point_index,
                    "cell": list(m.cell),
                    "normalized_entropy": round(m.normalized_entropy, 6),
                    "effective_positions": round(m.effective_positions, 3),
                    "max_weight": float(m.weights.max()),
                }
                for m in self.maps
            ],
            "files": [p.name for p in self.files],
        }


# ----------------------------------------------------------------------------- inputs
def _network(model: Any) -> tuple[nn.Module, dict]:
    """(detection network, overrides) of a YOLOLAT / Ultralytics Model or of a bare DetectionModel."""
    from ultralytics.engine.model import Model

    if isinstance(model, Model):
        return model.model, dict(model.overrides)
    if isinstance(model, nn.Module) and hasattr(model, "stride"):
        args = getattr(model, "args", None)
        return model, dict(args) if isinstance(args, dict) else {}
    raise TypeError(f"model must be a YOLOLAT (or Ultralytics Model) or a detection model, got {type(model).__name__}")


def _imgsz(imgsz: Any, overrides: dict, stride: int) -> int:
    """The square input size: given, else the checkpoint's training size (as predict), else 640;
    rounded up to a multiple of the model's largest stride."""
    from ..engine.defaults import DEFAULT_IMGSZ

    size = imgsz if imgsz is not None else overrides.get("imgsz") or DEFAULT_IMGSZ
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2) or len(set(size)) != 1:
            raise ValueError(f"imgsz: {imgsz!r}; explain uses a square input, give one size such as imgsz=640")
        size = size[0]
    if isinstance(size, bool) or not isinstance(size, (int, float)) or size <= 0:
        raise ValueError(f"imgsz: {size!r} is not a positive image size")
    rounded = int(math.ceil(int(size) / stride) * stride)
    if rounded != size:
        LOGGER.warning(f"imgsz={size} is not a multiple of the model stride {stride}; using {rounded}")
    return rounded


def _check_settings(conf: Any, iou: Any, max_points: Any) -> None:
    for key, value in (("conf", conf), ("iou", iou)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"{key}: {value!r} is not a threshold between 0 and 1")
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
        raise ValueError(f"max_points: {max_points!r} is not a positive integer")


def _read_image(source: Any) -> tuple[np.ndarray, str]:
    """(BGR uint8 image, its name) of one image file or array."""
    if isinstance(source, np.ndarray):
        if source.ndim != 3 or source.shape[2] != 3 or source.dtype != np.uint8:
            raise ValueError(f"source: an array must be a BGR uint8 image (H, W, 3), got {source.dtype} {source.shape}")
        return source, "array"
    if not isinstance(source, (str, Path)):
        raise TypeError(f"source must be an image path or a BGR array, got {type(source).__name__}")
    path = Path(source)
    if path.is_dir():
        raise ValueError(f"source: {path} is a folder; explain takes one image file")
    if not path.is_file():
        raise FileNotFoundError(f"source: image {path} not found")
    image = cv2.imread(str(path))
    if image is None:
        raise ValueError(f"source: {path} is not an image that OpenCV can read")
    return image, str(path)


def _device(net: nn.Module, device: Any) -> torch.device:
    """The device to run on: the model's own, or ``device`` ('cpu', 'cuda', '0', 'cuda:1'), moving the model."""
    if device is None or device == "":
        return next(net.parameters()).device
    from ..engine.devices import check_device

    check_device(device)  # a GPU that is not there: one accurate line
    text = str(device)
    dev = torch.device(f"cuda:{text}" if text.isdigit() else text)
    net.to(dev)
    return dev


# ----------------------------------------------------------------------------- forward
@contextlib.contextmanager
def _eval(net: nn.Module):
    was = net.training
    net.eval()
    try:
        yield
    finally:
        net.train(was)


def forward_capture(
    net: nn.Module, image_lb: np.ndarray, layers: dict, device: torch.device
) -> tuple[Any, dict[str, Captured]]:
    """Run the letterboxed image through ``net``; (raw predictions, captured q/k/v of ``layers``)."""
    dtype = next(net.parameters()).dtype
    x = torch.from_numpy(np.ascontiguousarray(image_lb[..., ::-1].transpose(2, 0, 1)))
    x = (x.to(device=device, dtype=dtype) / 255).unsqueeze(0)
    with capture_qkv(layers) as store, torch.no_grad(), _eval(net):
        preds = net(x)
    missing = [n for n in layers if n not in store]
    if missing:
        raise RuntimeError(f"ELA layers {missing} did not run in the forward pass")
    return preds, store


def _detections(net: nn.Module, preds: Any, imgsz: int, image: np.ndarray, conf: float, iou: float) -> np.ndarray:
    """(n, 6) detections in original-image pixels, best first."""
    end2end = bool(getattr(net, "end2end", False))
    det = ul.non_max_suppression(preds, conf, iou, max_det=300, end2end=end2end)[0].detach().float().cpu()
    if len(det):
        det[:, :4] = ul.scale_boxes((imgsz, imgsz), det[:, :4], image.shape)
        det = det[det[:, 4].argsort(descending=True)]
    return det.numpy().reshape(-1, 6)


def _default_points(dets: np.ndarray, width: int, height: int, max_points: int) -> tuple[list[Point], str]:
    """Centres of the top detections, or a 3×3 grid when there are none."""
    if len(dets) == 0:
        return grid_points(width, height, 3), "grid"
    pts = []
    for x1, y1, x2, y2 in dets[:max_points, :4]:
        x, y = (x1 + x2) / 2, (y1 + y2) / 2
        pts.append((float(min(max(x, 0.0), width - 0.5)), float(min(max(y, 0.0), height - 0.5))))
    return pts, "detections"


# ----------------------------------------------------------------------------- rows
def _layer_maps(
    name: str, cap: Captured, info: LayerInfo, cells: list[tuple[int, int]], points: list[Point]
) -> list[AttentionMap]:
    h, w = cap.hw
    idx = torch.tensor([r * w + c for r, c in cells], device=cap.q.device)
    heads = torch.tensor(info.heads, device=cap.q.device)
    rows = attention_rows(cap.q[0, heads][:, idx], cap.k[0, heads], cap.kernel).cpu().numpy()  # (nh, P, L)
    return [
        AttentionMap(name, head, p, points[p], cells[p], rows[i, p].reshape(h, w))
        for i, head in enumerate(info.heads)
        for p in range(len(points))
    ]


def _layer_features(name: str, cap: Captured, head: int, cells: list[tuple[int, int]]) -> FeatureMaps | None:
    h, w = cap.hw
    idx = torch.tensor([r * w + c for r, c in cells], device=cap.q.device)
    try:
        dec = decompose(cap.q[0, head, idx], cap.k[0, head], cap.kernel)
    except ValueError as exc:
        LOGGER.info(f"{name}: no feature decomposition ({exc})")  # softmax has none
        return None
    maps = dec.maps.cpu().numpy().reshape(-1, h, w)
    return FeatureMaps(name, head, dec, maps, dec.mix.cpu().numpy())


def run_explain(
    model: Any,
    source: Any,
    points: Any = None,
    layers: Any = None,
    heads: Any = None,
    save_dir: str | Path | None = None,
    *,
    imgsz: Any = None,
    conf: float = 0.25,
    iou: float = 0.7,
    max_points: int = 4,
    device: Any = None,
    features: bool = True,
) -> ExplainResult:
    """Exact attention rows of query points at every (chosen) ELA layer and head, for one image.

    Args:
        model: a ``YOLOLAT`` (any Ultralytics ``Model``) or a YOLO-LAT detection model.
        source: one image: a file path or a BGR uint8 array (H, W, 3).
        points: query points (x, y) in original-image pixels: (x, y), [(x, y), ...] or "x,y;x,y".
            Default: the centres of the top ``max_points`` detections, or a 3×3 grid if none.
        layers: ELA layer names as in ``model.named_modules()`` (a name, a prefix such as
            ``model.10``, an index into the list of ELA layers, a list of these or a comma-separated
            string); default all, Memory Lobes included.
        heads: head index or indices, default all heads of each layer.
        save_dir: where to write the PNGs and ``summary.json``; None writes nothing.
        imgsz: square input size; default the checkpoint's training imgsz (as predict), else 640.
        conf, iou: detection thresholds for the default points.
        max_points: how many detections give default points.
        device: run on this device (moves the model); default the model's device.
        features: also compute the per-feature decomposition of the first chosen head per layer.

    Returns:
        ExplainResult with one ``AttentionMap`` per (layer, head, point).

    Raises:
        ValueError: bad ``points``, ``layers``, ``heads`` or ``imgsz``, in one line naming the valid range.
    """
    net, overrides = _network(model)
    _check_settings(conf, iou, max_points)
    stride = int(max(float(net.stride.max()), 1.0))
    size = _imgsz(imgsz, overrides, stride)
    image, name = _read_image(source)
    height, width = image.shape[:2]
    chosen = select_layers(ela_layers(net), layers)
    head_sel = select_heads(heads, {n: m.num_heads for n, m in chosen.items()})
    user_points = parse_points(points, width, height) if points is not None else None
    box = Letterbox.fit((height, width), size)
    image_lb = ul.letterbox(image, size)
    preds, store = forward_capture(net, image_lb, chosen, _device(net, device))
    dets = _detections(net, preds, size, image, conf, iou)
    pts, origin = (user_points, "user") if user_points else _default_points(dets, width, height, max_points)
    infos, maps, feats = {}, [], []
    for lname, cap in ((n, store[n]) for n in chosen):
        infos[lname] = LayerInfo(lname, cap.kernel, chosen[lname].num_heads, head_sel[lname], cap.hw, size / cap.hw[0])
        cells = [cell_of(box.to_input(p), size, cap.hw) for p in pts]
        maps += _layer_maps(lname, cap, infos[lname], cells, pts)
        fm = _layer_features(lname, cap, head_sel[lname][0], cells) if features else None
        feats += [fm] if fm is not None else []
    result = ExplainResult(name, (height, width), size, box, pts, origin, dets, infos, maps, feats)
    if save_dir is not None:
        from .figures import save_figures

        result.save_dir = Path(save_dir)
        result.files = save_figures(result, image_lb, getattr(net, "names", None))
        result.files.append(
            write_atomic(result.save_dir / "summary.json", json.dumps(result.to_dict(), indent=1).encode())
        )
    return result


def explain_model(
    model: Any,
    source: Any = None,
    points: Any = None,
    layers: Any = None,
    heads: Any = None,
    *,
    save: bool = True,
    project: str | Path | None = None,
    name: str | None = None,
    exist_ok: bool = False,
    **kwargs: Any,
) -> ExplainResult:
    """``YOLOLAT.explain`` and ``yolo-lat explain``: ``run_explain`` writing to a new run folder
    ``project/name`` (default ``./runs/detect/explain``, a new numbered folder each time, as the other
    modes name their runs);
    ``source`` defaults to the first bundled sample image."""
    if source is None:
        from ..paths import SAMPLES_DIR

        source = sorted(SAMPLES_DIR.glob("*.jpg"))[0]
        LOGGER.info(f"no source given: explaining {source}")
    from ..engine.defaults import run_project

    save_dir = ul.run_dir(run_project(project), name or "explain", exist_ok=bool(exist_ok)) if save else None
    return run_explain(model, source, points, layers, heads, save_dir, **kwargs)
