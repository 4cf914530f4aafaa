"""Property tests (hypothesis): attention weights are a probability distribution per row, and
bidirectional attention is equivariant to permutations of the sequence."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ela.common import KERNELS, attend

KERNEL_NAMES = st.sampled_from(KERNELS)


@st.composite
def qk(draw, max_len=12, max_d=6):
    length = draw(st.integers(1, max_len))
    d = draw(st.integers(1, max_d))
    scale = draw(st.sampled_from([0.01, 1.0, 10.0, 100.0]))
    seed = draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(1, 2, length, d, generator=g, dtype=torch.float64) * scale
    k = torch.randn(1, 2, length, d, generator=g, dtype=torch.float64) * scale
    return q, k


def weight_matrix(q, k, kernel, causal, backend):
    """Attention weights recovered by attending over one-hot values: v = I_L gives o = W."""
    length = q.shape[-2]
    eye = torch.eye(length, dtype=q.dtype).expand(q.shape[0], q.shape[1], length, length)
    return attend(q, k, eye, kernel, causal, backend=backend)


@settings(max_examples=60, deadline=None)
@given(qk(), KERNEL_NAMES, st.booleans(), st.sampled_from(["torch", "quadratic"]))
def test_weights_are_distributions(qk_pair, kernel, causal, backend):
    q, k = qk_pair
    w = weight_matrix(q, k, kernel, causal, backend)
    assert torch.isfinite(w).all()
    assert (w >= -1e-12).all()
    assert torch.allclose(w.sum(-1), torch.ones_like(w[..., 0]), atol=1e-10)
    if causal:
        assert (w.triu(1).abs() <= 1e-12).all()


@settings(max_examples=15, deadline=None)
@given(qk(max_len=9, max_d=4), KERNEL_NAMES)
def test_weights_are_distributions_triton(qk_pair, kernel):
    q, k = qk_pair
    w = weight_matrix(q, k, kernel, False, "triton")
    assert (w >= -1e-12).all()
    assert torch.allclose(w.sum(-1), torch.ones_like(w[..., 0]), atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(qk(), KERNEL_NAMES, st.integers(1, 5), st.data())
def test_bidirectional_permutation_equivariance(qk_pair, kernel, dv, data):
    q, k = qk_pair
    length = q.shape[-2]
    v = torch.randn(1, 2, length, dv, dtype=torch.float64, generator=torch.Generator().manual_seed(length))
    perm = torch.tensor(data.draw(st.permutations(range(length))))
    out = attend(q, k, v, kernel, backend="torch")
    out_perm = attend(q[..., perm, :], k[..., perm, :], v[..., perm, :], kernel, backend="torch")
    assert torch.allclose(out_perm, out[..., perm, :], rtol=1e-9, atol=1e-9)
