"""The benchmark tooling on tiny inputs: a campaign record, the detector pipeline, reports."""

import json

import torch

from yolo_lat.bench.accuracy import load_runs, run_one
from yolo_lat.bench.attention import Case, run_benchmark
from yolo_lat.bench.detectors import Pipeline, Plan, build_model, measure, sample_images
from yolo_lat.bench.report import accuracy_table, detector_latency_table, gpu_goal_rows


def test_campaign_record(tiny_data, tmp_path):
    sched = {"data": str(tiny_data), "epochs": 1, "imgsz": 64, "batch": 4}
    rec = run_one("yolo-lat-t", 0, tmp_path / "out", tmp_path / "runs", schedule=sched)
    assert rec["command"].startswith("yolo-lat train model=yolo-lat-t.yaml")
    assert "seed=0" in rec["command"] and len(rec["curve"]) == 1
    assert 0.0 <= rec["coco"]["AP"] <= 1.0 and rec["params"] > 0
    assert load_runs(tmp_path / "out")[0]["model"] == "yolo-lat-t"
    assert "yolo-lat-t" in accuracy_table([rec], ["yolo-lat-t", "yolo11n"])


def test_pipeline_same_for_every_model():
    images = sample_images(2, (120, 160))
    for name in ("yolo-lat-t", "yolo26n"):
        model = build_model(name).fuse(verbose=False)
        pipe = Pipeline(lambda x: model(x), 64, torch.device("cpu"), end2end=bool(model.end2end))  # noqa: B023
        dets = pipe(images)
        assert len(dets) == 2 and all(d.shape[1] == 6 for d in dets)
        assert all((d[:, :4] >= 0).all() and (d[:, [0, 2]] <= 160).all() for d in dets)


def test_detector_benchmark_records_and_skips(tmp_path):
    plan = Plan(models=["yolo-lat-t"], imgszs=(64, 1280), batches=(1,), backends=("torch", "torch_fp16"),
                min_runs=2, budget_s=0.1, warmup=1)  # fmt: skip
    report = measure(plan, tmp_path / "d.json", log=lambda s: None)
    assert (
        json.loads((tmp_path / "d.json").read_text())["models"]["yolo-lat-t"]["params"] == 289_772
    )  # unfused, as the YAML header
    assert [(r["backend"], r["imgsz"]) for r in report["latency"]] == [("torch", 64), ("torch", 1280)]
    assert {s["backend"] for s in report["skipped"]} == {"torch_fp16"}  # needs a GPU, said so
    assert "yolo-lat-t" in detector_latency_table(report)


def test_attention_benchmark_runs_on_cpu():
    rep = run_benchmark("cpu", cases=[Case(1, 1, 64, 8)], methods=("ela_torch", "sdpa", "ela_triton"), budget_s=0.05,
                        min_runs=2)  # fmt: skip
    ran = {r["method"] for r in rep["results"] if "forward" in r}
    assert ran == {"ela_torch", "sdpa"}
    assert "interpreter" in next(r["skipped"] for r in rep["results"] if r["method"] == "ela_triton")


def test_detector_benchmark_time_limit_lists_models_not_reached(tmp_path):
    plan = Plan(models=["yolo-lat-t", "yolo26n"], imgszs=(64,), batches=(1,), min_runs=2, budget_s=0.05, warmup=1,
                time_limit=1e-9)  # fmt: skip
    report = measure(plan, tmp_path / "d.json", log=lambda s: None)
    assert {r["model"] for r in report["latency"]} == {"yolo-lat-t"}  # the first model always runs
    (miss,) = [s for s in report["skipped"] if s["model"] == "yolo26n"]
    assert "time limit" in miss["why"] and "yolo26n" not in report["models"]


def test_gpu_goal_rows_ratio():
    def row(model, backend, ms):
        t = {"median_ms": ms, "p90_ms": ms}
        return {"model": model, "backend": backend, "batch": 1, "imgsz": 1280, "forward": t, "end_to_end": t}

    det = {"latency": [row("yolo-lat-n", "cuda_graph_fp16", 1.0), row("yolo12n", "cuda_graph_fp16", 4.0),
                       row("yolo-lat-n", "torch", 3.0)]}  # fmt: skip
    table = gpu_goal_rows(det)
    assert "| cuda_graph_fp16, b1 | 1.00 | 4.00 | 0.25 |" in table
    assert "| torch, b1 | 3.00 | — | — |" in table  # no yolo12n row: no ratio invented
