"""The detector benchmark on tiny inputs: one pipeline for every model, what is recorded and skipped,
and where `yolo-lat benchmark` writes."""

import json
from pathlib import Path

import pytest
import torch

from yolo_lat import _ultralytics as ul
from yolo_lat.bench import run
from yolo_lat.bench.detectors import Pipeline, Plan, measure, sample_images
from yolo_lat.bench.models import build_model, count_params
from yolo_lat.paths import PACKAGE, REPO


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
    written = json.loads((tmp_path / "d.json").read_text())
    assert written["models"]["yolo-lat-t"]["params"] == count_params(build_model("yolo-lat-t"))  # before fusion
    assert [(r["backend"], r["imgsz"]) for r in report["latency"]] == [("torch", 64), ("torch", 1280)]
    assert {(s["backend"], s["imgsz"]) for s in report["skipped"]} == {("torch_fp16", 64), ("torch_fp16", 1280)}


def test_detector_benchmark_time_limit_lists_models_not_reached(tmp_path):
    plan = Plan(models=["yolo-lat-t", "yolo26n"], imgszs=(64,), batches=(1,), min_runs=2, budget_s=0.05, warmup=1,
                time_limit=1e-9)  # fmt: skip
    report = measure(plan, tmp_path / "d.json", log=lambda s: None)
    assert {r["model"] for r in report["latency"]} == {"yolo-lat-t"}  # the first model always runs
    (miss,) = [s for s in report["skipped"] if s["model"] == "yolo26n"]
    assert "time limit" in miss["why"] and "yolo26n" not in report["models"]


def test_make_plan_takes_cli_strings():
    plan = run.make_plan("0", models="yolo-lat-n, yolo12n", imgsz="320,640", batch=1, time_limit="30")
    assert plan.device == "cuda:0" and plan.models == ["yolo-lat-n", "yolo12n"]
    assert plan.imgszs == (320, 640) and plan.batches == (1,) and plan.time_limit == 30.0
    with pytest.raises(ValueError, match="time_limit='soon' is not a number"):
        run.make_plan("cpu", time_limit="soon")
    with pytest.raises(ValueError, match="must be a positive number"):
        run.make_plan("cpu", time_limit=0)


def _tree(root: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_benchmark_writes_numbered_run_folders_in_the_current_directory(tmp_path, monkeypatch):
    fast = Plan.for_device

    def for_device(device):  # the default plan, timed briefly
        plan = fast(device)
        plan.backends, plan.min_runs, plan.budget_s, plan.warmup = ("torch",), 2, 0.05, 1
        return plan

    monkeypatch.setattr(Plan, "for_device", staticmethod(for_device))
    monkeypatch.chdir(tmp_path)
    before = {**_tree(PACKAGE), **_tree(REPO / "benchmarks")}
    (tmp_path / "runs" / "benchmark" / "cpu").mkdir(parents=True)  # an earlier run
    second = ul.run_dir("runs/benchmark", "cpu")  # numbered as Ultralytics numbers its run folders
    out = run.benchmark(device="cpu", models=["yolo-lat-t"], imgsz=[64], batch=[1], log=lambda s: None)
    assert out == second != Path("runs/benchmark/cpu")
    assert sorted(p.name for p in out.iterdir()) == [
        "detectors_cpu.json",
        "detectors_cpu.md",
        "latency_vs_imgsz_cpu.png",
    ]
    assert json.loads((out / "detectors_cpu.json").read_text())["latency"][0]["model"] == "yolo-lat-t"
    again = run.benchmark(device="cpu", models="yolo-lat-t", imgsz=64, batch=1, project=tmp_path / "p", name="x",
                          exist_ok=True, log=lambda s: None)  # fmt: skip
    assert again == tmp_path / "p" / "x" and (again / "detectors_cpu.json").is_file()
    assert {**_tree(PACKAGE), **_tree(REPO / "benchmarks")} == before  # nothing written inside the package or repo
