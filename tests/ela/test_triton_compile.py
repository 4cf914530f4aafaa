"""The Triton programs compile for a real GPU (sm_90), on this machine without one.

CI runs the programs in Triton's CPU interpreter, which accepts code the GPU compiler rejects (it
once accepted plain-int globals that the H100's compiler refused). tools/compile_triton.py runs the
real compiler down to a cubin for every program and kernel family, and proves on a deliberately bad
program that the compiler does refuse what the interpreter lets through.
"""

import os
import subprocess
import sys

import pytest

from yolo_lat.paths import REPO

triton = pytest.importorskip("triton")


def _has_cuda_backend() -> bool:
    try:
        from triton.backends import backends

        return "nvidia" in backends
    except ImportError:
        return False


@pytest.mark.skipif(not _has_cuda_backend(), reason="this Triton build has no NVIDIA backend")
def test_every_program_compiles_for_sm90_and_bad_code_is_refused():
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "compile_triton.py"), "--arch", "90", "--self-check"],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "24 of 24 programs compiled" in proc.stdout
    assert "plain-int global is refused" in proc.stdout
