"""``yolo-lat benchmark``: measure the detectors, then write the JSON report, a Markdown table and a
latency plot into a run folder: ``runs/benchmark/<device>`` of the current directory by default,
numbered as Ultralytics numbers its run folders when that one exists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ultralytics.utils import LOGGER

from .. import _ultralytics as ul
from ..engine.args import check_args
from ..nn.model_yaml import resolve_model_yaml
from .detectors import BACKENDS, Plan, measure
from .models import DEFAULT_MODELS
from .plots import plot_detector_latency
from .tables import detector_markdown

__all__ = ["DEFAULT_PROJECT", "benchmark", "device_tag", "make_plan", "write_results"]

DEFAULT_PROJECT = Path("runs") / "benchmark"  # relative to the current directory


def _as_list(v: str | int | Sequence | None, cast: type = str) -> list | None:
    """``"a,b"`` / ``320`` / ``[320, 640]`` -> a list (None stays None)."""
    if v is None:
        return None
    items = v if isinstance(v, (list, tuple)) else str(v).split(",")
    return [cast(str(x).strip()) for x in items if str(x).strip()] or None


def _device(device: str | int) -> str:
    """``0`` -> ``cuda:0``; anything else as given (``cpu``, ``cuda``, ``cuda:1``)."""
    device = str(device).strip()
    return f"cuda:{device}" if device.isdigit() else device


def device_tag(device: str | int) -> str:
    """``cpu`` or ``cuda``: the suffix of the files a run writes."""
    return "cuda" if _device(device).startswith("cuda") else "cpu"


def make_plan(device: str | int = "cpu", models: str | Sequence[str] | None = None,
              imgsz: str | int | Sequence[int] | None = None, batch: str | int | Sequence[int] | None = None,
              time_limit: float | str | None = None, backends: str | Sequence[str] | None = None,
              log: Callable[[str], None] = LOGGER.info) -> Plan:  # fmt: skip
    """The device's default plan with the given overrides (lists, or comma-separated strings)."""
    plan = Plan.for_device(_device(device))
    if backends := _as_list(backends):
        unknown = [b for b in backends if b not in BACKENDS]
        if unknown:
            raise ValueError(f"backends={','.join(unknown)}: unknown backend; expected some of {', '.join(BACKENDS)}")
        plan.backends = tuple(backends)
    if models := _as_list(models):
        unknown = [m for m in models if m not in DEFAULT_MODELS and not Path(m).suffix]
        for name in unknown:  # a model that cannot be built is one line now, not a failed row per backend
            resolve_model_yaml(name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
        if unknown:
            log(f"note: {unknown} are not in the default set; building them from their YAMLs")
        plan.models = models
    if imgsz := _as_list(imgsz, int):
        plan.imgszs = tuple(imgsz)
    if batch := _as_list(batch, int):
        plan.batches = tuple(batch)
    if time_limit is not None:
        try:
            plan.time_limit = float(time_limit)
        except (TypeError, ValueError):
            raise ValueError(f"time_limit={time_limit!r} is not a number of seconds") from None
        if plan.time_limit <= 0:
            raise ValueError(f"time_limit={time_limit} must be a positive number of seconds")
    return plan


def write_results(plan: Plan, json_path: Path, md_path: Path, png_path: Path,
                  log: Callable[[str], None] = LOGGER.info) -> dict:  # fmt: skip
    """Run ``plan``; the JSON report lands at ``json_path`` row by row, then its Markdown tables and
    latency plot. Returns the report."""
    report = measure(plan, json_path, log=log)
    Path(md_path).parent.mkdir(parents=True, exist_ok=True)
    Path(md_path).write_text(detector_markdown(report, plan.backends, plan.batches, plan.min_runs))
    plot_detector_latency(report, png_path)
    log(f"wrote {json_path} and {md_path}")
    return report


def benchmark(device: str | int = "cpu", models: str | Sequence[str] | None = None,
              imgsz: str | int | Sequence[int] | None = None, batch: str | int | Sequence[int] | None = None,
              project: str | Path | None = None, name: str | None = None, exist_ok: bool = False,
              time_limit: float | str | None = None, backends: str | Sequence[str] | None = None,
              log: Callable[[str], None] = LOGGER.info) -> Path:  # fmt: skip
    """Measure, then write ``detectors_<tag>.json``, ``detectors_<tag>.md`` and ``latency_vs_imgsz_<tag>.png``
    (tag: cpu or cuda) into ``project/name`` (default ``runs/benchmark/<tag>``, numbered if it exists,
    unless ``exist_ok``). Returns that folder."""
    check_args("benchmark", {"imgsz": imgsz, "batch": batch})
    plan = make_plan(device, models, imgsz, batch, time_limit, backends, log=log)
    tag = device_tag(device)
    save_dir = ul.run_dir(project or DEFAULT_PROJECT, name or tag, exist_ok=bool(exist_ok))
    write_results(plan, save_dir / f"detectors_{tag}.json", save_dir / f"detectors_{tag}.md",
                  save_dir / f"latency_vs_imgsz_{tag}.png", log=log)  # fmt: skip
    return save_dir
