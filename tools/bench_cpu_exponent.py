#!/usr/bin/env python
"""Issue 14's CPU target: what the exact exponent of the torch path costs.

Times ``ela_attention(backend="torch")`` (hadamard_exp, bidirectional, no autograd) against the plain
five-line stabilised form, which rounds q + M to float32 before exp, at the issue's shape
(B1 H4 L25600 D32 fp32) and the detector's sizes; and measures the accuracy that plain form loses
at q, k = 1e4 + N(0, 1) (float64 oracle). Run it on a quiet machine; it writes
benchmarks/results/attention_cpu_exponent.json:

    python tools/bench_cpu_exponent.py
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed

SHAPES = ((1, 4, 25600, 32), (1, 4, 400, 64), (1, 8, 1600, 32), (1, 8, 6400, 32), (16, 8, 1600, 32))


def plain(q, k, v):
    """The plain stabilised form: exp(q + M − m) with q + M rounded to the input dtype."""
    import torch

    big_m = k.amax(-2, keepdim=True)
    psi = torch.exp(k - big_m)
    x = q + big_m
    phi = torch.exp(x - x.amax(-1, keepdim=True))
    return (phi @ (psi.transpose(-1, -2) @ v)) / (phi @ psi.sum(-2).unsqueeze(-1))


def main(argv=None) -> int:
    import torch

    from tools.results import REPO
    from yolo_lat.bench.common import environment, time_callable, write_json
    from yolo_lat.ela.dispatch import ela_attention

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "attention_cpu_exponent.json")
    ap.add_argument("--budget", type=float, default=3.0, help="seconds per timed method and shape")
    args = ap.parse_args(argv)

    cpu = torch.device("cpu")
    rows = []
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for b, h, length, d in SHAPES:
            q, k, v = (torch.randn(b, h, length, d, generator=g) for _ in range(3))
            ours = time_callable(
                lambda q=q, k=k, v=v: ela_attention(q, k, v, backend="torch"), cpu, budget_s=args.budget
            )
            ref = time_callable(lambda q=q, k=k, v=v: plain(q, k, v), cpu, budget_s=args.budget)
            row = {
                "shape": f"B{b} H{h} L{length} D{d}",
                "dtype": "float32",
                "ela_torch": ours,
                "plain": ref,
                "ratio": ours["median_ms"] / ref["median_ms"],
            }
            rows.append(row)
            print(
                f"{row['shape']}: ela_torch {ours['median_ms']:.2f} ms, plain {ref['median_ms']:.2f} ms, "
                f"ratio {row['ratio']:.2f}",
                flush=True,
            )
        # accuracy at q, k = 1e4 + N(0, 1): relative error against the float64 computation
        q, k = (1e4 + torch.randn(1, 2, 300, 16, generator=g) for _ in range(2))
        v = torch.randn(1, 2, 300, 16, generator=g)
        exact = plain(q.double(), k.double(), v.double())
        scale = exact.abs().max()

        def rel(o):
            return float((o.double() - exact).abs().max() / scale)

        accuracy = {
            "case": "q, k = 1e4 + N(0,1), B1 H2 L300 D16 fp32, max abs error / max |o| vs float64",
            "ela_torch": rel(ela_attention(q, k, v, backend="torch")),
            "plain": rel(plain(q, k, v)),
        }
    print(f"accuracy at 1e4: ela_torch {accuracy['ela_torch']:.1e}, plain {accuracy['plain']:.1e}")
    write_json(
        {
            "benchmark": "ELA torch path (exact exponent) vs the plain stabilised form, CPU",
            "environment": environment(cpu),
            "torch_threads": torch.get_num_threads(),
            "target": "ratio <= 1.2 at B1 H4 L25600 D32 fp32 (issue 14)",
            "results": rows,
            "accuracy": accuracy,
        },
        args.out,
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
