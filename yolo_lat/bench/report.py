"""Tables and plots from the committed benchmark results (nothing here measures anything)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

__all__ = [
    "ablation_table",
    "accuracy_table",
    "attention_table",
    "detector_latency_table",
    "latency_lookup",
    "paper_claim_rows",
    "plot_curves",
    "plot_latency",
    "plot_map_vs_latency",
]


def _load(path: Path) -> dict | None:
    return json.loads(Path(path).read_text()) if Path(path).is_file() else None


def _fmt_ms(x: float | None) -> str:
    return "—" if x is None else (f"{x:.1f}" if x >= 10 else f"{x:.2f}")


def latency_lookup(det: dict | None, model: str, imgsz: int, backend: str = "torch", batch: int = 1,
                   key: str = "end_to_end") -> float | None:  # fmt: skip
    """Median latency (ms) of one measured configuration, or None."""
    if not det:
        return None
    for r in det["latency"]:
        if (r["model"], r["backend"], r["batch"], r["imgsz"]) == (model, backend, batch, imgsz):
            return r[key]["median_ms"]
    return None


def attention_table(report: dict, lengths_only_for: tuple = (1, 4, 32, "float32")) -> str:
    """ELA (torch/Triton) vs SDPA vs the oracle: forward and forward+backward medians (ms)."""
    rows = {}
    for r in report["results"]:
        if "forward" not in r:
            continue
        rows.setdefault(r["label"], {})[r["method"]] = r
    methods = [
        m for m in ("ela_triton", "ela_torch", "sdpa", "flash", "quadratic") if any(m in v for v in rows.values())
    ]
    head = "| shape (B H L D) | " + " | ".join(f"{m} fwd / fwd+bwd ms" for m in methods) + " |"
    lines = [head, "|---|" + "---:|" * len(methods)]
    for label, ms in rows.items():
        cells = []
        for m in methods:
            r = ms.get(m)
            cells.append(
                "—"
                if r is None
                else f"{_fmt_ms(r['forward']['median_ms'])} / {_fmt_ms(r['forward_backward']['median_ms'])}"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def detector_latency_table(det: dict, backend: str = "torch", batch: int = 1) -> str:
    """Params, GFLOPs and end-to-end / forward medians per image size for one backend and batch."""
    sizes = sorted({r["imgsz"] for r in det["latency"] if r["backend"] == backend and r["batch"] == batch})
    head = "| model | params | GFLOPs@640 | " + " | ".join(f"{s}: e2e / fwd ms (p90 e2e)" for s in sizes) + " |"
    lines = [head, "|---|---:|---:|" + "---:|" * len(sizes)]
    for name, info in det["models"].items():
        cells = []
        for s in sizes:
            row = next((r for r in det["latency"] if (r["model"], r["backend"], r["batch"], r["imgsz"]) == (name, backend, batch, s)), None)  # fmt: skip
            cells.append(
                "—"
                if row is None
                else f"{_fmt_ms(row['end_to_end']['median_ms'])} / {_fmt_ms(row['forward']['median_ms'])} "
                f"({_fmt_ms(row['end_to_end']['p90_ms'])})"
            )
        lines.append(f"| {name} | {info['params']:,} | {info['gflops_640']:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _by_model(runs: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in runs:
        out.setdefault(r["model"], []).append(r)
    return out


def _stat(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def accuracy_table(runs: list[dict], models: list[str], det: dict | None = None, imgsz: int = 320) -> str:
    """mAP50-95 / AP50 (mean and range over seeds), params and CPU end-to-end latency."""
    by = _by_model(runs)
    lines = [
        f"| model | seeds | mAP50-95 | AP50 | params (nc=6) | latency ms (e2e, b1, {imgsz}) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for m in models:
        rs = by.get(m)
        if not rs:
            lines.append(f"| {m} | 0 | pending | pending | — | {_fmt_ms(latency_lookup(det, m, imgsz))} |")
            continue
        lines.append(
            f"| {m} | {len(rs)} | {_stat([r['coco']['AP'] for r in rs])} | {_stat([r['coco']['AP50'] for r in rs])} | "
            f"{rs[0]['params']:,} | {_fmt_ms(latency_lookup(det, m, imgsz))} |"
        )
    return "\n".join(lines)


# GPU rows of the paper-claim and goal tables: (backend, batch, imgsz, key)
GPU_ROWS = [
    ("cuda_graph_fp16", 1, 640, "forward"),
    ("cuda_graph_fp16", 1, 1280, "forward"),
    ("cuda_graph_fp16", 16, 1280, "forward"),
    ("cuda_graph_fp16", 1, 640, "end_to_end"),
    ("torch", 1, 640, "forward"),
    ("torch", 16, 1280, "forward"),
]


def _latency_rows(det: dict | None, ours: str, theirs: str, rows: list[tuple], tag: str) -> list[str]:
    out = []
    for backend, batch, size, key in rows:
        la = latency_lookup(det, ours, size, backend=backend, batch=batch, key=key)
        lb = latency_lookup(det, theirs, size, backend=backend, batch=batch, key=key)
        if la and lb:
            label = "end-to-end" if key == "end_to_end" else "forward"
            out.append(f"| {tag} {backend} {label} ms, b{batch}, {size} | {_fmt_ms(la)} | {_fmt_ms(lb)} | {lb / la:.2f}x |")  # fmt: skip
    return out


def paper_claim_rows(runs: list[dict], det: dict | None, ours: str = "yolo-lat-t", theirs: str = "yolo26n",
                     det_gpu: dict | None = None) -> str:  # fmt: skip
    """The paper's claim (7.9x fewer parameters, 4.3x faster than YOLO26n) against our measurements."""
    by = _by_model(runs)
    lines = ["| quantity | " + ours + " | " + theirs + " | ratio (> 1 favours " + ours + ") |", "|---|---:|---:|---:|"]
    if det and ours in det["models"] and theirs in det["models"]:
        a, b = det["models"][ours]["params"], det["models"][theirs]["params"]
        lines.append(f"| parameters (nc=80) | {a:,} | {b:,} | {b / a:.1f}x fewer (paper: 7.9x) |")
        for size in (320, 640):
            for key, label in (("end_to_end", "end-to-end"), ("forward", "forward")):
                la, lb = latency_lookup(det, ours, size, key=key), latency_lookup(det, theirs, size, key=key)
                if la and lb:
                    lines.append(f"| CPU {label} latency ms, b1, {size} | {_fmt_ms(la)} | {_fmt_ms(lb)} | {lb / la:.2f}x |")  # fmt: skip
    lines += _latency_rows(det_gpu, ours, theirs, GPU_ROWS, "GPU")
    if by.get(ours) and by.get(theirs):
        a = statistics.mean(r["coco"]["AP"] for r in by[ours])
        b = statistics.mean(r["coco"]["AP"] for r in by[theirs])
        lines.append(f"| shapes mAP50-95 (equal budget) | {a:.3f} | {b:.3f} | {a - b:+.3f} |")
    return "\n".join(lines)


