"""The README's plots that combine the campaign runs with the benchmark results."""

from __future__ import annotations

import statistics
from pathlib import Path

from yolo_lat.bench.plots import pyplot, save_figure
from yolo_lat.bench.tables import latency_lookup

from .campaign import mean_ap, runs_by_model

__all__ = ["plot_curves", "plot_map_vs_latency"]


def plot_curves(runs: list[dict], models: list[str], path: Path, title: str) -> None:
    """Validation mAP50-95 vs epoch, one line per model (mean over seeds, thin lines per seed)."""
    fig, ax = pyplot().subplots(figsize=(7, 4.5))
    by = runs_by_model(runs)
    for i, m in enumerate(models):
        color, style = f"C{i % 10}", "-" if i < 10 else "--"  # the colour cycle has 10 colours
        curves = [[row.get("metrics/mAP50-95(B)", 0.0) for row in r["curve"]] for r in by.get(m, [])]
        for c in curves:
            ax.plot(range(1, len(c) + 1), c, color=color, alpha=0.3, lw=1)
        if curves:
            n = min(len(c) for c in curves)
            mean = [statistics.mean(c[e] for c in curves) for e in range(n)]
            seeds = f"{len(curves)} seed" + ("s" if len(curves) > 1 else "")
            ax.plot(range(1, n + 1), mean, color=color, ls=style, lw=2, marker="o", label=f"{m} ({seeds})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("val mAP50-95 (Ultralytics, during training)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(fig, path)


def plot_map_vs_latency(runs: list[dict], det: dict, models: list[str], path: Path, imgsz: int = 320) -> None:
    """mAP (mean over seeds) against end-to-end latency at batch 1: torch fp32 on CPU, fp16 CUDA graph on GPU."""
    gpu = det["environment"].get("device_type") == "cuda"
    backend = "cuda_graph_fp16" if gpu else "torch"
    fig, ax = pyplot().subplots(figsize=(6.5, 4.5))
    by = runs_by_model(runs)
    for i, m in enumerate(models):
        lat = latency_lookup(det, m, imgsz, backend=backend)
        if lat is None or not by.get(m):
            continue
        ap = mean_ap(by[m])
        ax.scatter([lat], [ap], color=f"C{i}", s=40)
        ax.annotate(m, (lat, ap), textcoords="offset points", xytext=(4, 4), fontsize=8)
    where = f"GPU ({det['environment'].get('device')}) {backend}" if gpu else "CPU torch fp32"
    ax.set_xlabel(f"{where} end-to-end latency, ms (batch 1, {imgsz})", fontsize=8)
    ax.set_ylabel("shapes mAP50-95 (pycocotools), mean over seeds")
    ax.grid(alpha=0.3)
    save_figure(fig, path)
