"""Triton programs of bidirectional ELA (arXiv 2605.18848), forward and backward.

Only ``@triton.jit`` code lives here; launch.py chooses tiles and grids and launches it, and
function.py wraps forward and backward in a ``torch.autograd.Function``.

Notation (per batch·head): q, k: (L, D), v: (L, Dv); feature maps φ, ψ of width D, plus for the
squared-Euclidean kernels two "extra" features handled as separate vectors:

    φ_i = [φmain_i, a_i, 1]   with φmain_i = q_i ± c,  a_i = ‖q_i ± c‖²
    ψ_j = [ψmain_j, 1, r_j]   with ψmain_j = ±2 (k_j − c),  r_j = ‖k_j − c‖²

State (the whole key/value side, O(D·Dv)):
    S = Σ_j ψmain_j v_jᵀ (D×Dv),  z = Σ_j ψmain_j (D),
    X = [Σ_j v_j, Σ_j r_j v_j] (2×Dv),  xz = [L, Σ_j r_j] (2).
Output: n_i = φmain_iᵀ S + e_iᵀ X,  den_i = φmain_i·z + e_i·xz,  o_i = n_i / den_i, where
e_i = [a_i, 1] (squared-Euclidean), [0, 0] (registered feature pairs). A row with den_i ≤ 0 (all
kernel values zero) returns the mean of v: φmain = 0, e = [1/L, 0].

``hadamard_exp`` uses no extras; its features are stabilised per feature column by the key maxima
M_d and per row by m_i = max_d (q_id + M_d) (see linear.py). The row statistic is kept at half
scale (m_i / 2) so that q + M cannot overflow for any finite input, and the exponent is formed
with an error-free TwoSum.

Every program is specialised on the kernel family (``FAMILY``, a ``KernelFamily`` value) and
handles one batch·head and one tile, accumulating in ``ACC``:
    fwd_state   keys/values of one L-segment -> partial S, z, X, xz (and running maxima M)
    fwd_out     queries of one L-block -> o, den, row statistic (m_i or a_i)
    bwd_state   queries of one L-segment -> partial dS, dz, dX, dxz
    bwd_dq      queries of one L-block -> dq
    bwd_dk      keys of one L-block -> dk
    bwd_dv      keys of one L-block -> dv
Tiles: BLOCK_L rows × BLOCK_D feature columns × BLOCK_E value columns; masks cover ragged edges.
"""

# Family branches are written as plain if/else on constexprs (the compiler folds them: SIM108,
# SIM109, SIM102), and pointer arguments keep the math's names Q, K, V, O (E741).
# ruff: noqa: SIM102, SIM108, SIM109, E741

from __future__ import annotations

import triton
import triton.language as tl

from ..kernel_maps import KernelFamily

__all__ = ["bwd_dk", "bwd_dq", "bwd_dv", "bwd_state", "fwd_out", "fwd_state"]

# Family ids. @jit code may read a global only when it is a tl.constexpr instance: Triton's
# compiler rejects plain ints, and its CPU interpreter does not check, so only a GPU build shows it.
HADAMARD_EXP = tl.constexpr(int(KernelFamily.HADAMARD_EXP))
SUM_SQEUCLID = tl.constexpr(int(KernelFamily.SUM_SQEUCLID))
SUB_SQEUCLID = tl.constexpr(int(KernelFamily.SUB_SQEUCLID))
FEATURES = tl.constexpr(int(KernelFamily.FEATURES))


# ----------------------------------------------------------------------------- helpers
@triton.jit
def _half_exp_arg(a, b, hm):
    """(a + b)/2 − hm (≤ 0 when hm ≥ (a + b)/2), formed at half scale so that a + b cannot
    overflow, with the rounding error of the sum recovered (TwoSum)."""
    ha = 0.5 * a
    hb = 0.5 * b
    s = ha + hb
    bb = s - ha
    err = (ha - (s - bb)) + (hb - bb)
    return (s - hm) + err


