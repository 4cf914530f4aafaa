"""Accuracy at equal budget: train several models with one schedule and seed on ``shapes``,
evaluate each with the COCO evaluation, and record every run as it lands.

Each run writes ``<out_dir>/<model>_s<seed>.json``: the exact command, the per-epoch
validation curve (from Ultralytics' results.csv), the final COCO statistics (pycocotools, via
``yolo-lat val``), parameters and wall time. Runs already recorded are skipped, so an
interrupted campaign resumes where it stopped.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["ABLATION_MODELS", "ACCURACY_MODELS", "RESULTS_DIR", "SCHEDULE", "load_runs", "run_campaign", "run_one"]

# the main job's schedule (datasets.yaml shapes train_defaults), stated explicitly so that
# every model gets exactly the same one
SCHEDULE = {
    "data": "shapes",
    "epochs": 6,
    "imgsz": 256,
    "batch": 16,
    "nbs": 16,
    "warmup_epochs": 0.5,
    "close_mosaic": 2,
    "optimizer": "AdamW",
    "lr0": 0.002,
    "workers": 0,
    "plots": False,
}


def _model_arg(name: str) -> str:
    return name if name.endswith((".yaml", ".pt")) else f"{name}.yaml"


def run_one(model: str, seed: int, out_dir: Path, project: Path, schedule: dict | None = None) -> dict:
    """Train ``model`` with ``schedule`` and ``seed``, then validate it; returns (and writes) the record."""
    schedule = {**SCHEDULE, **(schedule or {})}
    name = f"{Path(model).stem}_s{seed}"
    args = {"model": _model_arg(model), **schedule, "seed": seed, "project": str(project), "name": name,
            "exist_ok": True}  # fmt: skip
    cmd = ["yolo-lat", "train", *(f"{k}={v}" for k, v in args.items())]
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "yolo_lat.cli", *cmd[1:]], capture_output=True, text=True)
    wall = time.time() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"training {name} failed: {proc.stderr.strip().splitlines()[-1:]}")
    run = project / name
    curve = [
        {k.strip(): float(v) for k, v in row.items() if v not in ("", None)}
        for row in csv.DictReader((run / "results.csv").open())
    ]
    val_cmd = ["yolo-lat", "val", f"model={run / 'weights' / 'best.pt'}", f"data={schedule['data']}",
               f"imgsz={schedule['imgsz']}", "batch=16", "conf=0.001", f"project={project}", f"name={name}_val",
               "exist_ok=True", "plots=False"]  # fmt: skip
    vproc = subprocess.run([sys.executable, "-m", "yolo_lat.cli", *val_cmd[1:]], capture_output=True, text=True)
    if vproc.returncode != 0:
        raise RuntimeError(f"validating {name} failed: {vproc.stderr.strip().splitlines()[-1:]}")
    coco = json.loads((project / f"{name}_val" / "coco_eval.json").read_text())
    from ..engine.model import YOLOLAT

    params = sum(p.numel() for p in YOLOLAT(run / "weights" / "best.pt").model.parameters())
    record = {
        "model": model,
        "seed": seed,
        "command": shlex.join(cmd),
        "val_command": shlex.join(val_cmd),
        "train_wall_s": round(wall, 1),
        "threads": os.environ.get("YOLO_LAT_THREADS") or os.cpu_count(),
        "params": params,
        "curve": curve,
        "coco": {k: v for k, v in coco.items() if k != "ground_truth_generated"},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}.json").write_text(json.dumps(record, indent=1))
    return record


def load_runs(out_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(Path(out_dir).glob("*_s*.json"))]


def run_campaign(models: list[str], seeds: list[int], out_dir: Path, project: Path, log=print) -> list[dict]:
    """Every (model, seed) not yet recorded in ``out_dir``, one after the other."""
    done = {(r["model"], r["seed"]) for r in load_runs(out_dir)}
    for seed in seeds:
        for model in models:
            if (model, seed) in done:
                continue
            log(f"training {model} seed {seed} ...")
            rec = run_one(model, seed, out_dir, project)
            log(f"  {model} seed {seed}: AP {rec['coco']['AP']:.4f}, AP50 {rec['coco']['AP50']:.4f}, "
                f"{rec['train_wall_s'] / 60:.1f} min")  # fmt: skip
    return load_runs(out_dir)


# the equal-budget comparison (benchmark issue) and the paper-options ablation share the runs:
# a (model, seed) trained once serves both
ACCURACY_MODELS = ["yolo-lat-n", "yolo-lat-t", "yolo-lat-softmax-n", "yolo11n", "yolo12n", "yolo26n"]
ABLATION_MODELS = ["yolo-lat-n", "yolo-lat-hyperlink-n", "yolo-lat-lobe-n", "yolo-lat-moe-n", "yolo-lat-moe-inside-n"]
RESULTS_DIR = "benchmarks/results/shapes_runs"
