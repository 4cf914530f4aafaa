"""``ela_attention``: input checks and the choice of backend (quadratic, torch, Triton).

Every backend computes the same function (arXiv 2605.18848, Sec. 3); ``quadratic`` builds the
L×L kernel matrix (the oracle, quadratic.py), ``torch`` runs the O(L) torch path (linear.py) and
``triton`` the Triton programs (the ``triton`` subpackage). ``softmax`` is not linearisable and
always runs as PyTorch's scaled-dot-product attention outside the quadratic oracle.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F

from .kernel_maps import KernelFamily, get_kernel
from .linear import linear_attention
from .quadratic import quadratic_attention
from .tracing import compiling, exporting, interpreting

__all__ = ["BACKENDS", "ela_attention", "resolve_backend", "triton_available"]

LOGGER = logging.getLogger("yolo_lat.ela")
BACKENDS = ("auto", "torch", "triton", "quadratic")

try:  # Triton is optional: Linux wheels ship it with torch; macOS/Windows users run the torch path
    import triton  # noqa: F401  (absolute import: the real Triton, not yolo_lat.ela.triton)

    _TRITON_ERROR: str | None = None
except ImportError as exc:  # pragma: no cover - depends on the platform
    _TRITON_ERROR = str(exc)


def triton_available() -> bool:
    """True when Triton can be imported."""
    return _TRITON_ERROR is None


def _check_inputs(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() != 4:
            raise ValueError(f"{name} must be 4-D (B, H, L, D), got shape {tuple(t.shape)}")
        if not t.is_floating_point():
            raise TypeError(f"{name} has dtype {t.dtype}; ela_attention needs a floating-point dtype")
        if 0 in t.shape:
            raise ValueError(f"{name} has an empty dimension: shape {tuple(t.shape)}")
    for axis, label in ((0, "B"), (1, "H"), (2, "L")):
        sizes = (q.shape[axis], k.shape[axis], v.shape[axis])
        if not sizes[0] == sizes[1] == sizes[2]:
            raise ValueError(f"mismatched {label}: q has {sizes[0]}, k has {sizes[1]}, v has {sizes[2]}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"D of q ({q.shape[-1]}) != D of k ({k.shape[-1]})")
    if not (q.device == k.device == v.device):
        raise ValueError(f"q, k, v are on different devices: {q.device}, {k.device}, {v.device}")


def resolve_backend(backend: str, device: torch.device, causal: bool = False) -> str:
    """The backend ``auto`` picks (or the requested one, validated) for tensors on ``device``."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {list(BACKENDS)}")
    if backend == "auto":
        if exporting() and not compiling():  # torch.compile keeps the Triton path as a custom op
            return "torch"
        use_triton = triton_available() and device.type == "cuda" and not causal
        return "triton" if use_triton else "torch"
    if backend == "triton":
        if not triton_available():
            raise ValueError(f"backend='triton' needs Triton, which failed to import: {_TRITON_ERROR}")
        if device.type != "cuda" and not interpreting():
            raise ValueError(
                f"backend='triton' needs CUDA tensors (got {device.type}); "
                "set TRITON_INTERPRET=1 to run the Triton programs on CPU, or use backend='torch'"
            )
    return backend


def ela_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    kernel: str = "hadamard_exp",
    causal: bool = False,
    backend: str = "auto",
    channels_first: bool = False,
) -> torch.Tensor:
    """Exact Linear Attention (arXiv 2605.18848).

    Row i of the output is Σ_j κ(q_i, k_j) v_j / Σ_j κ(q_i, k_j) over all j (bidirectional) or
    j ≤ i (``causal=True``), with κ the named kernel (see ``yolo_lat.ela.kernel_maps``). Every
    backend computes the same function; ``quadratic`` builds the L×L kernel matrix (the
    specification), ``torch`` and ``triton`` run in O(L) time and memory.

    Args:
        q: queries (B, H, L, D).
        k: keys (B, H, L, D).
        v: values (B, H, L, Dv).
        kernel: ``hadamard_exp`` (default), ``sum_sqeuclid``, ``sub_sqeuclid``, ``softmax``
            (scaled-dot-product attention baseline) or a name given to ``register_kernel``.
        causal: attend to j ≤ i only.
        backend: ``auto`` (Triton for CUDA tensors when Triton imports, torch otherwise and
            always torch while tracing/exporting), ``torch``, ``triton`` or ``quadratic``.
        channels_first: q, k are (B, H, D, L), v is (B, H, Dv, L) and so is the result, as a
            feature-map layer stores them; the Triton programs read and write that layout in
            place (no transpose, no copy), the other backends work on transposed views.

    Returns:
        (B, H, L, Dv) tensor in v's dtype ((B, H, Dv, L) with ``channels_first``). fp16/bf16
        inputs are accumulated in fp32.
    """
    if not isinstance(channels_first, bool):
        raise TypeError(f"channels_first must be a bool, got {type(channels_first).__name__}")
    if channels_first and all(isinstance(t, torch.Tensor) and t.dim() == 4 for t in (q, k, v)):
        cf = (q, k, v)
        q, k, v = (t.transpose(-1, -2) for t in cf)
    else:
        cf = None
    if not exporting():  # shapes are fixed while tracing; checking them would only add warnings
        _check_inputs(q, k, v)
    kern = get_kernel(kernel)
    if not isinstance(causal, bool):
        raise TypeError(f"causal must be a bool, got {type(causal).__name__}")
    chosen = resolve_backend(backend, q.device, causal)
    if chosen == "triton" and not causal and kern.family != KernelFamily.SOFTMAX:
        out = _triton(q, k, v, kern, cf)
        if out is not None:
            return out
    out = _other_backend(q, k, v, kern, causal, chosen)
    return out.transpose(-1, -2) if cf is not None else out


def _other_backend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, kern, causal: bool, chosen: str) -> torch.Tensor:
    """The quadratic oracle, SDPA (softmax) or the linear torch path, on (B, H, L, D) tensors."""
    if chosen == "quadratic":
        return quadratic_attention(q, k, v, kern, causal)
    if kern.family == KernelFamily.SOFTMAX:
        dt = v.dtype
        return F.scaled_dot_product_attention(q.to(dt), k.to(dt), v, is_causal=causal)
    if chosen == "triton" and causal:
        LOGGER.debug("causal ELA has no Triton program yet; using the chunked torch path")
    return linear_attention(q, k, v, kern, causal=causal)


def _triton(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, kern, cf: tuple | None) -> torch.Tensor | None:
    """Bidirectional ELA on the Triton programs, or None when they do not take these widths.
    ``cf``: the channel-first originals of the (B, H, L, D) views q, k, v, passed on as they are."""
    from .triton import launch
    from .triton.function import ela_triton

    if kern.family == KernelFamily.FEATURES:
        q, k = kern.phi(q), kern.psi(k)
        if cf is not None:
            cf = (q.transpose(-1, -2), k.transpose(-1, -2), cf[2])
    if not launch.supports(q.shape[-1], v.shape[-1]):
        LOGGER.debug("feature/value width over %d: using the torch path", launch.MAX_BLOCK)
        return None
    if compiling():  # a custom operator with a fake implementation: kept whole in the graph
        from .triton.function import ela_triton_op

        return ela_triton_op(*(cf or (q, k, v)), kern.family, cf is not None)
    if cf is not None:
        return ela_triton(*cf, kern.family, channels_first=True)
    return ela_triton(q, k, v, kern.family)
