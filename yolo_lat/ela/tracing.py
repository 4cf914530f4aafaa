"""What is running the ELA code: torch tracing/export/compilation, or Triton's CPU interpreter.

``exporting()`` makes the dispatch pick the plain torch path (only torch ops may appear in a
traced graph) and the linear path skip in-place arithmetic; ``interpreting()`` lets the Triton
backend run on CPU tensors (``TRITON_INTERPRET=1``, as the tests do without a GPU).
"""

from __future__ import annotations

import os

import torch

__all__ = ["exporting", "interpreting"]


def exporting() -> bool:
    """True while tracing, scripting, exporting to ONNX or compiling: only plain torch ops may run."""
    if torch.jit.is_tracing() or torch.jit.is_scripting():
        return True
    if torch.onnx.is_in_onnx_export():
        return True
    compiler = getattr(torch, "compiler", None)
    if compiler is not None:
        for name in ("is_compiling", "is_exporting", "is_dynamo_compiling"):
            fn = getattr(compiler, name, None)
            if fn is not None and fn():
                return True
    return False


def interpreting() -> bool:
    """True when Triton runs its CPU interpreter (``TRITON_INTERPRET=1``)."""
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")
