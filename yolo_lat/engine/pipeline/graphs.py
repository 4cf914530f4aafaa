"""The network replayed from CUDA graphs, one per input shape, while the shapes stay fixed.

A graph is captured the ``capture_after``-th time an input (shape, dtype, device) is seen, after
``warmup`` eager runs on a side stream (cuDNN and Triton pick their programs there, outside the
capture); at most ``max_graphs`` are kept, and inputs of any other shape run eagerly (a folder of
images of varying sizes in rect mode, say). A replay copies the input into the graph's static
buffer and returns a *copy* of its static output: the next replay overwrites that buffer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from ultralytics.utils import LOGGER

__all__ = ["GraphCache", "cuda_capture"]

Capture = Callable[[Callable[[torch.Tensor], torch.Tensor], torch.Tensor, int], tuple]


def cuda_capture(fn: Callable[[torch.Tensor], torch.Tensor], example: torch.Tensor, warmup: int) -> tuple:
    """(static input, static output, replay) of ``fn`` captured in a CUDA graph for ``example``'s shape."""
    static_in = example.clone()
    side = torch.cuda.Stream(example.device)
    side.wait_stream(torch.cuda.current_stream(example.device))
    with torch.cuda.stream(side):
        for _ in range(warmup):
            fn(static_in)
    torch.cuda.current_stream(example.device).wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_out = fn(static_in)
    return static_in, static_out, graph.replay


class GraphCache:
    """``fn(x)`` for a tensor ``x`` returning a tensor, replayed from a graph where one is captured.

    ``capture`` defaults to CUDA graphs for CUDA inputs (CPU inputs always run eagerly); tests pass
    their own to exercise the cache on CPU.
    """

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], max_graphs: int = 4, capture_after: int = 2,
                 warmup: int = 3, capture: Capture | None = None):  # fmt: skip
        if max_graphs < 0 or capture_after < 1 or warmup < 0:
            raise ValueError(
                f"max_graphs={max_graphs}, capture_after={capture_after}, warmup={warmup}: expected max_graphs >= 0, "
                "capture_after >= 1, warmup >= 0"
            )
        self.fn, self.max_graphs, self.capture_after, self.warmup = fn, max_graphs, capture_after, warmup
        self.capture = capture
        self.graphs: dict[tuple, tuple] = {}
        self.seen: dict[tuple, int] = {}
        self._full_logged = False

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        capture = self.capture or (cuda_capture if x.is_cuda else None)
        if capture is None:
            return self.fn(x)
        key = (tuple(x.shape), x.dtype, x.device)
        graph = self.graphs.get(key)
        if graph is None:
            self.seen[key] = self.seen.get(key, 0) + 1
            if self.seen[key] < self.capture_after or len(self.graphs) >= self.max_graphs:
                if len(self.graphs) >= self.max_graphs and not self._full_logged:
                    LOGGER.info(f"CUDA graphs: {len(self.graphs)} shapes captured; other shapes run eagerly")
                    self._full_logged = True
                return self.fn(x)
            graph = self.graphs[key] = capture(self.fn, x, self.warmup)
        static_in, static_out, replay = graph
        static_in.copy_(x)
        replay()
        return static_out.clone()

    def info(self) -> dict[str, Any]:
        """The captured shapes, for logs and benchmarks."""
        return {"graphs": [list(k[0]) for k in self.graphs], "max_graphs": self.max_graphs}
