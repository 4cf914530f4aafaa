"""The repository's results: where they are committed, the training campaigns that produce the
accuracy records, and the README's results section generated from them (dev-only code)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # the checkout these tools belong to
BENCHMARKS = REPO / "benchmarks"  # Markdown tables and plots
RESULTS = BENCHMARKS / "results"  # the measurements, one JSON file each

__all__ = ["BENCHMARKS", "REPO", "RESULTS", "key_values"]


def key_values(argv: list[str], keys: tuple[str, ...]) -> dict[str, str]:
    """Ultralytics-style ``key=value`` arguments; ValueError naming the first one that is not, or
    whose key is not among ``keys``."""
    args = {}
    for arg in argv:
        key, sep, value = arg.partition("=")
        if not sep or key not in keys:
            raise ValueError(f"'{arg}' is not key=value with a key among {', '.join(keys)}")
        args[key] = value
    return args
