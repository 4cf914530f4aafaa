"""Where exports are written (never inside the package), that they appear whole, and that a wrong
format is one line without an advertisement."""

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.cli_helpers import one_line_error, run_cli, user_env
from yolo_lat import YOLOLAT
from yolo_lat import _ultralytics as ul
from yolo_lat.export.output import (
    EXPORT_ALIASES,
    atomic_export,
    check_export_format,
    export_dir,
)
from yolo_lat.paths import WEIGHTS_DIRS


def _listing(dirs) -> set[Path]:
    return {p for d in dirs for p in d.rglob("*")}


def test_export_of_shipped_weights_goes_to_cwd(tmp_path):
    before = _listing(WEIGHTS_DIRS)
    proc = run_cli("export", "model=yolo-lat-t.pt", "format=onnx", cwd=tmp_path, env=user_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = tmp_path / "yolo-lat-t.onnx"
    assert out.is_file() and f"exported: {out}" in proc.stdout
    assert _listing(WEIGHTS_DIRS) == before  # nothing written beside the shipped weights
    assert [p.name for p in tmp_path.iterdir()] == ["yolo-lat-t.onnx"]  # no temporary folder left


def test_export_into_project_name(trained_run, tmp_path):
    run, _ = trained_run
    weights = shutil.copy(run / "weights" / "best.pt", tmp_path / "best.pt")
    path = YOLOLAT(weights).export(format="torchscript", imgsz=64, project=str(tmp_path / "out"), name="ts")
    assert Path(path) == tmp_path / "out" / "ts" / "best.torchscript" and Path(path).is_file()
    assert not (tmp_path / "best.torchscript").exists()


def test_export_dir_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shipped = WEIGHTS_DIRS[0] / "yolo-lat-n.pt"
    assert export_dir(shipped) == tmp_path
    assert export_dir(tmp_path / "mine" / "best.pt") is None  # beside the user's weights
    assert export_dir(shipped, project="p") == tmp_path / "p" / "export"
    assert export_dir(None, name="x") == tmp_path / "runs" / "detect" / "x"


def _fake_model(pt_path):
    return SimpleNamespace(pt_path=str(pt_path) if pt_path else None, yaml={"yaml_file": "yolo-lat-t.yaml"})


def test_atomic_export_moves_what_was_written(tmp_path):
    model = _fake_model(tmp_path / "w" / "best.pt")
    (tmp_path / "w").mkdir()
    with atomic_export(model, None) as written:
        f = Path(model.pt_path).with_suffix(".onnx")  # where the exporter writes: named after pt_path
        assert f.parent != tmp_path / "w" and f.parent.parent == tmp_path / "w"
        f.write_text("graph")
        (f.parent / "best_openvino_model").mkdir()
        (f.parent / "best_openvino_model" / "best.xml").write_text("xml")
        written.path = str(f)
    assert written.path == str(tmp_path / "w" / "best.onnx")
    assert (tmp_path / "w" / "best.onnx").read_text() == "graph"
    assert (tmp_path / "w" / "best_openvino_model" / "best.xml").is_file()
    assert model.pt_path == str(tmp_path / "w" / "best.pt")  # restored
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["best.onnx", "best_openvino_model"]


def test_atomic_export_replaces_an_earlier_folder(tmp_path):
    old = tmp_path / "best_saved_model"
    old.mkdir()
    (old / "stale.txt").write_text("old")
    model = _fake_model(tmp_path / "best.pt")
    with atomic_export(model, tmp_path) as written:
        new = Path(model.pt_path).parent / "best_saved_model"
        new.mkdir()
        (new / "fresh.txt").write_text("new")
        written.path = str(new)
    assert [p.name for p in old.iterdir()] == ["fresh.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best_saved_model"]


@pytest.mark.parametrize("error", [RuntimeError("exporter failed"), KeyboardInterrupt()])
def test_failed_export_leaves_nothing(tmp_path, error):
    (tmp_path / "best.onnx").write_text("the previous export")
    model = _fake_model(tmp_path / "best.pt")
    with pytest.raises(type(error)), atomic_export(model, None):
        Path(model.pt_path).with_suffix(".onnx").write_text("half a gra")
        raise error
    assert (tmp_path / "best.onnx").read_text() == "the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["best.onnx"]
    assert model.pt_path == str(tmp_path / "best.pt")


def test_export_format_names_contract():
    names = ul.export_format_names()
    ok = "onnx" in names and "torchscript" in names and "engine" in names and "-" not in names
    assert ok, ul.mismatch("export_formats", f"its Argument column is no longer the format names: {names}")


@pytest.mark.parametrize("fmt", ["onnx", "ONNX", "torchscript", "engine", "tensorrt", "tflite", "onx"])
def test_formats_the_exporter_accepts_pass(fmt):
    check_export_format(fmt)  # 'onx' is corrected by the exporter itself, with a warning


@pytest.mark.parametrize("fmt, fragment", [("foo", "unknown export format 'foo'"), ("pt", "already a PyTorch")])
def test_formats_the_exporter_refuses(fmt, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        check_export_format(fmt)
    assert "onnx" in str(info.value)


def test_aliases_are_not_format_names():
    assert not EXPORT_ALIASES & set(ul.export_format_names())


def test_cli_unknown_format_is_one_line_without_advert(tmp_path):
    proc = run_cli("export", "model=yolo-lat-t.pt", "format=foo", cwd=tmp_path)
    one_line_error(proc, "valid formats: torchscript, onnx")
    assert "cloud" not in proc.stdout + proc.stderr and "platform.ultralytics" not in proc.stdout + proc.stderr
    assert list(tmp_path.iterdir()) == []
