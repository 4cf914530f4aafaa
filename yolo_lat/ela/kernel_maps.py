"""Attention kernels κ(q, k) of Exact Linear Attention, their families, and the kernel registry.

A kernel κ(q, k) is *exactly linearisable* when it factors as κ(q, k) = φ(q)·ψ(k) with finite
feature maps φ, ψ: R^D -> R^F. Attention with such a kernel,

    o_i = Σ_j κ(q_i, k_j) v_j / Σ_j κ(q_i, k_j),

can then be evaluated in O(L) time as o_i = φ(q_i)ᵀ S / φ(q_i)ᵀ z with S = Σ_j ψ(k_j) v_jᵀ and
z = Σ_j ψ(k_j). This is exact for *that* kernel; it is not an approximation of softmax attention
(ELA paper, arXiv 2605.18848, Sec. 3).

Built-in kernels (names as used everywhere in YOLO-LAT):

- ``hadamard_exp`` (default): κ = Σ_d exp(q_d)·exp(k_d);  φ = exp(q), ψ = exp(k).
- ``sum_sqeuclid``:  κ = ‖q + k‖²;  φ = [q, ‖q‖², 1], ψ = [2k, 1, ‖k‖²].
- ``sub_sqeuclid``:  κ = ‖q − k‖²;  φ = [q, ‖q‖², 1], ψ = [−2k, 1, ‖k‖²].
- ``taylor_exp``: κ = 1 + s + s²/2 with s = q·k/√D, the second-order Taylor polynomial of
  softmax's exp(s) (as in the "Based" linear attention); φ = ψ = [1, x/D^¼, vec(x xᵀ)/(√2·√D)],
  1 + D + D² features. Exact for this polynomial kernel, which is not softmax: it grows
  quadratically, not exponentially, in s. κ ≥ ½ everywhere, so every row is well defined.
- ``uniform``: κ = 1; φ = ψ = [1]. Every row is the mean of v (global average pooling): a control
  with no attention at all, not a kernel anyone should deploy. It is what an attention block
  reduces to when its rows are made uniform, trained from the start.
- ``softmax``: ordinary scaled-dot-product attention (not linearisable; a named baseline).

A built-in kernel is defined by its pairwise formula (``Kernel.kappa``); its φ and ψ are built,
numerically stabilised, inside the linear torch path and the Triton programs, which select that
code by the kernel's :class:`KernelFamily` (``taylor_exp``, a polynomial that needs no
stabilising, is a built-in of family ``FEATURES``: its φ and ψ are evaluated as given). Users may
register their own (φ, ψ) pair with :func:`register_kernel` (family ``FEATURES``); registration checks
on sample inputs that φ(q)·ψ(k) is non-negative and refuses a pair that is not.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = [
    "Kernel",
    "KernelFamily",
    "available_kernels",
    "get_kernel",
    "register_kernel",
    "unregister_kernel",
]

FeatureMap = Callable[[torch.Tensor], torch.Tensor]
PairwiseKernel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class KernelFamily(enum.IntEnum):
    """How the quadratic, linear and Triton paths evaluate a kernel.

    The values are the family ids the Triton programs are specialised on (``tl.constexpr``).
    """

    HADAMARD_EXP = 0  # κ = Σ_d exp(q_d + k_d), stabilised by key and row maxima
    SUM_SQEUCLID = 1  # κ = ‖q + k‖², features [q, ‖q‖², 1]·[2k, 1, ‖k‖²] about a key shift
    SUB_SQEUCLID = 2  # κ = ‖q − k‖², features [q, ‖q‖², 1]·[−2k, 1, ‖k‖²] about a key shift
    FEATURES = 3  # a registered (φ, ψ) pair, evaluated as given
    SOFTMAX = 4  # scaled-dot-product attention (not linearisable)


@dataclass(frozen=True)
class Kernel:
    """A named attention kernel.

    Attributes:
        name: registry name, e.g. ``"hadamard_exp"``.
        formula: human-readable formula of κ(q, k).
        phi: query feature map, (..., D) -> (..., F), of a registered kernel; ``None`` for the
            built-ins, whose stabilised features the linear and Triton paths build themselves.
        psi: key feature map, (..., D) -> (..., F), of a registered kernel; ``None`` for built-ins.
        pairwise: direct evaluation κ(q, k) for q: (..., Lq, D), k: (..., Lk, D) -> (..., Lq, Lk);
            defaults to φ(q) ψ(k)ᵀ.
        family: which code of the quadratic, linear and Triton paths evaluates it.
    """

    name: str
    formula: str
    phi: FeatureMap | None
    psi: FeatureMap | None
    pairwise: PairwiseKernel | None
    family: KernelFamily

    def kappa(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """κ(q_i, k_j) for all pairs: q (..., Lq, D), k (..., Lk, D) -> (..., Lq, Lk)."""
        if self.pairwise is not None:
            return self.pairwise(q, k)
        if self.phi is None or self.psi is None:
            raise ValueError(f"kernel {self.name!r} has no feature maps")
        return self.phi(q) @ self.psi(k).transpose(-1, -2)


# ----------------------------------------------------------------------------- built-ins
def _pairwise_hadamard_exp(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    # Σ_d exp(q_id + k_jd), written directly from the definition (overflows for large inputs;
    # the quadratic oracle uses its logarithm, see quadratic.py).
    return torch.exp(q.unsqueeze(-2) + k.unsqueeze(-3)).sum(-1)


def _pairwise_sqeuclid(sign: float) -> PairwiseKernel:
    def pairwise(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return (q.unsqueeze(-2) + sign * k.unsqueeze(-3)).pow(2).sum(-1)

    return pairwise


def _scaled_dot(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """s = q·k/√D for all pairs, the score of softmax and of its Taylor polynomial."""
    return (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])


def _pairwise_softmax(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    return torch.exp(_scaled_dot(q, k))


def _pairwise_taylor_exp(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    s = _scaled_dot(q, k)
    return 1 + s + 0.5 * s * s


def _taylor_features(x: torch.Tensor) -> torch.Tensor:
    """[1, x/D^¼, vec(x xᵀ)/(√2·√D)]: φ(q)·φ(k) = 1 + s + s²/2 with s = q·k/√D (1 + D + D² features)."""
    d = x.shape[-1]
    outer = (x.unsqueeze(-1) * x.unsqueeze(-2)).flatten(-2) * (1.0 / math.sqrt(2.0 * d))
    return torch.cat([torch.ones_like(x[..., :1]), x * d**-0.25, outer], dim=-1)


def _one_feature(x: torch.Tensor) -> torch.Tensor:
    """[1] for every position: φ(q)·ψ(k) = 1, the uniform kernel's single feature."""
    return torch.ones_like(x[..., :1])


