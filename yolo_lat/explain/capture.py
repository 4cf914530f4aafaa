"""Find the ELA attention layers of a model and capture their queries and keys during a forward.

An *ELA attention layer* is every ``ELAttention`` module, named as in ``model.named_modules()``:
the attention of each ELA layer (``...m.<i>.attn``) and, when a model has them, its Memory Lobes
(``...m.<i>.lobe``, ``MemoryLobe`` subclasses ``ELAttention``). A lobe attends over all positions
of its layer's FFN output Δx rather than of the layer's input, but it is global ELA attention over
the same feature map, so its rows are shown too (its name says which it is).

q and k are taken from the output of the module's ``qkv`` 1×1 conv with a forward hook and split
with :func:`yolo_lat.explain.rows.split_qkv` from the module's ``num_heads``, ``key_dim`` and
``head_dim``, so nothing depends on how ``forward`` lays out its call of ``ela_attention``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn as nn

from ..nn.elattention import ELAttention
from .rows import split_qkv

__all__ = ["Captured", "capture_qkv", "ela_layers"]


@dataclass
class Captured:
    """What one ELA attention layer saw in a forward pass.

    Attributes:
        q, k: (B, heads, L, key_dim); v: (B, heads, L, head_dim), detached.
        hw: (h, w) of the feature map, L = h·w (positions row-major).
        kernel: the layer's kernel name.
    """

    q: torch.Tensor
    k: torch.Tensor
    v: torch.Tensor
    hw: tuple[int, int]
    kernel: str


def ela_layers(model: nn.Module) -> dict[str, ELAttention]:
    """The ELA attention layers of ``model`` (ELAttention and MemoryLobe), by ``named_modules()`` name."""
    return {name: m for name, m in model.named_modules() if isinstance(m, ELAttention)}


def _hook(store: dict[str, Captured], name: str, module: ELAttention):
    def hook(_conv: nn.Module, _inputs: tuple, out: torch.Tensor) -> None:
        q, k, v = split_qkv(out.detach(), module.num_heads, module.key_dim, module.head_dim)
        if (tau := module.qk_scale()) is not None:  # the learnable temperature scales q and k before the kernel
            tau = tau.detach()
            q, k = q * tau, k * tau
        store[name] = Captured(q, k, v, (out.shape[-2], out.shape[-1]), str(module.kernel))

    return hook


@contextlib.contextmanager
def capture_qkv(layers: dict[str, ELAttention]) -> Iterator[dict[str, Captured]]:
    """While active, every forward of the given layers records its q, k, v into the yielded dict."""
    store: dict[str, Captured] = {}
    handles = [m.qkv.register_forward_hook(_hook(store, name, m)) for name, m in layers.items()]
    try:
        yield store
    finally:
        for h in handles:
            h.remove()
