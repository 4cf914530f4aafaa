#!/usr/bin/env python
"""The repository's detector results: `yolo-lat benchmark`'s measurement, written into benchmarks/.

python tools/benchmark.py device=cpu models=yolo-lat-n,yolo-lat-t,yolo-lat-softmax-n,ablations/yolo-lat-neck-n,\
    yolo11n,yolo12n,yolo26n imgsz=320,640 batch=1 backends=torch,onnxruntime,openvino,openvino_int8
    -> benchmarks/results/detectors_cpu.json, benchmarks/detectors_cpu.md, benchmarks/latency_vs_imgsz_cpu.png
    (without models= every model of the zoo: hours on a 2-core CPU)
python tools/benchmark.py device=0 models=yolo-lat-n,yolo12n,yolo-lat-t,yolo26n time_limit=345
python tools/benchmark.py device=0 models=yolo11n,yolo-lat-softmax-n suffix=_run2   # detectors_cuda_run2.*
python tools/benchmark.py device=cpu models=yolo-lat-n,yolo-lat-t,yolo11n,yolo12n,yolo26n imgsz=640 batch=1 \
    backends=torch,onnxruntime,openvino,openvino_int8 suffix=_runtimes   # CPU runtimes, one process each
(The committed detectors_cuda*, detectors_cpu_runtimes and detectors_cpu_neck files were measured before
issue 15 moved the default: their yolo-lat-* models are today's ablations/yolo-lat-neck-*, renamed in them.)

Arguments: those of `yolo-lat benchmark` (device, models, imgsz, batch, time_limit, backends), and
suffix for a run kept beside another. CPU timings are valid on a quiet machine only: check
`cat /proc/loadavg` first (1-minute load below ~0.7); every row records the load it was measured under. A user's own run: `yolo-lat benchmark`, which writes runs/benchmark/<device>.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed

KEYS = ("device", "models", "imgsz", "batch", "time_limit", "backends", "suffix")


def main(argv=None) -> int:
    from tools.results import BENCHMARKS, RESULTS, key_values
    from yolo_lat.bench.run import device_tag, make_plan, write_results

    try:
        args = key_values(sys.argv[1:] if argv is None else argv, KEYS)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    name = f"{device_tag(args.get('device', 'cpu'))}{args.pop('suffix', '')}"
    try:
        plan = make_plan(**args)
        write_results(plan, RESULTS / f"detectors_{name}.json", BENCHMARKS / f"detectors_{name}.md",
                      BENCHMARKS / f"latency_vs_imgsz_{name}.png", log=print)  # fmt: skip
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
