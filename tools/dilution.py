#!/usr/bin/env python
"""Attention dilution of YOLO-LAT's ELA layers against the softmax twin, on shapes validation images.

python tools/dilution.py                       # -> benchmarks/results/dilution_shapes.json + benchmarks/dilution_shapes.png
python tools/dilution.py --twin path/best.pt   # measure an existing softmax-twin checkpoint instead of training one
python tools/dilution.py --images 200 --val    # all 200 val images, the mAP of each measured model and of uniform rows
python tools/dilution.py --replot              # redraw the plot from the JSON

Per ELA layer and head, over every attention row of N validation images (yolo_lat.explain.dilution):
the mean normalised entropy (1 = uniform) and the effective number of attended positions exp(H).

Three models are measured, and the JSON records exactly which weights each was:
- ``ela``: the shipped weights (default weights/yolo-lat-n.pt, kernel hadamard_exp);
- ``kernel_swap``: the same weights with every ELA layer's kernel set to softmax, untrained — the
  same queries and keys read by the other kernel;
- ``softmax_twin``: a softmax-kernel model. No trained twin ships, so by default this script makes
  one: the ELA weights with the softmax kernel, fine-tuned for --twin-epochs on shapes (a short
  schedule, recorded in the JSON); --twin uses a checkpoint instead.

With --val, two more numbers (``probes``): the mAP of the ELA weights and of the twin with every row
made uniform (κ = 1, each query receives the mean of v): what the data-dependent mixing adds over
global average pooling.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import logging
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed

LOGGER = logging.getLogger("dilution")


def _sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _val_images(data_name: str, n: int) -> tuple[list, list[str]]:
    import yaml

    from yolo_lat.data.registry import resolve_data

    data = yaml.safe_load(Path(resolve_data(data_name)).read_text())
    files = sorted((Path(data["path"]) / data["val"]).glob("*.jpg"))[:n]
    if not files:
        raise FileNotFoundError(f"no validation images under {data['path']}/{data['val']}")
    return [cv2.imread(str(f)) for f in files], [f.name for f in files]


def _set_kernel(model: Any, kernel: str) -> None:
    """Every ELA layer of ``model`` (a YOLOLAT) to ``kernel``, and its YAML, so that training rebuilds it so."""
    from yolo_lat.explain import ela_layers

    for m in ela_layers(model.model).values():
        m.kernel = kernel
    model.model.yaml = copy.deepcopy(model.model.yaml)
    model.model.yaml.setdefault("ela", {})["kernel"] = kernel


def _train_twin(
    ela_weights: str, data: str, epochs: int, fraction: float, imgsz: int, lr0: float, project: Path
) -> tuple[Any, dict]:
    from yolo_lat import YOLOLAT

    twin = YOLOLAT(ela_weights)
    _set_kernel(twin, "softmax")
    settings = {"data": data, "epochs": epochs, "fraction": fraction, "imgsz": imgsz, "lr0": lr0, "close_mosaic": epochs,
                "warmup_epochs": 0.0, "workers": 0, "plots": False, "seed": 0, "project": str(project),
                "name": "softmax_twin", "exist_ok": True}  # fmt: skip
    start = time.perf_counter()
    twin.train(**settings)
    best = Path(twin.trainer.save_dir) / "weights" / "best.pt"
    record = {
        "how": f"{Path(ela_weights).name} with every ELA kernel set to softmax, fine-tuned {epochs} epoch(s) on "
        f"{fraction:.0%} of {data} train (a short schedule: no trained twin ships)",
        "train_settings": {
            **settings,
            "other": f"datasets.yaml {data} train_defaults (shapes: batch 16, nbs 16, AdamW)",
        },
        "train_wall_s": round(time.perf_counter() - start, 1),
        "weights": str(best),
        "sha256_16": _sha256(best),
    }
    return YOLOLAT(str(best)), record


def _given_twin(path: str, how: str | None) -> dict:
    """The record of a twin given with --twin, with the training arguments of its run when it has them."""
    import yaml

    record = {"how": how or "given with --twin", "weights": path, "sha256_16": _sha256(path)}
    run_args = Path(path).resolve().parent.parent / "args.yaml"  # <run>/weights/best.pt -> <run>/args.yaml
    if run_args.is_file():
        keep = ("model", "data", "epochs", "fraction", "imgsz", "batch", "nbs", "optimizer", "lr0", "close_mosaic",
                "warmup_epochs", "seed")  # fmt: skip
        train_args = yaml.safe_load(run_args.read_text()) or {}
        record["train_args"] = {k: train_args.get(k) for k in keep}
    return record


def _models(args: argparse.Namespace, ela_path: str) -> dict[str, tuple[Any, dict]]:
    from yolo_lat import YOLOLAT

    ela = YOLOLAT(ela_path)
    swap = YOLOLAT(ela_path)
    _set_kernel(swap, "softmax")
    shipped = {"weights": args.ela, "sha256_16": _sha256(ela_path)}
    given = "shipped" if args.ela == "yolo-lat-n.pt" else "the --ela"
    models = {
        "ela": (ela, {**shipped, "how": f"{given} weights, as trained (kernel {_kernels(ela)})"}),
        "kernel_swap": (swap, {**shipped, "how": "the ela weights with every kernel set to softmax, untrained"}),
    }
    if args.twin:
        models["softmax_twin"] = (YOLOLAT(args.twin), _given_twin(args.twin, args.twin_how))
    elif args.twin_epochs > 0:
        models["softmax_twin"] = _train_twin(
            ela_path, args.data, args.twin_epochs, args.twin_fraction, args.imgsz, args.lr0, Path(args.project)
        )
    return models


def _val_map(model: Any, data: str, imgsz: int, project: str, name: str) -> dict:
    """mAP50-95 on ``data``'s val split, overall and per class."""
    metrics = model.val(data=data, imgsz=imgsz, batch=16, plots=False, verbose=False, workers=0,
                        project=project, name=name, exist_ok=True)  # fmt: skip
    per_class = {metrics.names[int(c)]: round(float(metrics.box.maps[int(c)]), 4) for c in metrics.box.ap_class_index}
    return {"mAP50-95": round(float(metrics.box.map), 4), "per_class_mAP50-95": per_class}


