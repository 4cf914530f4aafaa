"""The CSP-style ELA block: where YOLO11 uses C2PSA and YOLO12 uses A2C2f."""

from __future__ import annotations

import torch
import torch.nn as nn
from ultralytics.nn.modules import Conv

from .attention import ELAttention

__all__ = ["ELABlock", "ELALayer", "heads_for"]


def heads_for(channels: int, head_dim: int) -> int:
    """Largest head count ≤ channels / head_dim that divides ``channels`` (at least 1)."""
    heads = max(1, channels // max(1, head_dim))
    while channels % heads:
        heads -= 1
    return heads


class ELALayer(nn.Module):
    """ELA attention + FFN, each with a residual: x + attn(x), then x + ffn(x).

    The FFN is two 1×1 convs (c -> c·ffn_ratio -> c), as in Ultralytics' PSABlock.
    """

    def __init__(
        self,
        c: int,
        num_heads: int = 1,
        kernel: str = "hadamard_exp",
        attn_ratio: float = 0.5,
        ffn_ratio: float = 2.0,
        backend: str = "auto",
    ):
        super().__init__()
        self.attn = ELAttention(c, num_heads, kernel, attn_ratio, backend)
        self.ffn = nn.Sequential(Conv(c, int(c * ffn_ratio), 1), Conv(int(c * ffn_ratio), c, 1, act=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x)
        return x + self.ffn(x)


class ELABlock(nn.Module):
    """CSP block of ``n`` ELA layers: x: (B, c1, H, W) -> (B, c2, H, W).

    A 1×1 conv splits the input into two halves of c_ = c2·e channels; one half passes through
    the ELA layers, the other bypasses them; a 1×1 conv fuses both (the C2PSA layout, with c1 and
    c2 free so that it also fits the neck, where YOLO12 puts A2C2f).

    YAML row: ``[from, n, ELABlock, [c2, {kernel: ..., e: ..., head_dim: ...}]]``; c2 and n are
    scaled by width/depth/max_channels exactly as Ultralytics scales its own blocks.

    Args:
        c1: input channels.
        c2: output channels.
        n: number of ELA layers.
        kernel: attention kernel (``hadamard_exp``, ``sum_sqeuclid``, ``sub_sqeuclid``, ``softmax``, ...).
        e: hidden-channel ratio c_ / c2.
        head_dim: target channels per attention head (heads = c_ // head_dim, at least 1).
        attn_ratio: key width relative to head width.
        ffn_ratio: FFN expansion.
        backend: ``ela_attention`` backend.
    """

    def __init__(
        self,
        c1: int,
        c2: int,
        n: int = 1,
        kernel: str = "hadamard_exp",
        e: float = 0.5,
        head_dim: int = 32,
        attn_ratio: float = 0.5,
        ffn_ratio: float = 2.0,
        backend: str = "auto",
    ):
        super().__init__()
        self.c = int(c2 * e)
        heads = heads_for(self.c, head_dim)
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.cv2 = Conv(2 * self.c, c2, 1)
        self.m = nn.Sequential(*(ELALayer(self.c, heads, kernel, attn_ratio, ffn_ratio, backend) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.cv1(x).split((self.c, self.c), dim=1)
        return self.cv2(torch.cat((a, self.m(b)), 1))
