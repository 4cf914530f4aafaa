"""Measurement helpers shared by the benchmarks: timing, peak memory, copy bandwidth, versions, and
the JSON file a measurement lands in."""

from __future__ import annotations

import json
import math
import os
import platform
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import torch

__all__ = [
    "environment",
    "measure_copy_bandwidth",
    "peak_memory_bytes",
    "percentile",
    "synchronize",
    "time_callable",
    "write_json",
]


def percentile(values: list[float], q: float) -> float:
    """q-th percentile (0–100) by linear interpolation."""
    xs = sorted(values)
    if not xs:
        return math.nan
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (a no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_callable(
    fn: Callable[[], object],
    device: torch.device,
    *,
    warmup: int = 3,
    min_runs: int = 10,
    max_runs: int = 200,
    budget_s: float = 5.0,
) -> dict:
    """Median and p90 wall time (ms) of ``fn()`` after warm-up.

    On CUDA each run is timed with CUDA events; on CPU with ``time.perf_counter``. Runs repeat
    until ``max_runs`` or until ``budget_s`` is spent, but never fewer than ``min_runs``.
    """
    for _ in range(warmup):
        fn()
    synchronize(device)
    times: list[float] = []
    start_all = time.perf_counter()
    while len(times) < max_runs and (len(times) < min_runs or time.perf_counter() - start_all < budget_s):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        else:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": statistics.median(times), "p90_ms": percentile(times, 90), "runs": len(times)}


def _vm_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1))


def peak_memory_bytes(fn: Callable[[], object], device: torch.device) -> int | None:
    """Extra memory at the peak of one ``fn()`` call.

    CUDA: ``max_memory_allocated`` above what was allocated before. CPU (Linux): the resident
    set high-water mark (reset through /proc/self/clear_refs) above the resident size before.
    None where neither is available.
    """
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn()
        torch.cuda.synchronize(device)
        return int(torch.cuda.max_memory_allocated(device) - base)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        base = _vm_kib("VmRSS")
        fn()
        return max(0, (_vm_kib("VmHWM") - base) * 1024)
    except OSError:
        return None


def measure_copy_bandwidth(device: torch.device, nbytes: int | None = None) -> dict:
    """Device-memory copy bandwidth: (bytes read + bytes written) / median time of ``dst.copy_(src)``."""
    if nbytes is None:
        nbytes = (1 << 30) if device.type == "cuda" else (256 << 20)
    src = torch.empty(nbytes // 4, dtype=torch.float32, device=device).uniform_()
    dst = torch.empty_like(src)
    t = time_callable(lambda: dst.copy_(src), device, warmup=3, min_runs=10, max_runs=50, budget_s=3.0)
    moved = 2 * src.numel() * src.element_size()
    return {"bytes_per_copy": moved, "median_ms": t["median_ms"], "gb_per_s": moved / (t["median_ms"] * 1e-3) / 1e9}


def _run(cmd: list[str]) -> str | None:
    with suppress(Exception):
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip() or None
    return None


def environment(device: torch.device) -> dict:
    """Device, driver and library versions for a results file."""
    env = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device_type": device.type,
        "pid": os.getpid(),
        "loadavg": list(os.getloadavg()),  # 1, 5, 15 min at the start: CPU timings need a quiet machine
    }
    with suppress(OSError), open("/proc/cpuinfo") as f:
        m = re.search(r"model name\s*:\s*(.+)", f.read())
        if m:
            env["cpu"] = m.group(1).strip()
    for mod in ("triton", "ultralytics", "onnxruntime", "onnx", "openvino", "nncf", "tensorrt"):
        with suppress(Exception):
            env[mod] = __import__(mod).__version__
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env.update(
            device=torch.cuda.get_device_name(device),
            gpu_memory_gib=round(props.total_memory / 2**30, 1),
            sm_count=props.multi_processor_count,
            cuda_runtime=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
            driver=_run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"]),
        )
    else:
        env["device"] = f"CPU: {env['cpu']} ({os.cpu_count()} cores)"
    return env


def write_json(obj: object, path: str | Path) -> Path:
    """Write ``obj`` as indented JSON, replacing ``path`` in one step (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=1))
    os.replace(tmp, path)
    return path
