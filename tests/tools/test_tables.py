"""The README tables' figures: ratios computed from the right rows, and none invented."""

from tools.results.tables import goal_ratios, paired_deltas, paper_claim_rows, variant_table


def _row(model, backend, ms, imgsz=1280, batch=1):
    t = {"median_ms": ms, "p90_ms": ms}
    return {"model": model, "backend": backend, "batch": batch, "imgsz": imgsz, "forward": t, "end_to_end": t}


def test_goal_ratios():
    det = {"latency": [_row("yolo-lat-n", "cuda_graph_fp16", 1.0), _row("yolo12n", "cuda_graph_fp16", 4.0),
                       _row("yolo-lat-n", "torch", 3.0), _row("yolo12n", "torch", 9.0, imgsz=640)]}  # fmt: skip
    by = {(r["backend"], r["batch"]): r for r in goal_ratios(det, "yolo-lat-n", "yolo12n", 1280)}
    assert by["cuda_graph_fp16", 1]["forward"] == {"ours": 1.0, "theirs": 4.0, "ratio": 0.25}
    assert by["torch", 1]["forward"] == {"ours": 3.0, "theirs": None, "ratio": None}  # 640 is another size


def test_paper_claim_ratio_favours_the_faster_model():
    det = {"models": {"a": {"params": 100}, "b": {"params": 400}},
           "latency": [_row("a", "torch", 2.0, imgsz=320), _row("b", "torch", 6.0, imgsz=320)]}  # fmt: skip
    rows = paper_claim_rows([], det, ours="a", theirs="b").splitlines()[2:]
    assert len(rows) == 3  # parameters, and end-to-end and forward at 320 (nothing at 640, no GPU report)
    assert rows[0].endswith("| 4.0x fewer |") and all(r.endswith("| 3.00x |") for r in rows[1:])


def _run(model, seed, ap, threads=1):
    return {"model": model, "seed": seed, "coco": {"AP": ap, "AP50": ap}, "params": 10, "threads": threads}


def test_variant_table_pairs_by_seed():
    runs = [_run("base", 0, 0.40), _run("base", 1, 0.30), _run("v", 0, 0.45), _run("v", 1, 0.28), _run("v", 2, 0.9),
            _run("ref", 1, 0.35)]  # fmt: skip
    assert paired_deltas(runs, "v", "base") == [0.45 - 0.40, 0.28 - 0.30]  # seed 2 has no partner
    rows = {
        r.split(" | ")[0].lstrip("| "): r
        for r in variant_table(runs, ["base", "v", "ref", "w"], "base", "ref").splitlines()[2:]
    }
    assert "+0.015 (-0.020…+0.050)" in rows["v"] and "-0.070 (1 seed)" in rows["v"]
    assert "| 0.543 (0.280–0.900) |" in rows["v"]  # the unpaired seed counts in the mean, not in the Δ
    assert "pending" in rows["w"] and "| — |" in rows["base"]
