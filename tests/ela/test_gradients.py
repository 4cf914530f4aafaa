"""Gradients: gradcheck of the torch path in fp64; Triton backward equals torch backward."""

import pytest
import torch

from tests.ela.common import KERNELS, attend, triton_direct
from yolo_lat.ela import get_kernel, linear_attention, register_kernel, unregister_kernel


def inputs(b, h, length, d, dv, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(b, h, length, n, generator=g, dtype=dtype).requires_grad_() for n in (d, d, dv)]


@pytest.mark.parametrize("causal", [False, True], ids=["bidir", "causal"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_gradcheck_torch_path(kernel, causal):
    q, k, v = inputs(1, 2, 9, 3, 4)
    fn = lambda a, b, c: attend(a, b, c, kernel, causal, backend="torch")  # noqa: E731
    assert torch.autograd.gradcheck(fn, (q, k, v), eps=1e-6, atol=1e-7)


def test_gradcheck_causal_several_chunks():
    q, k, v = inputs(1, 1, 11, 3, 2, seed=1)
    for kernel in KERNELS:
        fn = lambda a, b, c: linear_attention(a, b, c, get_kernel(kernel), causal=True, chunk_size=4)  # noqa: B023, E731
        assert torch.autograd.gradcheck(fn, (q, k, v), eps=1e-6, atol=1e-7)


def _grads(out, tensors, seed=5):
    w = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=out.dtype)
    return torch.autograd.grad((out * w).sum(), tensors)


@pytest.mark.parametrize("shape", [(2, 3, 37, 5, 7), (1, 1, 70, 67, 66)], ids=["small", "multi-tile"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_triton_backward_equals_torch_backward(kernel, shape):
    q, k, v = inputs(*shape)
    g_torch = _grads(attend(q, k, v, kernel, backend="torch"), (q, k, v))
    g_triton = _grads(attend(q, k, v, kernel, backend="triton"), (q, k, v))
    for name, a, b in zip("qkv", g_triton, g_torch):
        err = ((a - b).abs().max() / b.abs().max()).item()
        assert err <= 1e-10, f"d{name}: {err}"


def test_triton_backward_fp32_and_segments():
    q, k, v = inputs(1, 2, 150, 16, 8, seed=2, dtype=torch.float32)
    for kernel in ("hadamard_exp", "sub_sqeuclid"):
        g_ref = _grads(attend(q, k, v, kernel, backend="torch"), (q, k, v))
        g_tri = _grads(triton_direct(q, k, v, kernel, 3), (q, k, v))
        for a, b in zip(g_tri, g_ref):
            assert ((a - b).abs().max() / b.abs().max()).item() <= 1e-5


def test_fallback_rows_gradient():
    """Rows whose kernel sum is 0 average v: d out/d v = 1/L there, nothing flows to q or k."""
    q = torch.zeros(1, 1, 6, 3, dtype=torch.float64, requires_grad=True)
    k = torch.zeros(1, 1, 6, 3, dtype=torch.float64, requires_grad=True)
    v = torch.randn(1, 1, 6, 2, dtype=torch.float64, requires_grad=True)
    grads = {}
    for backend in ("quadratic", "torch", "triton"):
        grads[backend] = _grads(attend(q, k, v, "sub_sqeuclid", backend=backend), (q, k, v))
        assert all(torch.isfinite(g).all() for g in grads[backend])
    for backend in ("torch", "triton"):
        for a, b in zip(grads[backend], grads["quadratic"]):
            assert torch.allclose(a, b, atol=1e-12)


def test_registered_kernel_gradients_flow_through_feature_maps():
    def phi(x):
        n2 = x.pow(2).sum(-1, keepdim=True)
        unit = torch.nn.functional.normalize(x, dim=-1)
        return (n2 + 1) * torch.cat([unit, torch.ones_like(n2)], -1)

    register_kernel("test_modulated_dot", phi, phi)
    try:
        q, k, v = inputs(1, 2, 13, 4, 3, seed=4)
        ref = _grads(attend(q, k, v, "test_modulated_dot", backend="quadratic"), (q, k, v))
        for backend in ("torch", "triton"):
            got = _grads(attend(q, k, v, "test_modulated_dot", backend=backend), (q, k, v))
            for a, b in zip(got, ref):
                assert ((a - b).abs().max() / b.abs().max()).item() <= 1e-10
    finally:
        unregister_kernel("test_modulated_dot")
