#!/usr/bin/env python
"""Evaluate a COCO predictions file against a COCO ground-truth file with pycocotools.

python tools/eval_coco.py GT.json PRED.json [--out coco_eval.json]
"""

import argparse
import json
import sys

from yolo_lat.eval import evaluate_coco, format_table


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ground_truth", help="COCO instances JSON")
    ap.add_argument("predictions", help="JSON list of {image_id, category_id, bbox, score}")
    ap.add_argument(
        "--out", help="write the 12 statistics, each class's AP/AP50 and the ground-truth path to this JSON file"
    )
    args = ap.parse_args(argv)
    try:
        stats = evaluate_coco(args.ground_truth, args.predictions, per_class=True)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    per_class = stats.pop("per_class")
    print(format_table(stats))
    for name, ap in per_class.items():
        print(f"{name:>20}  AP {ap['AP']:6.3f}  AP50 {ap['AP50']:6.3f}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({**stats, "per_class": per_class, "ground_truth": args.ground_truth}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
