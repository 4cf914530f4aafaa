"""tools/eval_coco.py: the statistics of yolo_lat.eval, printed and written to --out."""

import json
import subprocess
import sys

from tools.results import REPO
from yolo_lat.eval import evaluate_coco

GT = {
    "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 80}],
    "categories": [{"id": 5, "name": "cat"}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 5, "bbox": [10, 10, 30, 20], "area": 600, "iscrowd": 0}],
}
PRED = [{"image_id": 1, "category_id": 5, "bbox": [12, 10, 30, 20], "score": 0.9}]


def _run(*args):
    return subprocess.run([sys.executable, str(REPO / "tools" / "eval_coco.py"), *map(str, args)],
                          capture_output=True, text=True)  # fmt: skip


def test_writes_the_statistics(tmp_path):
    gt, pred, out = tmp_path / "gt.json", tmp_path / "pred.json", tmp_path / "e.json"
    gt.write_text(json.dumps(GT))
    pred.write_text(json.dumps(PRED))
    proc = _run(gt, pred, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text()) == {**evaluate_coco(gt, pred, per_class=True), "ground_truth": str(gt)}
    assert "cat  AP" in proc.stdout  # the per-class line


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    proc = _run(tmp_path / "missing.json", tmp_path / "p.json")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "missing.json" in proc.stderr


def test_merge_scores_classes_as_one(tmp_path):
    """--merge: a prediction of the wrong one of two merged classes counts as right."""
    gt = {**GT, "categories": [{"id": 5, "name": "cat"}, {"id": 6, "name": "lynx"}]}
    wrong = [{**PRED[0], "category_id": 6}]  # the cat's box, called a lynx
    g, p, out = tmp_path / "gt.json", tmp_path / "pred.json", tmp_path / "e.json"
    g.write_text(json.dumps(gt))
    p.write_text(json.dumps(wrong))
    assert _run(g, p).returncode == 0
    assert evaluate_coco(g, wrong)["AP"] <= 0  # no lynx in the ground truth, the cat missed
    proc = _run(g, p, "--merge", "cat,lynx", "--out", out)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert res["AP"] == evaluate_coco(g, [{**wrong[0], "category_id": 5}])["AP"] > 0.5
    assert list(res["per_class"]) == ["cat"] and res["merged"] == ["cat", "lynx"]
    bad = _run(g, p, "--merge", "cat,dog")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "unknown: ['dog']" in bad.stderr
