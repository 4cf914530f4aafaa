#!/usr/bin/env python
"""Training throughput (images/s) of detectors: forward + loss + backward + optimizer step on
synthetic batches, the same loop for every model.

    python tools/train_throughput.py --device cuda --imgsz 640 --batch 32
    -> benchmarks/results/train_throughput_<cpu|cuda>.json
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed


def main(argv=None) -> int:
    import torch

    from tools.results import RESULTS
    from yolo_lat.bench.common import environment, write_json
    from yolo_lat.bench.models import SMALL_MODELS
    from yolo_lat.bench.training import train_throughput

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--no-amp", action="store_true")
    ap.add_argument("--models", nargs="+", default=[m for m in SMALL_MODELS if m != "yolo-lat-t"])
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    rows = []
    for m in args.models:
        rows.append(train_throughput(m, device, args.imgsz, args.batch, args.steps, amp=not args.no_amp))
        print(f"{m:22s} {rows[-1]['images_per_s']:8.1f} img/s  ({rows[-1]['step_ms']:.1f} ms/step)", flush=True)
    tag = "cuda" if device.type == "cuda" else "cpu"
    out = write_json({"environment": environment(device), "imgsz": args.imgsz, "batch": args.batch,
                      "amp": not args.no_amp and device.type == "cuda", "steps": args.steps, "results": rows},
                     RESULTS / f"train_throughput_{tag}.json")  # fmt: skip
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
