"""The built-in ``taylor_exp`` kernel (κ = 1 + s + s²/2, s = q·k/√D): its features give exactly that
polynomial, every path agrees with the quadratic oracle, gradients check, and it exports to ONNX."""

import math

import pytest
import torch

from tests.ela.common import attend, rel_err
from yolo_lat.ela import available_kernels, get_kernel, register_kernel
from yolo_lat.ela.kernel_maps import KernelFamily
from yolo_lat.nn import ELAttention


def _qkv(b=1, h=2, length=37, d=5, dv=7, scale=1.0, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    q, k = (torch.randn(b, h, length, d, generator=g, dtype=torch.float64) * scale for _ in range(2))
    v = torch.randn(b, h, length, dv, generator=g, dtype=torch.float64)
    return q.to(dtype), k.to(dtype), v.to(dtype)


def test_features_give_the_second_order_taylor_polynomial_of_exp():
    kern = get_kernel("taylor_exp")
    assert "taylor_exp" in available_kernels() and kern.family == KernelFamily.FEATURES
    q, k, _ = _qkv(d=6, scale=2.0)
    s = q @ k.transpose(-1, -2) / math.sqrt(6)
    want = 1 + s + s * s / 2
    feats = kern.phi(q) @ kern.psi(k).transpose(-1, -2)
    assert kern.phi(q).shape[-1] == 1 + 6 + 36
    assert (feats - want).abs().max().item() <= 1e-12 * want.abs().max().item()
    assert (kern.kappa(q, k) - want).abs().max().item() <= 1e-12 * want.abs().max().item()
    assert want.min().item() >= 0.5  # 1 + s + s²/2 ≥ ½ for every s: no row can sum to zero
    # near s = 0 it is exp(s) to third order
    small = torch.tensor([-0.01, 0.0, 0.02], dtype=torch.float64)
    assert ((1 + small + small**2 / 2) - small.exp()).abs().max().item() <= 2e-6


def test_it_is_a_built_in_name():
    with pytest.raises(ValueError, match="built-in"):
        register_kernel("taylor_exp", lambda x: x.exp(), lambda x: x.exp())


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("causal", [False, True], ids=["bidir", "causal"])
@pytest.mark.parametrize("backend", ["torch", "triton"])
def test_matches_oracle(backend, causal, dtype):
    q, k, v = _qkv(dtype=dtype)
    ref = attend(q.double(), k.double(), v.double(), "taylor_exp", causal, backend="quadratic")
    out = attend(q, k, v, "taylor_exp", causal, backend=backend)
    assert out.dtype == dtype and out.shape == v.shape
    assert rel_err(out, ref) <= (1e-10 if dtype == torch.float64 else 1e-5)


def test_large_inputs_stay_finite_and_exact():
    """A polynomial does not overflow where exp would: scale 30 gives s of order 10³."""
    q, k, v = _qkv(length=50, d=4, scale=30.0)
    ref = attend(q, k, v, "taylor_exp", backend="quadratic")
    out = attend(q, k, v, "taylor_exp", backend="torch")
    assert torch.isfinite(out).all() and rel_err(out, ref) <= 1e-10


def test_gradcheck_torch_path():
    q, k, v = (t.requires_grad_() for t in _qkv(h=1, length=9, d=3, dv=4))
    fn = lambda a, b, c: attend(a, b, c, "taylor_exp", backend="torch")  # noqa: E731
    assert torch.autograd.gradcheck(fn, (q, k, v), eps=1e-6, atol=1e-7)


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")  # the feature scale is a constant of the width
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_elattention_block_and_onnx_export(tmp_path):
    """In ELAttention (channel-first feature maps) it equals the quadratic oracle, and the ONNX graph
    ONNX Runtime runs gives the same output."""
    import onnxruntime as ort

    torch.manual_seed(0)
    m = ELAttention(32, num_heads=2, kernel="taylor_exp").eval()
    x = torch.randn(1, 32, 6, 5)
    with torch.no_grad():
        out = m(x)
        m.backend = "quadratic"
        ref = m(x)
        m.backend = "auto"
    assert rel_err(out, ref) <= 1e-5
    path = tmp_path / "taylor.onnx"
    torch.onnx.export(m, (x,), str(path), input_names=["x"], opset_version=17, dynamo=False)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    y = sess.run(None, {"x": x.numpy()})[0]
    assert abs(y - out.numpy()).max() <= 1e-4