def _kernels(model: Any) -> str:
    from yolo_lat.explain import ela_layers

    return ", ".join(sorted({m.kernel for m in ela_layers(model.model).values()}))


def _uniform_probe(weights: str, data: str, imgsz: int, project: str) -> dict:
    """mAP50-95 of ``weights`` with every attention row made uniform: the built-in ``uniform`` kernel
    κ(q, k) = 1 (φ = ψ = 1, an exact factorisation), so each query receives the plain mean of v over
    the positions (global average pooling) and the positional term and everything else are unchanged.
    The gap to the trained kernel is what the attention's data-dependent mixing adds."""
    from yolo_lat import YOLOLAT

    model = YOLOLAT(weights)
    _set_kernel(model, "uniform")
    scores = _val_map(model, data, imgsz, project, "val_uniform")
    how = "the weights with every kernel set to κ(q, k) = 1 (uniform rows: the mean of v), untrained"
    return {"how": how, **scores}


def _plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["results"]
    models = list(report["models"])
    keys = sorted({(r["layer"], r["head"]) for r in rows}, key=lambda k: (-rows_by(rows, k)[0]["stride"], k[1]))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    width = 0.8 / len(models)
    for i, model in enumerate(models):
        got = {(r["layer"], r["head"]): r for r in rows if r["model"] == model}
        xs = [j + (i - (len(models) - 1) / 2) * width for j in range(len(keys))]
        kernel = next(iter(got.values()))["kernel"]
        score = report["models"][model].get("mAP50-95")
        label = f"{model} ({kernel}" + (f", mAP50-95 {score:.3f})" if score is not None else ")")
        # models with other head counts (the heads variants beside a twin) leave the heads they lack empty
        nan = float("nan")
        entropy = [got[k]["normalized_entropy"]["mean"] if k in got else nan for k in keys]
        axes[0].bar(xs, entropy, width, label=label)
        axes[1].bar(xs, [got[k]["effective_fraction"] if k in got else nan for k in keys], width, label=label)
        floors = [got[k]["pooling_floor"]["mean"] for k in keys if "pooling_floor" in got.get(k, {})]
        if len(floors) == len(keys):
            axes[0].scatter(xs, floors, marker="_", s=120, color="black", zorder=3,
                            label=f"{model}: pooling floor min_d H(P_d)")  # fmt: skip
    labels = [f"{k[0].split('.')[1]}:h{k[1]}\nL={rows_by(rows, k)[0]['L']}" for k in keys]
    titles = ("mean normalised entropy of rows (1 = uniform)", "effective attended positions exp(H) / L")
    for ax, title in zip(axes, titles):
        ax.set_xticks(range(len(keys)), labels, fontsize=7)
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_ylim(0, 1.05)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("ELA layer (model row) : head, P5 -> P3")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, fontsize=8, frameon=False)
    data = report["data"].removesuffix(" val")
    fig.suptitle(f"attention dilution on {report['images']} {data} val images, imgsz {report['imgsz']}", fontsize=11)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def rows_by(rows: list[dict], key: tuple[str, int]) -> list[dict]:
    return [r for r in rows if (r["layer"], r["head"]) == key]


