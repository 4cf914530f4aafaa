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