@triton.jit
def _exp_twice(x):
    """exp(2x) = exp(x)² for x ≤ 0: never overflows, even where 2x would."""
    e = tl.exp(x)
    return e * e


@triton.jit
def _exp_diff(a, b):
    """exp(a − b) for b ≥ a, at half scale so that a − b cannot overflow (it may underflow to 0)."""
    return _exp_twice(0.5 * a - 0.5 * b)


@triton.jit
def _block(start, BLOCK: tl.constexpr, end):
    """Indices start … start + BLOCK − 1 and the mask of those below end."""
    offs = start + tl.arange(0, BLOCK)
    return offs, offs < end


@triton.jit
def _load_tile(base, offs_r, offs_c, stride_r, stride_c, mask_r, mask_c):
    """The (rows × columns) tile base[offs_r, offs_c] of a strided 2-D view; 0 outside the masks."""
    ptrs = base + offs_r[:, None] * stride_r + offs_c[None, :] * stride_c
    return tl.load(ptrs, mask=mask_r[:, None] & mask_c[None, :], other=0.0)


@triton.jit
def _store_tile(base, offs_r, offs_c, stride_r, stride_c, mask_r, mask_c, x):
    """Store x, cast to the destination's dtype, into the tile base[offs_r, offs_c] (inside the masks)."""
    ptrs = base + offs_r[:, None] * stride_r + offs_c[None, :] * stride_c
    tl.store(ptrs, x.to(ptrs.dtype.element_ty), mask=mask_r[:, None] & mask_c[None, :])


@triton.jit
def _segment_program(H, D, DV, NE, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr):
    """Grid (B·H, segments, D-tiles × Dv-tiles) of the state reductions: this program's ids
    (batch·head pid_bh = b·H + h, segment, feature tile, value tile), b, h, and its feature and
    value columns."""
    pid_bh = tl.program_id(0)
    pid_s = tl.program_id(1)
    pid_de = tl.program_id(2)
    pid_d = pid_de // NE
    pid_e = pid_de % NE
    b = pid_bh // H
    h = pid_bh % H
    offs_d, mask_d = _block(pid_d * BLOCK_D, BLOCK_D, D)
    offs_e, mask_e = _block(pid_e * BLOCK_E, BLOCK_E, DV)
    return pid_bh, pid_s, pid_d, pid_e, b, h, offs_d, mask_d, offs_e, mask_e


@triton.jit
def _row_program(H, L, N, BLOCK_L: tl.constexpr, BLOCK_N: tl.constexpr):
    """Grid (B·H, L-blocks, column tiles) of the row-wise programs: batch·head pid_bh = b·H + h,
    column-tile id, b, h, and this program's rows and columns (N columns in all)."""
    pid_bh = tl.program_id(0)
    pid_l = tl.program_id(1)
    pid_c = tl.program_id(2)
    b = pid_bh // H
    h = pid_bh % H
    offs_l, mask_l = _block(pid_l * BLOCK_L, BLOCK_L, L)
    offs_c, mask_c = _block(pid_c * BLOCK_N, BLOCK_N, N)
    return pid_bh, pid_c, b, h, offs_l, mask_l, offs_c, mask_c


@triton.jit
def _sign(FAMILY: tl.constexpr):
    if FAMILY == SUM_SQEUCLID:
        return 1.0
    else:
        return -1.0


@triton.jit
def _sq_psi(kt, c, mask_ld, FAMILY: tl.constexpr):
    """Squared-Euclidean key features of a (BLOCK_L, BLOCK_D) tile about the shift c: ψmain = ±2 (k − c),
    and the tile's part of r_j = ‖k_j − c‖²."""
    kc = tl.where(mask_ld, kt - c[None, :], 0.0)
    return (2.0 * _sign(FAMILY)) * kc, tl.sum(kc * kc, axis=1)


