"""COCO evaluation: our statistics equal pycocotools called directly; bad ids and files are named;
ground truth from YOLO labels."""

import contextlib
import io
import json

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from yolo_lat.eval import STAT_NAMES, evaluate_coco, yolo_labels_to_coco

GT = {
    "images": [
        {"id": 7, "file_name": "a.jpg", "width": 100, "height": 80},
        {"id": 9, "file_name": "b.jpg", "width": 60, "height": 60},
    ],
    "categories": [{"id": 3, "name": "cat"}, {"id": 17, "name": "dog"}],
    "annotations": [
        {"id": 1, "image_id": 7, "category_id": 3, "bbox": [10, 10, 30, 20], "area": 600, "iscrowd": 0},
        {"id": 2, "image_id": 7, "category_id": 17, "bbox": [50, 30, 40, 40], "area": 1600, "iscrowd": 0},
        {"id": 3, "image_id": 9, "category_id": 3, "bbox": [5, 5, 50, 50], "area": 2500, "iscrowd": 0},
        {"id": 4, "image_id": 9, "category_id": 17, "bbox": [0, 40, 10, 10], "area": 100, "iscrowd": 0},
    ],
}
PRED = [
    {"image_id": 7, "category_id": 3, "bbox": [11, 9, 30, 22], "score": 0.9},
    {"image_id": 7, "category_id": 17, "bbox": [48, 33, 40, 35], "score": 0.8},
    {"image_id": 7, "category_id": 3, "bbox": [60, 5, 20, 20], "score": 0.3},
    {"image_id": 9, "category_id": 3, "bbox": [4, 8, 52, 45], "score": 0.7},
    {"image_id": 9, "category_id": 17, "bbox": [30, 30, 10, 10], "score": 0.6},
]


@pytest.fixture
def files(tmp_path):
    gt, pred = tmp_path / "gt.json", tmp_path / "pred.json"
    gt.write_text(json.dumps(GT))
    pred.write_text(json.dumps(PRED))
    return gt, pred


def test_equals_pycocotools_directly(files):
    gt, pred = files
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(str(gt))
        ev = COCOeval(coco_gt, coco_gt.loadRes(str(pred)), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    ours = evaluate_coco(gt, pred)
    assert list(ours) == list(STAT_NAMES)
    assert [ours[k] for k in STAT_NAMES] == [float(x) for x in ev.stats]
    assert 0 < ours["AP"] < 1


def test_per_class_equals_cocoeval_restricted_to_the_class(files):
    """Each category's AP/AP50 is what pycocotools gives when evaluating that category alone."""
    gt, pred = files
    ours = evaluate_coco(gt, pred, per_class=True)
    assert [ours[k] for k in STAT_NAMES] == [evaluate_coco(gt, pred)[k] for k in STAT_NAMES]
    assert set(ours["per_class"]) == {"cat", "dog"}
    for cid, name in ((3, "cat"), (17, "dog")):
        with contextlib.redirect_stdout(io.StringIO()):
            coco_gt = COCO(str(gt))
            ev = COCOeval(coco_gt, coco_gt.loadRes(str(pred)), "bbox")
            ev.params.catIds = [cid]
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        assert ours["per_class"][name]["AP"] == pytest.approx(ev.stats[0], abs=1e-12), name
        assert ours["per_class"][name]["AP50"] == pytest.approx(ev.stats[1], abs=1e-12), name
    assert ours["per_class"]["cat"]["AP"] != ours["per_class"]["dog"]["AP"]  # the two differ here
    empty = evaluate_coco(gt, [], per_class=True)["per_class"]
    assert empty == {"cat": {"AP": 0.0, "AP50": 0.0}, "dog": {"AP": 0.0, "AP50": 0.0}}


@pytest.mark.parametrize(
    "bad, match",
    [
        (
            {"image_id": 8, "category_id": 3, "bbox": [0, 0, 1, 1], "score": 0.5},
            "image_id 8, which is not in the ground truth",
        ),
        (
            {"image_id": 7, "category_id": 4, "bbox": [0, 0, 1, 1], "score": 0.5},
            "category_id 4, which is not in the ground truth",
        ),
    ],
)
def test_unknown_ids_are_named(files, bad, match):
    gt, _ = files
    with pytest.raises(ValueError, match=match):
        evaluate_coco(gt, [*PRED, bad])


def test_no_predictions_gives_zeros(files):
    gt, _ = files
    assert evaluate_coco(gt, []) == dict.fromkeys(STAT_NAMES, 0.0)


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="ground-truth file '.*nope.json' not found"):
        evaluate_coco(tmp_path / "nope.json", [])
    bad = tmp_path / "pred.json"
    bad.write_text("[{")
    (tmp_path / "gt.json").write_text(json.dumps(GT))
    with pytest.raises(ValueError, match="predictions file '.*pred.json' is not valid JSON"):
        evaluate_coco(tmp_path / "gt.json", bad)


def test_yolo_labels_to_coco_boxes_in_pixels(tmp_path):
    labels = [
        {"cls": np.array([[1]]), "bboxes": np.array([[0.5, 0.5, 0.2, 0.5]])},  # centre, 20 % x 50 %
        {"cls": np.zeros((0, 1)), "bboxes": np.zeros((0, 4))},
    ]
    gt, stems = yolo_labels_to_coco(["d/a.jpg", "d/b.png"], [(80, 100), (60, 60)], labels, {0: "cat", 1: "dog"})
    assert stems == {"a": 1, "b": 2}
    (ann,) = gt["annotations"]
    assert ann["image_id"] == 1 and ann["category_id"] == 2
    np.testing.assert_allclose(ann["bbox"], [40, 20, 20, 40])
    assert ann["area"] == pytest.approx(800)
    assert [c["id"] for c in gt["categories"]] == [1, 2]
    (tmp_path / "gt.json").write_text(json.dumps(gt))  # pycocotools takes it: a perfect prediction scores 1
    pred = [{"image_id": 1, "category_id": 2, "bbox": ann["bbox"], "score": 0.9}]
    assert evaluate_coco(tmp_path / "gt.json", pred)["AP"] == pytest.approx(1.0)
