"""Standalone val writes predictions.json (original ids) and coco_eval.json (pycocotools)."""

import json
import shutil

import yaml

from tests.data.common import make_coco_copy
from yolo_lat import YOLOLAT
from yolo_lat.eval import STAT_NAMES, evaluate_coco


def _val(trained_run, data, tmp_path, name):
    run, _ = trained_run
    model = YOLOLAT(run / "weights" / "best.pt")
    model.val(data=str(data), imgsz=64, batch=4, conf=0.001, project=str(tmp_path), name=name, plots=False)
    out = tmp_path / name
    return json.loads((out / "predictions.json").read_text()), json.loads((out / "coco_eval.json").read_text()), out


def test_val_on_shapes_uses_its_coco_json(trained_run, tiny_data, tmp_path):
    preds, ev, out = _val(trained_run, tiny_data, tmp_path, "v1")
    gt_path = tiny_data.parent / "annotations" / "instances_val.json"
    assert ev["ground_truth"] == str(gt_path) and ev["ground_truth_generated"] is False
    assert set(STAT_NAMES) <= set(ev)
    gt = json.loads(gt_path.read_text())
    assert {p["image_id"] for p in preds} <= {im["id"] for im in gt["images"]}
    assert {p["category_id"] for p in preds} <= {c["id"] for c in gt["categories"]}
    # the file's statistics are pycocotools' on the same files
    again = evaluate_coco(gt_path, out / "predictions.json", per_class=True)
    assert all(abs(again[k] - ev[k]) < 1e-12 for k in STAT_NAMES)
    assert ev["per_class"] == again["per_class"] and set(ev["per_class"]) == {c["name"] for c in gt["categories"]}


def test_val_on_coco_json_maps_back_to_original_ids(trained_run, tiny_data, tmp_path, monkeypatch):
    monkeypatch.setenv("YOLO_LAT_CACHE", str(tmp_path / "cache"))
    data = make_coco_copy(tiny_data, tmp_path, cat_ids=(3, 7, 11, 20, 42, 99), id_offset=1000)
    preds, ev, _ = _val(trained_run, data, tmp_path, "v2")
    assert preds, "expected detections at conf=0.001"
    assert {p["image_id"] for p in preds} <= set(range(1001, 1007))
    assert {p["category_id"] for p in preds} <= {3, 7, 11, 20, 42, 99}
    assert ev["ground_truth"] == str((data.parent / "annotations" / "instances_val.json").resolve())
    # a box in original pixels: images are 64x64
    assert all(0 <= p["bbox"][0] <= 64 and p["bbox"][2] <= 64.5 for p in preds)


def test_val_on_plain_yolo_labels_generates_ground_truth(trained_run, tiny_data, tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(tiny_data.parent / "images", plain / "images")
    shutil.copytree(tiny_data.parent / "labels", plain / "labels")
    d = yaml.safe_load(tiny_data.read_text())
    (plain / "data.yaml").write_text(
        yaml.safe_dump({"path": str(plain), "train": "images/train", "val": "images/val", "names": d["names"]})
    )
    preds, ev, out = _val(trained_run, plain / "data.yaml", tmp_path, "v3")
    assert ev["ground_truth_generated"] is True and (out / "ground_truth.json").is_file()
    gt = json.loads((out / "ground_truth.json").read_text())
    assert len(gt["images"]) == 6 and {c["id"] for c in gt["categories"]} == set(range(1, 7))
    # same boxes as the shapes COCO JSON (up to the 6-decimal YOLO label rounding)
    orig = json.loads((tiny_data.parent / "annotations" / "instances_val.json").read_text())
    assert len(gt["annotations"]) == len(orig["annotations"])