@triton.jit
def _exp_psi(kt, mask_ld, m_row, offs_d, mask_d):
    """``hadamard_exp`` key features ψ = exp(k − M) of a (BLOCK_L, BLOCK_D) tile; m_row points at
    this batch·head's maxima M."""
    mt = tl.load(m_row + offs_d, mask=mask_d, other=0.0)
    return _exp_diff(tl.where(mask_ld, kt, float("-inf")), mt[None, :])


@triton.jit
def _fold_exp_tile(acc, z, run_max, kt, vt, mask_ld, ACC: tl.constexpr, PRECISION: tl.constexpr):
    """Fold one key/value tile into the ``hadamard_exp`` partial state (S, z) held about the running
    key maxima M: what was there is rescaled by exp(M_old − M_new) ≤ 1, as online softmax does.
    Returns the new S, z and M."""
    km = tl.where(mask_ld, kt, float("-inf"))
    new_max = tl.maximum(run_max, tl.max(km, axis=0))
    safe = tl.where(new_max == float("-inf"), 0.0, new_max)
    alpha = _exp_diff(run_max, safe)
    psi = _exp_diff(km, safe[None, :])
    acc = acc * alpha[:, None] + tl.dot(tl.trans(psi), vt, input_precision=PRECISION, out_dtype=ACC)
    z = z * alpha + tl.sum(psi, axis=0)
    return acc, z, new_max


@triton.jit
def _phi(qt, mask_ld, m_row, c_row, offs_d, mask_d, row, FAMILY: tl.constexpr):
    """Main query features φmain of a (BLOCK_L, BLOCK_D) tile; zero outside the masks.

    m_row, c_row point at this batch·head's maxima M and shift c.
    """
    if FAMILY == HADAMARD_EXP:
        mt = tl.load(m_row + offs_d, mask=mask_d, other=0.0)
        phi = _exp_twice(tl.where(mask_ld, _half_exp_arg(qt, mt[None, :], row[:, None]), float("-inf")))
    elif FAMILY == FEATURES:
        phi = tl.where(mask_ld, qt, 0.0)
    else:
        ct = tl.load(c_row + offs_d, mask=mask_d, other=0.0)
        phi = tl.where(mask_ld, qt + _sign(FAMILY) * ct[None, :], 0.0)
    return phi


@triton.jit
def _row_stat(
    q_base, stride_ql, stride_qd, M, C, pid_bh, offs_l, mask_l, D,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, ACC: tl.constexpr,
):  # fmt: skip
    """m_i / 2 = max_d (q_id/2 + M_d/2) (exp) or a_i = ‖q_i ± c‖² (squared-Euclidean); 0 for features."""
    if FAMILY == HADAMARD_EXP:
        row = tl.full((BLOCK_L,), float("-inf"), dtype=ACC)
    else:
        row = tl.zeros((BLOCK_L,), dtype=ACC)
    if FAMILY != FEATURES:
        for d0 in range(0, D, BLOCK_D):
            offs_d, mask_d = _block(d0, BLOCK_D, D)
            mask_ld = mask_l[:, None] & mask_d[None, :]
            qt = _load_tile(q_base, offs_l, offs_d, stride_ql, stride_qd, mask_l, mask_d).to(ACC)
            if FAMILY == HADAMARD_EXP:
                mt = tl.load(M + pid_bh * D + offs_d, mask=mask_d, other=0.0)
                row = tl.maximum(row, tl.max(tl.where(mask_ld, 0.5 * qt + 0.5 * mt[None, :], float("-inf")), axis=1))
            else:
                ct = tl.load(C + pid_bh * D + offs_d, mask=mask_d, other=0.0)
                qs = tl.where(mask_ld, qt + _sign(FAMILY) * ct[None, :], 0.0)
                row += tl.sum(qs * qs, axis=1)
        if FAMILY == HADAMARD_EXP:
            row = tl.where(mask_l, row, 0.0)
    return row


