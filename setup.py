"""Packaging hook: a wheel carries the repository-root assets under ``yolo_lat/_assets/``.

Everything else is declared in pyproject.toml. An editable install (``pip install -e .``) reads
``cfg/``, ``datasets.yaml`` and ``weights/`` from the checkout directly (yolo_lat/paths.py); a
regular install has no checkout, so ``build_py`` copies them into the package it builds.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
ASSETS = ("cfg", "datasets.yaml", "weights")


class BuildPyWithAssets(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # the checkout is on the path already
            return
        dest = Path(self.build_lib) / "yolo_lat" / "_assets"
        for name in ASSETS:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, dest / name, dirs_exist_ok=True)
            elif src.is_file():
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / name)


setup(cmdclass={"build_py": BuildPyWithAssets})
