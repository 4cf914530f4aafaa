"""``ELAttention``: ELA over feature maps, global attention across all H·W positions in O(H·W).

(Named for its class: ``yolo_lat/ela/`` holds the attention mathematics it calls.)
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
from ultralytics.nn.modules import Conv

from ..ela import ela_attention, get_kernel

__all__ = ["ELAttention"]


def _initial_tau(temperature: bool | float) -> float | None:
    """The starting τ of the ``temperature`` option: None (off) for False, 1 for True, else the number."""
    if isinstance(temperature, bool):
        return 1.0 if temperature else None
    if not isinstance(temperature, (int, float)) or not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(
            f"ELAttention: temperature={temperature!r} is not an option; expected true/false or a positive starting τ"
        )
    return float(temperature)


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
        temperature: a learnable per-head scale τ > 0 on queries and keys: ``True`` starts it at 1, a
            positive number starts it there (``3.0``: sharper rows from the first step). κ(τq, τk)
            still factors exactly (exp(τq)·exp(τk) for ``hadamard_exp``), so heads can sharpen or flatten.
        gate: multiply the attention output (with its positional term) by sigmoid(W x), a 1×1 conv of
            the input, before the projection (an output gate, as in gated attention).
        pe_kernel: size of the depthwise positional conv (3, 5, 7, ...).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int = 1,
        kernel: str = "hadamard_exp",
        attn_ratio: float = 0.5,
        backend: str = "auto",
        positional: bool = True,
        temperature: bool | float = False,
        gate: bool = False,
        pe_kernel: int = 3,
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
        if not isinstance(pe_kernel, int) or pe_kernel < 1 or pe_kernel % 2 == 0:
            raise ValueError(
                f"ELAttention: pe_kernel={pe_kernel} is not a positional conv size; expected an odd integer"
            )
        self.pe = Conv(dim, dim, pe_kernel, 1, g=dim, act=False) if positional else None
        # τ = exp(log_tau) per head, so it stays positive; True: τ = 1, the plain kernel at start
        tau0 = _initial_tau(temperature)
        self.log_tau = None if tau0 is None else nn.Parameter(torch.full((num_heads,), math.log(tau0)))
        self.gate = Conv(dim, dim, 1, act=False) if gate else None

    def __setstate__(self, state: dict) -> None:
        # checkpoints pickled before the temperature and gate options existed lack their attributes
        state.get("_parameters", {}).setdefault("log_tau", None)
        state.get("_modules", {}).setdefault("gate", None)
        super().__setstate__(state)

    def qk_scale(self) -> torch.Tensor | None:
        """τ per head as (1, heads, 1, 1), to multiply q and k by (either layout); None without temperature."""
        return None if self.log_tau is None else self.log_tau.exp().view(1, -1, 1, 1)

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
        if (tau := self.qk_scale()) is not None:
            q, k = q * tau, k * tau
        out = ela_attention(q, k, v, self.kernel, backend=self.backend, channels_first=True)
        out = out.reshape(b, c, h, w)
        if self.pe is not None:
            out = out + self.pe(v.reshape(b, c, h, w))
        if self.gate is not None:
            out = out * torch.sigmoid(self.gate(x))
        return self.proj(out)

    def extra_repr(self) -> str:
        extra = (", temperature" if self.log_tau is not None else "") + (", gate" if self.gate is not None else "")
        pe = f", pe_kernel={self.pe.conv.kernel_size[0]}" if self.pe is not None else ""
        return (
            f"kernel={self.kernel}, heads={self.num_heads}, head_dim={self.head_dim}, key_dim={self.key_dim}{pe}{extra}"
        )
