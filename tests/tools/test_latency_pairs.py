"""tools/latency_pairs.py: ratios are taken within a round, and bad arguments are one line."""

import pytest

from tools.latency_pairs import main, summarise


def _row(rnd, backend, model, fwd, e2e):
    return {"round": rnd, "backend": backend, "model": model, "forward": fwd, "end_to_end": e2e, "loadavg_1min": 0.1}


def test_ratios_are_paired_within_rounds():
    # the machine is twice as slow in round 1: the ratio within each round stays 0.9, while the
    # medians over rounds alone would not say so
    rows = [
        _row(0, "onnxruntime", "a", 9.0, 18.0),
        _row(0, "onnxruntime", "b", 10.0, 20.0),
        _row(1, "onnxruntime", "b", 20.0, 40.0),
        _row(1, "onnxruntime", "a", 18.0, 30.0),
        _row(2, "onnxruntime", "a", 9.0, 18.0),  # b missing in round 2: that round is not paired
    ]
    out = {s["phase"]: s for s in summarise(rows, ["a", "b"])}
    assert out["forward"]["ratio_mean"] == pytest.approx(0.9) and out["forward"]["rounds"] == 2
    assert (out["end_to_end"]["ratio_min"], out["end_to_end"]["ratio_max"]) == (0.75, 0.9)
    assert out["forward"]["model_ms"] == 9.0 and out["forward"]["versus_ms"] == 15.0


@pytest.mark.parametrize(
    "argv, says",
    [
        (["models=yolo-lat-n"], "two or more models"),
        (["rounds=x"], "invalid literal"),
        (["speed=1"], "not key=value"),
        (["backends=tensorrt", "models=yolo-lat-n,yolo11n"], "backends=tensorrt"),
        (["models=yolo-lat-q,yolo11n"], "not found"),
    ],
)
def test_bad_arguments_are_one_line(argv, says, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and "\n" not in err
