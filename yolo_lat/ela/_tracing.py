"""Whether the current code runs under tracing, scripting, ONNX export or compilation."""

from __future__ import annotations

import torch

__all__ = ["exporting"]


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