def _builtin(name: str, formula: str, pairwise: PairwiseKernel, family: KernelFamily) -> Kernel:
    # no phi/psi: the linear and Triton paths build the stabilised features of a built-in family
    return Kernel(name=name, formula=formula, phi=None, psi=None, pairwise=pairwise, family=family)


_BUILTINS: dict[str, Kernel] = {
    kernel.name: kernel
    for kernel in (
        _builtin(
            "hadamard_exp",
            "κ(q,k) = Σ_d exp(q_d)·exp(k_d);  φ = exp(q), ψ = exp(k)",
            _pairwise_hadamard_exp,
            KernelFamily.HADAMARD_EXP,
        ),
        _builtin(
            "sum_sqeuclid",
            "κ(q,k) = ‖q + k‖²;  φ = [q, ‖q‖², 1], ψ = [2k, 1, ‖k‖²]",
            _pairwise_sqeuclid(1.0),
            KernelFamily.SUM_SQEUCLID,
        ),
        _builtin(
            "sub_sqeuclid",
            "κ(q,k) = ‖q − k‖²;  φ = [q, ‖q‖², 1], ψ = [−2k, 1, ‖k‖²]",
            _pairwise_sqeuclid(-1.0),
            KernelFamily.SUB_SQEUCLID,
        ),
        Kernel(  # a polynomial needs no stabilising: its φ and ψ are evaluated as given
            name="taylor_exp",
            formula="κ(q,k) = 1 + s + s²/2, s = q·k/√D;  φ = ψ = [1, x/D^¼, vec(x xᵀ)/(√2·√D)]",
            phi=_taylor_features,
            psi=_taylor_features,
            pairwise=_pairwise_taylor_exp,
            family=KernelFamily.FEATURES,
        ),
        Kernel(
            name="uniform",
            formula="κ(q,k) = 1;  φ = ψ = [1] (every row the mean of v: a no-attention control)",
            phi=_one_feature,
            psi=_one_feature,
            pairwise=None,  # φ(q)·ψ(k) is the pairwise value
            family=KernelFamily.FEATURES,
        ),
        _builtin(
            "softmax",
            "softmax(q·k / √D): scaled-dot-product attention (baseline, not linearisable)",
            _pairwise_softmax,
            KernelFamily.SOFTMAX,
        ),
    )
}
_REGISTRY: dict[str, Kernel] = dict(_BUILTINS)


def available_kernels() -> list[str]:
    """Names accepted by ``ela_attention(kernel=...)``."""
    return list(_REGISTRY)


def get_kernel(name: str | Kernel) -> Kernel:
    """Look a kernel up by name; raises ValueError naming the known kernels."""
    if isinstance(name, Kernel):
        return name
    if not isinstance(name, str):
        raise TypeError(f"kernel must be a name (str), got {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown kernel {name!r}; expected one of {available_kernels()}") from None


