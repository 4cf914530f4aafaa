"""The built-in ``uniform`` kernel (κ = 1), the no-attention control: every row is the mean of v
(causal: the mean of v up to the row), on every path, and its query and key inputs get no gradient."""

import pytest
import torch

from tests.ela.common import attend, rel_err
from yolo_lat.ela import available_kernels, get_kernel, register_kernel
from yolo_lat.ela.kernel_maps import KernelFamily
from yolo_lat.nn import ELAttention


def _qkv(length=29, d=4, dv=6, dtype=torch.float64):
    g = torch.Generator().manual_seed(3)
    q, k = (torch.randn(2, 2, length, d, generator=g, dtype=torch.float64) * 3 for _ in range(2))
    v = torch.randn(2, 2, length, dv, generator=g, dtype=torch.float64)
    return q.to(dtype), k.to(dtype), v.to(dtype)


def _prefix_mean(v: torch.Tensor) -> torch.Tensor:
    n = torch.arange(1, v.shape[-2] + 1, dtype=v.dtype).unsqueeze(-1)
    return v.cumsum(-2) / n


def test_it_is_a_constant_built_in():
    kern = get_kernel("uniform")
    assert "uniform" in available_kernels() and kern.family == KernelFamily.FEATURES
    q, k, _ = _qkv()
    assert kern.phi(q).shape[-1] == 1
    assert torch.equal(kern.kappa(q, k), torch.ones(2, 2, 29, 29, dtype=q.dtype))
    assert torch.equal(kern.phi(q) @ kern.psi(k).transpose(-1, -2), kern.kappa(q, k))
    with pytest.raises(ValueError, match="built-in"):
        register_kernel("uniform", lambda x: x.exp(), lambda x: x.exp())


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("causal", [False, True], ids=["bidir", "causal"])
@pytest.mark.parametrize("backend", ["quadratic", "torch", "triton"])
def test_every_row_is_the_mean_of_v(backend, causal, dtype):
    q, k, v = _qkv(dtype=dtype)
    want = _prefix_mean(v.double()) if causal else v.double().mean(-2, keepdim=True).expand_as(v)
    out = attend(q, k, v, "uniform", causal, backend=backend)
    assert out.dtype == dtype and out.shape == v.shape
    assert rel_err(out, want) <= (1e-12 if dtype == torch.float64 else 1e-6)


def test_queries_and_keys_get_no_gradient():
    q, k, v = (t.requires_grad_() for t in _qkv())
    attend(q, k, v, "uniform", backend="torch").pow(2).sum().backward()
    assert v.grad.abs().sum() > 0
    assert all(t.grad is None or not t.grad.any() for t in (q, k))


def test_elattention_block_is_pooling_plus_the_positional_term():
    """In the block, the attention output is the per-channel mean of v over H·W (global average pooling)."""
    torch.manual_seed(0)
    m = ELAttention(32, num_heads=2, kernel="uniform").eval()
    x = torch.randn(1, 32, 6, 5)
    with torch.no_grad():
        _, _, v = m.qkv(x).view(1, 2, 8 + 8 + 16, 30).split([8, 8, 16], dim=2)
        v = v.reshape(1, 32, 6, 5)
        want = m.proj(v.mean((-2, -1), keepdim=True).expand_as(v) + m.pe(v))
        assert rel_err(m(x), want) <= 1e-6
