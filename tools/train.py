#!/usr/bin/env python
"""`yolo-lat train` as a script: python tools/train.py key=value ... (same arguments)."""

import sys

from yolo_lat.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
