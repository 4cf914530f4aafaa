"""The per-feature decompositions reconstruct the exact rows and have the stated structure."""

import pytest
import torch

from yolo_lat.ela import register_kernel, unregister_kernel
from yolo_lat.explain import attention_rows, decompose


def _qk(scale: float, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(5, 4, generator=g, dtype=torch.float64) * scale,
            torch.randn(30, 4, generator=g, dtype=torch.float64) * scale + 0.5)  # fmt: skip


@pytest.mark.parametrize("kernel", ["hadamard_exp", "sum_sqeuclid", "sub_sqeuclid"])
@pytest.mark.parametrize("scale", [0.2, 1.0, 20.0])
def test_reconstructs_rows(kernel, scale):
    q, k = _qk(scale)
    dec = decompose(q, k, kernel)
    assert (dec.reconstruct() - attention_rows(q, k, kernel)).abs().max().item() <= 1e-10
    assert dec.maps.shape == (len(dec.names), 30) and dec.mix.shape == (5, len(dec.names))


def test_hadamard_exp_is_a_convex_mix_of_softmax_poolings():
    q, k = _qk(3.0)
    dec = decompose(q, k, "hadamard_exp")
    assert dec.kind == "softmax_poolings" and len(dec.names) == 4
    assert torch.allclose(dec.maps, torch.softmax(k, 0).T)  # pooling d: weights ∝ exp(k_jd)
    assert (dec.mix >= 0).all() and torch.allclose(dec.mix.sum(-1), torch.ones(5, dtype=torch.float64))


@pytest.mark.parametrize("kernel", ["sum_sqeuclid", "sub_sqeuclid"])
def test_distance_terms_structure(kernel):
    q, k = _qk(1.0)
    dec = decompose(q, k, kernel)
    assert dec.names[:2] == ["uniform", "spread"] and dec.kind == "distance_terms"
    assert torch.allclose(dec.mix[:, :2].sum(-1), torch.ones(5, dtype=torch.float64))  # α0 + α1 = 1
    assert (dec.mix[:, :2] >= 0).all()
    sums = dec.maps.sum(-1)
    assert torch.allclose(sums[:2], torch.ones(2, dtype=torch.float64))
    assert sums[2:].abs().max() < 1e-12 and dec.signed[2:].all()  # the signed terms sum to zero


def test_registered_kernel_and_softmax():
    def phi(x):
        return torch.cat([x.exp(), torch.ones_like(x[..., :1])], -1)

    register_kernel("explain_test_exp_plus_one", phi, phi, overwrite=True)
    try:
        q, k = _qk(1.0)
        dec = decompose(q, k, "explain_test_exp_plus_one")
        assert dec.kind == "feature_poolings"
        assert (dec.reconstruct() - attention_rows(q, k, "explain_test_exp_plus_one")).abs().max() <= 1e-10
    finally:
        unregister_kernel("explain_test_exp_plus_one")
    with pytest.raises(ValueError, match="no finite feature decomposition"):
        decompose(q, k, "softmax")


@pytest.mark.parametrize("scale", [0.3, 1.0, 5.0])
def test_hadamard_exp_rows_are_never_sharper_than_the_sharpest_pooling(scale):
    """Concavity of entropy: H(Σ α_d P_d) ≥ min_d H(P_d), whatever the query (even a huge one)."""
    from yolo_lat.explain import pooling_entropy, row_statistics

    q, k = _qk(scale)
    floor = pooling_entropy(k).min()
    for qq in (q, q * 100):
        assert row_statistics(qq, k, "hadamard_exp")["normalized_entropy"].min() >= floor - 1e-12
    assert row_statistics(q * 100, k, "softmax")["normalized_entropy"].min() < floor  # softmax has no floor