@triton.jit
def _row_inputs(ROW, DEN, G, pid_bh, L, offs_l, mask_l, FAMILY: tl.constexpr):
    """Per-row forward results the backward reads: row statistic, denominator, g = ∂loss/∂den, and
    whether the row fell back to the mean of v (never for ``hadamard_exp``: every den ≥ 1)."""
    row = tl.load(ROW + pid_bh * L + offs_l, mask=mask_l, other=0.0)
    den = tl.load(DEN + pid_bh * L + offs_l, mask=mask_l, other=1.0)
    g = tl.load(G + pid_bh * L + offs_l, mask=mask_l, other=0.0)
    if FAMILY == HADAMARD_EXP:
        fallback = den < 0.0
    else:
        fallback = den <= 0.0
    return row, den, g, fallback


# ----------------------------------------------------------------------------- forward
@triton.jit
def fwd_state(
    K, V, C, S_part, Z_part, M_part, X_part, XZ_part,
    stride_kb, stride_kh, stride_kl, stride_kd,
    stride_vb, stride_vh, stride_vl, stride_ve,
    H, L, D, DV, SEG_LEN, NSEG, ND, NE,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr,
):  # fmt: skip
    """Partial S, z (and M) or X, xz of one L-segment of keys and values."""
    pid_bh, pid_s, pid_d, pid_e, b, h, offs_d, mask_d, offs_e, mask_e = _segment_program(H, D, DV, NE, BLOCK_D, BLOCK_E)
    k_base = K + b * stride_kb + h * stride_kh
    v_base = V + b * stride_vb + h * stride_vh

    acc = tl.zeros((BLOCK_D, BLOCK_E), dtype=ACC)
    z = tl.zeros((BLOCK_D,), dtype=ACC)
    x0 = tl.zeros((BLOCK_E,), dtype=ACC)
    x1 = tl.zeros((BLOCK_E,), dtype=ACC)
    xz0 = tl.zeros((BLOCK_L,), dtype=ACC)
    xz1 = tl.zeros((BLOCK_L,), dtype=ACC)
    run_max = tl.full((BLOCK_D,), float("-inf"), dtype=ACC)
    c = tl.load(C + pid_bh * D + offs_d, mask=mask_d, other=0.0).to(ACC)

    seg_start = pid_s * SEG_LEN
    seg_end = tl.minimum(seg_start + SEG_LEN, L)
    for l0 in range(seg_start, seg_end, BLOCK_L):
        offs_l, mask_l = _block(l0, BLOCK_L, seg_end)
        mask_ld = mask_l[:, None] & mask_d[None, :]
        kt = _load_tile(k_base, offs_l, offs_d, stride_kl, stride_kd, mask_l, mask_d).to(ACC)
        vt = _load_tile(v_base, offs_l, offs_e, stride_vl, stride_ve, mask_l, mask_e).to(ACC)
        if FAMILY == HADAMARD_EXP:
            acc, z, run_max = _fold_exp_tile(acc, z, run_max, kt, vt, mask_ld, ACC, PRECISION)
        else:
            if FAMILY == FEATURES:
                psi = kt
            else:
                psi, r = _sq_psi(kt, c, mask_ld, FAMILY)
                x1 += tl.sum(r[:, None] * vt, axis=0)
                xz1 += r
            acc += tl.dot(tl.trans(psi), vt, input_precision=PRECISION, out_dtype=ACC)
            z += tl.sum(psi, axis=0)
            x0 += tl.sum(vt, axis=0)
            xz0 += mask_l.to(ACC)

    part = pid_bh * NSEG + pid_s
    _store_tile(S_part + part * D * DV, offs_d, offs_e, DV, 1, mask_d, mask_e, acc)
    # per-feature vectors are written by the first value tile only (a scalar branch, not a block
    # mask combined with a scalar: Triton 3.9's interpreter rejects the latter's dtype)
    if pid_e == 0:
        tl.store(Z_part + part * D + offs_d, z, mask=mask_d)
        if FAMILY == HADAMARD_EXP:
            tl.store(M_part + part * D + offs_d, run_max, mask=mask_d)
    if FAMILY != HADAMARD_EXP:
        # Σ_j v_j and L come from the first feature tile only; Σ_j r_j v_j sums over all tiles
        first_d = (pid_d == 0).to(ACC)
        xbase = X_part + ((part * ND + pid_d) * 2) * DV
        tl.store(xbase + offs_e, x0 * first_d, mask=mask_e)
        tl.store(xbase + DV + offs_e, x1, mask=mask_e)
        if pid_e == 0:
            xzbase = XZ_part + (part * ND + pid_d) * 2
            tl.store(xzbase, tl.sum(xz0, axis=0) * first_d)
            tl.store(xzbase + 1, tl.sum(xz1, axis=0))


