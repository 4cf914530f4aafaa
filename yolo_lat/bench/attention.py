"""Attention benchmark: ELA (Triton, torch) vs softmax (SDPA, FlashAttention) vs the quadratic oracle.

For each shape (B, H, L, D) and method it measures the median and p90 time of the forward and
of forward+backward, and the peak extra memory of the forward. The floor is the time to move
the bytes that any attention must move once — read q, k, v and write o (forward); additionally
read do, o and write dq, dk, dv (backward) — at the measured device copy bandwidth; the
achieved fraction of bandwidth is floor / time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..ela import ela_attention, triton_available
from .common import environment, measure_copy_bandwidth, peak_memory_bytes, time_callable

LOGGER = logging.getLogger("yolo_lat.bench")

METHODS = ("ela_triton", "ela_torch", "sdpa", "flash", "quadratic")


@dataclass(frozen=True)
class Case:
    b: int
    h: int
    length: int
    d: int
    dtype: str = "float32"

    @property
    def label(self) -> str:
        return f"B{self.b} H{self.h} L{self.length} D{self.d} {self.dtype}"


def cpu_cases() -> list[Case]:
    """Shapes that fit a 2-core CPU in a few minutes."""
    sweep = [Case(1, 4, n, 32) for n in (256, 1024, 4096, 16384, 65536)]
    wide = [Case(16, 8, 1024, 16), Case(4, 8, 4096, 64), Case(16, 8, 4096, 32)]
    return sweep + wide


def gpu_cases() -> list[Case]:
    """Vision shapes on a GPU, including the issue's targets (B·H ≥ 64, L ≥ 16384; L = 25600, H = 8, D = 32)."""
    cases = []
    for dtype in ("bfloat16", "float32"):
        cases += [Case(1, 8, n, 32, dtype) for n in (256, 1024, 4096, 16384, 25600, 65536)]
        cases += [Case(16, 4, n, 64, dtype) for n in (1024, 4096, 16384, 65536)]
        cases += [Case(8, 8, n, 32, dtype) for n in (16384, 65536)]
        cases += [Case(16, 8, 4096, 16, dtype)]
    return cases


def io_bytes(case: Case, backward: bool) -> int:
    """Bytes a single pass must move: q, k, v in and o out (+ do, o in and dq, dk, dv out)."""
    item = torch.empty((), dtype=getattr(torch, case.dtype)).element_size()
    per = case.b * case.h * case.length * case.d * item
    return per * (4 + (6 if backward else 0))


def _make_inputs(case: Case, device: torch.device, grad: bool) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator(device=device).manual_seed(0)
    shape = (case.b, case.h, case.length, case.d)
    dtype = getattr(torch, case.dtype)
    return tuple(
        (torch.randn(shape, generator=gen, device=device, dtype=dtype) * 0.5).requires_grad_(grad) for _ in range(3)
    )


def _method_fn(method: str) -> Callable[..., torch.Tensor]:
    if method == "ela_triton":
        return lambda q, k, v: ela_attention(q, k, v, backend="triton")
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
    raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")


def skip_reason(method: str, case: Case, device: torch.device, mem_budget: int) -> str | None:
    """Why a (method, case) pair is not run, or None."""
    if method == "ela_triton":
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
    fn = _method_fn(method)
    out: dict = {}
    inputs = _make_inputs(case, device, grad=False)
    with torch.no_grad():
        out["forward"] = time_callable(lambda: fn(*inputs), device, min_runs=min_runs, budget_s=budget_s)
        out["forward_peak_bytes"] = peak_memory_bytes(lambda: fn(*inputs), device)
    inputs = None  # free before the backward inputs are made
    qg, kg, vg = _make_inputs(case, device, grad=True)
    do = torch.randn_like(vg)

    def fwd_bwd():
        o = fn(qg, kg, vg)
        torch.autograd.grad(o, (qg, kg, vg), do)

    out["forward_backward"] = time_callable(fwd_bwd, device, min_runs=min_runs, budget_s=budget_s)
    out["forward_backward_peak_bytes"] = peak_memory_bytes(fwd_bwd, device)
    return out


