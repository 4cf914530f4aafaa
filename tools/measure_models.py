#!/usr/bin/env python
"""Measure parameters and GFLOPs (640x640) of every scale of the YOLO-LAT model zoo.

python tools/measure_models.py            # print the table
python tools/measure_models.py --write    # also record it in each YAML's header
python tools/measure_models.py --check    # exit 1 if a YAML's header differs from the measurement
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed


def main(argv=None) -> int:
    from tools.results.zoo import header_sizes, write_header, zoo_files
    from yolo_lat.bench.models import yaml_sizes

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="update the YAML headers")
    ap.add_argument("--check", action="store_true", help="compare the YAML headers with the measurement")
    ap.add_argument("files", nargs="*", type=Path, help="model YAMLs (default: cfg/models/yolo-lat*.yaml)")
    args = ap.parse_args(argv)
    stale = []
    for f in args.files or zoo_files():
        sizes = yaml_sizes(f)
        for scale, v in sizes.items():
            print(f"{f.name:28s} {scale or '-':2s} {v['params']:>12,} params {v['gflops']:8.2f} GFLOPs")
        if args.check and header_sizes(f) != {s: v["params"] for s, v in sizes.items()}:
            stale.append(f.name)
        if args.write:
            write_header(f, sizes)
    if stale:
        print(f"headers differ from the measurement: {', '.join(stale)}; run tools/measure_models.py --write")
    return int(bool(stale))


if __name__ == "__main__":
    sys.exit(main())
