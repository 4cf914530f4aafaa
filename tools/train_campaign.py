#!/usr/bin/env python
"""Train and evaluate models at equal budget on shapes, one JSON record per (model, seed).

    python tools/train_campaign.py accuracy      # yolo-lat-n/-t, softmax twin, YOLO11n, YOLO12n, YOLO26n
    python tools/train_campaign.py ablation      # yolo-lat-n vs +Hyper-Link, +Memory Lobe, +MoE (both variants)
    python tools/train_campaign.py accuracy --seeds 0 1 --models yolo-lat-n yolo11n

Records go to benchmarks/results/shapes_runs/ (runs already there are skipped, so an
interrupted campaign resumes); run folders to runs/campaign/. The schedule is the main job's
(yolo_lat.bench.accuracy.SCHEDULE) for every model.
"""

import argparse
import sys
from pathlib import Path

from yolo_lat.bench.accuracy import ABLATION_MODELS, ACCURACY_MODELS, RESULTS_DIR, run_campaign
from yolo_lat.paths import REPO


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("campaign", choices=["accuracy", "ablation"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--models", nargs="+", help="subset of the campaign's models")
    ap.add_argument("--out", default=str(REPO / RESULTS_DIR))
    ap.add_argument("--project", default=str(REPO / "runs" / "campaign"))
    args = ap.parse_args(argv)
    models = args.models or (ACCURACY_MODELS if args.campaign == "accuracy" else ABLATION_MODELS)
    run_campaign(models, args.seeds, Path(args.out), Path(args.project), log=lambda s: print(s, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
