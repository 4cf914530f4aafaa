#!/usr/bin/env python
"""Time the README's main job, `yolo-lat train` (YOLOLAT().train() with no arguments), from an
empty dataset cache, and record it.

python tools/time_main_job.py     # -> benchmarks/results/main_job_cpu.json
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed


def main() -> int:
    import torch

    from tools.results import RESULTS
    from yolo_lat import YOLOLAT
    from yolo_lat.bench.common import environment, write_json

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["YOLO_LAT_CACHE"] = str(Path(tmp) / "cache")  # the dataset is generated, as on first use
        t0 = time.time()
        metrics = YOLOLAT().train(project=f"{tmp}/runs", name="main")
        wall = time.time() - t0
    values = {k.replace("metrics/", ""): round(v, 4) for k, v in metrics.results_dict.items() if isinstance(v, float)}
    env = environment(torch.device("cpu"))
    out = write_json({"command": "yolo-lat train", "wall_s": round(wall, 1), "metrics": values,
                      "device": env["device"], "environment": env}, RESULTS / "main_job_cpu.json")  # fmt: skip
    print(f"{wall / 60:.1f} min, mAP50-95 {values.get('mAP50-95(B)')}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
