"""Fast paths (linear torch path, Triton programs) against the quadratic oracle, as
flash-linear-attention tests do. Error measure: ``common.rel_err`` (norm-wise relative error).
"""

import pytest
import torch

from tests.ela.common import KERNELS, attend, rel_err, triton_direct

TOL = {torch.float64: 1e-10, torch.float32: 1e-5}
# (B, H, L, D, Dv): odd sizes that are not multiples of any tile; D and Dv > 64 need 2 tiles
SHAPES = [(1, 1, 1, 1, 1), (2, 3, 37, 5, 7), (1, 2, 130, 16, 24), (1, 1, 70, 67, 3)]


def make(shape, dtype, scale=1.0, seed=0):
    b, h, length, d, dv = shape
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(b, h, length, d, generator=g, dtype=torch.float64) * scale
    k = torch.randn(b, h, length, d, generator=g, dtype=torch.float64) * scale
    v = torch.randn(b, h, length, dv, generator=g, dtype=torch.float64)
    return q.to(dtype), k.to(dtype), v.to(dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("causal", [False, True], ids=["bidir", "causal"])
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("backend", ["torch", "triton"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_oracle(shape, backend, kernel, causal, dtype):
    q, k, v = make(shape, dtype)
    ref = attend(q.double(), k.double(), v.double(), kernel, causal, backend="quadratic")
    out = attend(q, k, v, kernel, causal, backend=backend)
    assert out.dtype == dtype and out.shape == v.shape
    assert rel_err(out, ref) <= TOL[dtype]


@pytest.mark.parametrize("kernel", KERNELS)
def test_triton_segments_and_tiles(kernel):
    """Several L-segments combined (running maxima rescaled), several D and Dv tiles."""
    q, k, v = make((1, 1, 200, 70, 66), torch.float64, seed=3)
    ref = attend(q, k, v, kernel, backend="quadratic")
    out = triton_direct(q, k, v, kernel, 4)
    assert rel_err(out, ref) <= 1e-10


def test_non_contiguous_inputs():
    q, k, v = make((2, 4, 33, 8, 8), torch.float32)
    q, k, v = (t.transpose(1, 2).contiguous().transpose(1, 2) for t in (q, k, v))  # (B, L, H, D) storage
    assert not q.is_contiguous()
    ref = attend(q.double(), k.double(), v.double(), backend="quadratic")
    for backend in ("torch", "triton"):
        assert rel_err(attend(q, k, v, backend=backend), ref) <= 1e-5


@pytest.mark.parametrize("causal", [False, True])
def test_softmax_baseline(causal):
    q, k, v = make((1, 2, 20, 8, 6), torch.float64)
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
    for backend in ("quadratic", "torch", "auto"):
        assert rel_err(attend(q, k, v, "softmax", causal, backend=backend), ref) <= 1e-12


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=str)
@pytest.mark.parametrize("kernel", KERNELS)
def test_half_precision(kernel, dtype):
    """fp16/bf16 in, fp32 accumulation: error within a few units of the output precision."""
    q, k, v = make((1, 2, 45, 12, 10), dtype)
    ref = attend(q.double(), k.double(), v.double(), kernel, backend="quadratic")
    tol = 4 * torch.finfo(dtype).eps
    for backend in ("torch", "triton"):
        out = attend(q, k, v, kernel, backend=backend)
        assert out.dtype == dtype
        assert rel_err(out, ref) <= tol


def test_all_zero_rows_sub_sqeuclid_defined():
    """κ = ‖q − k‖² vanishes everywhere when every key equals the query: rows average v."""
    q = torch.zeros(1, 1, 10, 4, dtype=torch.float64)
    k = torch.zeros_like(q)
    v = torch.randn(1, 1, 10, 3, dtype=torch.float64)
    for causal in (False, True):
        ref = attend(q, k, v, "sub_sqeuclid", causal, backend="quadratic")
        expect = (
            v.cumsum(-2) / torch.arange(1, 11).view(1, 1, 10, 1) if causal else v.mean(-2, keepdim=True).expand_as(v)
        )
        assert torch.allclose(ref, expect)
        for backend in ("torch", "triton"):
            out = attend(q, k, v, "sub_sqeuclid", causal, backend=backend)
            assert torch.isfinite(out).all()
            assert rel_err(out, ref) <= 1e-12


def test_auto_backend_choice():
    from yolo_lat.ela import resolve_backend

    assert resolve_backend("auto", torch.device("cpu")) == "torch"
    if torch.cuda.is_available():
        assert resolve_backend("auto", torch.device("cuda")) == "triton"
        assert resolve_backend("auto", torch.device("cuda"), causal=True) == "torch"


def test_auto_uses_torch_path_when_tracing():
    """While tracing (as ONNX export does), only torch ops appear in the graph."""
    q, k, v = make((1, 1, 16, 4, 4), torch.float32)
    traced = torch.jit.trace(lambda a, b, c: attend(a, b, c), (q, k, v))
    nodes = {n.kind() for n in traced.graph.nodes()}
    assert not any("prim::PythonOp" in kind for kind in nodes)  # no autograd.Function (Triton) in the graph
    assert torch.allclose(traced(q, k, v), attend(q, k, v, backend="torch"))
