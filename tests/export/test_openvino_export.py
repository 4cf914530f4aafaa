"""OpenVINO export: fp32 parity with PyTorch, int8 calibrated with NNCF, predict/val/demo through the
exported folder, and one line naming the extra when OpenVINO is missing."""

import shutil
import sys
from pathlib import Path

import pytest
import torch
import yaml

from tests.cli_helpers import one_line_error, run_cli
from yolo_lat import YOLOLAT
from yolo_lat.cli import main
from yolo_lat.export.openvino import INSTALL_HINT, calibration_data, is_quantized, require_openvino
from yolo_lat.paths import SAMPLES_DIR

ov = pytest.importorskip("openvino", reason="OpenVINO not installed (pip install -e '.[openvino]')")


@pytest.fixture(scope="module")
def weights(trained_run, tmp_path_factory):
    run, _ = trained_run
    d = tmp_path_factory.mktemp("ov")
    return shutil.copy(run / "weights" / "best.pt", d / "best.pt")


@pytest.fixture(scope="module")
def ov_fp32(weights):
    model = YOLOLAT(weights)
    return model, model.export(format="openvino", imgsz=64)


def test_export_fp32_folder_beside_weights_with_parity(ov_fp32, weights):
    model, path = ov_fp32
    assert path == str(weights).replace(".pt", "_openvino_model")
    assert sorted(p.suffix for p in Path(path).iterdir()) == [".bin", ".xml", ".yaml"]
    p = model.parity
    assert p.runtime.startswith("OpenVINO") and p.images >= 1
    if p.runtime.endswith(", f32)"):
        assert p.exact and p.max_abs_diff <= 1e-3, p
    else:
        # a CPU with native bf16 (AVX512-BF16, AMX): OpenVINO executes an fp32 model in bf16 by default,
        # as it does under Ultralytics' predict; the check says so and judges the export by its boxes
        assert p.runtime.endswith(", bf16)") and not p.exact, p
        assert p.max_rel_diff <= 1e-2, p
    assert p.boxes_agree and p.boxes_export == p.boxes_torch, p
    assert not is_quantized(path)


def test_predict_and_val_through_openvino(ov_fp32, weights, tiny_data):
    _, path = ov_fp32
    image = str(sorted((tiny_data.parent / "images" / "val").glob("*.jpg"))[0])
    r_pt = YOLOLAT(weights).predict(image, imgsz=64, conf=0.001, verbose=False)[0].boxes
    r_ov = YOLOLAT(path).predict(image, imgsz=64, conf=0.001, verbose=False)[0].boxes
    assert len(r_pt) == len(r_ov) > 0
    assert torch.allclose(r_pt.xyxy, r_ov.xyxy, atol=0.5) and torch.equal(r_pt.cls, r_ov.cls)
    m_pt = YOLOLAT(weights).val(data=str(tiny_data), imgsz=64, batch=1, plots=False, verbose=False)
    m_ov = YOLOLAT(path).val(data=str(tiny_data), imgsz=64, batch=1, plots=False, verbose=False)
    assert abs(m_pt.box.map - m_ov.box.map) <= 0.01


def test_demo_through_openvino(ov_fp32, tmp_path):
    _, path = ov_fp32
    out = YOLOLAT(path).demo(str(SAMPLES_DIR), show=False, save=True, save_dir=tmp_path / "f", imgsz=64)
    assert out["frames"] == len(list(SAMPLES_DIR.glob("*.jpg"))) == len(list((tmp_path / "f").glob("frame_*.jpg")))


def test_int8_calibrated_on_data(weights, tiny_data, tmp_path):
    pytest.importorskip("nncf", reason="NNCF not installed (pip install -e '.[openvino]')")
    model = YOLOLAT(weights)
    path = model.export(format="openvino", int8=True, data=str(tiny_data), imgsz=64, project=str(tmp_path), name="q")
    assert path == str(tmp_path / "q" / "best_int8_openvino_model")
    assert is_quantized(path)
    p = model.parity
    assert not p.exact and "int8" in p.runtime and p.max_abs_diff > 0  # quantised: judged by box matching
    assert len(YOLOLAT(path).predict(str(SAMPLES_DIR), imgsz=64, verbose=False)) == 4


def test_int8_without_data_calibrates_on_copies_of_the_samples():
    before = sorted(p.name for p in SAMPLES_DIR.iterdir())
    with calibration_data(None, {0: "a", 1: "b"}) as (yaml_path, where):
        d = yaml.safe_load(Path(yaml_path).read_text())
        val = Path(d["path"]) / d["val"]
        assert sorted(p.name for p in val.iterdir()) == sorted(p.name for p in SAMPLES_DIR.glob("*.jpg"))
        assert d["names"] == {0: "a", 1: "b"} and "bundled sample images" in where
    assert not val.exists() and sorted(p.name for p in SAMPLES_DIR.iterdir()) == before


def test_half_is_quantize_16_and_exact_on_cpu(weights, tmp_path):
    model = YOLOLAT(weights)
    path = model.export(format="openvino", half=True, imgsz=64, project=str(tmp_path), name="h")
    xml = next(Path(path).glob("*.xml"))
    types = {op.get_output_element_type(0).get_type_name() for op in ov.Core().read_model(str(xml)).get_ops()}
    assert "f16" in types  # weights stored in fp16
    assert model.parity.boxes_agree, model.parity


def test_cli_export_prints_parity(weights, tmp_path):
    proc = run_cli("export", f"model={weights}", "format=openvino", "imgsz=64", f"project={tmp_path}", "name=c")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"exported: {tmp_path / 'c' / 'best_openvino_model'}" in proc.stdout
    assert "OpenVINO" in proc.stdout and "vs PyTorch" in proc.stdout and "final boxes agree" in proc.stdout


@pytest.mark.parametrize("blocked", ["openvino", "nncf"])
def test_missing_package_is_one_line_naming_the_extra(blocked, weights, ov_fp32, monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, blocked, None)  # as if not installed: importing it raises ImportError
    with pytest.raises(ImportError, match=r"pip install -e \"\.\[openvino\]\""):
        require_openvino(int8=True)
    code = main(["export", f"model={weights}", "format=openvino", "int8=True", f"project={tmp_path}", "name=x"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and blocked in err and INSTALL_HINT in err
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())  # nothing exported, nothing installed
    if blocked == "openvino":  # predict with an exported folder: the same line, before Ultralytics' backend
        _, path = ov_fp32
        assert main(["predict", f"model={path}", f"source={SAMPLES_DIR}"]) == 2
        assert INSTALL_HINT in capsys.readouterr().err


def test_engine_still_needs_tensorrt(weights):
    one_line_error(run_cli("export", f"model={weights}", "format=engine"), "needs TensorRT")
