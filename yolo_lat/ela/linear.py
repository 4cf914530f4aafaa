"""The linear torch path of ELA (arXiv 2605.18848): exact, stabilised, O(L) in time and memory.

Bidirectional:  o_i = φ_iᵀ S / φ_iᵀ z,  S = Σ_j ψ_j v_jᵀ (F×Dv),  z = Σ_j ψ_j (F).
Nothing of size L×L or L×D×Dv is built; the largest tensors are the (B, H, L, F) features.

Causal: chunks of C rows. Each chunk takes the running state of all earlier chunks (one F×Dv
matrix) plus an exact C×C intra-chunk term, then folds itself into the state.

Numerics of ``hadamard_exp`` (κ = Σ_d exp(q_d + k_d)). With M_d = max_j k_jd and
m_i = max_d (q_id + M_d) the features

    ψ_jd = exp(k_jd − M_d) ≤ 1,      φ_id = exp(q_id + M_d − m_i) ≤ 1

change κ only by the per-row factor exp(m_i), which cancels in the normalisation; one term of
every denominator equals 1, so nothing overflows and no denominator underflows. The exponent
q_id + M_d − m_i is formed exactly, so that inputs of magnitude 1e4 keep full float32 accuracy
(rounding q + M to float32 costs ~4e-4 relative error at q, k ≈ 1e4): in float64 for float32
inputs (the sum of two float32 numbers is exact there), with an error-free TwoSum at half scale
for float64 inputs and in exported graphs. The bidirectional output is computed in chunks of
query rows whose temporaries stay in cache, so the exact exponent costs about what the plain
formula's passes over memory do. Causal rows use prefix maxima M_d(i) = max_{j≤i} k_jd: the state carries the
maximum of all earlier chunks and is rescaled by exp(M_old − M_new) ≤ 1 when it grows, as online
softmax does. For the squared-Euclidean kernels, q and k are shifted by c (the mean of the first
keys): ‖q ± k‖² = ‖(q ± c) ± (k − c)‖² exactly, which removes a common offset before the
expansion into ‖q‖² ± 2q·k + ‖k‖².

All stabilisers are detached: the output is exactly invariant to them, so their total
derivative is zero.
"""

from __future__ import annotations

import torch

from .kernel_maps import Kernel, KernelFamily
from .tracing import exporting

__all__ = ["compute_dtype", "half_sum", "key_shift", "linear_attention", "two_sum_exp"]

SHIFT_ROWS = 64  # keys averaged for the squared-Euclidean shift c (the Triton launcher uses key_shift too)


def compute_dtype(*tensors: torch.Tensor) -> torch.dtype:
    """float64 when any input is float64, float32 otherwise (fp16/bf16 accumulate in fp32)."""
    return torch.float64 if any(t.dtype == torch.float64 for t in tensors) else torch.float32


