#!/usr/bin/env python
"""Compile every ELA Triton program for a CUDA GPU architecture, on a machine without a GPU.

Triton's CPU interpreter (TRITON_INTERPRET=1, what CI runs the kernels with) accepts code that the
GPU compiler rejects: it once accepted plain-int globals that the H100's compiler refused. This
runs the real compiler (Triton IR -> PTX -> cubin, with the ptxas that ships in the Triton wheel)
for each program, kernel family and input precision, so such code fails here too.

python tools/compile_triton.py                 # sm_90 (H100/H200), fp16 inputs, every family
python tools/compile_triton.py --arch 80 --dtypes fp16,fp32,fp64
python tools/compile_triton.py --self-check    # also prove a plain-int global is rejected
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.pop("TRITON_INTERPRET", None)  # the real compiler, not the interpreter

import torch  # noqa: E402
import triton  # noqa: E402
import triton.language as tl  # noqa: E402
from triton.backends.compiler import GPUTarget  # noqa: E402
from triton.compiler import ASTSource  # noqa: E402

from yolo_lat.ela.triton import launch, programs  # noqa: E402

# (program, extra compile-time arguments): the fused forward with and without the state write
PROGRAMS = (("fwd_fused", {"STORE_STATE": True}), ("fwd_fused", {"STORE_STATE": False}), ("fwd_state", {}),
            ("fwd_out", {}), ("bwd_q", {}), ("bwd_kv", {}))  # fmt: skip
FAMILIES = launch.FAMILIES
INTS = {"H", "L", "D", "DV", "NSTATE", "NGRAD", "SEG_LEN", "NSEG", "NPROG"}
IO = {"Q", "K", "V", "O", "DO", "DQ", "DK", "DV_OUT"}  # tensors in the caller's dtype; the rest are fp32/fp64
COUNTERS = {"COUNT"}  # int32 counters of the in-kernel combine
DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32, "fp64": torch.float64}
_PTR = {torch.float16: "*fp16", torch.bfloat16: "*bf16", torch.float32: "*fp32", torch.float64: "*fp64"}


def compile_program(name: str, extra: dict, family: int, dtype: str, arch: int, d: int = 32, dv: int = 32) -> None:
    """Compile one program for ``sm_<arch>`` with the compile-time arguments the launcher would
    pass for (d, dv) inputs of ``dtype``; raises whatever the compiler raises."""
    fn = getattr(programs, name)
    tdt = DTYPES[dtype]
    cfg = launch.config(int(family), d, dv, (tdt, tdt, tdt), False)
    const = {k: v for k, v in {**cfg.meta, **cfg.dot, **extra}.items() if k != "num_warps"}
    sig = {}
    for arg in fn.arg_names:
        if arg in const:
            sig[arg] = "constexpr"
        elif arg.startswith("stride") or arg in INTS:
            sig[arg] = "i32"
        elif arg in COUNTERS:
            sig[arg] = "*i32"
        else:
            sig[arg] = _PTR[tdt] if arg in IO else _PTR[cfg.acc]
    const = {k: v for k, v in const.items() if k in fn.arg_names}
    triton.compile(ASTSource(fn, sig, const), target=GPUTarget("cuda", arch, 32), options={"num_warps": cfg.num_warps})


_PLAIN_INT = 3  # a plain int global: the GPU compiler must refuse it (the bug the interpreter hid)


@triton.jit
def _reads_plain_int(X):
    tl.store(X, _PLAIN_INT)


def self_check(arch: int) -> bool:
    """True when the compiler refuses a program that reads a plain-int global, i.e. this check can fail."""
    try:
        triton.compile(ASTSource(_reads_plain_int, {"X": "*i32"}, {}), target=GPUTarget("cuda", arch, 32))
    except Exception:
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", type=int, default=90, help="CUDA compute capability x10 (default: 90, Hopper)")
    ap.add_argument("--dtypes", default="fp16", help=f"comma list from {','.join(DTYPES)} (default: fp16)")
    ap.add_argument("--self-check", action="store_true", help="also prove that a plain-int global is refused")
    args = ap.parse_args(argv)
    dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    bad = [d for d in dtypes if d not in DTYPES]
    if bad:
        ap.error(f"unknown dtype(s) {bad}; expected some of {list(DTYPES)}")
    t0, failures, n = time.time(), [], 0
    for dtype in dtypes:
        for family in FAMILIES:
            for name, extra in PROGRAMS:
                n += 1
                try:
                    compile_program(name, extra, family, dtype, args.arch)
                except Exception as exc:  # report every failure, not only the first
                    failures.append(f"{name}{extra or ''} {family.name} {dtype}: {' '.join(str(exc).split())[:300]}")
    for f in failures:
        print(f"FAILED {f}", file=sys.stderr)
    print(f"sm_{args.arch}: {n - len(failures)} of {n} programs compiled in {time.time() - t0:.0f} s")
    if args.self_check:
        refused = self_check(args.arch)
        print(f"self-check: a plain-int global is {'refused' if refused else 'ACCEPTED (the check is blind)'}")
        if not refused:
            return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