@triton.jit
def fwd_out(
    Q, S, Z, M, X, XZ, C, O, DEN, ROW,
    stride_qb, stride_qh, stride_ql, stride_qd,
    stride_ob, stride_oh, stride_ol, stride_oe,
    H, L, D, DV,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr,
):  # fmt: skip
    """o_i = n_i / den_i for one L-block of queries; also writes den_i and the row statistic."""
    pid_bh, pid_e, b, h, offs_l, mask_l, offs_e, mask_e = _row_program(H, L, DV, BLOCK_L, BLOCK_E)
    q_base = Q + b * stride_qb + h * stride_qh

    row = _row_stat(q_base, stride_ql, stride_qd, M, C, pid_bh, offs_l, mask_l, D, FAMILY, BLOCK_L, BLOCK_D, ACC)
    acc = tl.zeros((BLOCK_L, BLOCK_E), dtype=ACC)
    den = tl.zeros((BLOCK_L,), dtype=ACC)
    for d0 in range(0, D, BLOCK_D):
        offs_d, mask_d = _block(d0, BLOCK_D, D)
        mask_ld = mask_l[:, None] & mask_d[None, :]
        qt = _load_tile(q_base, offs_l, offs_d, stride_ql, stride_qd, mask_l, mask_d).to(ACC)
        phi = _phi(qt, mask_ld, M + pid_bh * D, C + pid_bh * D, offs_d, mask_d, row, FAMILY)
        st = _load_tile(S + pid_bh * D * DV, offs_d, offs_e, DV, 1, mask_d, mask_e)
        zt = tl.load(Z + pid_bh * D + offs_d, mask=mask_d, other=0.0)
        acc += tl.dot(phi, st, input_precision=PRECISION, out_dtype=ACC)
        den += tl.sum(phi * zt[None, :], axis=1)
    if FAMILY != HADAMARD_EXP:
        x0 = tl.load(X + pid_bh * 2 * DV + offs_e, mask=mask_e, other=0.0)
        xz0 = tl.load(XZ + pid_bh * 2)
        if FAMILY != FEATURES:
            x1 = tl.load(X + pid_bh * 2 * DV + DV + offs_e, mask=mask_e, other=0.0)
            xz1 = tl.load(XZ + pid_bh * 2 + 1)
            acc += row[:, None] * x0[None, :] + x1[None, :]
            den += row * xz0 + xz1
        fallback = den <= 0.0
        acc = tl.where(fallback[:, None], x0[None, :] / xz0, acc)
        out = acc / tl.where(fallback, 1.0, den)[:, None]
    else:
        out = acc / tl.where(mask_l, den, 1.0)[:, None]
    o_base = O + b * stride_ob + h * stride_oh
    _store_tile(o_base, offs_l, offs_e, stride_ol, stride_oe, mask_l, mask_e, out)
    if pid_e == 0:
        tl.store(DEN + pid_bh * L + offs_l, den, mask=mask_l)
        tl.store(ROW + pid_bh * L + offs_l, row, mask=mask_l)


