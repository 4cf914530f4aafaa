"""Explaining ELA attention: the exact attention of any query pixel, at every ELA layer.

Because an ELA kernel factors as κ(q, k) = φ(q)·ψ(k) (ELA paper, arXiv 2605.18848), the exact
attention row of one query position costs O(L): a user can see, for a chosen pixel, exactly where
each head looks across the whole image, at every ELA layer (at stride 8 too, in a model with ELA
there such as ablations/yolo-lat-neck).

- ``rows``: the exact rows (any kernel, the softmax twin too) and their dilution statistics;
- ``features``: the geometric reading of a kernel, each row as a query-weighted mix of key maps;
- ``capture``: the ELA layers of a model and their q, k (forward hooks);
- ``geometry``: original pixel -> letterboxed input -> feature-map cell;
- ``explain``: ``run_explain`` / ``explain_model`` (``YOLOLAT.explain``, ``yolo-lat explain``);
- ``dilution``: ``measure_dilution``, row entropy statistics over a set of images;
- ``figures``, ``render``: the PNGs.

>>> from yolo_lat import YOLOLAT
>>> result = YOLOLAT("yolo-lat-n.pt").explain("image.jpg", save=False)  # doctest: +SKIP
>>> m = result.maps[0]; m.layer, m.head, m.point, m.weights.shape, m.weights.sum()  # doctest: +SKIP
"""

from .capture import Captured, capture_qkv, ela_layers
from .dilution import measure_dilution
from .explain import AttentionMap, ExplainResult, FeatureMaps, LayerInfo, explain_model, run_explain
from .features import FeatureDecomposition, decompose, pooling_entropy
from .geometry import Letterbox, cell_of, grid_points, parse_points
from .rows import attention_rows, row_statistics, split_qkv

__all__ = [
    "AttentionMap",
    "Captured",
    "ExplainResult",
    "FeatureDecomposition",
    "FeatureMaps",
    "LayerInfo",
    "Letterbox",
    "attention_rows",
    "capture_qkv",
    "cell_of",
    "decompose",
    "ela_layers",
    "explain_model",
    "grid_points",
    "measure_dilution",
    "parse_points",
    "pooling_entropy",
    "row_statistics",
    "run_explain",
    "split_qkv",
]
