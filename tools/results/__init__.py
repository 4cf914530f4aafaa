"""The repository's results: where they are committed, the training campaigns that produce the
accuracy records, and the README's results section generated from them (dev-only code)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # the checkout these tools belong to
BENCHMARKS = REPO / "benchmarks"  # Markdown tables and plots
RESULTS = BENCHMARKS / "results"  # the measurements, one JSON file each

__all__ = ["BENCHMARKS", "REPO", "RESULTS"]