# ----------------------------------------------------------------------------- backward
@triton.jit
def bwd_state(
    Q, DO, ROW, DEN, G, M, C, DS_part, DZ_part, DX_part, DXZ_part,
    stride_qb, stride_qh, stride_ql, stride_qd,
    stride_ob, stride_oh, stride_ol, stride_oe,
    H, L, D, DV, SEG_LEN, NSEG, NE,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr,
):  # fmt: skip
    """dS = Σ_i φmain_i dn_iᵀ, dz = Σ_i φmain_i g_i, dX = Σ_i e_i dn_iᵀ, dxz = Σ_i e_i g_i."""
    pid_bh, pid_s, pid_d, pid_e, b, h, offs_d, mask_d, offs_e, mask_e = _segment_program(H, D, DV, NE, BLOCK_D, BLOCK_E)
    q_base = Q + b * stride_qb + h * stride_qh
    do_base = DO + b * stride_ob + h * stride_oh
    inv_len = 1.0 / L

    acc = tl.zeros((BLOCK_D, BLOCK_E), dtype=ACC)
    dz = tl.zeros((BLOCK_D,), dtype=ACC)
    dx0 = tl.zeros((BLOCK_E,), dtype=ACC)
    dx1 = tl.zeros((BLOCK_E,), dtype=ACC)
    dxz0 = tl.zeros((BLOCK_L,), dtype=ACC)
    dxz1 = tl.zeros((BLOCK_L,), dtype=ACC)
    seg_start = pid_s * SEG_LEN
    seg_end = tl.minimum(seg_start + SEG_LEN, L)
    for l0 in range(seg_start, seg_end, BLOCK_L):
        offs_l, mask_l = _block(l0, BLOCK_L, seg_end)
        mask_ld = mask_l[:, None] & mask_d[None, :]
        qt = _load_tile(q_base, offs_l, offs_d, stride_ql, stride_qd, mask_l, mask_d).to(ACC)
        dot = _load_tile(do_base, offs_l, offs_e, stride_ol, stride_oe, mask_l, mask_e).to(ACC)
        row, den, g, fallback = _row_inputs(ROW, DEN, G, pid_bh, L, offs_l, mask_l, FAMILY)
        dn = dot / tl.where(fallback, 1.0, den)[:, None]
        phi = _phi(qt, mask_ld, M + pid_bh * D, C + pid_bh * D, offs_d, mask_d, row, FAMILY)
        phi = tl.where(fallback[:, None], 0.0, phi)
        acc += tl.dot(tl.trans(phi), dn, input_precision=PRECISION, out_dtype=ACC)
        dz += tl.sum(phi * g[:, None], axis=0)
        if FAMILY != HADAMARD_EXP:
            if FAMILY == FEATURES:
                e0 = tl.where(fallback, inv_len, 0.0)
                e1 = tl.zeros((BLOCK_L,), dtype=ACC)
            else:
                e0 = tl.where(fallback, inv_len, row)
                e1 = tl.where(fallback, 0.0, 1.0)
            e0 = tl.where(mask_l, e0, 0.0)
            e1 = tl.where(mask_l, e1, 0.0)
            dx0 += tl.sum(e0[:, None] * dn, axis=0)
            dx1 += tl.sum(e1[:, None] * dn, axis=0)
            dxz0 += e0 * g
            dxz1 += e1 * g

    part = pid_bh * NSEG + pid_s
    _store_tile(DS_part + part * D * DV, offs_d, offs_e, DV, 1, mask_d, mask_e, acc)
    if pid_e == 0:
        tl.store(DZ_part + part * D + offs_d, dz, mask=mask_d)
    if FAMILY != HADAMARD_EXP:
        if pid_d == 0:
            tl.store(DX_part + part * 2 * DV + offs_e, dx0, mask=mask_e)
            tl.store(DX_part + part * 2 * DV + DV + offs_e, dx1, mask=mask_e)
            if pid_e == 0:
                tl.store(DXZ_part + part * 2, tl.sum(dxz0, axis=0))
                tl.store(DXZ_part + part * 2 + 1, tl.sum(dxz1, axis=0))


