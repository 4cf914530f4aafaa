"""ELA modules on feature maps."""

import pytest
import torch

from yolo_lat.nn import ELABlock, ELAttention


@pytest.mark.parametrize("kernel", ["hadamard_exp", "sum_sqeuclid", "sub_sqeuclid", "taylor_exp", "uniform", "softmax"])
def test_attention_shapes_and_gradients(kernel):
    torch.manual_seed(0)
    m = ELAttention(32, num_heads=2, kernel=kernel)
    x = torch.randn(2, 32, 7, 9, requires_grad=True)
    y = m(x)
    assert y.shape == x.shape
    y.square().mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert all(p.grad is not None for p in m.parameters())


def test_attention_is_global():
    """A change at one position reaches every position in one layer (not a local operator)."""
    torch.manual_seed(0)
    m = ELAttention(16, num_heads=1).eval()
    x = torch.randn(1, 16, 12, 12)
    x2 = x.clone()
    x2[..., 0, 0] += 5.0
    diff = (m(x2) - m(x)).abs().sum(1)[0]
    assert diff[-1, -1] > 1e-6  # far corner, outside the 3x3 positional conv


def test_block_changes_channels():
    m = ELABlock(48, 24, n=2, kernel="sub_sqeuclid", head_dim=8)
    assert m(torch.randn(1, 48, 5, 5)).shape == (1, 24, 5, 5)
    assert len(m.m) == 2 and m.m[0].attn.num_heads == 1  # c_ = 12 -> 1 head of 12 (8 does not divide 12)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown kernel 'gauss'"):
        ELAttention(16, kernel="gauss")
    with pytest.raises(ValueError, match="not divisible by num_heads"):
        ELAttention(30, num_heads=4)
