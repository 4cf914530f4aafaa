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
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from yolo_lat.bench.common import write_json
from yolo_lat.bench.models import NECK_OPTION_MODELS, SMALL_MODELS, count_params
from yolo_lat.data.registry import dataset_train_defaults

from . import RESULTS

__all__ = ["ABLATION_MODELS", "ACCURACY_MODELS", "HOST_MODELS", "NECK", "RUNS_DIR", "TINY_NECK", "TINY_VARIANT_MODELS", "VARIANT_MODELS", "coco_json_views", "runs_dir", "load_runs", "mean_ap", "run_campaign", "run_one", "runs_by_model",
           "schedule"]  # fmt: skip

# the equal-budget comparison and the paper-options ablation share the runs: a (model, seed)
# trained once serves both
ACCURACY_MODELS = list(SMALL_MODELS)
# the paper's options, measured on YOLO-LAT's first layout (ELA also at the P4/P3 neck merges), against it
NECK = "ablations/yolo-lat-neck-n"  # the first layout: the baseline of the ablation programme
ABLATION_MODELS = [NECK, *NECK_OPTION_MODELS]
# issue 15: the block variants of the first layout, each against it, its softmax twin, the P5-only layout
# that became the default (yolo-lat-n) and its softmax twin, and YOLO11n/12n (same schedule); p5-heads,
# taylor and uniform are the heads variant, the taylor_exp kernel and the no-attention control (κ = 1)
# on the default layout, read against yolo-lat-n
VARIANTS = ("keys", "heads", "tau", "tau3", "gate", "pe7", "p34", "p3", "sum", "sub", "dense", "moe-eq", "p5-heads",
            "taylor", "uniform")  # fmt: skip
VARIANT_MODELS = [NECK, "ablations/yolo-lat-neck-softmax-n", "ablations/yolo-lat-neck-moe-n",
                  *(f"ablations/yolo-lat-{v}-n" for v in VARIANTS), "yolo-lat-n", "yolo-lat-softmax-n", "yolo11n",
                  "yolo12n"]  # fmt: skip
# issue 15 at the tiny size: yolo-lat-t (P5-only), its heads variant and the first tiny layout against YOLO26n (the paper's comparison)
TINY_NECK = "ablations/yolo-lat-neck-t"
TINY_VARIANT_MODELS = [TINY_NECK, "yolo-lat-t", "ablations/yolo-lat-t-heads", "yolo26n"]
# issue 15, parity with the host: YOLO11n trained by `yolo-lat train` and by plain Ultralytics (`yolo train`)
HOST_MODELS = ["yolo11n", "yolo11n@ultralytics"]
RUNS_DIR = RESULTS / "shapes_runs"


def runs_dir(data: str = "shapes") -> Path:
    """Where a campaign on ``data`` keeps its records: benchmarks/results/<data>_runs."""
    return RESULTS / f"{data}_runs"


def schedule(data: str = "shapes") -> dict:
    """The main job's schedule, ``train_defaults`` of ``data`` in datasets.yaml, stated in full in
    every command so that every model gets exactly the same one."""
    return {"data": data, **dataset_train_defaults(data), "workers": 0, "plots": False}


