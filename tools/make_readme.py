#!/usr/bin/env python
"""Regenerate the results section of benchmarks/README.md (and the plots it shows) from the committed
files under benchmarks/: the prose of benchmarks/results_section.md, filled from benchmarks/results/.

python tools/make_readme.py           # rewrite benchmarks/README.md between its results markers
python tools/make_readme.py --check   # only compare: exit 1 if it is not what the results give
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed


def main(argv=None) -> int:
    from tools.results.readme import update_readme

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare only; exit 1 if the section is stale")
    args = ap.parse_args(argv)
    changed = update_readme(check=args.check)
    if args.check:
        print(
            "benchmarks/README.md results section is stale: run python tools/make_readme.py"
            if changed
            else "up to date"
        )
        return int(changed)
    print("benchmarks/README.md results section regenerated" + ("" if changed else " (unchanged)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
