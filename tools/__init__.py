"""The repository's own tooling, not part of the installed package: thin scripts over ``yolo_lat``
(``python tools/<script>.py``) and ``tools.results``, which produces the committed results under
``benchmarks/`` and the README's results section."""
