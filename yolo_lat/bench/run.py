"""``yolo-lat benchmark``: the detector benchmark, its Markdown table and plots, in one call."""

from __future__ import annotations

from pathlib import Path

from ..paths import REPO
from .accuracy import ACCURACY_MODELS, RESULTS_DIR, load_runs
from .detectors import DEFAULT_MODELS, Plan, measure
from .report import detector_latency_table, plot_latency, plot_map_vs_latency

__all__ = ["benchmark"]


def benchmark(device: str = "cpu", models: list[str] | None = None, imgsz: list[int] | None = None,
              batch: list[int] | None = None, out_dir: str | Path | None = None, log=print,
              time_limit: float | None = None) -> dict:  # fmt: skip
    """Measure, then write ``detectors_<device>.json`` (results/), ``detectors_<device>.md`` and plots."""
    plan = Plan.for_device(device)
    if models:
        unknown = [m for m in models if m not in DEFAULT_MODELS and not Path(m).suffix]
        if unknown:
            log(f"note: {unknown} are not in the default set; building them from their YAMLs")
        plan.models = list(models)
    if imgsz:
        plan.imgszs = tuple(imgsz)
    if batch:
        plan.batches = tuple(batch)
    if time_limit is not None:
        if time_limit <= 0:
            raise ValueError(f"time_limit={time_limit} must be a positive number of seconds")
        plan.time_limit = float(time_limit)
    out = Path(out_dir) if out_dir else REPO / "benchmarks"
    tag = "cuda" if device.startswith("cuda") else "cpu"
    json_path = out / "results" / f"detectors_{tag}.json"
    report = measure(plan, json_path, log=log)
    table = "\n\n".join(
        f"### {backend}, batch {b}\n\n{detector_latency_table(report, backend, b)}"
        for backend in plan.backends
        for b in plan.batches
        if any(r["backend"] == backend and r["batch"] == b for r in report["latency"])
    )
    skipped = "\n".join(
        f"- {s['model']} {s['backend']} b{s['batch']} {s['imgsz']}: {s['why']}" for s in report["skipped"]
    )
    env = report["environment"]
    (out / f"detectors_{tag}.md").write_text(
        f"# Detector latency on {env.get('device')}\n\ntorch {env.get('torch')}, onnxruntime {env.get('onnxruntime')}, "
        f"{report['timing']}; median (p90) over >= {plan.min_runs} runs after warm-up.\n\n{report['pipeline']}\n\n"
        f"{table}\n\n## Not measured\n\n{skipped or '- nothing'}\n"
    )
    plot_latency(report, out / f"latency_vs_imgsz_{tag}.png")
    runs = load_runs(REPO / RESULTS_DIR)
    if runs:
        plot_map_vs_latency(runs, report, ACCURACY_MODELS, out / f"map_vs_latency_{tag}.png")
    log(f"wrote {json_path} and {out / f'detectors_{tag}.md'}")
    return report
