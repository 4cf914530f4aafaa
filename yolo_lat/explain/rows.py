"""Exact attention rows of ELA: the weights that one query puts on every key, in O(L) per query.

Because κ(q, k) = φ(q)·ψ(k) is evaluated pairwise, the row of query i,

    w_ij = κ(q_i, k_j) / Σ_l κ(q_i, k_l),   j = 1..L,

costs O(L·D) and never needs the L×L matrix (ELA paper, arXiv 2605.18848, Sec. 3). The rows here
are computed exactly as the quadratic oracle (``yolo_lat.ela.quadratic``) computes its weight
matrix, one row at a time:

- ``hadamard_exp``: log κ_ij = logsumexp_d(q_id + k_jd), then a softmax over j (stable for any
  input magnitude);
- ``softmax`` (the quadratic baseline): softmax_j(q_i·k_j / √D);
- ``sum_sqeuclid`` / ``sub_sqeuclid``: κ = ‖q ± k‖², directly from the definition;
- a registered kernel: κ = φ(q)·ψ(k) (or its ``pairwise`` form), clamped at 0.

A row whose kernel values sum to 0 (``sub_sqeuclid`` when every key equals the query) averages
uniformly, the oracle's convention. Everything is computed in float64.
"""

from __future__ import annotations

import math

import torch

from ..ela import Kernel, KernelFamily, get_kernel

__all__ = ["attention_rows", "row_statistics", "split_qkv"]

_MAX_ELEMENTS = 1 << 22  # bound on the (rows, L, D) tensor one block of rows builds


def split_qkv(
    qkv: torch.Tensor, num_heads: int, key_dim: int, head_dim: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Split the output of ``ELAttention.qkv`` into per-head queries, keys and values.

    The 1×1 conv's C' = heads·(2·key_dim + head_dim) channels hold, head after head,
    [q (key_dim) | k (key_dim) | v (head_dim)]; positions are flattened row-major (l = r·W + c).

    Args:
        qkv: (B, C', H, W) output of the conv.
        num_heads, key_dim, head_dim: the module's attributes of the same names.

    Returns:
        q, k: (B, heads, L, key_dim); v: (B, heads, L, head_dim), L = H·W.
    """
    b, c, h, w = qkv.shape
    per_head = 2 * key_dim + head_dim
    if c != num_heads * per_head:
        raise ValueError(
            f"qkv has {c} channels; expected heads·(2·key_dim + head_dim) = {num_heads}·{per_head} = "
            f"{num_heads * per_head}"
        )
    x = qkv.reshape(b, num_heads, per_head, h * w).transpose(-1, -2)
    q, k, v = x.split([key_dim, key_dim, head_dim], dim=-1)
    return q, k, v


def _row_block(q: torch.Tensor, k: torch.Tensor, kern: Kernel) -> torch.Tensor:
    """Weights of the queries q: (..., P, D) over the keys k: (..., L, D) -> (..., P, L), float64."""
    if kern.family == KernelFamily.HADAMARD_EXP:
        logits = torch.logsumexp(q.unsqueeze(-2) + k.unsqueeze(-3), dim=-1)
        return torch.softmax(logits, dim=-1)
    if kern.family == KernelFamily.SOFTMAX:
        return torch.softmax((q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1]), dim=-1)
    kap = kern.kappa(q, k).clamp_min(0.0)  # the built-in ‖q ± k‖², or a registered φ(q)·ψ(k)
    den = kap.sum(-1, keepdim=True)
    zero = den <= 0
    uniform = torch.full_like(kap, 1.0 / kap.shape[-1])
    return torch.where(zero, uniform, kap / torch.where(zero, torch.ones_like(den), den))


def attention_rows(q: torch.Tensor, k: torch.Tensor, kernel: str | Kernel = "hadamard_exp") -> torch.Tensor:
    """Exact attention weights of the queries ``q`` over all keys ``k``, in blocks of rows.

    Args:
        q: (..., P, D) the queries whose rows are wanted (P of them, any P ≤ L).
        k: (..., L, D) all keys.
        kernel: the attention kernel (name or ``Kernel``).

    Returns:
        (..., P, L) float64: non-negative, each row sums to 1. Peak memory O(P_block·L·D).
    """
    kern = get_kernel(kernel)
    qc, kc = q.detach().to(torch.float64), k.detach().to(torch.float64)
    p, (length, d) = qc.shape[-2], kc.shape[-2:]
    lead = math.prod(qc.shape[:-2])
    block = max(1, _MAX_ELEMENTS // max(1, lead * length * d))
    return torch.cat([_row_block(qc[..., a : a + block, :], kc, kern) for a in range(0, p, block)], dim=-2)


def row_statistics(q: torch.Tensor, k: torch.Tensor, kernel: str | Kernel = "hadamard_exp") -> dict[str, torch.Tensor]:
    """Dilution statistics of every attention row, without holding the L×L matrix.

    For each query i with weights w_i over the L keys: the entropy H_i = −Σ_j w_ij log w_ij (nats),
    the normalised entropy H_i / log L (1 for a uniform row, 0 for a one-hot row), the effective
    number of attended positions exp(H_i) (the perplexity: L for a uniform row, 1 for one-hot),
    and the peak weight relative to uniform, L·max_j w_ij.

    Args:
        q, k: (..., L, D) all queries and keys of one attention layer.
        kernel: the attention kernel.

    Returns:
        dict of (..., L) float64 tensors: ``entropy``, ``normalized_entropy``, ``effective``, ``peak``.
    """
    length = k.shape[-2]
    kern = get_kernel(kernel)
    lead = math.prod(q.shape[:-2])
    block = max(1, _MAX_ELEMENTS // max(1, lead * length * q.shape[-1]))
    ent, peak = [], []
    for a in range(0, q.shape[-2], block):
        w = attention_rows(q[..., a : a + block, :], k, kern)
        ent.append(-torch.special.xlogy(w, w).sum(-1))
        peak.append(w.amax(-1) * length)
    entropy = torch.cat(ent, dim=-1).clamp_min(0.0)
    norm = entropy / math.log(length) if length > 1 else torch.ones_like(entropy)
    return {"entropy": entropy, "normalized_entropy": norm, "effective": entropy.exp(), "peak": torch.cat(peak, -1)}
