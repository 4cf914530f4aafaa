"""Extreme inputs: finite results that match the oracle evaluated in fp64 on the same values."""

import warnings

import pytest
import torch

from tests.ela.common import KERNELS, attend, rel_err


def uniform(shape, bound, seed, dtype):
    g = torch.Generator().manual_seed(seed)
    return ((torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1) * bound).to(dtype)


@pytest.mark.parametrize("causal", [False, True], ids=["bidir", "causal"])
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("backend", ["torch", "triton"])
def test_fp32_inputs_of_magnitude_1e4(backend, kernel, causal):
    q = uniform((1, 2, 50, 6), 1e4, 0, torch.float32)
    k = uniform((1, 2, 50, 6), 1e4, 1, torch.float32)
    v = uniform((1, 2, 50, 5), 1.0, 2, torch.float32)
    q[0, 0, 0] = 1e4  # exact extremes too
    k[0, 0, 3] = -1e4
    ref = attend(q.double(), k.double(), v.double(), kernel, causal, backend="quadratic")
    assert torch.isfinite(ref).all()
    out = attend(q, k, v, kernel, causal, backend=backend)
    assert torch.isfinite(out).all()
    assert rel_err(out, ref) <= 1e-5


@pytest.mark.parametrize("causal", [False, True], ids=["bidir", "causal"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=str)
@pytest.mark.parametrize("backend", ["torch", "triton"])
def test_hadamard_exp_any_finite_half_input(backend, dtype, causal):
    fmax = torch.finfo(dtype).max
    q = uniform((1, 2, 40, 6), fmax, 3, dtype)
    k = uniform((1, 2, 40, 6), fmax, 4, dtype)
    v = uniform((1, 2, 40, 5), 1.0, 5, dtype)
    q[0, 0, 0], k[0, 0, 1], q[0, 1, 2], k[0, 1, 3] = fmax, fmax, -fmax, -fmax
    ref = attend(q.double(), k.double(), v.double(), "hadamard_exp", causal, backend="quadratic")
    with warnings.catch_warnings():  # the interpreter reports overflow of masked lanes to -inf; harmless
        warnings.simplefilter("ignore", RuntimeWarning)
        out = attend(q, k, v, "hadamard_exp", causal, backend=backend)
    assert torch.isfinite(out).all()
    assert rel_err(out, ref) <= 2 * torch.finfo(dtype).eps


@pytest.mark.parametrize("kernel", ["sum_sqeuclid", "sub_sqeuclid"])
def test_sqeuclid_fp16_extremes_finite(kernel):
    fmax = torch.finfo(torch.float16).max
    q = uniform((1, 1, 30, 8), fmax, 6, torch.float16)
    k = uniform((1, 1, 30, 8), fmax, 7, torch.float16)
    v = uniform((1, 1, 30, 4), 1.0, 8, torch.float16)
    ref = attend(q.double(), k.double(), v.double(), kernel, backend="quadratic")
    for backend in ("torch", "triton"):
        out = attend(q, k, v, kernel, backend=backend)
        assert torch.isfinite(out).all()
        assert rel_err(out, ref) <= 4 * torch.finfo(torch.float16).eps


def test_result_equals_unstabilised_formula_where_finite():
    """The stabilisation is exact: where exp(q)·exp(k) is finite, the plain formula agrees."""
    g = torch.Generator().manual_seed(9)
    q, k = (
        torch.randn(1, 1, 25, 4, generator=g, dtype=torch.float64),
        torch.randn(1, 1, 25, 4, generator=g, dtype=torch.float64),
    )
    v = torch.randn(1, 1, 25, 3, generator=g, dtype=torch.float64)
    phi, psi = q.exp(), k.exp()
    plain = (phi @ (psi.transpose(-1, -2) @ v)) / (phi @ psi.sum(-2, keepdim=True).transpose(-1, -2))
    for backend in ("torch", "triton"):
        assert rel_err(attend(q, k, v, backend=backend), plain) <= 1e-13


def test_inference_path_is_bitwise_identical_to_autograd_path():
    """Without autograd, hadamard_exp runs in place (fewer allocations) with the same operations."""
    g = torch.Generator().manual_seed(11)
    q, k, v = (torch.randn(2, 3, 40, 8, generator=g) * s for s in (1.0, 30.0, 1.0))
    with torch.no_grad():
        fast = attend(q, k, v, backend="torch")
    assert torch.equal(fast, attend(q, k, v, backend="torch"))


@pytest.mark.parametrize("backend", ["torch", "triton"])
def test_large_common_offset_needs_exact_exponent(backend):
    """q, k = 1e4 + N(0, 1): the plain stabilised formula exp(q + M − m) loses ~4e-4 relative
    accuracy in float32 (q + M is rounded at 2e4, an absolute error of ~1e-3 in the exponent); the
    exact exponent (float64 sum or TwoSum) keeps float32 accuracy."""
    g = torch.Generator().manual_seed(1)
    q, k = (1e4 + torch.randn(1, 2, 300, 16, generator=g) for _ in range(2))
    v = torch.randn(1, 2, 300, 8, generator=g)
    ref = attend(q.double(), k.double(), v.double(), backend="quadratic")
    big_m = k.amax(-2, keepdim=True)
    a = q + big_m
    phi, psi = (a - a.amax(-1, keepdim=True)).exp(), (k - big_m).exp()
    plain = (phi @ (psi.transpose(-1, -2) @ v)) / (phi @ psi.sum(-2, keepdim=True).transpose(-1, -2))
    assert rel_err(plain, ref) > 1e-4  # why the exact exponent is needed
    with torch.no_grad():
        assert rel_err(attend(q, k, v, backend=backend), ref) <= 2e-6
    assert rel_err(attend(q, k, v, backend=backend), ref) <= 2e-6
