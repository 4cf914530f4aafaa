"""Plots of benchmark reports (matplotlib, written as PNG without a display)."""

from __future__ import annotations

from pathlib import Path

from .models import NECK_OPTION_MODELS, PAPER_OPTION_MODELS

__all__ = ["plot_attention", "plot_detector_latency", "pyplot", "save_figure"]


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path) -> None:
    """Write ``fig`` as a PNG at ``path`` (folders created) and close it."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot().close(fig)


def plot_detector_latency(det: dict, path: str | Path, backend: str = "torch", batch: int = 1) -> None:
    """End-to-end latency vs imgsz, one line per model: YOLO-LAT solid, its softmax twin dotted,
    Ultralytics dashed. The paper-option variants (of yolo-lat-n, or of the first layout,
    ablations/yolo-lat-neck-*) are left out when other models were measured (they would crowd the
    plot; the JSON and the table have them)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    cmap = plt.get_cmap("tab20")
    options = {*PAPER_OPTION_MODELS, *NECK_OPTION_MODELS}
    names = [n for n in det["models"] if n not in options] or list(det["models"])
    for i, name in enumerate(names):
        pts = sorted(
            (r["imgsz"], r["end_to_end"]["median_ms"])
            for r in det["latency"]
            if r["model"] == name and r["backend"] == backend and r["batch"] == batch
        )
        ls = ":" if "softmax" in name else "-" if "yolo-lat" in name else "--"
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=cmap(i % 20), ls=ls, label=name)
    ax.set_xlabel("image size")
    ax.set_ylabel("end-to-end latency, median ms")
    ax.set_yscale("log")
    ax.set_title(f"{backend}, batch {batch} — {det['environment'].get('device', '')}", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    if names:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    save_figure(fig, path)


def plot_attention(report: dict, path: str | Path) -> None:
    """Forward and forward+backward time vs L (log-log) for the shape group with the longest L sweep."""
    groups: dict[tuple, dict[str, list[tuple[int, float, float]]]] = {}
    for r in report["results"]:
        if "forward" not in r:
            continue
        c = r["case"]
        key = (c["b"], c["h"], c["d"], c["dtype"])
        groups.setdefault(key, {}).setdefault(r["method"], []).append(
            (c["length"], r["forward"]["median_ms"], r["forward_backward"]["median_ms"])
        )
    key = max(groups, key=lambda k: max(len(v) for v in groups[k].values()))
    fig, axes = pyplot().subplots(1, 2, figsize=(11, 4.2))
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
    save_figure(fig, path)
