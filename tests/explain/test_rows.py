"""Exact attention rows against the quadratic oracle, and the q/k/v split against ELAttention."""

import math

import pytest
import torch

from yolo_lat.ela import get_kernel, quadratic_attention, register_kernel, unregister_kernel
from yolo_lat.explain import attention_rows, row_statistics, split_qkv
from yolo_lat.nn import ELAttention, MemoryLobe

BUILTINS = ["hadamard_exp", "sum_sqeuclid", "sub_sqeuclid", "taylor_exp", "uniform", "softmax"]


def _modulated_phi(x: torch.Tensor) -> torch.Tensor:
    n2 = x.pow(2).sum(-1, keepdim=True)
    unit = torch.nn.functional.normalize(x, dim=-1)
    return (n2 + 1) * torch.cat([unit, torch.ones_like(n2)], -1)


@pytest.fixture(scope="module")
def user_kernel():
    name = "explain_test_modulated_dot"
    register_kernel(name, _modulated_phi, _modulated_phi, overwrite=True)
    yield name
    unregister_kernel(name)


def oracle_weights(q: torch.Tensor, k: torch.Tensor, kernel: str) -> torch.Tensor:
    """The oracle's L×L weight matrix: quadratic_attention with v = identity."""
    length = k.shape[-2]
    eye = torch.eye(length, dtype=torch.float64).expand(*k.shape[:-2], length, length)
    return quadratic_attention(q.double(), k.double(), eye, get_kernel(kernel))


def _qk(scale: float = 1.0, length: int = 35, d: int = 3, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(2, 2, length, d, generator=g, dtype=torch.float64) * scale
    k = torch.randn(2, 2, length, d, generator=g, dtype=torch.float64) * scale + 0.3
    return q, k


@pytest.mark.parametrize("kernel", [*BUILTINS, "user"])
@pytest.mark.parametrize("scale", [0.1, 1.0, 30.0])
def test_rows_equal_oracle(kernel, scale, user_kernel):
    name = user_kernel if kernel == "user" else kernel
    q, k = _qk(scale)
    rows = attention_rows(q, k, name)
    ref = oracle_weights(q, k, name)
    assert rows.dtype == torch.float64 and rows.shape == ref.shape
    assert (rows - ref).abs().max().item() <= 1e-10
    assert (rows >= 0).all()
    assert (rows.sum(-1) - 1).abs().max().item() <= 1e-12


def test_subset_of_rows_and_float32_inputs():
    q, k = _qk(2.0, length=48)
    idx = torch.tensor([0, 17, 47])
    rows = attention_rows(q[..., idx, :].float(), k.float(), "hadamard_exp")
    ref = oracle_weights(q.float(), k.float(), "hadamard_exp")[..., idx, :]
    assert (rows - ref).abs().max().item() <= 1e-10


def test_zero_sum_row_is_uniform():
    k = torch.ones(1, 1, 6, 2, dtype=torch.float64)
    q = torch.ones(1, 1, 6, 2, dtype=torch.float64)  # ‖q − k‖² = 0 for every key
    rows = attention_rows(q, k, "sub_sqeuclid")
    assert torch.allclose(rows, torch.full_like(rows, 1 / 6))
    assert torch.allclose(rows, oracle_weights(q, k, "sub_sqeuclid"))


def _module_output(module: ELAttention, x: torch.Tensor):
    """(qkv conv output, input of the output projection) of one forward."""
    seen = {}
    h1 = module.qkv.register_forward_hook(lambda m, i, o: seen.__setitem__("qkv", o))
    h2 = module.proj.register_forward_pre_hook(lambda m, i: seen.__setitem__("proj_in", i[0]))
    with torch.no_grad():
        module(x)
    h1.remove()
    h2.remove()
    return seen["qkv"], seen["proj_in"]


@pytest.mark.parametrize("kernel", BUILTINS)
@pytest.mark.parametrize("cls", ["attn", "attn_pe", "lobe"])
def test_split_reproduces_module(kernel, cls):
    """split_qkv + the exact rows reproduce what the module actually computes (fp64)."""
    torch.manual_seed(0)
    if cls == "lobe":
        module = MemoryLobe(24, num_heads=3, kernel=kernel)
    else:
        module = ELAttention(24, num_heads=3, kernel=kernel, attn_ratio=0.5, positional=cls == "attn_pe")
    module = module.double().eval()
    b, c, h, w = 2, 24, 5, 7
    x = torch.randn(b, c, h, w, dtype=torch.float64)
    qkv, proj_in = _module_output(module, x)
    q, k, v = split_qkv(qkv, module.num_heads, module.key_dim, module.head_dim)
    assert q.shape == (b, 3, h * w, module.key_dim) and v.shape == (b, 3, h * w, module.head_dim)
    out = (attention_rows(q, k, kernel) @ v).transpose(-1, -2).reshape(b, c, h, w)
    if module.pe is not None:
        with torch.no_grad():
            out = out + module.pe(v.transpose(-1, -2).reshape(b, c, h, w))
    assert (out - proj_in).abs().max().item() <= 1e-9


def test_split_rejects_wrong_channels():
    with pytest.raises(ValueError, match="expected heads"):
        split_qkv(torch.zeros(1, 10, 2, 2), num_heads=2, key_dim=2, head_dim=2)


@pytest.mark.parametrize("kernel", BUILTINS)
def test_row_statistics_match_full_matrix(kernel):
    q, k = _qk(1.5, length=40)
    stats = row_statistics(q, k, kernel)
    w = oracle_weights(q, k, kernel)
    entropy = -torch.special.xlogy(w, w).sum(-1)
    assert torch.allclose(stats["entropy"], entropy, atol=1e-10)
    assert torch.allclose(stats["normalized_entropy"], entropy / math.log(40), atol=1e-10)
    assert torch.allclose(stats["effective"], entropy.exp(), atol=1e-8)
    assert torch.allclose(stats["peak"], w.amax(-1) * 40, atol=1e-10)


def test_row_statistics_extremes():
    k = torch.zeros(1, 1, 16, 4, dtype=torch.float64)  # identical keys: every row uniform
    stats = row_statistics(torch.randn(1, 1, 16, 4, dtype=torch.float64), k, "hadamard_exp")
    assert torch.allclose(stats["normalized_entropy"], torch.ones(1, 1, 16, dtype=torch.float64))
    assert torch.allclose(stats["effective"], torch.full((1, 1, 16), 16.0, dtype=torch.float64))
    q = torch.eye(16, dtype=torch.float64).view(1, 1, 16, 16) * 1000  # softmax of q·k: one-hot rows
    stats = row_statistics(q, q.clone(), "softmax")
    assert stats["normalized_entropy"].max() < 1e-6 and torch.allclose(
        stats["effective"], torch.ones(1, 1, 16, dtype=torch.float64)
    )
