#!/usr/bin/env python
"""Benchmark ELA attention (Triton, torch) against softmax (SDPA, FlashAttention) and the oracle.

python tools/bench_attention.py                      # CPU shapes -> benchmarks/results/attention_cpu.json
python tools/bench_attention.py --device cuda        # GPU shapes -> benchmarks/results/attention_cuda.json
python tools/bench_attention.py --device cuda --cases detector \
    --methods ela_triton_fused,ela_triton_split --out benchmarks/results/attention_cutover_cuda.json
                                                     # the fused/split cutover (launch.SEGMENT_ROWS)
"""

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed


def main(argv=None) -> int:
    from tools.results import BENCHMARKS, RESULTS
    from yolo_lat.bench.attention import (
        CUTOVER_METHODS,
        METHODS,
        attention_markdown,
        cpu_cases,
        detector_cases,
        gpu_cases,
        run_benchmark,
        save,
        speedups,
    )

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    ap.add_argument("--out", help="JSON path (default: benchmarks/results/attention_<device>.json)")
    ap.add_argument("--plot", help="PNG path (default: benchmarks/attention_<device>.png)")
    ap.add_argument("--methods", default=",".join(METHODS), help=f"comma list from {','.join(METHODS)}")
    ap.add_argument("--cases", default="all", choices=("all", "detector"),
                    help="all: the device's shape set; detector: yolo-lat's ELA layers at 640, channel-first")  # fmt: skip
    ap.add_argument("--budget", type=float, help="seconds of repeated runs per measurement")
    ap.add_argument("--min-runs", type=int, help="fewest timed runs per measurement (default: 100 GPU, 10 CPU)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    dev = args.device.split(":")[0]
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    bad = [m for m in methods if m not in METHODS + CUTOVER_METHODS]
    if bad:
        ap.error(f"unknown method(s) {bad}; expected some of {list(METHODS + CUTOVER_METHODS)}")
    cases = detector_cases() if args.cases == "detector" else (gpu_cases() if dev == "cuda" else cpu_cases())
    out = args.out or RESULTS / f"attention_{dev}.json"
    png = args.plot or BENCHMARKS / f"attention_{dev}.png"
    try:  # the JSON is rewritten after every row, so a run cut short keeps what it measured
        report = run_benchmark(args.device, cases=cases, methods=methods, budget_s=args.budget, min_runs=args.min_runs,
                               on_row=lambda rep: save(rep, out))  # fmt: skip
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    save(report, out, png)
    print(attention_markdown(report))
    for row in speedups(report, "ela_triton" if dev == "cuda" else "ela_torch"):
        print(f"{row['case']}: {row['speedup']:.1f}x faster than {row['baseline']}")
    print(f"wrote {out} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
