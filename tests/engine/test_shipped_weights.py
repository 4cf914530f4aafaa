"""The shipped weights are found by name from any working directory and detect shapes."""

import os
import subprocess
import sys

import pytest

from yolo_lat import YOLOLAT
from yolo_lat.paths import REPO, SAMPLES_DIR

SHIPPED = sorted(p.name for p in (REPO / "weights").glob("*.pt"))


def test_both_models_are_shipped():
    assert {"yolo-lat-n.pt", "yolo-lat-t.pt"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weights_detect_the_samples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the repository
    model = YOLOLAT(name)
    assert model.ckpt_path == str(REPO / "weights" / name)
    results = model.predict(str(SAMPLES_DIR), imgsz=256, verbose=False)
    assert len(results) == len(list(SAMPLES_DIR.glob("*.jpg")))
    assert all(len(r.boxes) >= 1 for r in results)
    assert min(float(r.boxes.conf.max()) for r in results) > 0.5


def test_predict_works_out_of_the_box(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "yolo_lat.cli", "predict", f"project={tmp_path}", "name=p"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    saved = list((tmp_path / "p").glob("*.jpg"))
    assert len(saved) == len(list(SAMPLES_DIR.glob("*.jpg")))