@triton.jit
def bwd_dq(
    Q, DO, ROW, DEN, G, M, C, S, Z, X, XZ, DQ,
    stride_qb, stride_qh, stride_ql, stride_qd,
    stride_ob, stride_oh, stride_ol, stride_oe,
    stride_gb, stride_gh, stride_gl, stride_gd,
    H, L, D, DV,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr,
):  # fmt: skip
    """dφmain_i = S dn_i + z g_i; da_i = X₀·dn_i + L g_i; chained through φ to dq."""
    pid_bh, _, b, h, offs_l, mask_l, offs_d, mask_d = _row_program(H, L, D, BLOCK_L, BLOCK_D)
    mask_ld = mask_l[:, None] & mask_d[None, :]
    q_base = Q + b * stride_qb + h * stride_qh
    do_base = DO + b * stride_ob + h * stride_oh

    row, den, g, fallback = _row_inputs(ROW, DEN, G, pid_bh, L, offs_l, mask_l, FAMILY)
    rden = 1.0 / tl.where(fallback, 1.0, den)
    dphi = tl.zeros((BLOCK_L, BLOCK_D), dtype=ACC)
    da = tl.zeros((BLOCK_L,), dtype=ACC)
    for e0 in range(0, DV, BLOCK_E):
        offs_e, mask_e = _block(e0, BLOCK_E, DV)
        dn = _load_tile(do_base, offs_l, offs_e, stride_ol, stride_oe, mask_l, mask_e).to(ACC) * rden[:, None]
        st = _load_tile(S + pid_bh * D * DV, offs_d, offs_e, DV, 1, mask_d, mask_e)
        dphi += tl.dot(dn, tl.trans(st), input_precision=PRECISION, out_dtype=ACC)
        if FAMILY == SUM_SQEUCLID or FAMILY == SUB_SQEUCLID:
            x0 = tl.load(X + pid_bh * 2 * DV + offs_e, mask=mask_e, other=0.0)
            da += tl.sum(dn * x0[None, :], axis=1)
    zt = tl.load(Z + pid_bh * D + offs_d, mask=mask_d, other=0.0)
    dphi += g[:, None] * zt[None, :]
    qt = _load_tile(q_base, offs_l, offs_d, stride_ql, stride_qd, mask_l, mask_d).to(ACC)
    if FAMILY == HADAMARD_EXP:
        dq = dphi * _phi(qt, mask_ld, M + pid_bh * D, C + pid_bh * D, offs_d, mask_d, row, FAMILY)
    elif FAMILY == FEATURES:
        dq = dphi
    else:
        da += g * tl.load(XZ + pid_bh * 2)
        qs = _phi(qt, mask_ld, M + pid_bh * D, C + pid_bh * D, offs_d, mask_d, row, FAMILY)
        dq = dphi + 2.0 * qs * da[:, None]
    dq = tl.where(fallback[:, None], 0.0, dq)
    dq_base = DQ + b * stride_gb + h * stride_gh
    _store_tile(dq_base, offs_l, offs_d, stride_gl, stride_gd, mask_l, mask_d, dq)


