"""Markdown tables of benchmark reports."""

from __future__ import annotations

__all__ = ["attention_markdown", "detector_latency_table", "detector_markdown", "fmt_ms", "latency_lookup"]


def fmt_ms(x: float | None) -> str:
    """Milliseconds with three significant figures or so; "—" for a figure that was not measured."""
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
                else f"{fmt_ms(row['end_to_end']['median_ms'])} / {fmt_ms(row['forward']['median_ms'])} "
                f"({fmt_ms(row['end_to_end']['p90_ms'])})"
            )
        lines.append(f"| {name} | {info['params']:,} | {info['gflops_640']:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def detector_markdown(det: dict, backends: tuple[str, ...], batches: tuple[int, ...], min_runs: int) -> str:
    """The whole Markdown report of a detector benchmark run: how it was timed, one table per
    (backend, batch) that has rows, and every configuration that was not measured, with why."""
    tables = "\n\n".join(
        f"### {backend}, batch {b}\n\n{detector_latency_table(det, backend, b)}"
        for backend in backends
        for b in batches
        if any(r["backend"] == backend and r["batch"] == b for r in det["latency"])
    )
    skipped = "\n".join(f"- {s['model']} {s['backend']} b{s['batch']} {s['imgsz']}: {s['why']}" for s in det["skipped"])
    env = det["environment"]
    loads = [r["loadavg_1min"] for r in det["latency"] if "loadavg_1min" in r]
    load = f" 1-minute load average while measuring: {min(loads):.2f}-{max(loads):.2f}." if loads else ""
    return (
        f"# Detector latency on {env.get('device')}\n\ntorch {env.get('torch')}, onnxruntime {env.get('onnxruntime')}, "
        f"openvino {env.get('openvino')}, {det['timing']}; median (p90) over >= {min_runs} runs after warm-up.{load}"
        f"\n\n{det['pipeline']}\n\n"
        f"{tables}\n\n## Not measured\n\n{skipped or '- nothing'}\n"
    )


def attention_markdown(report: dict) -> str:
    """Forward / forward+backward medians (ms), forward peak memory (MiB) and fraction of copy bandwidth."""
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
