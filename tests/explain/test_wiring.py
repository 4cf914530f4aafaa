"""``YOLOLAT.explain`` and ``yolo-lat explain``: the glue in engine/model.py and cli.py."""

from yolo_lat import YOLOLAT, cli
from yolo_lat.paths import SAMPLES_DIR

SAMPLE = SAMPLES_DIR / "shapes_0.jpg"


def test_yololat_explain():
    result = YOLOLAT("yolo-lat-t.pt").explain(SAMPLE, layers="model.10", save=False)
    assert result.points_from == "detections" and result.maps and result.save_dir is None
    assert all(abs(m.weights.sum() - 1) < 1e-9 for m in result.maps)


def test_cli_explain(tmp_path, capsys):
    argv = ["explain", "model=yolo-lat-t.pt", f"source={SAMPLE}", f"project={tmp_path}", "points=[[100,120],[20,30]]"]
    assert cli.main([*argv, "heads=0"]) == 0
    assert "saved to" in capsys.readouterr().out
    assert (tmp_path / "explain" / "overview.png").is_file()
    assert (tmp_path / "explain" / "model.10.m.0.attn.png").is_file()
    assert cli.main(["explain", "model=yolo-lat-t.pt", "layers=model.99", "save=False"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("yolo-lat: error: layers: 'model.99' is not an ELA layer; ELA layers: model.10.m.0.attn")
    assert "\n" not in err
