#!/usr/bin/env python
"""`yolo-lat demo` as a script: python tools/webcam_demo.py source=0 [model=yolo-lat-n.pt] [show=False save=True]."""

import sys

from yolo_lat.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", *sys.argv[1:]]))
