"""Attention benchmark: ELA (Triton, torch) vs softmax (SDPA, FlashAttention) vs the quadratic oracle.

For each shape (B, H, L, D) and method it measures the median and p90 time of the forward and
of forward+backward, the peak extra memory of the forward and, on a GPU, the forward replayed
from a CUDA graph (``forward_graph``: launch overhead removed; the eager figure includes it).
Detector-size cases use the channel-first layout of a feature-map layer (``layout="BHDL"``: q, k, v
are views of one (B, H, 2D + Dv, L) tensor and ELA writes o as (B, H, Dv, L)); the softmax
baselines get the transposed views they need. The floor is the time to move
the bytes that any attention must move once — read q, k, v and write o (forward); additionally
read do, o and write dq, dk, dv (backward) — at the measured device copy bandwidth; the
achieved fraction of bandwidth is floor / time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..ela import ela_attention, triton_available
from .common import environment, measure_copy_bandwidth, peak_memory_bytes, time_callable, write_json
from .plots import plot_attention
from .tables import attention_markdown

__all__ = [
    "CUTOVER_METHODS",
    "METHODS",
    "Case",
    "attention_markdown",
    "cpu_cases",
    "detector_cases",
    "gpu_cases",
    "graph_replay_ms",
    "run_benchmark",
    "save",
    "speedups",
]

LOGGER = logging.getLogger("yolo_lat.bench")

METHODS = ("ela_triton", "ela_torch", "sdpa", "flash", "quadratic")
# the two Triton forwards forced (one launch per batch·head / L-segments + persistent output):
# ``--methods ela_triton_fused,ela_triton_split`` measures the cutover launch.SEGMENT_ROWS sets
CUTOVER_METHODS = ("ela_triton_fused", "ela_triton_split")


@dataclass(frozen=True)
class Case:
    b: int
    h: int
    length: int
    d: int
    dtype: str = "float32"
    layout: str = "BHLD"  # or "BHDL": channel-first views, as the detector's ELA layer passes them

    @property
    def label(self) -> str:
        tail = " channel-first" if self.layout == "BHDL" else ""
        return f"B{self.b} H{self.h} L{self.length} D{self.d} {self.dtype}{tail}"


def cpu_cases() -> list[Case]:
    """Shapes that a CPU with a few cores runs in minutes."""
    sweep = [Case(1, 4, n, 32) for n in (256, 1024, 4096, 16384, 65536)]
    wide = [Case(16, 8, 1024, 16), Case(4, 8, 4096, 64), Case(16, 8, 4096, 32)]
    return sweep + wide


def gpu_cases() -> list[Case]:
    """Vision shapes on a GPU, bf16 and fp32: long sequences (L = 25600 is a 1280 image at stride 8) and
    many heads (B·H ≥ 64 with L ≥ 16384)."""
    cases = []
    for dtype in ("bfloat16", "float32"):
        cases += [Case(1, 8, n, 32, dtype) for n in (256, 1024, 4096, 16384, 25600, 65536)]
        cases += [Case(16, 4, n, 64, dtype) for n in (1024, 4096, 16384, 65536)]
        cases += [Case(8, 8, n, 32, dtype) for n in (16384, 65536)]
        cases += [Case(16, 8, 4096, 16, dtype)]
    return detector_cases() + cases


def detector_cases(dtype: str = "bfloat16") -> list[Case]:
    """The attention of the ELA layers at 640 (P5 / P4 / P3: L = 400 / 1,600 / 6,400; yolo-lat has the
    P5 one, the first layout ablations/yolo-lat-neck all three), batch 1 and 16, in the layer's
    channel-first layout."""
    shapes = [(4, 400, 64), (8, 1600, 32), (8, 6400, 32)]
    return [Case(b, h, n, d, dtype, "BHDL") for b in (1, 16) for h, n, d in shapes]


def io_bytes(case: Case, backward: bool) -> int:
    """Bytes a single pass must move: q, k, v in and o out (+ do, o in and dq, dk, dv out)."""
    item = torch.empty((), dtype=getattr(torch, case.dtype)).element_size()
    per = case.b * case.h * case.length * case.d * item
    return per * (4 + (6 if backward else 0))


def _make_inputs(case: Case, device: torch.device, grad: bool) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator(device=device).manual_seed(0)
    dtype = getattr(torch, case.dtype)
    if case.layout == "BHDL":  # views of one (B, H, 3D, L) tensor, as the layer's 1×1 conv makes
        qkv = torch.randn(case.b, case.h, 3 * case.d, case.length, generator=gen, device=device, dtype=dtype) * 0.5
        return qkv.requires_grad_(grad).split(case.d, dim=2)
    shape = (case.b, case.h, case.length, case.d)
    return tuple(
        (torch.randn(shape, generator=gen, device=device, dtype=dtype) * 0.5).requires_grad_(grad) for _ in range(3)
    )


def _method_fn(method: str, layout: str = "BHLD") -> Callable[..., torch.Tensor]:
    cf = layout == "BHDL"
    if method.startswith("ela_triton"):
        return _ela_triton_fn(method, cf)
    fn = _plain_method_fn(method)
    if not cf:
        return fn
    # the baselines take (B, H, L, D): transposed views in, and the result transposed back
    return lambda q, k, v: fn(q.transpose(-1, -2), k.transpose(-1, -2), v.transpose(-1, -2)).transpose(-1, -2)


def _ela_triton_fn(method: str, cf: bool) -> Callable[..., torch.Tensor]:
    if method == "ela_triton":
        return lambda q, k, v: ela_attention(q, k, v, backend="triton", channels_first=cf)
    from ..ela.triton import ela_triton, launch

    def forced(q, k, v):
        length = q.shape[-1] if cf else q.shape[-2]
        if method == "ela_triton_fused":
            segments = 1
        else:
            segments = max(2, launch.choose_segments(length, q.shape[0] * q.shape[1], q.device))
        return ela_triton(q, k, v, 0, segments, cf)

    return forced


def _plain_method_fn(method: str) -> Callable[..., torch.Tensor]:
    if method == "ela_torch":
        return lambda q, k, v: ela_attention(q, k, v, backend="torch")
    if method == "quadratic":
        return lambda q, k, v: ela_attention(q, k, v, backend="quadratic")
    if method == "sdpa":
        return lambda q, k, v: F.scaled_dot_product_attention(q, k, v)
    if method == "flash":
        from torch.nn.attention import SDPBackend, sdpa_kernel

        def flash(q, k, v):
            with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
                return F.scaled_dot_product_attention(q, k, v)

        return flash
    raise ValueError(f"unknown method {method!r}; expected one of {METHODS + CUTOVER_METHODS}")


def graph_replay_ms(fn: Callable[[], object], device: torch.device, budget_s: float, min_runs: int) -> dict | None:
    """Median time of ``fn`` replayed from a CUDA graph (None off CUDA, or where capture fails)."""
    if device.type != "cuda":
        return None
    try:
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            for _ in range(3):  # warm-up outside the capture: compilation, workspaces, counters
                fn()
        torch.cuda.current_stream(device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            fn()
    except RuntimeError as exc:  # report, do not fail the run
        LOGGER.warning("CUDA graph capture failed: %s", exc)
        return None
    return time_callable(graph.replay, device, min_runs=min_runs, budget_s=budget_s)


def skip_reason(method: str, case: Case, device: torch.device, mem_budget: int) -> str | None:
    """Why a (method, case) pair is not run, or None."""
    if method.startswith("ela_triton"):
        if not triton_available():
            return "Triton not installed"
        if device.type != "cuda":
            return "CPU: Triton runs only under its interpreter, a correctness tool, not a speed path"
    if method == "flash":
        if device.type != "cuda":
            return "FlashAttention needs a GPU"
        if case.dtype not in ("float16", "bfloat16"):
            return "FlashAttention needs fp16/bf16"
    if method == "quadratic":
        need = case.b * case.h * case.length**2 * 4 * 3  # kernel matrix, weights, grad
        if need > mem_budget:
            return f"would need ~{need / 2**30:.1f} GiB for the L×L matrices"
        if device.type == "cpu" and case.b * case.h * case.length**2 * case.d > 1 << 28:
            return "CPU: the oracle's (L, L, D) log-kernel tensor exceeds the time budget"
        if device.type == "cuda" and case.b * case.h * case.length**2 * case.d * 4 > mem_budget:
            return "GPU: the oracle's (L, L, D) log-kernel work (kept whole for backward) exceeds the memory budget"
    if method == "sdpa" and device.type == "cpu" and case.length > 16384:
        return "CPU: O(L²) softmax at this L exceeds the time budget"
    if method == "sdpa" and device.type == "cuda" and case.dtype == "float32" and _softmax_flops(case) > 2e13:
        return "GPU: fp32 O(L²) softmax this large exceeds the run's time budget (the bf16 rows compare)"
    return None


def _softmax_flops(case: Case) -> float:
    """Forward FLOPs of exact softmax attention: QKᵀ and PV, 2·L²·D multiply-adds each."""
    return 4.0 * case.b * case.h * case.length**2 * case.d


def run_case(method: str, case: Case, device: torch.device, budget_s: float, min_runs: int) -> dict:
    fn = _method_fn(method, case.layout)
    out: dict = {}
    inputs = _make_inputs(case, device, grad=False)
    with torch.no_grad():
        out["forward"] = time_callable(lambda: fn(*inputs), device, min_runs=min_runs, budget_s=budget_s)
        out["forward_peak_bytes"] = peak_memory_bytes(lambda: fn(*inputs), device)
        graph = graph_replay_ms(lambda: fn(*inputs), device, budget_s, min_runs)
        if graph is not None:
            out["forward_graph"] = graph
    inputs = None  # free before the backward inputs are made
    qg, kg, vg = _make_inputs(case, device, grad=True)
    leaves = (qg, kg, vg) if case.layout == "BHLD" else (qg._base,)  # the views' (B, H, 3D, L) tensor
    do = torch.randn_like(vg)

    def fwd_bwd():
        o = fn(qg, kg, vg)
        torch.autograd.grad(o, leaves, do)

    out["forward_backward"] = time_callable(fwd_bwd, device, min_runs=min_runs, budget_s=budget_s)
    out["forward_backward_peak_bytes"] = peak_memory_bytes(fwd_bwd, device)
    return out


def _run_row(row: dict, method: str, case: Case, dev: torch.device, budget_s: float, min_runs: int,
             mem_budget: int, bandwidth: dict) -> None:  # fmt: skip
    """Measure one (case, method) into ``row``, or say in ``row["skipped"]`` why it was not."""
    reason = skip_reason(method, case, dev, mem_budget)
    if reason:
        row["skipped"] = reason
        return
    try:
        row.update(run_case(method, case, dev, budget_s, min_runs))
    except torch.OutOfMemoryError:
        row["skipped"] = "out of memory"
        if dev.type == "cuda":
            torch.cuda.empty_cache()
        return
    for key, backward in (("forward", False), ("forward_graph", False), ("forward_backward", True)):
        if key not in row:
            continue
        floor_ms = io_bytes(case, backward) / (bandwidth["gb_per_s"] * 1e9) * 1e3
        row[key]["floor_ms"] = floor_ms
        row[key]["bandwidth_fraction"] = floor_ms / row[key]["median_ms"]
    LOGGER.info(
        "%-32s %-10s fwd %9.3f ms  fwd+bwd %9.3f ms  (%.0f%% of copy bandwidth)",
        case.label,
        method,
        row["forward"]["median_ms"],
        row["forward_backward"]["median_ms"],
        100 * row["forward"]["bandwidth_fraction"],
    )


def run_benchmark(
    device: str = "cpu",
    cases: list[Case] | None = None,
    methods: tuple[str, ...] = METHODS,
    budget_s: float | None = None,
    min_runs: int | None = None,
    on_row: Callable[[dict], None] | None = None,
) -> dict:
    """Run every (case, method) pair and return a JSON-ready dict; ``on_row(report)`` after each
    measured row lets the caller keep the partial results of a run that is cut short."""
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' requested but no CUDA GPU is available")
    cases = cases if cases is not None else (gpu_cases() if dev.type == "cuda" else cpu_cases())
    budget_s = budget_s if budget_s is not None else (2.0 if dev.type == "cuda" else 4.0)
    min_runs = min_runs if min_runs is not None else (100 if dev.type == "cuda" else 10)
    mem_budget = int(torch.cuda.get_device_properties(dev).total_memory * 0.5) if dev.type == "cuda" else 4 << 30
    bandwidth = measure_copy_bandwidth(dev)
    LOGGER.info("copy bandwidth on %s: %.1f GB/s", dev, bandwidth["gb_per_s"])
    report = {
        "benchmark": "attention",
        "environment": environment(dev),
        "copy_bandwidth": bandwidth,
        "floor_definition": "forward: bytes(q,k,v,o); forward+backward: + bytes(do,o,dq,dk,dv); "
        "moved once at the measured copy bandwidth (read+write bytes per second)",
        "timing": "CUDA events" if dev.type == "cuda" else "time.perf_counter",
        "results": [],
    }
    for case in cases:
        for method in methods:
            row = {"case": asdict(case), "label": case.label, "method": method}
            _run_row(row, method, case, dev, budget_s, min_runs, mem_budget, bandwidth)
            report["results"].append(row)
            if on_row and "forward" in row:
                on_row(report)
    return report


def speedups(report: dict, method: str = "ela_triton", baselines: tuple[str, ...] = ("sdpa", "flash")) -> list[dict]:
    """Forward speed-up of ``method`` over each baseline, per case where both ran."""
    by_case: dict[str, dict[str, dict]] = {}
    for r in report["results"]:
        if "forward" in r:
            by_case.setdefault(r["label"], {})[r["method"]] = r
    rows = []
    for label, ms in by_case.items():
        if method not in ms:
            continue
        for base in baselines:
            if base in ms:
                rows.append(
                    {
                        "case": label,
                        "baseline": base,
                        "speedup": ms[base]["forward"]["median_ms"] / ms[method]["forward"]["median_ms"],
                    }
                )
    return rows


def save(report: dict, json_path: str | Path, png_path: str | Path | None = None) -> None:
    """The report as JSON at ``json_path`` and, if given, its plot at ``png_path``."""
    write_json(report, json_path)
    if png_path:
        plot_attention(report, png_path)
