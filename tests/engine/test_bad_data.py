"""Corrupt images and malformed labels among good ones: a warning and a skip, as Ultralytics
users expect; an empty split: a clear error."""

import json
import shutil

import yaml

from tests.cli_helpers import one_line_error, run_cli
from yolo_lat import YOLOLAT


def copy_dataset(tiny_data, dst):
    shutil.copytree(tiny_data.parent, dst)
    d = yaml.safe_load((dst / "data.yaml").read_text())
    d["path"] = str(dst)
    d.pop("coco_json", None)  # evaluate against labels: the COCO JSON describes the pristine copy
    (dst / "data.yaml").write_text(yaml.safe_dump(d))
    return dst / "data.yaml"


def test_corrupt_image_and_bad_label_are_skipped(trained_run, tiny_data, tmp_path, caplog):
    run, _ = trained_run
    data = copy_dataset(tiny_data, tmp_path / "ds")
    (tmp_path / "ds" / "images" / "val" / "val_000001.jpg").write_bytes(b"this is not a jpeg")
    (tmp_path / "ds" / "labels" / "val" / "val_000002.txt").write_text("0 0.5 0.5\n")  # 3 values, not 5
    metrics = YOLOLAT(run / "weights" / "best.pt").val(data=str(data), imgsz=64, batch=4, plots=False,
                                                       project=str(tmp_path), name="v")  # fmt: skip
    assert metrics is not None
    text = caplog.text
    assert "val_000001.jpg" in text and "val_000002" in text and "ignoring corrupt image/label" in text
    gt = json.loads((tmp_path / "v" / "ground_truth.json").read_text())
    assert len(gt["images"]) == 4  # the two broken files were skipped, the other four evaluated


def test_empty_split_is_a_clear_error(trained_run, tiny_data, tmp_path):
    run, _ = trained_run
    data = copy_dataset(tiny_data, tmp_path / "empty")
    for f in (tmp_path / "empty" / "images" / "val").iterdir():
        f.unlink()
    proc = run_cli("val", f"model={run / 'weights' / 'best.pt'}", f"data={data}", "imgsz=64", f"project={tmp_path}")
    one_line_error(proc, "images")
