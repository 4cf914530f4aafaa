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

import triton  # noqa: E402
import triton.language as tl  # noqa: E402
from triton.backends.compiler import GPUTarget  # noqa: E402
from triton.compiler import ASTSource  # noqa: E402

from yolo_lat.ela.kernel_maps import KernelFamily  # noqa: E402
from yolo_lat.ela.triton import programs  # noqa: E402

PROGRAMS = ("fwd_state", "fwd_out", "bwd_state", "bwd_dq", "bwd_dk", "bwd_dv")
FAMILIES = (KernelFamily.HADAMARD_EXP, KernelFamily.SUM_SQEUCLID, KernelFamily.SUB_SQEUCLID, KernelFamily.FEATURES)
CONSTEXPRS = ("FAMILY", "BLOCK_L", "BLOCK_D", "BLOCK_E", "ACC", "PRECISION")
INTS = {"H", "L", "D", "DV", "SEG_LEN", "NSEG", "ND", "NE"}
IO = {"Q", "K", "V", "O", "DO", "DQ", "DK", "DV_OUT"}  # tensors in the caller's dtype; the rest are fp32/fp64
# input pointer type, accumulator, tl.dot precision: as the launcher chooses them
DTYPES = {"fp16": ("*fp16", tl.float32, "tf32"), "bf16": ("*bf16", tl.float32, "tf32"),
          "fp32": ("*fp32", tl.float32, "ieee"), "fp64": ("*fp64", tl.float64, "ieee")}  # fmt: skip


def compile_program(fn, family: int, dtype: str, arch: int) -> None:
    """Compile one program for ``sm_<arch>``; raises whatever the compiler raises."""
    ptr, acc, precision = DTYPES[dtype]
    acc_ptr = "*fp64" if acc is tl.float64 else "*fp32"
    sig = {}
    for name in fn.arg_names:
        if name in CONSTEXPRS:
            sig[name] = "constexpr"
        elif name.startswith("stride") or name in INTS:
            sig[name] = "i32"
        else:
            sig[name] = ptr if name in IO else acc_ptr
    const = {"FAMILY": int(family), "BLOCK_L": 32 if acc is tl.float64 else 64, "BLOCK_D": 32, "BLOCK_E": 32,
             "ACC": acc, "PRECISION": precision}  # fmt: skip
    triton.compile(ASTSource(fn, sig, const), target=GPUTarget("cuda", arch, 32), options={"num_warps": 4})


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
            for name in PROGRAMS:
                n += 1
                try:
                    compile_program(getattr(programs, name), family, dtype, args.arch)
                except Exception as exc:  # report every failure, not only the first
                    failures.append(f"{name} {family.name} {dtype}: {' '.join(str(exc).split())[:300]}")
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
