"""A training campaign record on the tiny dataset, with the schedule of datasets.yaml."""

from tools.results.campaign import load_runs, run_campaign, run_one, schedule
from yolo_lat.data.registry import dataset_train_defaults


def test_schedule_is_datasets_yaml():
    sched = schedule()
    assert sched["data"] == "shapes" and dataset_train_defaults("shapes").items() <= sched.items()


def test_campaign_record(tiny_data, tmp_path):
    overrides = {"data": str(tiny_data), "epochs": 1, "imgsz": 64, "batch": 4}
    rec = run_one("yolo-lat-t", 0, tmp_path / "out", tmp_path / "runs", overrides=overrides)
    assert rec["command"].startswith("yolo-lat train model=yolo-lat-t.yaml")
    assert "seed=0" in rec["command"] and len(rec["curve"]) == 1
    assert 0.0 <= rec["coco"]["AP"] <= 1.0 and rec["params"] > 0
    assert load_runs(tmp_path / "out") == [rec]
    logged = []  # a recorded (model, seed) is not trained again
    assert run_campaign(["yolo-lat-t"], [0], tmp_path / "out", tmp_path / "runs", log=logged.append) == [rec]
    assert logged == []


def test_coco_json_views_give_both_sides_the_same_files(tiny_data, tmp_path, monkeypatch):
    """Issue 15's parity with the host on COCO JSON: ours converts the instances files itself, plain
    Ultralytics trains on the copy its own convert_coco writes; both see the same images, in the same
    order, with byte-identical labels."""
    from pathlib import Path

    from tools.results.campaign import coco_json_views
    from yolo_lat.data.registry import resolve_data

    monkeypatch.setenv("YOLO_LAT_CACHE", str(tmp_path / "cache"))
    ours, plain = coco_json_views(str(tiny_data))
    converted = Path(resolve_data(str(ours))).parent
    for split in ("train", "val"):
        a, b = converted / "images" / split, plain.parent / "images" / split
        assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir()) != []
        for lab in (plain.parent / "labels" / split).glob("*.txt"):
            assert (converted / "labels" / split / lab.name).read_bytes() == lab.read_bytes()
    assert coco_json_views(str(tiny_data)) == (ours, plain)  # made once