def gpu_goal_rows(det_gpu: dict, ours: str = "yolo-lat-n", theirs: str = "yolo12n", imgsz: int = 1280) -> str:
    """Latency of ``ours`` as a fraction of ``theirs`` at one image size, every GPU backend and batch."""
    lines = [f"| backend, batch | {ours} fwd ms | {theirs} fwd ms | ratio fwd | {ours} e2e ms | {theirs} e2e ms "
             "| ratio e2e |", "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    combos = sorted({(r["backend"], r["batch"]) for r in det_gpu["latency"] if r["imgsz"] == imgsz})
    for backend, batch in combos:
        cells = []
        for key in ("forward", "end_to_end"):
            la = latency_lookup(det_gpu, ours, imgsz, backend=backend, batch=batch, key=key)
            lb = latency_lookup(det_gpu, theirs, imgsz, backend=backend, batch=batch, key=key)
            cells += [_fmt_ms(la), _fmt_ms(lb), f"{la / lb:.2f}" if la and lb else "—"]
        lines.append(f"| {backend}, b{batch} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ablation_table(runs: list[dict], models: list[str], det: dict | None = None, imgsz: int = 320) -> str:
    by = _by_model(runs)
    base = by.get(models[0])
    base_ap = statistics.mean(r["coco"]["AP"] for r in base) if base else None
    lines = [
        f"| variant | seeds | mAP50-95 | Δ vs baseline | AP50 | params (nc=6) | latency ms (e2e, b1, {imgsz}) "
        "| train min/run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in models:
        lat = _fmt_ms(latency_lookup(det, m, imgsz))
        rs = by.get(m)
        if not rs:
            lines.append(f"| {m} | 0 | pending | — | — | — | {lat} | — |")
            continue
        ap = statistics.mean(r["coco"]["AP"] for r in rs)
        delta = "—" if base_ap is None or m == models[0] else f"{ap - base_ap:+.3f}"
        wall = statistics.mean(r["train_wall_s"] for r in rs) / 60
        lines.append(
            f"| {m} | {len(rs)} | {_stat([r['coco']['AP'] for r in rs])} | {delta} | "
            f"{_stat([r['coco']['AP50'] for r in rs])} | {rs[0]['params']:,} | {lat} | {wall:.1f} |"
        )
    return "\n".join(lines)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(runs: list[dict], models: list[str], path: Path, title: str) -> None:
    """Validation mAP50-95 vs epoch, one line per model (mean over seeds, thin lines per seed)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    by = _by_model(runs)
    for i, m in enumerate(models):
        rs = by.get(m, [])
        color = f"C{i}"
        curves = [[row.get("metrics/mAP50-95(B)", 0.0) for row in r["curve"]] for r in rs]
        for c in curves:
            ax.plot(range(1, len(c) + 1), c, color=color, alpha=0.3, lw=1)
        if curves:
            n = min(len(c) for c in curves)
            mean = [statistics.mean(c[e] for c in curves) for e in range(n)]
            seeds = f"{len(curves)} seed" + ("s" if len(curves) > 1 else "")
            ax.plot(range(1, n + 1), mean, color=color, lw=2, marker="o", label=f"{m} ({seeds})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("val mAP50-95 (Ultralytics, during training)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_latency(det: dict, path: Path, backend: str = "torch", batch: int = 1) -> None:
    """End-to-end latency vs imgsz for the zoo and the baselines (the paper-option variants are in the
    ablation table); YOLO-LAT solid, its softmax twin dotted, Ultralytics dashed."""
    from .detectors import PAPER_OPTION_MODELS

    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    cmap = plt.get_cmap("tab20")
    names = [n for n in det["models"] if n not in PAPER_OPTION_MODELS]
    for i, name in enumerate(names):
        pts = sorted(
            (r["imgsz"], r["end_to_end"]["median_ms"])
            for r in det["latency"]
            if r["model"] == name and r["backend"] == backend and r["batch"] == batch
        )
        ls = ":" if "softmax" in name else "-" if name.startswith("yolo-lat") else "--"
        if len(pts) > 1:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=cmap(i % 20), ls=ls, label=name)
    ax.set_xlabel("image size")
    ax.set_ylabel("end-to-end latency, median ms")
    ax.set_yscale("log")
    ax.set_title(f"{backend}, batch {batch} — {det['environment'].get('device', '')}", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_map_vs_latency(runs: list[dict], det: dict, models: list[str], path: Path, imgsz: int = 320) -> None:
    """mAP (mean over seeds) against end-to-end latency at batch 1: torch fp32 on CPU, fp16 CUDA graph on GPU."""
    gpu = det["environment"].get("device_type") == "cuda"
    backend = "cuda_graph_fp16" if gpu else "torch"
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    by = _by_model(runs)
    for i, m in enumerate(models):
        lat = latency_lookup(det, m, imgsz, backend=backend)
        if lat is None or not by.get(m):
            continue
        ap = statistics.mean(r["coco"]["AP"] for r in by[m])
        ax.scatter([lat], [ap], color=f"C{i}", s=40)
        ax.annotate(m, (lat, ap), textcoords="offset points", xytext=(4, 4), fontsize=8)
    where = f"GPU ({det['environment'].get('device')}) {backend}" if gpu else "CPU torch fp32"
    ax.set_xlabel(f"{where} end-to-end latency, ms (batch 1, {imgsz})", fontsize=8)
    ax.set_ylabel("shapes mAP50-95 (pycocotools), mean over seeds")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
