#!/usr/bin/env python
"""Measure parameters and GFLOPs (640x640) of every scale of the YOLO-LAT model zoo.

python tools/measure_models.py            # print the table
python tools/measure_models.py --write    # also record it in each YAML's header
"""

import argparse
import sys

from yolo_lat.bench.zoo import measure_yaml, write_header, zoo_files
from yolo_lat.paths import REPO


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="update the YAML headers")
    ap.add_argument("files", nargs="*", help="model YAMLs (default: cfg/models/yolo-lat*.yaml)")
    args = ap.parse_args(argv)
    files = args.files or zoo_files(REPO / "cfg" / "models")
    for f in files:
        sizes = measure_yaml(f)
        for scale, v in sizes.items():
            print(
                f"{f.name if hasattr(f, 'name') else f:28s} {scale or '-':2s} {v['params']:>12,} params {v['gflops']:8.2f} GFLOPs"
            )
        if args.write:
            write_header(f, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