def main(argv: list[str] | None = None) -> int:
    from tools.results import BENCHMARKS, RESULTS
    from yolo_lat.bench.common import environment, write_json
    from yolo_lat.engine.weights import resolve_weights
    from yolo_lat.explain import measure_dilution

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ela", default="yolo-lat-n.pt", help="ELA weights (default: shipped yolo-lat-n.pt)")
    ap.add_argument("--twin", help="softmax-twin checkpoint to measure (default: fine-tune one)")
    ap.add_argument("--twin-how", help="how the --twin checkpoint was made (recorded in the JSON)")
    ap.add_argument("--twin-epochs", type=int, default=1, help="epochs of the twin fine-tune (0: no twin)")
    ap.add_argument("--twin-fraction", type=float, default=0.25, help="fraction of --data's train split the twin sees")
    ap.add_argument("--lr0", type=float, default=0.001, help="learning rate of the twin fine-tune")
    ap.add_argument("--project", default="/tmp/yolo-lat-dilution", help="where the twin is trained and val runs go")
    ap.add_argument("--images", type=int, default=50, help="validation images measured")
    ap.add_argument("--imgsz", type=int, default=256, help="input size (the shipped weights' training size)")
    ap.add_argument("--data", default="shapes", help="a datasets.yaml name or data YAML: its val images are measured")
    ap.add_argument("--val", action="store_true", help="also record each model's mAP50-95 on --data's val split")
    ap.add_argument("--out", default=str(RESULTS / "dilution_shapes.json"))
    ap.add_argument("--plot", default=str(BENCHMARKS / "dilution_shapes.png"))
    ap.add_argument("--replot", action="store_true", help="only redraw the plot from the JSON at --out")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.replot:
        _plot(json.loads(Path(args.out).read_text()), Path(args.plot))
        print(f"wrote {args.plot}")
        return 0

    images, names = _val_images(args.data, args.images)
    ela_path = resolve_weights(args.ela)
    models = _models(args, ela_path)
    report = {"command": shlex.join(["python", "tools/dilution.py", *(argv if argv is not None else sys.argv[1:])]),
              "environment": environment(__import__("torch").device("cpu")), "data": f"{args.data} val",
              "images": len(images), "first_image": names[0], "last_image": names[-1], "imgsz": args.imgsz,
              "measure": "per ELA layer and head, over every attention row of every image: normalized_entropy = "
                         "H/log L (1 = uniform), effective = exp(H) positions, peak = L*max weight; mean and "
                         "p10/p50/p90 over rows", "models": {}, "results": []}  # fmt: skip
    for key, (model, record) in models.items():
        start = time.perf_counter()
        for row in measure_dilution(model.model, images, args.imgsz):
            report["results"].append({"model": key, **row})
        record["measure_wall_s"] = round(time.perf_counter() - start, 1)
        if args.val:
            record.update(_val_map(model, args.data, args.imgsz, args.project, f"val_{key}"))
        report["models"][key] = record
        LOGGER.info(f"{key}: {record}")
    if args.val:  # uniform rows in the ELA weights and, where there is one, in the softmax twin's
        report["probes"] = {"uniform": _uniform_probe(ela_path, args.data, args.imgsz, args.project)}
        if "softmax_twin" in report["models"]:
            twin = report["models"]["softmax_twin"]["weights"]
            twin_probe = _uniform_probe(twin, args.data, args.imgsz, args.project)
            report["probes"]["twin_uniform"] = {**twin_probe, "weights": twin}
        LOGGER.info(f"probes: {report['probes']}")
    write_json(report, args.out)
    _plot(report, Path(args.plot))
    print(f"wrote {args.out} and {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
