"""What is running the ELA code: torch tracing/export/compilation, or Triton's CPU interpreter.

``exporting()`` makes the dispatch pick the plain torch path (only torch ops may appear in a
traced graph) and the linear path skip in-place arithmetic, except under ``torch.compile``
(``compiling()``), where the Triton path runs as a custom operator; ``interpreting()`` lets the Triton
backend run on CPU tensors (``TRITON_INTERPRET=1``, as the tests do without a GPU).
"""

from __future__ import annotations

import os

import torch

__all__ = ["compiling", "exporting", "interpreting"]


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


def compiling() -> bool:
    """True while ``torch.compile`` traces a model (and is not exporting it): the Triton path then
    runs as the custom operator ``yolo_lat::ela_forward``, which the compiler keeps in its graph."""
    compiler = getattr(torch, "compiler", None)
    if compiler is None:
        return False
    is_exporting = getattr(compiler, "is_exporting", None)
    if is_exporting is not None and is_exporting():
        return False
    is_compiling = getattr(compiler, "is_compiling", None)
    return bool(is_compiling is not None and is_compiling())


def interpreting() -> bool:
    """True when Triton runs its CPU interpreter (``TRITON_INTERPRET=1``)."""
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")
