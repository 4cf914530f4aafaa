#!/usr/bin/env python
"""Evaluate a COCO predictions file against a COCO ground-truth file with pycocotools.

python tools/eval_coco.py GT.json PRED.json [--out coco_eval.json] [--merge NAME,NAME...]

--merge scores the named classes as one (the first name), in the ground truth and the
predictions alike: e.g. shapes-dense's two star classes with the image's theme ignored.
"""

import argparse
import json
import sys

from yolo_lat.data.files import read_json
from yolo_lat.eval import evaluate_coco, format_table


def merge_classes(gt: dict, preds: list, names: list[str]) -> tuple[dict, list]:
    """``gt`` and ``preds`` with every class in ``names`` relabelled as the first of them."""
    ids = {c["name"]: c["id"] for c in gt["categories"]}
    unknown = [n for n in names if n not in ids]
    if len(names) < 2 or unknown:
        raise ValueError(f"--merge needs two or more class names of the ground truth; unknown: {unknown}, "
                         f"classes: {sorted(ids)}")  # fmt: skip
    into, merged = ids[names[0]], {ids[n] for n in names[1:]}

    def relabel(d: dict) -> dict:
        return {**d, "category_id": into} if d["category_id"] in merged else d

    gt = {**gt, "categories": [c for c in gt["categories"] if c["id"] not in merged],
          "annotations": [relabel(a) for a in gt["annotations"]]}  # fmt: skip
    return gt, [relabel(p) for p in preds]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ground_truth", help="COCO instances JSON")
    ap.add_argument("predictions", help="JSON list of {image_id, category_id, bbox, score}")
    ap.add_argument(
        "--out", help="write the 12 statistics, each class's AP/AP50 and the ground-truth path to this JSON file"
    )
    ap.add_argument("--merge", help="comma-separated class names scored as one class (the first name)")
    args = ap.parse_args(argv)
    try:
        gt, preds = args.ground_truth, args.predictions
        if args.merge:
            gt, preds = merge_classes(read_json(gt, "ground-truth file"), read_json(preds, "predictions file"),
                                      args.merge.split(","))  # fmt: skip
        stats = evaluate_coco(gt, preds, per_class=True)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    per_class = stats.pop("per_class")
    print(format_table(stats))
    for name, ap in per_class.items():
        print(f"{name:>20}  AP {ap['AP']:6.3f}  AP50 {ap['AP50']:6.3f}")
    if args.out:
        with open(args.out, "w") as f:
            extra = {"merged": args.merge.split(",")} if args.merge else {}
            json.dump({**stats, "per_class": per_class, "ground_truth": args.ground_truth, **extra}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
