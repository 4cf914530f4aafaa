#!/usr/bin/env python
"""Run the ELA test suite on a GPU (Triton kernels compiled for real, fp16/bf16 included) and
record the outcome: benchmarks/results/gpu_tests.json."""

import json
import sys

import pytest
import torch

from yolo_lat.bench.common import environment
from yolo_lat.paths import REPO


class Collect:
    def __init__(self):
        self.outcomes = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            self.outcomes[report.nodeid] = report.outcome


def main() -> int:
    if not torch.cuda.is_available():
        print("no CUDA GPU: nothing to check here (CPU CI runs the interpreter)", file=sys.stderr)
        return 2
    c = Collect()
    args = ["-q", "-p", "no:cacheprovider", str(REPO / "tests" / "ela")]
    try:  # several pytest workers share the GPU; compile time dominates, so this is faster
        import xdist  # noqa: F401

        args += ["-n", "4"]
    except ImportError:
        pass
    code = pytest.main(args, plugins=[c])
    counts = {k: sum(v == k for v in c.outcomes.values()) for k in ("passed", "failed", "skipped")}
    failed = sorted(n for n, v in c.outcomes.items() if v == "failed")
    out = REPO / "benchmarks" / "results" / "gpu_tests.json"
    out.write_text(json.dumps({"environment": environment(torch.device("cuda")), "suite": "tests/ela",
                               "counts": counts, "failed": failed}, indent=1))  # fmt: skip
    print(counts, f"wrote {out}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
