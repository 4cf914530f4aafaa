"""The geometric reading of an ELA kernel: each attention row as a query-weighted mix of key maps.

``hadamard_exp`` (ELA paper, arXiv 2605.18848, Sec. 3): κ(q, k) = Σ_d exp(q_d)·exp(k_d), so the row
of query q is

    w_j = Σ_d α_d · P_d(j),   P_d(j) = exp(k_jd) / Σ_l exp(k_ld),   α_d ∝ exp(q_d) · Σ_l exp(k_ld),

a convex mixture of D *softmax poolings*, one per key feature d, fixed for the whole image; the
query only chooses the mixing weights α (which sum to 1). Each key feature is a "where to look"
map, and the query picks among them.

``sum_sqeuclid`` / ``sub_sqeuclid``: κ = ‖k − p‖² with p = −q (sum) or p = q (sub): attention grows
with the squared distance of the key from the point p. With k̄ the mean key, c_j = k_j − k̄,
σ² = mean_j ‖c_j‖² and δ² = ‖k̄ − p‖², exactly

    w_j = δ²/(σ² + δ²) · 1/L  +  σ²/(σ² + δ²) · ‖c_j‖²/(L σ²)  +  Σ_d β_d · c_jd / (L s_d),

a convex mix of the uniform map and the *spread* map (where keys are far from their mean), plus
D zero-sum signed maps (key feature d about its mean, s_d its standard deviation) weighted by
β_d = 2 (k̄_d − p_d) s_d / (σ² + δ²): the direction from p to the key cloud. A query far from
the key cloud (δ² ≫ σ²) attends almost uniformly: this is where these kernels dilute.

Since entropy is concave, a ``hadamard_exp`` row is never sharper than its sharpest pooling:
H(w) ≥ Σ_d α_d H(P_d) ≥ min_d H(P_d). The keys alone set a floor on how concentrated any query's
attention can be (``pooling_entropy``); softmax rows have no such floor (scaling q sharpens them).

A registered kernel (φ, ψ): w_j = Σ_f α_f ψ_f(k_j)/z_f with z_f = Σ_l ψ_f(k_l) and
α_f = φ_f(q) z_f / Σ_g φ_g(q) z_g. ``softmax`` has no finite decomposition.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..ela import Kernel, KernelFamily, get_kernel

__all__ = ["FeatureDecomposition", "decompose", "pooling_entropy"]


@dataclass
class FeatureDecomposition:
    """Attention rows as mixtures of key maps: ``w[p] = Σ_f mix[p, f] · maps[f]`` exactly.

    Attributes:
        kind: ``softmax_poolings`` (hadamard_exp), ``distance_terms`` (squared-Euclidean kernels) or
            ``feature_poolings`` (a registered kernel).
        names: one label per map.
        maps: (F, L) float64 key maps; each sums to 1, except the signed ones, which sum to 0.
        mix: (P, F) float64 mixing weights of each query.
        signed: (F,) bool, True for the zero-sum signed maps.
    """

    kind: str
    names: list[str]
    maps: torch.Tensor
    mix: torch.Tensor
    signed: torch.Tensor

    def reconstruct(self) -> torch.Tensor:
        """Σ_f mix[p, f]·maps[f]: (P, L), equal to the attention rows."""
        return self.mix @ self.maps


def _hadamard_exp(q: torch.Tensor, k: torch.Tensor) -> FeatureDecomposition:
    log_z = torch.logsumexp(k, dim=0)  # (D,)
    maps = torch.softmax(k, dim=0).T  # P_d(j): (D, L)
    mix = torch.softmax(q + log_z, dim=-1)  # α_d ∝ exp(q_d + log Z_d): (P, D)
    d = k.shape[-1]
    names = [f"d{i}" for i in range(d)]
    return FeatureDecomposition("softmax_poolings", names, maps, mix, torch.zeros(d, dtype=torch.bool))


def _sqeuclid(q: torch.Tensor, k: torch.Tensor, sign: float) -> FeatureDecomposition:
    length, d = k.shape
    p = -sign * q  # κ = ‖q + sign·k‖² = ‖k − p‖²
    k_mean = k.mean(0)
    c = k - k_mean
    spread = c.pow(2).sum(-1)  # ‖c_j‖²: (L,)
    sigma2 = spread.mean()
    std = c.pow(2).mean(0).sqrt()  # s_d: (D,)
    delta2 = (k_mean - p).pow(2).sum(-1)  # (P,)
    den = sigma2 + delta2
    safe = torch.where(den > 0, den, torch.ones_like(den))
    uniform = torch.full((1, length), 1.0 / length, dtype=k.dtype)
    spread_map = (spread / (length * sigma2) if sigma2 > 0 else uniform[0]).unsqueeze(0)
    feat_maps = torch.where(std > 0, c / (length * torch.where(std > 0, std, 1.0)), 0.0).T  # (D, L)
    mix = torch.cat(
        [
            torch.where(den > 0, delta2 / safe, 1.0).unsqueeze(-1),
            torch.where(den > 0, sigma2 / safe, 0.0).unsqueeze(-1),
            torch.where(den.unsqueeze(-1) > 0, 2 * (k_mean - p) * std / safe.unsqueeze(-1), 0.0),
        ],
        dim=-1,
    )
    names = ["uniform", "spread"] + [f"d{i}" for i in range(d)]
    signed = torch.tensor([False, False] + [True] * d)
    return FeatureDecomposition("distance_terms", names, torch.cat([uniform, spread_map, feat_maps]), mix, signed)


def _features(q: torch.Tensor, k: torch.Tensor, kern: Kernel) -> FeatureDecomposition:
    if kern.phi is None or kern.psi is None:
        raise ValueError(f"kernel {kern.name!r} has no feature maps to decompose")
    phi, psi = kern.phi(q), kern.psi(k)  # (P, F), (L, F)
    z = psi.sum(0)
    norm = torch.where(z.abs() > 0, z, torch.full_like(z, float(k.shape[0])))
    den = phi @ z
    safe = torch.where(den > 0, den, torch.ones_like(den))
    mix = torch.where(den.unsqueeze(-1) > 0, phi * norm / safe.unsqueeze(-1), 0.0)
    names = [f"f{i}" for i in range(psi.shape[-1])]
    signed = (psi < 0).any(0)
    return FeatureDecomposition("feature_poolings", names, (psi / norm).T, mix, signed)


def decompose(q: torch.Tensor, k: torch.Tensor, kernel: str | Kernel = "hadamard_exp") -> FeatureDecomposition:
    """Decompose the attention rows of queries q: (P, D) over keys k: (L, D) of one head.

    Raises:
        ValueError: for ``softmax``, which has no finite feature decomposition.
    """
    kern = get_kernel(kernel)
    qc, kc = q.detach().to(torch.float64), k.detach().to(torch.float64)
    if qc.dim() != 2 or kc.dim() != 2 or qc.shape[-1] != kc.shape[-1]:
        raise ValueError(f"decompose takes q: (P, D) and k: (L, D) of one head, got {tuple(q.shape)}, {tuple(k.shape)}")
    if kern.family == KernelFamily.HADAMARD_EXP:
        return _hadamard_exp(qc, kc)
    if kern.family in (KernelFamily.SUM_SQEUCLID, KernelFamily.SUB_SQEUCLID):
        return _sqeuclid(qc, kc, 1.0 if kern.family == KernelFamily.SUM_SQEUCLID else -1.0)
    if kern.family == KernelFamily.FEATURES:
        return _features(qc, kc, kern)
    raise ValueError(f"kernel {kern.name!r} has no finite feature decomposition (softmax is not linearisable)")


def pooling_entropy(k: torch.Tensor) -> torch.Tensor:
    """Normalised entropies H(P_d) / log L of the ``hadamard_exp`` softmax poolings P_d(j) ∝ exp(k_jd).

    k: (..., L, D) keys -> (..., D). Every attention row of these keys has normalised entropy at
    least the minimum over d (concavity of entropy; see the module docstring).
    """
    length = k.shape[-2]
    p = torch.softmax(k.detach().to(torch.float64), dim=-2)
    h = -torch.special.xlogy(p, p).sum(-2)
    return h / torch.log(torch.tensor(float(length), dtype=torch.float64)) if length > 1 else torch.ones_like(h)
