"""Measuring YOLO-LAT against other detectors and ELA against softmax attention.

- ``run.benchmark``: what ``yolo-lat benchmark`` runs (``detectors``: the same preprocess + forward +
  NMS pipeline timed for every model and backend), writing into ``runs/benchmark/<device>``;
- ``attention.run_benchmark``: ELA (Triton, torch) against SDPA, FlashAttention and the quadratic oracle;
- ``training.train_throughput``: images per second of a training step;
- ``common``: timing, peak memory, copy bandwidth and the environment a figure was measured in;
  ``models``: the compared models and their sizes; ``tables`` and ``plots``: a report's Markdown and PNG.
"""
