"""The CSP-style ELA block: where YOLO11 uses C2PSA and YOLO12 uses A2C2f.

Options from the ELA paper (arXiv 2605.18848), each off by default:

- ``lobe``: a Memory Lobe on every layer: out = x + ffn_out + lobe(ffn_out) (see lobe.py);
  ``add_memory_lobes`` / ``remove_memory_lobes`` plug lobes into or out of any model's ELA layers.
- ``moe``: the FFN is a mixture of experts with the routing-score bias (see moe.py), e.g.
  ``moe: {experts: 4, top_k: 2, bias: outside}``.
- ``hyperlink``: the Hyper-Link residual pathway. Each layer is one whole transform
  T(h) = a + ffn(a) with a = attn(h) (no residual around attention alone, as in the paper's
  code) and a gated FFN, ffn(a) = W_o(silu(W_g a) ⊙ W_v a), whose gate modulates the layer's
  signal; layers are joined by learnable residual connections across depths (the static
  depth-connections of Hyper-Connections, arXiv 2409.19606):
  h_l = Σ_{j<l} α_{l,j} h_j + T_l(h_{l−1}), initialised to the plain residual h_{l−1} + T_l.
  The gated FFN's hidden width is 2/3 of the plain one, so parameters stay comparable.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from ultralytics.nn.modules import Conv

from .elattention import ELAttention
from .lobe import MemoryLobe
from .moe import MoEFFN

__all__ = ["ELABlock", "ELALayer", "GatedFFN", "add_memory_lobes", "heads_for", "remove_memory_lobes"]


def heads_for(channels: int, head_dim: int) -> int:
    """Largest head count ≤ channels / head_dim that divides ``channels`` (at least 1)."""
    heads = max(1, channels // max(1, head_dim))
    while channels % heads:
        heads -= 1
    return heads


def _last_one(size: int) -> nn.Parameter:
    w = torch.zeros(size)
    w[-1] = 1.0
    return nn.Parameter(w)


class GatedFFN(nn.Module):
    """ffn(a) = W_o(silu(W_g a) ⊙ W_v a), 1×1 convs; x: (B, c, H, W) -> (B, c, H, W)."""

    def __init__(self, c: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.gate_value = Conv(c, 2 * hidden, 1, act=False)
        self.out = Conv(hidden, c, 1, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g, v = self.gate_value(x).split(self.hidden, dim=1)
        return self.out(nn.functional.silu(g) * v)


class ELALayer(nn.Module):
    """ELA attention + FFN.

    Plain: x1 = x + attn(x); f = ffn(x1); out = x1 + f (+ lobe(f)).
    Hyper-Link (``transform_only``): returns T(x) = a + f (+ lobe(f)) with a = attn(x), f = ffn(a);
    the enclosing ELABlock adds the cross-depth residuals.
    """

    def __init__(
        self,
        c: int,
        num_heads: int = 1,
        kernel: str = "hadamard_exp",
        attn_ratio: float = 0.5,
        ffn_ratio: float = 2.0,
        backend: str = "auto",
        lobe: bool = False,
        moe: dict | None = None,
        transform_only: bool = False,
        temperature: bool | float = False,
        gate: bool = False,
        pe_kernel: int = 3,
    ):
        super().__init__()
        self.transform_only = transform_only
        self.attn = ELAttention(c, num_heads, kernel, attn_ratio, backend, temperature=temperature, gate=gate,
                                pe_kernel=pe_kernel)  # fmt: skip
        hidden = int(c * ffn_ratio)
        if moe is not None:
            self.ffn = MoEFFN(c, hidden, **moe)
        elif transform_only:
            self.ffn = GatedFFN(c, max(1, round(hidden * 2 / 3)))
        else:
            self.ffn = nn.Sequential(Conv(c, hidden, 1), Conv(hidden, c, 1, act=False))
        self.lobe = MemoryLobe(c, num_heads, kernel, attn_ratio, backend) if lobe else None

    def __setstate__(self, state: dict) -> None:
        # checkpoints pickled before the paper options existed lack their attributes
        state.setdefault("transform_only", False)
        state.get("_modules", {}).setdefault("lobe", None)
        super().__setstate__(state)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.transform_only:
            a = self.attn(x)
            f = self.ffn(a)
            t = a + f
        else:
            x = x + self.attn(x)
            f = self.ffn(x)
            t = x + f
        return t + self.lobe(f) if self.lobe is not None else t


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
        hyperlink: Hyper-Link residual pathway (see module docstring).
        lobe: a Memory Lobe on every layer.
        moe: mixture-of-experts FFN settings (``experts``, ``top_k``, ``bias``, ``aux_coef``), or None.
        temperature, gate, pe_kernel: ``ELAttention`` options (learnable per-head τ on q and k: true, or
            its starting value; a sigmoid output gate; the positional conv size), for every layer's attention.
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
        hyperlink: bool = False,
        lobe: bool = False,
        moe: dict | None = None,
        temperature: bool | float = False,
        gate: bool = False,
        pe_kernel: int = 3,
    ):
        super().__init__()
        self.c = int(c2 * e)
        heads = heads_for(self.c, head_dim)
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.cv2 = Conv(2 * self.c, c2, 1)
        self.m = nn.Sequential(
            *(
                ELALayer(
                    self.c,
                    heads,
                    kernel,
                    attn_ratio,
                    ffn_ratio,
                    backend,
                    lobe,
                    moe,
                    transform_only=hyperlink,
                    temperature=temperature,
                    gate=gate,
                    pe_kernel=pe_kernel,
                )  # fmt: skip
                for _ in range(n)
            )
        )
        # Hyper-Link: α_l over the states h_0..h_{l−1}, starting as the plain residual (α_{l,l−1} = 1)
        self.alpha = nn.ParameterList(_last_one(i + 1) for i in range(n)) if hyperlink else None

    def __setstate__(self, state: dict) -> None:
        state.get("_modules", {}).setdefault("alpha", None)  # checkpoints from before Hyper-Link
        super().__setstate__(state)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.cv1(x).split((self.c, self.c), dim=1)
        if self.alpha is None:
            b = self.m(b)
        else:
            states = [b]
            for layer, alpha in zip(self.m, self.alpha):
                h = layer(states[-1])
                for j, s in enumerate(states):
                    h = h + alpha[j] * s
                states.append(h)
            b = states[-1]
        return self.cv2(torch.cat((a, b), 1))


def add_memory_lobes(model: nn.Module) -> int:
    """Give every ELA layer of ``model`` that has none a (zero-initialised) Memory Lobe; returns how many."""
    n = 0
    for m in model.modules():
        if isinstance(m, ELALayer) and m.lobe is None:
            ref = next(m.parameters())
            a = m.attn
            m.lobe = MemoryLobe(a.num_heads * a.head_dim, a.num_heads, a.kernel, a.key_dim / a.head_dim, a.backend)
            m.lobe.to(ref.device, ref.dtype)
            n += 1
    return n


def remove_memory_lobes(model: nn.Module) -> int:
    """Remove every Memory Lobe; returns how many were removed."""
    n = 0
    for m in model.modules():
        if isinstance(m, ELALayer) and m.lobe is not None:
            m.lobe = None
            n += 1
    return n