@triton.jit
def bwd_dk(
    K, V, M, C, DS, DZ, DX, DXZ, DK,
    stride_kb, stride_kh, stride_kl, stride_kd,
    stride_vb, stride_vh, stride_vl, stride_ve,
    stride_gb, stride_gh, stride_gl, stride_gd,
    H, L, D, DV,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr,
):  # fmt: skip
    """dψmain_j = dS v_j + dz; dr_j = dX₁·v_j + dxz₁; chained through ψ to dk."""
    pid_bh, _, b, h, offs_l, mask_l, offs_d, mask_d = _row_program(H, L, D, BLOCK_L, BLOCK_D)
    mask_ld = mask_l[:, None] & mask_d[None, :]
    k_base = K + b * stride_kb + h * stride_kh
    v_base = V + b * stride_vb + h * stride_vh

    dpsi = tl.zeros((BLOCK_L, BLOCK_D), dtype=ACC)
    dr = tl.zeros((BLOCK_L,), dtype=ACC)
    for e0 in range(0, DV, BLOCK_E):
        offs_e, mask_e = _block(e0, BLOCK_E, DV)
        vt = _load_tile(v_base, offs_l, offs_e, stride_vl, stride_ve, mask_l, mask_e).to(ACC)
        dst = _load_tile(DS + pid_bh * D * DV, offs_d, offs_e, DV, 1, mask_d, mask_e)
        dpsi += tl.dot(vt, tl.trans(dst), input_precision=PRECISION, out_dtype=ACC)
        if FAMILY == SUM_SQEUCLID or FAMILY == SUB_SQEUCLID:
            dx1 = tl.load(DX + pid_bh * 2 * DV + DV + offs_e, mask=mask_e, other=0.0)
            dr += tl.sum(vt * dx1[None, :], axis=1)
    dpsi += tl.load(DZ + pid_bh * D + offs_d, mask=mask_d, other=0.0)[None, :]
    kt = _load_tile(k_base, offs_l, offs_d, stride_kl, stride_kd, mask_l, mask_d).to(ACC)
    if FAMILY == HADAMARD_EXP:
        dk = dpsi * _exp_psi(kt, mask_ld, M + pid_bh * D, offs_d, mask_d)
    elif FAMILY == FEATURES:
        dk = dpsi
    else:
        dr += tl.load(DXZ + pid_bh * 2 + 1)
        ct = tl.load(C + pid_bh * D + offs_d, mask=mask_d, other=0.0)
        dk = (2.0 * _sign(FAMILY)) * dpsi + 2.0 * (kt - ct[None, :]) * dr[:, None]
    dk_base = DK + b * stride_gb + h * stride_gh
    _store_tile(dk_base, offs_l, offs_d, stride_gl, stride_gd, mask_l, mask_d, dk)


@triton.jit
def bwd_dv(
    K, M, C, DS, DX, DV_OUT,
    stride_kb, stride_kh, stride_kl, stride_kd,
    stride_gb, stride_gh, stride_gl, stride_ge,
    H, L, D, DV,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr,
):  # fmt: skip
    """dv_j = dSᵀ ψmain_j + dX₀ + r_j dX₁."""
    pid_bh, _, b, h, offs_l, mask_l, offs_e, mask_e = _row_program(H, L, DV, BLOCK_L, BLOCK_E)
    k_base = K + b * stride_kb + h * stride_kh

    acc = tl.zeros((BLOCK_L, BLOCK_E), dtype=ACC)
    r = tl.zeros((BLOCK_L,), dtype=ACC)
    for d0 in range(0, D, BLOCK_D):
        offs_d, mask_d = _block(d0, BLOCK_D, D)
        mask_ld = mask_l[:, None] & mask_d[None, :]
        kt = _load_tile(k_base, offs_l, offs_d, stride_kl, stride_kd, mask_l, mask_d).to(ACC)
        if FAMILY == HADAMARD_EXP:
            psi = _exp_psi(kt, mask_ld, M + pid_bh * D, offs_d, mask_d)
        elif FAMILY == FEATURES:
            psi = kt
        else:
            psi, r_part = _sq_psi(kt, tl.load(C + pid_bh * D + offs_d, mask=mask_d, other=0.0), mask_ld, FAMILY)
            r += r_part
        dst = _load_tile(DS + pid_bh * D * DV, offs_d, offs_e, DV, 1, mask_d, mask_e)
        acc += tl.dot(psi, dst, input_precision=PRECISION, out_dtype=ACC)
    if FAMILY != HADAMARD_EXP:
        acc += tl.load(DX + pid_bh * 2 * DV + offs_e, mask=mask_e, other=0.0)[None, :]
        if FAMILY != FEATURES:
            acc += r[:, None] * tl.load(DX + pid_bh * 2 * DV + DV + offs_e, mask=mask_e, other=0.0)[None, :]
    dv_base = DV_OUT + b * stride_gb + h * stride_gh
    _store_tile(dv_base, offs_l, offs_e, stride_gl, stride_ge, mask_l, mask_e, acc)