def run_benchmark(
    device: str = "cpu",
    cases: list[Case] | None = None,
    methods: tuple[str, ...] = METHODS,
    budget_s: float | None = None,
    min_runs: int | None = None,
    on_row: Callable[[dict], None] | None = None,
) -> dict:
    """Run every (case, method) pair and return a JSON-ready dict."""
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' requested but no CUDA GPU is available")
    cases = cases if cases is not None else (gpu_cases() if dev.type == "cuda" else cpu_cases())
    budget_s = budget_s if budget_s is not None else (2.0 if dev.type == "cuda" else 4.0)
    min_runs = min_runs if min_runs is not None else (100 if dev.type == "cuda" else 10)
    mem_budget = int(torch.cuda.get_device_properties(dev).total_memory * 0.5) if dev.type == "cuda" else 4 << 30
    bandwidth = measure_copy_bandwidth(dev)
    LOGGER.info("copy bandwidth on %s: %.1f GB/s", dev, bandwidth["gb_per_s"])
    results = []
    report = {
        "benchmark": "attention",
        "environment": environment(dev),
        "copy_bandwidth": bandwidth,
        "floor_definition": "forward: bytes(q,k,v,o); forward+backward: + bytes(do,o,dq,dk,dv); "
        "moved once at the measured copy bandwidth (read+write bytes per second)",
        "timing": "CUDA events" if dev.type == "cuda" else "time.perf_counter",
        "results": results,
    }
    for case in cases:
        for method in methods:
            row = {"case": asdict(case), "label": case.label, "method": method}
            reason = skip_reason(method, case, dev, mem_budget)
            if reason:
                row["skipped"] = reason
                results.append(row)
                continue
            try:
                row.update(run_case(method, case, dev, budget_s, min_runs))
            except torch.OutOfMemoryError:
                row["skipped"] = "out of memory"
                if dev.type == "cuda":
                    torch.cuda.empty_cache()
                results.append(row)
                continue
            for key, backward in (("forward", False), ("forward_backward", True)):
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
            results.append(row)
            if on_row:  # lets the caller keep partial results of a run cut short
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


def markdown_table(report: dict) -> str:
    """Forward / forward+backward medians (ms), peak memory (MiB) and bandwidth fraction."""
    lines = [
        "| shape | method | fwd ms | fwd+bwd ms | fwd peak MiB | fwd % of copy BW |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        if "skipped" in r:
            continue
        peak = r.get("forward_peak_bytes")
        peak_s = f"{peak / 2**20:.1f}" if peak is not None else "n/a"
        lines.append(
            f"| {r['label']} | {r['method']} | {r['forward']['median_ms']:.3f} | "
            f"{r['forward_backward']['median_ms']:.3f} | {peak_s} | {100 * r['forward']['bandwidth_fraction']:.1f} |"
        )
    return "\n".join(lines)


def plot(report: dict, path: str | Path) -> None:
    """Forward and forward+backward time vs L (log-log) for the single-sequence sweep shapes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: dict[tuple, dict[str, list[tuple[int, float, float]]]] = {}
    for r in report["results"]:
        if "forward" not in r:
            continue
        c = r["case"]
        key = (c["b"], c["h"], c["d"], c["dtype"])
        groups.setdefault(key, {}).setdefault(r["method"], []).append(
            (c["length"], r["forward"]["median_ms"], r["forward_backward"]["median_ms"])
        )
    # the group with the longest L sweep
    key = max(groups, key=lambda k: max(len(v) for v in groups[k].values()))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, idx, title in ((axes[0], 1, "forward"), (axes[1], 2, "forward + backward")):
        for method, pts in sorted(groups[key].items()):
            pts = sorted(pts)
            ax.plot([p[0] for p in pts], [p[idx] for p in pts], marker="o", label=method)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length L")
        ax.set_ylabel("median time (ms)")
        ax.set_title(f"{title}: B={key[0]} H={key[1]} D={key[2]} {key[3]}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle(f"ELA attention benchmark — {report['environment'].get('device', '')}", fontsize=10)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save(report: dict, json_path: str | Path, png_path: str | Path | None = None) -> None:
    json_path = Path(json_path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=1))
    if png_path:
        plot(report, png_path)