def key_shift(k: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """c = mean of the first ``SHIFT_ROWS`` keys: (B, H, L, D) -> (B, H, 1, D), detached."""
    return k[..., :SHIFT_ROWS, :].detach().to(dtype).mean(-2, keepdim=True)


def half_sum(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(a + b)/2 as s + err: s = a/2 + b/2 cannot overflow, err is its rounding error (TwoSum)."""
    ha, hb = 0.5 * a, 0.5 * b
    s = ha + hb
    with torch.no_grad():
        bb = s - ha
        err = (ha - (s - bb)) + (hb - bb)
    return s, err


def two_sum_exp(a: torch.Tensor, b: torch.Tensor, hm: torch.Tensor) -> torch.Tensor:
    """exp(a + b − 2·hm) for hm ≥ (a + b)/2, accurate and overflow-free for any finite a, b."""
    s, err = half_sum(a, b)
    return torch.exp((s - hm) + err).square()  # exp(2x) = exp(x)²: no overflow of 2x


def _sq_sign(kernel: Kernel) -> float:
    return 1.0 if kernel.family == KernelFamily.SUM_SQEUCLID else -1.0


# elements of a (B, H, rows, D) query chunk of the bidirectional ``hadamard_exp`` output: the
# exponent's temporaries of one chunk stay in cache instead of making full passes over memory
_CHUNK_ELEMENTS = 1 << 18


def _row_chunk(q: torch.Tensor, chunk_size: int | None) -> int:
    b, h, length, d = q.shape
    if chunk_size:
        return chunk_size
    return max(16, _CHUNK_ELEMENTS // max(1, b * h * d))


def _exp_phi(q: torch.Tensor, big_m: torch.Tensor) -> torch.Tensor:
    """φ = exp(q + M − m_i) of ``hadamard_exp``, the exponent q + M − m_i formed exactly.

    float32: q + M is exact in float64 (and so is subtracting m_i), rounded once to float32 before
    exp. float64 (and while exporting, where a graph of float32 ops only is wanted): an error-free
    TwoSum at half scale, (q + M)/2 = s + err, so that q + M cannot overflow either.
    """
    if q.dtype == torch.float32 and not exporting():
        x = q.double() + big_m.double()
        return torch.exp((x - x.detach().amax(-1, keepdim=True)).float())
    s, err = half_sum(q, big_m)
    row_hm = s.detach().amax(-1, keepdim=True)  # m_i / 2: (B, H, rows, 1)
    return torch.exp((s - row_hm) + err).square()  # exp(2x) = exp(x)²: no overflow of 2x


class _ExpChunkBuffers:
    """Temporaries of ``_exp_phi_inplace``, allocated once per call and reused by every chunk."""

    def __init__(self, q: torch.Tensor, rows: int, width: int):
        b, h, _, d = q.shape
        self.b, self.h = b, h
        n = b * h * rows * d
        if q.dtype == torch.float32:  # x = q + M in float64, then φ
            self.flat = [q.new_empty(n, dtype=torch.float64), q.new_empty(n)]
        else:  # TwoSum: a/2, s, b', err
            self.flat = [q.new_empty(n) for _ in range(4)]
        self.num = q.new_empty(b * h * rows * width)

    def view(self, buf: torch.Tensor, rows: int, width: int) -> torch.Tensor:
        return buf[: self.b * self.h * rows * width].view(self.b, self.h, rows, width)

    def views(self, rows: int, d: int) -> list[torch.Tensor]:
        return [self.view(buf, rows, d) for buf in self.flat]


def _exp_phi_inplace(qc: torch.Tensor, big_m: torch.Tensor, bufs: _ExpChunkBuffers) -> torch.Tensor:
    """``_exp_phi`` of one chunk without autograd: the same operations in the same order (the same
    bits), written into the reused buffers."""
    rows, d = qc.shape[-2:]
    if qc.dtype == torch.float32:
        x, phi = bufs.views(rows, d)
        torch.add(qc, big_m.double(), out=x)
        x.sub_(x.amax(-1, keepdim=True))
        return phi.copy_(x).exp_()
    ha, s, bb, t = bufs.views(rows, d)
    hb = 0.5 * big_m
    torch.mul(0.5, qc, out=ha)  # half_sum's operations, in its order
    torch.add(ha, hb, out=s)
    torch.sub(s, ha, out=bb)
    torch.sub(s, bb, out=t)
    torch.sub(ha, t, out=t)
    torch.sub(hb, bb, out=bb)
    err = t.add_(bb)
    row_hm = s.amax(-1, keepdim=True)
    phi = s.sub_(row_hm).add_(err).exp_()
    return phi.mul_(phi)


def _bidirectional_exp(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, chunk_size: int | None) -> torch.Tensor:
    """Bidirectional ``hadamard_exp``: [S | z] once, then the queries in chunks of rows small
    enough that the exponent's temporaries stay in cache (every denominator is ≥ 1)."""
    length, dv = q.shape[-2], v.shape[-1]
    big_m = k.detach().amax(-2, keepdim=True)  # M_d: (B, H, 1, D)
    if exporting():  # the plain torch ops of one (B, H, L, D) step, as exported graphs have always had
        phi, psi = _exp_phi(q, big_m), torch.exp(k - big_m)
        return (phi @ (psi.transpose(-1, -2) @ v)) / (phi @ psi.sum(-2).unsqueeze(-1))
    in_place = _in_place_ok()
    psi = k.sub(big_m).exp_() if in_place else torch.exp(k - big_m)
    sz = torch.cat([psi.transpose(-1, -2) @ v, psi.sum(-2).unsqueeze(-1)], -1)  # [S | z]: (B, H, D, Dv + 1)
    rows = _row_chunk(q, chunk_size)
    if in_place:
        out = v.new_empty(*q.shape[:-1], dv)
        bufs = _ExpChunkBuffers(q, min(rows, length), dv + 1)
        for a in range(0, length, rows):
            qc = q[..., a : a + rows, :]
            num = torch.matmul(_exp_phi_inplace(qc, big_m, bufs), sz, out=bufs.view(bufs.num, qc.shape[-2], dv + 1))
            torch.div(num[..., :dv], num[..., dv:], out=out[..., a : a + rows, :])
        return out
    outs = []
    for a in range(0, length, rows):
        num = _exp_phi(q[..., a : a + rows, :], big_m) @ sz
        outs.append(num[..., :dv] / num[..., dv:])
    return outs[0] if len(outs) == 1 else torch.cat(outs, dim=-2)


def _in_place_ok() -> bool:
    """In-place arithmetic is safe: no autograd graph to record, and no trace/export in progress."""
    return not torch.is_grad_enabled() and not exporting()


def _features(q: torch.Tensor, k: torch.Tensor, kernel: Kernel) -> tuple[torch.Tensor, torch.Tensor]:
    """Feature maps (φ, ψ) of the squared-Euclidean and registered kernels in the compute dtype:
    (B, H, L, F) each (``hadamard_exp`` has its own stabilised paths below)."""
    if kernel.family in (KernelFamily.SUM_SQEUCLID, KernelFamily.SUB_SQEUCLID):
        sign = _sq_sign(kernel)
        c = key_shift(k, q.dtype)
        qs, ks = q + sign * c, k - c
        one_q, one_k = torch.ones_like(qs[..., :1]), torch.ones_like(ks[..., :1])
        phi = torch.cat([qs, qs.pow(2).sum(-1, keepdim=True), one_q], dim=-1)
        psi = torch.cat([2.0 * sign * ks, one_k, ks.pow(2).sum(-1, keepdim=True)], dim=-1)
        return phi, psi
    return kernel.phi(q), kernel.psi(k)


def _normalise(num: torch.Tensor, den: torch.Tensor, fallback: torch.Tensor) -> torch.Tensor:
    """num / den, with rows whose kernel sum is 0 replaced by ``fallback`` (the mean of the values)."""
    zero = den <= 0
    return torch.where(zero, fallback, num / torch.where(zero, torch.ones_like(den), den))


def linear_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    kernel: Kernel,
    causal: bool = False,
    chunk_size: int | None = None,
) -> torch.Tensor:
    """O(L) ELA; q, k: (B, H, L, D), v: (B, H, L, Dv) -> (B, H, L, Dv) in v's dtype."""
    ct = compute_dtype(q, k, v)
    qc, kc, vc = q.to(ct), k.to(ct), v.to(ct)
    if causal:
        out = _causal(qc, kc, vc, kernel, chunk_size)
    elif kernel.family == KernelFamily.HADAMARD_EXP:
        out = _bidirectional_exp(qc, kc, vc, chunk_size)
    else:
        phi, psi = _features(qc, kc, kernel)
        state = psi.transpose(-1, -2) @ vc  # S: (B, H, F, Dv)
        z = psi.sum(-2)  # (B, H, F)
        num = phi @ state
        den = (phi @ z.unsqueeze(-1)).squeeze(-1)  # (B, H, L)
        out = _normalise(num, den.unsqueeze(-1), vc.mean(-2, keepdim=True))
    return out.to(v.dtype)


def _default_chunk(b: int, h: int, d: int, length: int) -> int:
    # the exact intra-chunk term of hadamard_exp builds (B, H, C, C, D): keep it near 2^22 elements
    budget = max(1, (1 << 22) // max(1, b * h * d))
    c = 16
    while c * 2 <= 128 and (c * 2) ** 2 <= budget:
        c *= 2
    return min(c, length)


def _causal(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, kernel: Kernel, chunk: int | None) -> torch.Tensor:
    b, h, length, d = q.shape
    chunk = chunk or _default_chunk(b, h, d, length)
    if kernel.family == KernelFamily.HADAMARD_EXP:
        return _causal_exp(q, k, v, chunk)

    # the squared-Euclidean shift c is one constant per (B, H), so the same features serve
    # every prefix; registered kernels are used as given
    phi, psi = _features(q, k, kernel)
    count = torch.arange(1, length + 1, device=v.device, dtype=v.dtype).view(1, 1, -1, 1)
    prefix_mean = v.cumsum(-2) / count  # defined result for all-zero rows
    state = v.new_zeros(b, h, phi.shape[-1], v.shape[-1])
    z = v.new_zeros(b, h, phi.shape[-1])
    tril = torch.ones(chunk, chunk, dtype=torch.bool, device=v.device).tril()
    outs = []
    for a in range(0, length, chunk):
        e = min(a + chunk, length)
        pc, sc, vc = phi[..., a:e, :], psi[..., a:e, :], v[..., a:e, :]
        intra = (pc @ sc.transpose(-1, -2)) * tril[: e - a, : e - a]
        num = pc @ state + intra @ vc
        den = pc @ z.unsqueeze(-1) + intra.sum(-1, keepdim=True)
        outs.append(_normalise(num, den, prefix_mean[..., a:e, :]))
        state = state + sc.transpose(-1, -2) @ vc
        z = z + sc.sum(-2)
    return torch.cat(outs, dim=-2)


def _causal_exp(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, chunk: int) -> torch.Tensor:
    """Causal hadamard_exp with prefix maxima; every exponent evaluated is ≤ 0."""
    b, h, length, d = q.shape
    kd = k.detach()
    prefix_max = kd.cummax(dim=-2).values  # M_d(i): (B, H, L, D)
    row_hm = half_sum(q.detach(), prefix_max)[0].amax(-1, keepdim=True)  # m_i / 2: (B, H, L, 1)
    tril = torch.ones(chunk, chunk, dtype=torch.bool, device=q.device).tril()

    state = ref = z = None  # S̃, its reference maxima R_d, z̃
    outs = []
    for a in range(0, length, chunk):
        e = min(a + chunk, length)
        qc, kc, vc, mc = q[..., a:e, :], k[..., a:e, :], v[..., a:e, :], row_hm[..., a:e, :]
        # intra-chunk: exp(q_id + k_jd − m_i) summed over d, for j ≤ i (masked before exp)
        s, err = half_sum(qc.unsqueeze(-2), kc.unsqueeze(-3))  # (B, H, C, C, D)
        half_expo = (s - mc.unsqueeze(-1)) + err
        mask = tril[: e - a, : e - a, None]
        intra = torch.exp(half_expo.masked_fill(~mask, float("-inf"))).square().sum(-1)  # (B, H, C, C)
        num = intra @ vc
        den = intra.sum(-1, keepdim=True)
        if state is not None:
            phi = two_sum_exp(qc, ref, mc)  # R_d ≤ M_d(i), so every exponent ≤ 0
            num = num + phi @ state
            den = den + phi @ z.unsqueeze(-1)
        outs.append(num / den)
        # fold this chunk into the state, rescaled to the new maxima
        new_ref = kd[..., a:e, :].amax(-2, keepdim=True)
        if ref is not None:
            new_ref = torch.maximum(ref, new_ref)
        psi = torch.exp(kc - new_ref)  # (B, H, C, D)
        upd_s, upd_z = psi.transpose(-1, -2) @ vc, psi.sum(-2)
        if state is None:
            state, z = upd_s, upd_z
        else:
            decay = torch.exp(ref - new_ref)  # (B, H, 1, D), ≤ 1
            state = decay.transpose(-1, -2) * state + upd_s
            z = decay.squeeze(-2) * z + upd_z
        ref = new_ref
    return torch.cat(outs, dim=-2)
