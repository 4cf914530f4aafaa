"""Measure the device inference pipeline (yolo_lat.bench.pipeline) and write its JSON.

python tools/bench_pipeline.py --device cuda          # -> benchmarks/results/pipeline_cuda.json
python tools/bench_pipeline.py --device cpu --tiny --out /tmp/pipeline_cpu.json   # a smoke run
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", help="cuda, cuda:1 or cpu")
    ap.add_argument("--out", type=Path, help="JSON file (default: benchmarks/results/pipeline_<cuda|cpu>.json)")
    ap.add_argument("--tiny", action="store_true", help="tiny sizes (a CPU check that everything runs)")
    ap.add_argument("--images", type=int, default=256, help="JPEG files predicted from (default 256)")
    ap.add_argument("--pipeline", choices=("auto", "on", "off"), default="auto",
                    help="yolo-lat predict's device pipeline: auto (on for CUDA), on (also on CPU), off")  # fmt: skip
    args = ap.parse_args(argv)
    from yolo_lat.bench.pipeline import measure_pipeline

    tag = "cuda" if args.device.startswith("cuda") else "cpu"
    out = args.out or ROOT / "benchmarks" / "results" / f"pipeline_{tag}.json"
    if tag == "cpu" and out.name.endswith("_cuda.json"):
        raise SystemExit(f"--out {out}: CPU figures never go into a *_cuda.json file")
    small = dict(configs=((1, 64), (2, 128)), frame_hw=(96, 128), predict_images=8, predict_batch=4,
                 predict_imgsz=64, repeats=1) if args.tiny else dict(predict_images=args.images)  # fmt: skip
    setting = {"auto": None, "on": True, "off": False}[args.pipeline]
    report = measure_pipeline(args.device, gpu_pipeline=setting, out_json=out, log=print, **small)
    ratios = ", ".join(f"{r['ratio']:.2f}" for r in report["latency"])
    print(f"wrote {out} (end-to-end / forward: {ratios}; predict vs Ultralytics {report['predict']['speedup']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
