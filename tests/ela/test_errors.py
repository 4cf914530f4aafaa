"""Bad input raises ValueError/TypeError naming the problem."""

import os

import pytest
import torch

from yolo_lat.ela import available_kernels, ela_attention, register_kernel, unregister_kernel

q = torch.randn(1, 2, 8, 4)
v = torch.randn(1, 2, 8, 3)


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        ((torch.randn(2, 8, 4), q, v), {}, ValueError, "q must be 4-D"),
        ((q, q, torch.randn(8, 3)), {}, ValueError, "v must be 4-D"),
        ((q, torch.randn(2, 2, 8, 4), v), {}, ValueError, "mismatched B"),
        ((q, torch.randn(1, 3, 8, 4), v), {}, ValueError, "mismatched H"),
        ((q, q, torch.randn(1, 2, 9, 3)), {}, ValueError, "mismatched L"),
        ((q, torch.randn(1, 2, 8, 5), v), {}, ValueError, r"D of q \(4\) != D of k \(5\)"),
        ((q, q, v), {"kernel": "gaussian"}, ValueError, "unknown kernel 'gaussian'"),
        ((q, q, v), {"backend": "cuda"}, ValueError, "unknown backend 'cuda'"),
        ((q.long(), q, v), {}, TypeError, "q has dtype torch.int64"),
        ((q, q, v.int()), {}, TypeError, "v has dtype torch.int32"),
        ((q.numpy(), q, v), {}, TypeError, "q must be a torch.Tensor"),
        ((torch.randn(1, 2, 0, 4), torch.randn(1, 2, 0, 4), torch.randn(1, 2, 0, 3)), {}, ValueError, "empty"),
        ((q, q, v), {"kernel": 3}, TypeError, "kernel must be a name"),
        ((q, q, v), {"causal": "yes"}, TypeError, "causal must be a bool"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ela_attention(*args, **kwargs)


def test_triton_on_cpu_outside_interpreter(monkeypatch):
    monkeypatch.setitem(os.environ, "TRITON_INTERPRET", "0")
    with pytest.raises(ValueError, match="backend='triton' needs CUDA tensors"):
        ela_attention(q, q, v, backend="triton")


def test_register_refuses_negative_kernel():
    """(q·k + 1)(‖q‖² + 1)(‖k‖² + 1) on raw vectors is negative whenever q·k < −1: refused."""

    def phi(x):
        n2 = x.pow(2).sum(-1, keepdim=True)
        return (n2 + 1) * torch.cat([x, torch.ones_like(n2)], -1)

    with pytest.raises(ValueError, match="refused.*< 0"):
        register_kernel("raw_modulated_dot", phi, phi)
    assert "raw_modulated_dot" not in available_kernels()


def test_register_accepts_unit_vector_modulated_dot_and_matches_pairwise():
    """The paper's README form on unit vectors: (q̂·k̂ + 1)(‖q‖² + 1)(‖k‖² + 1) ≥ 0."""

    def phi(x):
        n2 = x.pow(2).sum(-1, keepdim=True)
        return (n2 + 1) * torch.cat([torch.nn.functional.normalize(x, dim=-1), torch.ones_like(n2)], -1)

    def pairwise(a, b):
        na, nb = a.pow(2).sum(-1, keepdim=True), b.pow(2).sum(-1, keepdim=True)
        cos = torch.nn.functional.normalize(a, dim=-1) @ torch.nn.functional.normalize(b, dim=-1).transpose(-1, -2)
        return (cos + 1) * (na + 1) * (nb + 1).transpose(-1, -2)

    register_kernel("modulated_dot_test", phi, phi, pairwise=pairwise)
    try:
        assert "modulated_dot_test" in available_kernels()
        with pytest.raises(ValueError, match="already registered"):
            register_kernel("modulated_dot_test", phi, phi)
        out = ela_attention(q.double(), q.double(), v.double(), "modulated_dot_test")
        ref = ela_attention(q.double(), q.double(), v.double(), "modulated_dot_test", backend="quadratic")
        assert torch.allclose(out, ref, atol=1e-12)
    finally:
        unregister_kernel("modulated_dot_test")


def test_register_checks_shapes_and_names():
    with pytest.raises(ValueError, match="same F"):
        register_kernel("bad_shapes", torch.exp, lambda x: torch.cat([x.exp(), x.exp()], -1))
    with pytest.raises(ValueError, match="built-in"):
        register_kernel("hadamard_exp", torch.exp, torch.exp)
    with pytest.raises(ValueError, match="does not match pairwise"):
        register_kernel("wrong_pairwise", torch.exp, torch.exp, pairwise=lambda a, b: a @ b.transpose(-1, -2))
