#!/usr/bin/env python
"""Training throughput (images/s) of detectors: forward + loss + backward + optimizer step on
synthetic batches, the same loop for every model.

    python tools/train_throughput.py --device cuda --imgsz 640 --batch 32
    -> benchmarks/results/train_throughput_<cpu|cuda>.json
"""

import argparse
import json
import sys
import time

import torch
from ultralytics.cfg import get_cfg

from yolo_lat.bench.common import environment
from yolo_lat.nn import YOLOLATDetectionModel
from yolo_lat.paths import REPO


def synthetic_batch(b, imgsz, device, nc=80, per_image=8):
    g = torch.Generator().manual_seed(0)
    n = b * per_image
    xy = torch.rand(n, 2, generator=g) * 0.8 + 0.1
    wh = torch.rand(n, 2, generator=g) * 0.15 + 0.05
    return {
        "img": torch.rand(b, 3, imgsz, imgsz, generator=g).to(device),
        "cls": torch.randint(0, nc, (n, 1), generator=g).float().to(device),
        "bboxes": torch.cat([xy, wh], 1).to(device),
        "batch_idx": torch.arange(b).repeat_interleave(per_image).float().to(device),
    }


def measure(name, device, imgsz, batch, steps, amp):
    model = YOLOLATDetectionModel(f"{name}.yaml", verbose=False).to(device).train()
    model.args = get_cfg()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    scaler = torch.amp.GradScaler(enabled=amp and device.type == "cuda")
    data = synthetic_batch(batch, imgsz, device)

    def step():
        with torch.autocast(device.type, enabled=amp and device.type == "cuda"):
            loss, _ = model.loss(data)
        scaler.scale(loss.sum()).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)

    for _ in range(3):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    return {"model": name, "images_per_s": steps * batch / dt, "step_ms": dt / steps * 1e3}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--no-amp", action="store_true")
    ap.add_argument(
        "--models", nargs="+", default=["yolo-lat-n", "yolo-lat-softmax-n", "yolo11n", "yolo12n", "yolo26n"]
    )
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    rows = []
    for m in args.models:
        rows.append(measure(m, device, args.imgsz, args.batch, args.steps, not args.no_amp))
        print(f"{m:22s} {rows[-1]['images_per_s']:8.1f} img/s  ({rows[-1]['step_ms']:.1f} ms/step)", flush=True)
    tag = "cuda" if device.type == "cuda" else "cpu"
    out = REPO / "benchmarks" / "results" / f"train_throughput_{tag}.json"
    out.write_text(json.dumps({"environment": environment(device), "imgsz": args.imgsz, "batch": args.batch,
                               "amp": not args.no_amp and device.type == "cuda", "steps": args.steps,
                               "results": rows}, indent=1))  # fmt: skip
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