def coco_json_views(data: str = "shapes") -> tuple[Path, Path]:
    """The dataset ``data`` seen as a user with COCO JSON files sees it, two ways (issue 15's parity
    with the host on a COCO-JSON dataset), made once under the dataset cache:

    - ours: a data YAML whose ``train:``/``val:`` are the dataset's instances JSON files, which
      ``yolo-lat`` converts itself;
    - plain Ultralytics: the YOLO copy its own ``convert_coco`` writes from those files (labels) beside
      links to the images under their original names, and a data YAML for it.
    """
    import yaml
    from ultralytics.data.converter import convert_coco

    from yolo_lat.data.files import atomic_dir
    from yolo_lat.data.registry import cache_dir, resolve_data

    root = Path(resolve_data(data)).parent
    ann = root / "annotations"
    base = cache_dir() / f"{root.name}-coco-json-views"
    ours, plain = base / "ours" / "data.yaml", base / "ultralytics" / "data.yaml"
    if not ours.is_file():
        ours.parent.mkdir(parents=True, exist_ok=True)
        splits = {split: f"annotations/instances_{split}.json" for split in ("train", "val")}
        ours.write_text(yaml.safe_dump({"path": str(root), **splits}, sort_keys=False))
    if not plain.is_file():
        with atomic_dir(plain.parent, "data.yaml") as tmp:
            convert_coco(str(ann), save_dir=str(tmp / "converted"), use_segments=False, cls91to80=False)
            (tmp / "labels").mkdir()
            for split in ("train", "val"):  # labels/<split>/<file_name>.txt beside images/<split>/<file_name>
                (tmp / "converted" / "labels" / split).rename(tmp / "labels" / split)
                for im in json.loads((ann / f"instances_{split}.json").read_text())["images"]:
                    link = tmp / "images" / split / im["file_name"]
                    link.parent.mkdir(parents=True, exist_ok=True)
                    os.symlink(root / "images" / split / Path(im["file_name"]).name, link)
            names = yaml.safe_load((root / "data.yaml").read_text())["names"]
            data = {"path": str(plain.parent), "train": "images/train", "val": "images/val", "names": names}
            (tmp / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return ours, plain


def _model_arg(name: str) -> str:
    return name if name.endswith((".yaml", ".pt")) else f"{name}.yaml"


# plain Ultralytics' `yolo` command in a fresh interpreter that never imports yolo_lat
_PLAIN_YOLO = "import sys; from ultralytics.cfg import entrypoint; sys.argv[0] = 'yolo'; entrypoint()"


def _yolo_lat(mode: str, args: dict, what: str, plain: bool = False) -> list[str]:
    """Run ``yolo-lat <mode> key=value ...`` (``plain``: Ultralytics' ``yolo <mode> ...``) in a fresh
    interpreter; returns the command as typed."""
    cmd = ["yolo" if plain else "yolo-lat", mode, *(f"{k}={v}" for k, v in args.items())]
    launch = [sys.executable, "-c", _PLAIN_YOLO] if plain else [sys.executable, "-m", "yolo_lat.cli"]
    proc = subprocess.run([*launch, *cmd[1:]], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return cmd


def _curve(results_csv: Path) -> list[dict]:
    with results_csv.open() as f:
        return [{k.strip(): float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]


def run_one(model: str, seed: int, out_dir: Path, project: Path, overrides: dict | None = None) -> dict:
    """Train ``model`` with the schedule (updated by ``overrides``) and ``seed``, then validate it;
    returns (and writes) the record."""
    from yolo_lat import YOLOLAT
    from yolo_lat.data.registry import resolve_data

    overrides = dict(overrides or {})
    plain_data = overrides.pop("plain_data", None)  # the plain side's own copy of a COCO-JSON dataset
    sched = {**schedule(overrides.pop("schedule_of", overrides.get("data", "shapes"))), **overrides}
    arch, _, trainer = model.partition("@")  # "yolo11n@ultralytics": trained by plain Ultralytics
    plain = trainer == "ultralytics"
    name = f"{Path(arch).stem}{'_plain' if plain else ''}_s{seed}"
    t0 = time.time()
    train_args = {"model": _model_arg(arch), **sched, "seed": seed, "project": project, "name": name, "exist_ok": True}
    if plain:  # the same arguments; the dataset by path (plain Ultralytics does not know datasets.yaml names)
        train_args["data"] = plain_data or resolve_data(sched["data"])
    cmd = _yolo_lat("train", train_args, f"training {name}", plain=plain)
    wall = time.time() - t0
    run = project / name
    val_cmd = _yolo_lat("val", {"model": run / "weights" / "best.pt", "data": sched["data"],
                         "imgsz": sched["imgsz"], "batch": 16, "conf": 0.001, "project": project,
                         "name": f"{name}_val", "exist_ok": True, "plots": False}, f"validating {name}")  # fmt: skip
    coco = json.loads((project / f"{name}_val" / "coco_eval.json").read_text())
    record = {
        "model": model,
        "seed": seed,
        "command": shlex.join(cmd),
        "val_command": shlex.join(val_cmd),
        "train_wall_s": round(wall, 1),
        # plain Ultralytics sets max(cpu_count - 1, 1) threads on a CPU device, whatever YOLO_LAT_THREADS says
        "threads": max((os.cpu_count() or 1) - 1, 1) if plain else os.environ.get("YOLO_LAT_THREADS") or "auto",
        "trainer": "ultralytics (yolo train)" if plain else "yolo-lat train",
        "params": count_params(YOLOLAT(run / "weights" / "best.pt").model),
        "curve": _curve(run / "results.csv"),
        "coco": {k: v for k, v in coco.items() if k != "ground_truth_generated"},
    }
    write_json(record, Path(out_dir) / f"{name}.json")
    return record


def load_runs(out_dir: Path = RUNS_DIR) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(Path(out_dir).glob("*_s*.json"))]


def runs_by_model(runs: list[dict]) -> dict[str, list[dict]]:
    """{model: its records, one per seed}."""
    out: dict[str, list[dict]] = {}
    for r in runs:
        out.setdefault(r["model"], []).append(r)
    return out


def mean_ap(runs: list[dict]) -> float:
    """mAP50-95 (pycocotools) averaged over the given records."""
    return statistics.mean(r["coco"]["AP"] for r in runs)


def run_campaign(models: list[str], seeds: list[int], out_dir: Path, project: Path,
                 log: Callable[[str], None] = print, overrides: dict | None = None) -> list[dict]:  # fmt: skip
    """Every (model, seed) not yet recorded in ``out_dir``, one after the other (``overrides``: data,
    epochs, ... for every run alike)."""
    done = {(r["model"], r["seed"]) for r in load_runs(out_dir)}
    for seed in seeds:
        for model in models:
            if (model, seed) in done:
                continue
            log(f"training {model} seed {seed} ...")
            rec = run_one(model, seed, out_dir, project, overrides)
            log(f"  {model} seed {seed}: AP {rec['coco']['AP']:.4f}, AP50 {rec['coco']['AP50']:.4f}, "
                f"{rec['train_wall_s'] / 60:.1f} min")  # fmt: skip
    return load_runs(out_dir)
