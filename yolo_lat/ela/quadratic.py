"""The quadratic oracle: ELA by building the L×L kernel matrix (arXiv 2605.18848, Sec. 3).

This is the specification every fast path (the linear torch path, the Triton programs) is tested
against. It evaluates κ(q_i, k_j) directly from its definition — never through the feature maps
the linear paths use — so agreement between the two is a real check of the factorisation:

    o_i = Σ_j κ(q_i, k_j) v_j / Σ_j κ(q_i, k_j),   j over all keys (bidirectional) or j ≤ i (causal).

``hadamard_exp`` is evaluated in log space, log κ_ij = logsumexp_d(q_id + k_jd), so that the oracle
itself stays finite for inputs of any magnitude. A row whose kernel values are all zero (possible
for ``sub_sqeuclid`` when every key equals the query) is defined to average the attended values
uniformly — the limit of κ + ε as ε -> 0.
"""

from __future__ import annotations

import math

import torch

from .kernel_maps import Kernel, KernelFamily

__all__ = ["quadratic_attention"]

# bound on elements of the (block, L, D) log-kernel tensor built at once
_MAX_ELEMENTS = 1 << 24


def _causal_mask(lq: int, lk: int, device: torch.device) -> torch.Tensor:
    return torch.ones(lq, lk, dtype=torch.bool, device=device).tril()


def _log_hadamard_exp(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """log κ_ij = logsumexp_d(q_id + k_jd) for q: (B, H, L, D), k: (B, H, L, D) -> (B, H, L, L)."""
    b, h, lq, d = q.shape
    lk = k.shape[-2]
    block = max(1, _MAX_ELEMENTS // max(1, b * h * lk * d))
    rows = [torch.logsumexp(q[..., i : i + block, None, :] + k[..., None, :, :], dim=-1) for i in range(0, lq, block)]
    return torch.cat(rows, dim=-2)


def quadratic_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, kernel: Kernel, causal: bool = False
) -> torch.Tensor:
    """O(L²) attention with kernel ``kernel``; q, k: (B, H, L, D), v: (B, H, L, Dv) -> (B, H, L, Dv).

    Computes in float64 when any input is float64, float32 otherwise; returns v's dtype.
    """
    ct = torch.float64 if torch.float64 in (q.dtype, k.dtype, v.dtype) else torch.float32
    qc, kc, vc = q.to(ct), k.to(ct), v.to(ct)
    lq, lk = qc.shape[-2], kc.shape[-2]
    mask = _causal_mask(lq, lk, q.device) if causal else None

    if kernel.family in (KernelFamily.HADAMARD_EXP, KernelFamily.SOFTMAX):
        if kernel.family == KernelFamily.HADAMARD_EXP:
            logits = _log_hadamard_exp(qc, kc)
        else:
            logits = (qc @ kc.transpose(-1, -2)) / math.sqrt(qc.shape[-1])
        if mask is not None:
            logits = logits.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(logits, dim=-1)
    else:
        kap = kernel.kappa(qc, kc)
        if mask is not None:
            kap = kap * mask
        den = kap.sum(-1, keepdim=True)
        zero = den <= 0
        if mask is not None:
            attended = mask.to(ct)
            uniform = attended / attended.sum(-1, keepdim=True)
        else:
            uniform = torch.full_like(kap[..., :1, :], 1.0 / lk)
        weights = torch.where(zero, uniform, kap / torch.where(zero, torch.ones_like(den), den))
    return (weights @ vc).to(v.dtype)
