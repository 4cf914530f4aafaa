#!/usr/bin/env python
"""Time the README's main job, `yolo-lat train`, from an empty dataset cache, and record it.

python tools/time_main_job.py     # -> benchmarks/results/main_job_cpu.json
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from yolo_lat.bench.common import environment
from yolo_lat.paths import REPO


def main() -> int:
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "YOLO_LAT_CACHE": str(Path(tmp) / "cache")}
        t0 = time.time()
        proc = subprocess.run(["yolo-lat", "train", f"project={tmp}/runs", "name=main"], env=env, capture_output=True,
                              text=True, cwd=tmp)  # fmt: skip
        wall = time.time() - t0
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return 1
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("metrics:"))
    metrics = {k.replace("metrics/", ""): float(v) for k, v in re.findall(r"(\S+)=([\d.]+)", line)}
    out = {
        "command": "yolo-lat train",
        "wall_s": round(wall, 1),
        "metrics": metrics,
        "device": environment(torch.device("cpu"))["device"],
        "environment": environment(torch.device("cpu")),
    }
    path = REPO / "benchmarks" / "results" / "main_job_cpu.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"{wall / 60:.1f} min, mAP50-95 {metrics.get('mAP50-95(B)')}; wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
