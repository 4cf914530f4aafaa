#!/usr/bin/env python
"""`yolo-lat benchmark` as a script: python tools/benchmark.py device=cpu [models=a,b] [imgsz=320,640] [batch=1]."""

import sys

from yolo_lat.cli import main

if __name__ == "__main__":
    sys.exit(main(["benchmark", *sys.argv[1:]]))
