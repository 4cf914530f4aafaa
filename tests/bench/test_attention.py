"""The attention benchmark on CPU: what runs, what is skipped and why, and what is saved."""

import json

from yolo_lat.bench.attention import Case, run_benchmark, save, speedups


def test_attention_benchmark_runs_on_cpu(tmp_path):
    rows = []
    rep = run_benchmark("cpu", cases=[Case(1, 1, 64, 8)], methods=("ela_torch", "sdpa", "ela_triton"), budget_s=0.05,
                        min_runs=2, on_row=lambda r: rows.append(len(r["results"])))  # fmt: skip
    ran = {r["method"] for r in rep["results"] if "forward" in r}
    assert ran == {"ela_torch", "sdpa"}
    assert rows == [1, 2]  # after each measured row, not after the skipped one
    (triton,) = [r for r in rep["results"] if r["method"] == "ela_triton"]
    assert "forward" not in triton and triton["skipped"]
    for r in rep["results"]:
        if "forward" in r:
            assert 0 < r["forward"]["bandwidth_fraction"] == r["forward"]["floor_ms"] / r["forward"]["median_ms"]
    (up,) = speedups(rep, "ela_torch", baselines=("sdpa",))
    assert up["speedup"] > 0
    save(rep, tmp_path / "a.json", tmp_path / "a.png")
    assert json.loads((tmp_path / "a.json").read_text()) == json.loads(json.dumps(rep))
    assert (tmp_path / "a.png").stat().st_size > 0
