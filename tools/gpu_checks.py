#!/usr/bin/env python
"""Run the ELA test suite on a GPU (Triton kernels compiled for real, fp16/bf16 included) and
record the outcome: benchmarks/results/gpu_tests.json."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed


class Collect:
    """pytest plugin: the outcome of every test, by node id."""

    def __init__(self):
        self.outcomes = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            self.outcomes[report.nodeid] = report.outcome


def main() -> int:
    import pytest
    import torch

    from tools.results import REPO, RESULTS
    from yolo_lat.bench.common import environment, write_json

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
    out = write_json({"environment": environment(torch.device("cuda")), "suite": "tests/ela", "counts": counts,
                      "failed": failed}, RESULTS / "gpu_tests.json")  # fmt: skip
    print(counts, f"wrote {out}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
