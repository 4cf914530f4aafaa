"""The runtime rows of the detector benchmark: OpenVINO fp32 / int8 through the same pipeline as torch,
each backend in a process of its own, and the load average recorded with every row."""

import json
import os

import pytest

from yolo_lat.bench import run
from yolo_lat.bench.detectors import Plan, measure

pytest.importorskip("openvino", reason="OpenVINO not installed (pip install -e '.[openvino]')")
pytest.importorskip("nncf", reason="NNCF not installed (pip install -e '.[openvino]')")


def test_openvino_rows_each_backend_in_its_own_process(tmp_path):
    plan = Plan(models=["yolo-lat-t"], imgszs=(64,), batches=(1,), backends=("torch", "openvino", "openvino_int8"),
                min_runs=2, max_runs=2, budget_s=0.0, warmup=1, isolate=True)  # fmt: skip
    lines = []
    report = measure(plan, tmp_path / "d.json", log=lines.append)
    assert json.loads((tmp_path / "d.json").read_text())["latency"] == report["latency"]
    assert [r["backend"] for r in report["latency"]] == ["torch", "openvino", "openvino_int8"], report["skipped"]
    assert report["processes"] == "one per backend"
    pids = {b: e["pid"] for b, e in report["environment_per_backend"].items()}
    assert len(set(pids.values())) == 3 and os.getpid() not in pids.values()
    rows = {r["backend"]: r for r in report["latency"]}
    assert rows["openvino"]["provider"].startswith("OpenVINO") and "CPU" in rows["openvino"]["provider"]
    assert all(r["end_to_end"]["runs"] == 2 and isinstance(r["loadavg_1min"], float) for r in rows.values())
    assert any("openvino_int8: measuring in a process of its own" in s for s in lines)  # the child's log reaches us


def test_make_plan_backends():
    assert run.make_plan("cpu", backends="openvino,openvino_int8").backends == ("openvino", "openvino_int8")
    with pytest.raises(ValueError, match="backends=openvion: unknown backend"):
        run.make_plan("cpu", backends="openvion")


def test_cpu_plan_measures_openvino_for_the_small_models_only():
    plan = Plan.for_device("cpu")
    assert {"openvino", "openvino_int8", "onnxruntime"} <= set(plan.backends) and plan.isolate
    assert plan.skip("yolo-lat-n", "openvino", 1, 640) is None
    assert "n/t-size models" in plan.skip("yolo-lat-l", "openvino_int8", 1, 640)
    # a model the user names from its own YAML is measured as asked
    assert plan.skip("ablations/yolo-lat-neck-n", "onnxruntime", 1, 640) is None
    assert plan.skip("ablations/yolo-lat-neck-n", "openvino", 1, 640) is None


def test_a_model_named_by_its_yaml_path_is_measured_on_every_runtime(tmp_path):
    """A name with a folder in it (ablations/...): the exported files must still land (ONNX Runtime once
    failed on it with 'No such file or directory')."""
    plan = Plan(models=["ablations/yolo-lat-neck-n"], imgszs=(64,), batches=(1,), backends=("onnxruntime", "openvino"),
                min_runs=2, max_runs=2, budget_s=0.0, warmup=1)  # fmt: skip
    report = measure(plan, tmp_path / "d.json", log=lambda s: None)
    assert not report["skipped"], report["skipped"]
    assert [r["backend"] for r in report["latency"]] == ["onnxruntime", "openvino"]
