#!/usr/bin/env python
"""`yolo-lat val` as a script: python tools/val.py key=value ... (same arguments)."""

import sys

from yolo_lat.cli import main

if __name__ == "__main__":
    sys.exit(main(["val", *sys.argv[1:]]))
