"""The README's tables, from the committed results (nothing here measures anything)."""

from __future__ import annotations

import statistics

from yolo_lat.bench.attention import METHODS
from yolo_lat.bench.tables import fmt_ms, latency_lookup

from .campaign import mean_ap, runs_by_model

__all__ = ["GPU_ROWS", "ablation_table", "accuracy_table", "attention_table", "gpu_goal_rows", "goal_ratios",
           "paired_deltas", "paper_claim_rows", "per_class_table", "variant_table"]  # fmt: skip

# GPU rows of the paper-claim table: (backend, batch, imgsz, key)
GPU_ROWS = [
    ("cuda_graph_fp16", 1, 640, "forward"),
    ("cuda_graph_fp16", 1, 1280, "forward"),
    ("cuda_graph_fp16", 16, 1280, "forward"),
    ("cuda_graph_fp16", 1, 640, "end_to_end"),
    ("torch", 1, 640, "forward"),
    ("torch", 16, 1280, "forward"),
]
_KEY_LABEL = {"end_to_end": "end-to-end", "forward": "forward"}


def _stat(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def attention_table(report: dict) -> str:
    """ELA (torch/Triton) vs SDPA vs the oracle: forward and forward+backward medians (ms), one row per shape."""
    rows: dict[str, dict[str, dict]] = {}
    for r in report["results"]:
        if "forward" in r:
            rows.setdefault(r["label"], {})[r["method"]] = r
    methods = [m for m in METHODS if any(m in v for v in rows.values())]
    lines = ["| shape (B H L D) | " + " | ".join(f"{m} fwd / fwd+bwd ms" for m in methods) + " |",
             "|---|" + "---:|" * len(methods)]  # fmt: skip
    for label, ms in rows.items():
        cells = [
            "—"
            if m not in ms
            else f"{fmt_ms(ms[m]['forward']['median_ms'])} / {fmt_ms(ms[m]['forward_backward']['median_ms'])}"
            for m in methods
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def accuracy_table(runs: list[dict], models: list[str], det: dict | None = None, imgsz: int = 320) -> str:
    """mAP50-95 / AP50 (mean and range over seeds), params and CPU end-to-end latency."""
    by = runs_by_model(runs)
    lines = [
        f"| model | seeds | mAP50-95 | AP50 | params (nc=6) | latency ms (e2e, b1, {imgsz}) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for m in models:
        rs = by.get(m)
        lat = fmt_ms(latency_lookup(det, m, imgsz))
        if not rs:
            lines.append(f"| {m} | 0 | pending | pending | — | {lat} |")
            continue
        lines.append(
            f"| {m} | {len(rs)} | {_stat([r['coco']['AP'] for r in rs])} | {_stat([r['coco']['AP50'] for r in rs])} | "
            f"{rs[0]['params']:,} | {lat} |"
        )
    return "\n".join(lines)


def _ratio_row(label: str, a: float | None, b: float | None) -> str | None:
    return f"| {label} | {fmt_ms(a)} | {fmt_ms(b)} | {b / a:.2f}x |" if a and b else None


def paper_claim_rows(runs: list[dict], det: dict | None, ours: str = "yolo-lat-t", theirs: str = "yolo26n",
                     det_gpu: dict | None = None) -> str:  # fmt: skip
    """``ours`` against ``theirs``: parameters, CPU and GPU latency, and accuracy at equal budget."""
    lines = [f"| quantity | {ours} | {theirs} | ratio (> 1 favours {ours}) |", "|---|---:|---:|---:|"]
    rows: list[str | None] = []
    if det and ours in det["models"] and theirs in det["models"]:
        a, b = det["models"][ours]["params"], det["models"][theirs]["params"]
        lines.append(f"| parameters (nc=80) | {a:,} | {b:,} | {b / a:.1f}x fewer |")
        for size in (320, 640):
            for key in ("end_to_end", "forward"):
                rows.append(_ratio_row(f"CPU {_KEY_LABEL[key]} latency ms, b1, {size}",
                                       latency_lookup(det, ours, size, key=key),
                                       latency_lookup(det, theirs, size, key=key)))  # fmt: skip
    for backend, batch, size, key in GPU_ROWS:
        rows.append(_ratio_row(f"GPU {backend} {_KEY_LABEL[key]} ms, b{batch}, {size}",
                               latency_lookup(det_gpu, ours, size, backend=backend, batch=batch, key=key),
                               latency_lookup(det_gpu, theirs, size, backend=backend, batch=batch, key=key)))  # fmt: skip
    lines += [r for r in rows if r]
    by = runs_by_model(runs)
    if by.get(ours) and by.get(theirs):
        a, b = mean_ap(by[ours]), mean_ap(by[theirs])
        lines.append(f"| shapes mAP50-95 (equal budget) | {a:.3f} | {b:.3f} | {a - b:+.3f} |")
    return "\n".join(lines)


def goal_ratios(det_gpu: dict, ours: str, theirs: str, imgsz: int) -> list[dict]:
    """For every (backend, batch) measured at ``imgsz``: the forward and end-to-end medians of both
    models and ``ratio`` = ours / theirs (None where either was not measured)."""
    combos = sorted({(r["backend"], r["batch"]) for r in det_gpu["latency"] if r["imgsz"] == imgsz})
    out = []
    for backend, batch in combos:
        row: dict = {"backend": backend, "batch": batch}
        for key in ("forward", "end_to_end"):
            a = latency_lookup(det_gpu, ours, imgsz, backend=backend, batch=batch, key=key)
            b = latency_lookup(det_gpu, theirs, imgsz, backend=backend, batch=batch, key=key)
            row[key] = {"ours": a, "theirs": b, "ratio": a / b if a and b else None}
        out.append(row)
    return out


def gpu_goal_rows(det_gpu: dict, ours: str = "yolo-lat-n", theirs: str = "yolo12n", imgsz: int = 1280) -> str:
    """Latency of ``ours`` as a fraction of ``theirs`` at one image size, every GPU backend and batch."""
    lines = [f"| backend, batch | {ours} fwd ms | {theirs} fwd ms | ratio fwd | {ours} e2e ms | {theirs} e2e ms "
             "| ratio e2e |", "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for row in goal_ratios(det_gpu, ours, theirs, imgsz):
        cells = []
        for key in ("forward", "end_to_end"):
            r = row[key]
            cells += [fmt_ms(r["ours"]), fmt_ms(r["theirs"]), "—" if r["ratio"] is None else f"{r['ratio']:.2f}"]
        lines.append(f"| {row['backend']}, b{row['batch']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ablation_table(runs: list[dict], models: list[str], det: dict | None = None, imgsz: int = 320) -> str:
    """Each variant against the first model (the baseline): mAP, its difference, AP50, size, latency, time."""
    by = runs_by_model(runs)
    base_ap = mean_ap(by[models[0]]) if by.get(models[0]) else None
    lines = [
        f"| variant | seeds | mAP50-95 | Δ vs baseline | AP50 | params (nc=6) | latency ms (e2e, b1, {imgsz}) "
        "| train min/run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in models:
        lat = fmt_ms(latency_lookup(det, m, imgsz))
        rs = by.get(m)
        if not rs:
            lines.append(f"| {m} | 0 | pending | — | — | — | {lat} | — |")
            continue
        delta = "—" if base_ap is None or m == models[0] else f"{mean_ap(rs) - base_ap:+.3f}"
        wall = statistics.mean(r["train_wall_s"] for r in rs) / 60
        lines.append(
            f"| {m} | {len(rs)} | {_stat([r['coco']['AP'] for r in rs])} | {delta} | "
            f"{_stat([r['coco']['AP50'] for r in rs])} | {rs[0]['params']:,} | {lat} | {wall:.1f} |"
        )
    return "\n".join(lines)


def paired_deltas(runs: list[dict], model: str, baseline: str) -> list[float]:
    """mAP50-95 of ``model`` minus ``baseline``'s, seed by seed, over the seeds both have."""
    by = runs_by_model(runs)
    a = {r["seed"]: r["coco"]["AP"] for r in by.get(model, [])}
    b = {r["seed"]: r["coco"]["AP"] for r in by.get(baseline, [])}
    return [a[s] - b[s] for s in sorted(a.keys() & b.keys())]


def _delta(values: list[float]) -> str:
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:+.3f} (1 seed)"
    return f"{statistics.mean(values):+.3f} ({min(values):+.3f}…{max(values):+.3f})"


def variant_table(runs: list[dict], models: list[str], baseline: str = "yolo-lat-n", reference: str = "yolo11n") -> str:
    """Each model's mAP50-95 per seed, mean and range, and its paired differences (same seed) to
    ``baseline`` and to ``reference``: mean (min…max over the seeds both have)."""
    by = runs_by_model(runs)
    seeds = sorted({r["seed"] for m in models for r in by.get(m, [])})
    lines = [
        "| model | " + " | ".join(f"seed {s}" for s in seeds) + f" | mean (range) | paired Δ vs {baseline} "
        f"| paired Δ vs {reference} | params (nc=6) | CPU threads |",
        "|---|" + "---:|" * len(seeds) + "---:|---:|---:|---:|---|",
    ]
    for m in models:
        rs = {r["seed"]: r for r in by.get(m, [])}
        if not rs:
            lines.append(f"| {m} | " + " | ".join("—" for _ in seeds) + " | pending | — | — | — | — |")
            continue
        cells = [f"{rs[s]['coco']['AP']:.3f}" if s in rs else "—" for s in seeds]
        vs_base = "—" if m == baseline else _delta(paired_deltas(runs, m, baseline))
        vs_ref = "—" if m == reference else _delta(paired_deltas(runs, m, reference))
        threads = ", ".join(f"s{s}: {rs[s].get('threads', '?')}" for s in sorted(rs))
        lines.append(f"| {m} | " + " | ".join(cells) + f" | {_stat([r['coco']['AP'] for r in rs.values()])} | "
                     f"{vs_base} | {vs_ref} | {next(iter(rs.values()))['params']:,} | {threads} |")  # fmt: skip
    return "\n".join(lines)


def per_class_table(runs: list[dict], models: list[str]) -> str:
    """Each model's AP50-95 per class (pycocotools, ``coco.per_class`` of its records), mean over
    its seeds; models whose records have no per-class figures are left out."""
    by = runs_by_model(runs)
    rows = {m: [r["coco"]["per_class"] for r in by.get(m, []) if "per_class" in r["coco"]] for m in models}
    rows = {m: v for m, v in rows.items() if v}
    if not rows:
        return "No per-class figures recorded yet."
    names = list(next(iter(rows.values()))[0])
    lines = ["| model | seeds | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)]
    for m, pcs in rows.items():
        cells = [f"{statistics.mean(pc[n]['AP'] for pc in pcs):.3f}" for n in names]
        lines.append(f"| {m} | {len(pcs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
