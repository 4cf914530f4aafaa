"""The Triton code of ELA (arXiv 2605.18848): bidirectional forward and backward on the GPU.

- ``programs.py``: the ``@triton.jit`` programs, specialised on the kernel family;
- ``launch.py``: the host-side launcher (tiles, grids, L-segments, the combine of partial states);
- ``function.py``: the ``torch.autograd.Function`` that ``ela_attention(backend="triton")`` calls.

Importing this subpackage imports the real Triton (all imports of ``triton`` here are absolute);
``yolo_lat.ela`` imports it only when the Triton backend runs.
"""

from .function import ELATritonFunction, ela_triton

__all__ = ["ELATritonFunction", "ela_triton"]
