"""Memory Lobe (ELA paper, arXiv 2605.18848): bidirectional ELA over a layer's transformation flow.

In a layer whose residual update is Δx = ffn_out (x_k = x_{k−1} + Δx), the lobe attends over
all positions of Δx and adds the result: out = x + ffn_out + lobe(ffn_out), with
lobe(Δx) = ELA(Q Δx, K Δx, V Δx) projected back to C channels. Its output projection starts at
zero, so a lobe added to a trained model leaves it unchanged until it is trained; removing it
restores the model without it (``add_memory_lobes`` / ``remove_memory_lobes`` in block.py, which
walk the ELA layers that own the lobes).
"""

from __future__ import annotations

import torch.nn as nn

from .elattention import ELAttention

__all__ = ["MemoryLobe"]


class MemoryLobe(ELAttention):
    """ELA over Δx: (B, C, H, W) -> (B, C, H, W), zero at initialisation (no positional conv:
    the lobe reads the flow, not the image)."""

    def __init__(self, dim: int, num_heads: int = 1, kernel: str = "hadamard_exp", attn_ratio: float = 0.5,
                 backend: str = "auto"):  # fmt: skip
        super().__init__(dim, num_heads, kernel, attn_ratio, backend, positional=False)
        nn.init.zeros_(self.proj.bn.weight)  # proj is Conv+BN: a zero BN scale makes the lobe output 0
