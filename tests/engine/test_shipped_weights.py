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


def test_a_path_with_a_missing_folder_is_an_error(tmp_path):
    """Only a bare name falls back to the shipped weights: a path means that file."""
    from tests.cli_helpers import one_line_error, run_cli

    missing = "/some/dir/that/does/not/exist/yolo-lat-n.pt"
    line = one_line_error(run_cli("predict", f"model={missing}", cwd=tmp_path), missing)
    assert "folder /some does not exist" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("given", ["sub/yolo-lat-n.pt", "./missing/yolo-lat-n.pt", "https://example.com/yolo-lat-n.pt"])
def test_only_bare_names_fall_back(given, tmp_path, monkeypatch):
    from yolo_lat.engine.weights import resolve_weights

    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()  # an existing folder without the file is no different
    with pytest.raises(FileNotFoundError, match="not found|does not download"):
        resolve_weights(given)
    assert resolve_weights("yolo-lat-n.pt") == str(REPO / "weights" / "yolo-lat-n.pt")
    assert resolve_weights("yolo-lat-n") == str(REPO / "weights" / "yolo-lat-n.pt")


@pytest.mark.parametrize("name", ["yolo-lat-n.pt", "yolo-lat-t.pt"])
def test_shipped_weights_have_the_default_layout(name):
    """The shipped files are today's yolo-lat-n/t (ELA at P5 only), not an older layout: the same
    modules and tensor shapes as the YAML built fresh with the checkpoint's classes."""
    from yolo_lat.nn import YOLOLATDetectionModel

    shipped = YOLOLAT(name).model
    fresh = YOLOLATDetectionModel(name.replace(".pt", ".yaml"), nc=len(shipped.names), verbose=False)
    assert [type(m).__name__ for m in shipped.model] == [type(m).__name__ for m in fresh.model]
    want = {k: v.shape for k, v in fresh.state_dict().items()}
    assert {k: v.shape for k, v in shipped.state_dict().items()} == want
