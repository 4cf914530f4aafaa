"""Attention dilution of a detector's ELA layers over a set of images.

The ELA paper (arXiv 2605.18848) argues that earlier linear attention suffers *token attention
dilution* — rows spread nearly uniformly over all positions, so no token stands out — and that
its kernels avoid it. This measures it directly, for every row of every ELA layer and head:

- the normalised entropy H_i / log L of row i (1 = uniform, 0 = one position);
- the effective number of attended positions exp(H_i) (L = uniform), and its fraction of L;
- the peak weight relative to uniform, L · max_j w_ij;
- for ``hadamard_exp`` layers, the *pooling floor* min_d H(P_d) / log L of each image and head: no
  row can be less diluted than the sharpest of the D per-feature softmax poolings (features.py).

Rows are computed exactly (rows.py) in blocks; no L×L matrix is held.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from .. import _ultralytics as ul
from .capture import ela_layers
from .explain import forward_capture
from .features import pooling_entropy
from .rows import row_statistics

__all__ = ["measure_dilution"]


def _summary(values: np.ndarray) -> dict[str, float]:
    return {
        "mean": float(values.mean()),
        "p10": float(np.percentile(values, 10)),
        "p50": float(np.percentile(values, 50)),
        "p90": float(np.percentile(values, 90)),
    }


def measure_dilution(net: torch.nn.Module, images: Iterable[np.ndarray], imgsz: int) -> list[dict[str, Any]]:
    """Per (ELA layer, head): statistics of all attention rows over ``images`` (BGR uint8 arrays).

    Returns:
        one dict per layer and head: ``layer``, ``head``, ``kernel``, ``hw``, ``L``, ``stride``,
        ``rows`` (how many rows were measured), ``normalized_entropy`` / ``effective`` / ``peak``
        (mean, p10, p50, p90 over rows), ``effective_fraction`` (mean effective / L) and, for
        ``hadamard_exp``, ``pooling_floor`` (mean, p10, p50, p90 over images).
    """
    layers = ela_layers(net)
    if not layers:
        raise ValueError("the model has no ELA attention layers (ELAttention modules)")
    device = next(net.parameters()).device
    rows: dict[tuple[str, int], dict[str, list[np.ndarray]]] = {}
    meta: dict[str, tuple[str, tuple[int, int]]] = {}
    for image in images:
        _, store = forward_capture(net, ul.letterbox(image, imgsz), layers, device)
        for name, cap in store.items():
            meta[name] = (cap.kernel, cap.hw)
            stats = row_statistics(cap.q[0], cap.k[0], cap.kernel)  # (heads, L) each
            if cap.kernel == "hadamard_exp":
                stats["pooling_floor"] = pooling_entropy(cap.k[0]).amin(-1, keepdim=True)  # (heads, 1)
            for head in range(cap.q.shape[1]):
                acc = rows.setdefault((name, head), {key: [] for key in stats if key != "entropy"})
                for key in acc:
                    acc[key].append(stats[key][head].cpu().numpy())
    out = []
    for (name, head), acc in rows.items():
        kernel, (h, w) = meta[name]
        values = {key: np.concatenate(v) for key, v in acc.items()}
        out.append(
            {
                "layer": name,
                "head": head,
                "kernel": kernel,
                "hw": [h, w],
                "L": h * w,
                "stride": imgsz / h,
                "rows": int(values["effective"].size),
                "images": len(acc["effective"]),
                **{key: _summary(v) for key, v in values.items()},
                "effective_fraction": float(values["effective"].mean() / (h * w)),
            }
        )
    return out
