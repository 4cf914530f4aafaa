#!/usr/bin/env python
"""`yolo-lat export` as a script: python tools/export.py key=value ... (same arguments)."""

import sys

from yolo_lat.cli import main

if __name__ == "__main__":
    sys.exit(main(["export", *sys.argv[1:]]))
