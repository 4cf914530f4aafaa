#!/usr/bin/env python
"""Regenerate the README's results section from the committed files under benchmarks/."""

import sys

from yolo_lat.bench.readme import update_readme
from yolo_lat.paths import REPO

if __name__ == "__main__":
    update_readme(REPO)
    print("README.md results section regenerated")
    sys.exit(0)
