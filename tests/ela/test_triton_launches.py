"""The Triton path's launch budget, layouts, L-segment invariance and reproducibility.

Launches are counted by wrapping the programs the launcher calls; torch operations by a
TorchDispatchMode around the call (operations inside a launch, which Triton's CPU interpreter
makes to move arguments, are not the launcher's and are not counted).
"""

import contextlib

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from tests.ela.common import GPU, KERNELS, rel_err
from yolo_lat.ela import ela_attention, get_kernel, quadratic_attention
from yolo_lat.ela.triton import ela_triton, launch, programs

# allocations and views: what the launcher may do besides launching (no arithmetic, no copies)
ALLOWED = {"empty.memory_format", "transpose.int", "view.default", "detach.default", "alias.default"}
PROGRAMS = ("fwd_fused", "fwd_state", "fwd_out", "bwd_q", "bwd_kv")


class _Recorder(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.ops: list[str] = []
        self.inside_launch = False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not self.inside_launch:
            self.ops.append(f"{func.overloadpacket.__name__}.{func._overloadname}")
        return func(*args, **(kwargs or {}))


class _Counted:
    """A program whose launches are recorded (and whose own torch traffic is not)."""

    def __init__(self, fn, name, log, recorder):
        self.fn, self.name, self.log, self.recorder = fn, name, log, recorder

    def __getitem__(self, grid):
        def launch_(*args, **kwargs):
            self.log.append(self.name)
            self.recorder.inside_launch = True
            try:
                return self.fn[grid](*args, **kwargs)
            finally:
                self.recorder.inside_launch = False

        return launch_


@contextlib.contextmanager
def counting(monkeypatch):
    """Yields (launches, recorder); ops are recorded while ``recorder`` is entered."""
    launches: list[str] = []
    recorder = _Recorder()
    for name in PROGRAMS:
        monkeypatch.setattr(programs, name, _Counted(getattr(programs, name), name, launches, recorder))
    yield launches, recorder


def inputs(b, h, length, d, dv, dtype=torch.float32, seed=0, grad=False, channels_first=False):
    g = torch.Generator().manual_seed(seed)
    if channels_first:  # views of one (B, H, 2D + Dv, L) tensor, as a detector layer's 1×1 conv makes
        qkv = torch.randn(b, h, 2 * d + dv, length, generator=g, dtype=torch.float64).to(dtype)
        if grad:
            qkv.requires_grad_()
        return qkv.split([d, d, dv], dim=2)
    out = [torch.randn(b, h, length, n, generator=g, dtype=torch.float64).to(dtype) for n in (d, d, dv)]
    return [t.requires_grad_(grad) for t in out]


def run_triton(q, k, v, kernel="hadamard_exp", segments=None, channels_first=False):
    family = get_kernel(kernel).family
    if GPU:
        return ela_triton(q.cuda(), k.cuda(), v.cuda(), family, segments, channels_first).cpu()
    return ela_triton(q, k, v, family, segments, channels_first)


def non_allowed(ops):
    return [op for op in ops if op not in ALLOWED]


@pytest.mark.skipif(GPU, reason="counts launches of the CPU-interpreted programs")
@pytest.mark.parametrize("channels_first", [False, True], ids=["BHLD", "BHDL"])
@pytest.mark.parametrize("segments", [1, 3], ids=["fused", "split"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_launch_budget(monkeypatch, kernel, segments, channels_first):
    """Forward ≤ 2 launches, backward 2, and nothing but allocations and views around them."""
    q, k, v = inputs(2, 2, 150, 8, 6, grad=True, channels_first=channels_first)
    do = torch.randn(2, 2, 6, 150).transpose(-1, -2)  # non-contiguous output gradient
    if channels_first:
        do = do.transpose(-1, -2)
    torch.autograd.grad(run_triton(q, k, v, kernel, segments, channels_first), (q, k, v), do)  # warm-up:
    # the combine's counters are allocated once per device and stream
    with counting(monkeypatch) as (launches, rec):
        with rec:
            o = run_triton(q, k, v, kernel, segments, channels_first)
        assert launches == (["fwd_fused"] if segments == 1 else ["fwd_state", "fwd_out"])
        assert non_allowed(rec.ops) == [], rec.ops
        launches.clear()
        rec.ops.clear()
        with rec:
            torch.autograd.grad(o, (q, k, v), do)
        assert launches == ["bwd_q", "bwd_kv"]
        assert non_allowed(rec.ops) == [], rec.ops


@pytest.mark.skipif(GPU, reason="counts launches of the CPU-interpreted programs")
def test_detector_layout_no_copies(monkeypatch):
    """ela_attention(channels_first=True) on views of the 1×1 conv's output: one launch, no copy,
    and the result is the contiguous (B, H, Dv, L) tensor the layer reshapes for free."""
    q, k, v = inputs(1, 2, 100, 8, 16, channels_first=True)
    ela_attention(q, k, v, backend="triton", channels_first=True)
    with counting(monkeypatch) as (launches, rec), torch.no_grad(), rec:
        out = ela_attention(q, k, v, backend="triton", channels_first=True)
    assert launches == ["fwd_fused"]
    assert non_allowed(rec.ops) == [], rec.ops
    assert out.shape == (1, 2, 16, 100) and out.is_contiguous()
    ref = ela_attention(q, k, v, backend="quadratic", channels_first=True)
    assert rel_err(out, ref) <= 1e-5


@pytest.mark.parametrize("kernel", KERNELS)
def test_channels_first_matches_and_gradients(kernel):
    """The channel-first layout computes the same function and gradients as (B, H, L, D)."""
    q, k, v = inputs(2, 3, 70, 5, 7, torch.float64, seed=1, grad=True, channels_first=True)
    w = torch.randn(2, 3, 7, 70, dtype=torch.float64)
    out = run_triton(q, k, v, kernel, None, True)
    ref = ela_attention(*(t.transpose(-1, -2) for t in (q, k, v)), kernel, backend="torch").transpose(-1, -2)
    assert rel_err(out, ref) <= 1e-12
    got = torch.autograd.grad((out * w).sum(), (q, k, v))
    exp = torch.autograd.grad((ref * w).sum(), (q, k, v))
    for a, b in zip(got, exp):
        assert rel_err(a, b) <= 1e-10


def _max_segments(length):
    return -(-length // launch.config(0, 4, 4, (torch.float32,) * 3, False).block_l)


@pytest.mark.parametrize("kernel", KERNELS)
def test_segment_invariance(kernel):
    """1 (fused), 2, 3 and the most L-segments give the same result (fp32, ≤ 1e-6) and
    gradients; each is bitwise reproducible."""
    length = 200
    q, k, v = inputs(1, 2, length, 12, 10, seed=2, grad=True)
    w = torch.randn(1, 2, length, 10)
    results = {}
    for segments in (1, 2, 3, _max_segments(length)):
        runs = []
        for _ in range(2 if segments in (1, 3) else 1):
            out = run_triton(q, k, v, kernel, segments)
            runs.append((out, *torch.autograd.grad((out * w).sum(), (q, k, v))))
        for a, b in zip(runs[0], runs[-1]):
            assert torch.equal(a, b), f"segments={segments}: not bitwise reproducible"
        results[segments] = runs[0]
    base = results[1]
    for segments, res in results.items():
        for name, a, b in zip(("o", "dq", "dk", "dv"), res, base):
            assert rel_err(a, b) <= 1e-6, f"segments={segments}, {name}"


RAGGED = [(1, 1, 1, 6, 5), (2, 1, 17, 6, 5), (1, 2, 100, 67, 5)]


def _check_ragged(shape, kernel, dtype, segments_list):
    b, h, length, d, dv = shape
    q, k, v = inputs(b, h, length, d, dv, dtype, seed=3)
    # bidirectional rows depend on their own query only: the oracle runs on a sample of rows
    rows = torch.arange(0, length, max(1, length // 97))
    ref = quadratic_attention(q[..., rows, :].double(), k.double(), v.double(), get_kernel(kernel))
    tol = {torch.float64: 1e-10, torch.float32: 1e-5}.get(dtype, 4 * torch.finfo(dtype).eps)
    for segments in segments_list:
        out = run_triton(q, k, v, kernel, segments)
        assert out.dtype == dtype and out.shape == v.shape
        assert rel_err(out[..., rows, :], ref) <= tol, f"segments={segments}"


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16], ids=str)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("shape", RAGGED, ids=lambda s: "x".join(map(str, s)))
def test_ragged_shapes_against_oracle(shape, kernel, dtype):
    """Odd L, D and Dv (masks on every edge), fused and split, against the fp64 oracle on the
    same (rounded) inputs."""
    _check_ragged(shape, kernel, dtype, (1, 3))


@pytest.mark.parametrize("kernel", ["hadamard_exp", "sum_sqeuclid"])
def test_ragged_detector_length(kernel):
    """L = 6399 (one short of P3 at 640), split as the launcher splits such lengths; slow under
    the CPU interpreter, so one dtype."""
    _check_ragged((1, 1, 6399, 6, 5), kernel, torch.float32, (3,))


@pytest.mark.parametrize("kernel", KERNELS)
def test_fp64_gradients_equal_torch_path_split(kernel):
    """fp64 gradients of the split path (several segments, non-contiguous do) equal the torch
    path's to 1e-10."""
    q, k, v = inputs(2, 2, 130, 6, 5, torch.float64, seed=4, grad=True)
    do = torch.randn(2, 2, 5, 130, dtype=torch.float64).transpose(-1, -2)
    g_ref = torch.autograd.grad(ela_attention(q, k, v, kernel, backend="torch"), (q, k, v), do)
    g_tri = torch.autograd.grad(run_triton(q, k, v, kernel, 3), (q, k, v), do)
    for name, a, b in zip("qkv", g_tri, g_ref):
        assert rel_err(a, b) <= 1e-10, f"d{name}"


def test_no_state_without_autograd():
    """Without autograd the fused forward writes only o (no state row is allocated)."""
    q, k, v = inputs(1, 1, 40, 4, 4)
    o, state = launch.forward(q, k, v, get_kernel("hadamard_exp").family, 1, need_state=False)
    assert state is None and o.shape == v.shape


@pytest.mark.parametrize("channels_first", [False, True], ids=["BHLD", "BHDL"])
def test_torch_compile_keeps_the_triton_path(channels_first):
    """Under torch.compile (full graph) ela_attention runs the Triton programs as the custom
    operator yolo_lat::ela_forward (fake implementation, autograd formula): same values and
    gradients as the eager torch path; opcheck validates the operator's registration."""
    from yolo_lat.ela.triton.function import _forward_op

    dev = "cuda" if GPU else "cpu"
    q, k, v = inputs(1, 2, 40, 8, 6, torch.float64, seed=5, grad=True, channels_first=channels_first)
    q, k, v = (t.detach().to(dev).requires_grad_() for t in (q, k, v))

    def fn(a, b, c):
        return ela_attention(a, b, c, backend="triton", channels_first=channels_first)

    out = torch.compile(fn, backend="aot_eager", fullgraph=True)(q, k, v)
    ref = ela_attention(q, k, v, backend="torch", channels_first=channels_first)
    assert rel_err(out, ref) <= 1e-12
    for a, b in zip(torch.autograd.grad(out.sum(), (q, k, v)), torch.autograd.grad(ref.sum(), (q, k, v))):
        assert rel_err(a, b) <= 1e-10
    checks = torch.library.opcheck(_forward_op, (q, k, v, 0, channels_first))
    assert all(result == "SUCCESS" for result in checks.values()), checks
