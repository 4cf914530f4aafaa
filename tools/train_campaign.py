#!/usr/bin/env python
"""Train and evaluate models at equal budget on shapes, one JSON record per (model, seed).

    python tools/train_campaign.py accuracy      # yolo-lat-n/-t, softmax twin, YOLO11n, YOLO12n, YOLO26n
    python tools/train_campaign.py ablation      # first layout vs +Hyper-Link, +Memory Lobe, +MoE (both)
    python tools/train_campaign.py accuracy --seeds 0 1 --models yolo-lat-n yolo11n
    python tools/train_campaign.py variants --data shapes-dense --seeds 0 1 2   # issue 15's block variants
    python tools/train_campaign.py variants --models ablations/yolo-lat-tau-n yolo11n --epochs-factor 4
    python tools/train_campaign.py tiny --seeds 0 1 2   # yolo-lat-t and the first tiny layout vs YOLO26n
    python tools/train_campaign.py host --seeds 0 1 2   # YOLO11n: yolo-lat train vs plain `yolo train`
    python tools/train_campaign.py host --coco-json --seeds 0 1 2   # the same from the dataset's COCO JSON files

Records go to benchmarks/results/<data>_runs/ (<data>_x<factor>_runs for a longer budget; host_<data>[_coco]_runs
for the host campaign; a _cuda suffix when a GPU trains them) (runs already there are skipped, so an
interrupted campaign resumes); run folders to runs/campaign/ (runs/campaign-<tag>/ for another dataset, budget or
trainer, where <tag> is the records' folder name without _runs). Every model gets the schedule of
the main job: `train_defaults` of shapes in datasets.yaml.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed


def main(argv=None) -> int:
    from tools.results import REPO
    from tools.results.campaign import (
        ABLATION_MODELS,
        ACCURACY_MODELS,
        HOST_MODELS,
        TINY_VARIANT_MODELS,
        VARIANT_MODELS,
        coco_json_views,
        run_campaign,
        runs_dir,  # fmt: skip
        schedule,
    )

    lists = {"accuracy": ACCURACY_MODELS, "ablation": ABLATION_MODELS, "variants": VARIANT_MODELS,
             "tiny": TINY_VARIANT_MODELS, "host": HOST_MODELS}  # fmt: skip

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("campaign", choices=list(lists))
    ap.add_argument("--data", default="shapes", help="a datasets.yaml name (its train_defaults are the schedule)")
    ap.add_argument("--epochs-factor", type=int, default=1, help="the longer budget: this many times the epochs")
    ap.add_argument("--epochs", type=int, help="another number of epochs (the rest of the schedule unchanged)")
    ap.add_argument("--coco-json", action="store_true",
                    help="host campaign: ours trains from the dataset's COCO JSON files, plain Ultralytics from "
                    "the YOLO copy its own convert_coco makes of them")  # fmt: skip
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--models", nargs="+", help="subset of the campaign's models")
    ap.add_argument("--out", type=Path, help="default: benchmarks/results/<data>_runs")
    ap.add_argument("--project", type=Path,
                    help="run folders; default: runs/campaign for shapes at the standard budget, else "
                    "runs/campaign-<data>[_x<factor>]... so that no campaign overwrites another's weights")  # fmt: skip
    args = ap.parse_args(argv)
    models = args.models or lists[args.campaign]
    overrides = {"data": args.data}
    tag = args.data
    if args.epochs_factor != 1:
        overrides["epochs"] = schedule(args.data)["epochs"] * args.epochs_factor
        tag = f"{args.data}_x{args.epochs_factor}"
    if args.epochs:
        overrides["epochs"] = args.epochs
        tag = f"{tag}_e{args.epochs}"
    if args.coco_json:
        if args.campaign != "host":
            ap.error("--coco-json is for the host campaign")
        ours, plain = coco_json_views(args.data)
        overrides.update(data=str(ours), plain_data=str(plain), schedule_of=args.data)
        tag += "_coco"
    import torch

    if torch.cuda.is_available():  # GPU records apart from the CPU ones (Ultralytics trains on GPU 0)
        tag += "_cuda"
    project = args.project or REPO / "runs" / ("campaign" if tag == "shapes" else f"campaign-{tag}")
    out = args.out or (runs_dir(f"host_{tag}") if args.campaign == "host" else runs_dir(tag))
    run_campaign(models, args.seeds, out, project, log=lambda s: print(s, flush=True), overrides=overrides)
    return 0


if __name__ == "__main__":
    sys.exit(main())