def register_kernel(
    name: str,
    phi: FeatureMap,
    psi: FeatureMap,
    *,
    pairwise: PairwiseKernel | None = None,
    formula: str = "",
    dims: tuple[int, ...] = (1, 2, 8, 33),
    overwrite: bool = False,
    seed: int = 0,
) -> Kernel:
    """Register a user kernel κ(q, k) = φ(q)·ψ(k) under ``name`` (family ``FEATURES``).

    The pair is checked on sample inputs before it is accepted: φ and ψ must map (..., D) to
    (..., F) with the same F, be finite, give κ = φ(q)·ψ(k) ≥ 0 for every sampled pair (a
    negative κ would make attention weights negative), and, when ``pairwise`` is given, agree
    with it. A pair that fails is refused with ValueError saying which check failed.

    Example (the ELA paper's "modulated dot" kernel on unit vectors, non-negative since
    cos ≥ −1):

        >>> def phi(x):
        ...     n2 = x.pow(2).sum(-1, keepdim=True)
        ...     unit = torch.nn.functional.normalize(x, dim=-1)
        ...     return (n2 + 1) * torch.cat([unit, torch.ones_like(n2)], -1)
        >>> register_kernel("modulated_dot", phi, phi)  # doctest: +SKIP
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"kernel name must be an identifier-like string, got {name!r}")
    if name in _BUILTINS:
        raise ValueError(f"kernel name {name!r} is a built-in and cannot be replaced")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"kernel {name!r} is already registered; pass overwrite=True to replace it")
    if not callable(phi) or not callable(psi):
        raise TypeError("phi and psi must be callables mapping (..., D) tensors to (..., F) tensors")

    gen = torch.Generator().manual_seed(seed)
    for d in dims:
        for scale in (0.1, 1.0, 4.0):
            q = torch.randn(48, d, generator=gen, dtype=torch.float64) * scale
            k = torch.randn(40, d, generator=gen, dtype=torch.float64) * scale
            # include exact opposites and duplicates, where kernels often touch zero
            k[:8] = -q[:8]
            k[8:16] = q[8:16]
            _check_sample(name, phi, psi, pairwise, q, k, f"D={d}, scale={scale}")

    kernel = Kernel(
        name=name,
        formula=formula or f"user kernel {name}",
        phi=phi,
        psi=psi,
        pairwise=pairwise,
        family=KernelFamily.FEATURES,
    )
    _REGISTRY[name] = kernel
    return kernel


def _check_sample(
    name: str,
    phi: FeatureMap,
    psi: FeatureMap,
    pairwise: PairwiseKernel | None,
    q: torch.Tensor,
    k: torch.Tensor,
    where: str,
) -> None:
    """Refuse the pair (ValueError/TypeError) unless φ(q)·ψ(k) is well-formed, finite and ≥ 0 on
    the sample q: (Lq, D), k: (Lk, D), and matches ``pairwise`` when given."""
    d = q.shape[-1]
    fq, fk = phi(q), psi(k)
    if not (isinstance(fq, torch.Tensor) and isinstance(fk, torch.Tensor)):
        raise TypeError(f"kernel {name!r}: phi and psi must return tensors")
    if fq.shape[:-1] != q.shape[:-1] or fk.shape[:-1] != k.shape[:-1] or fq.shape[-1] != fk.shape[-1]:
        raise ValueError(
            f"kernel {name!r}: phi and psi must map (..., {d}) to (..., F) with the same F; "
            f"got {tuple(fq.shape)} and {tuple(fk.shape)}"
        )
    if not (torch.isfinite(fq).all() and torch.isfinite(fk).all()):
        raise ValueError(f"kernel {name!r}: phi or psi is not finite on sample inputs ({where})")
    kap = fq @ fk.T
    tol = 1e-9 * float(kap.abs().max().clamp_min(1.0))
    if float(kap.min()) < -tol:
        i, j = divmod(int(kap.argmin()), kap.shape[1])
        raise ValueError(
            f"kernel {name!r} refused: φ(q)·ψ(k) = {float(kap.min()):.4g} < 0 on a sample pair "
            f"({where}, q={q[i, :3].tolist()}..., k={k[j, :3].tolist()}...); "
            "attention kernels must be non-negative"
        )
    if pairwise is not None:
        ref = pairwise(q, k)
        if not torch.allclose(ref, kap, rtol=1e-6, atol=1e-9 * float(ref.abs().max().clamp_min(1.0))):
            raise ValueError(f"kernel {name!r}: phi(q)·psi(k) does not match pairwise(q, k) (D={d})")


def unregister_kernel(name: str) -> None:
    """Remove a user kernel (built-ins cannot be removed)."""
    if name in _BUILTINS:
        raise ValueError(f"kernel {name!r} is a built-in and cannot be removed")
    if _REGISTRY.pop(name, None) is None:
        raise ValueError(f"kernel {name!r} is not registered")
