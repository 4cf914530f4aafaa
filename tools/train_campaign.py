#!/usr/bin/env python
"""Train and evaluate models at equal budget on shapes, one JSON record per (model, seed).

    python tools/train_campaign.py accuracy      # yolo-lat-n/-t, softmax twin, YOLO11n, YOLO12n, YOLO26n
    python tools/train_campaign.py ablation      # yolo-lat-n vs +Hyper-Link, +Memory Lobe, +MoE (both variants)
    python tools/train_campaign.py accuracy --seeds 0 1 --models yolo-lat-n yolo11n

Records go to benchmarks/results/shapes_runs/ (runs already there are skipped, so an
interrupted campaign resumes); run folders to runs/campaign/. Every model gets the schedule of
the main job: `train_defaults` of shapes in datasets.yaml.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed


def main(argv=None) -> int:
    from tools.results import REPO
    from tools.results.campaign import ABLATION_MODELS, ACCURACY_MODELS, RUNS_DIR, run_campaign

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("campaign", choices=["accuracy", "ablation"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--models", nargs="+", help="subset of the campaign's models")
    ap.add_argument("--out", type=Path, default=RUNS_DIR)
    ap.add_argument("--project", type=Path, default=REPO / "runs" / "campaign")
    args = ap.parse_args(argv)
    models = args.models or (ACCURACY_MODELS if args.campaign == "accuracy" else ABLATION_MODELS)
    run_campaign(models, args.seeds, args.out, args.project, log=lambda s: print(s, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
