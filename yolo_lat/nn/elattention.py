"""``ELAttention``: ELA over feature maps, global attention across all H·W positions in O(H·W).

(Named for its class: ``yolo_lat/ela/`` holds the attention mathematics it calls.)
"""

from __future__ import annotations

import torch
import torch.nn as nn
from ultralytics.nn.modules import Conv

from ..ela import ela_attention, get_kernel

__all__ = ["ELAttention"]


class ELAttention(nn.Module):
    """Multi-head Exact Linear Attention for x: (B, C, H, W) -> (B, C, H, W).

    q, k, v come from one 1×1 conv (as in Ultralytics' PSA ``Attention``), keys and queries of
    width ``key_dim = head_dim · attn_ratio``; attention runs over the L = H·W positions with the
    named kernel (``hadamard_exp``, ``sum_sqeuclid``, ``sub_sqeuclid``, a registered kernel, or
    ``softmax`` for the quadratic baseline); a depthwise 3×3 conv on v adds position
    information (ELA, like softmax attention, is permutation-equivariant over positions); a 1×1
    conv projects the result.

    Args:
        dim: channels C.
        num_heads: attention heads; C must be divisible by it.
        kernel: attention kernel name.
        attn_ratio: key/query width relative to the head width.
        backend: ``ela_attention`` backend (``auto``: Triton on GPU, torch on CPU and in export).
        positional: add the depthwise-conv positional term.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int = 1,
        kernel: str = "hadamard_exp",
        attn_ratio: float = 0.5,
        backend: str = "auto",
        positional: bool = True,
    ):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"ELAttention: dim={dim} is not divisible by num_heads={num_heads}")
        get_kernel(kernel)  # fail at build time on an unknown kernel name
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.key_dim = max(1, int(self.head_dim * attn_ratio))
        self.kernel = kernel
        self.backend = backend
        self.qkv = Conv(dim, dim + 2 * self.key_dim * num_heads, 1, act=False)
        self.proj = Conv(dim, dim, 1, act=False)
        self.pe = Conv(dim, dim, 3, 1, g=dim, act=False) if positional else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        n = h * w
        q, k, v = (
            self.qkv(x)
            .view(b, self.num_heads, 2 * self.key_dim + self.head_dim, n)
            .split([self.key_dim, self.key_dim, self.head_dim], dim=2)
        )
        # channel-first (B, heads, width, L) views in, (B, heads, head_dim, L) out: the Triton
        # programs read and write this layout in place (no transpose, no copy, forward or
        # backward); the torch path works on transposed views, as it always has
        out = ela_attention(q, k, v, self.kernel, backend=self.backend, channels_first=True)
        out = out.reshape(b, c, h, w)
        if self.pe is not None:
            out = out + self.pe(v.reshape(b, c, h, w))
        return self.proj(out)

    def extra_repr(self) -> str:
        return f"kernel={self.kernel}, heads={self.num_heads}, head_dim={self.head_dim}, key_dim={self.key_dim}"
