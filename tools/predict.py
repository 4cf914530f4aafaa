#!/usr/bin/env python
"""`yolo-lat predict` as a script: python tools/predict.py key=value ... (same arguments)."""

import sys

from yolo_lat.cli import main

if __name__ == "__main__":
    sys.exit(main(["predict", *sys.argv[1:]]))
