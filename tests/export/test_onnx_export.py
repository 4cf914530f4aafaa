"""ONNX export: parity with PyTorch, dynamic shapes, standard ops only, predict through ONNX."""

import shutil

import numpy as np
import onnx
import pytest
import torch

from yolo_lat import YOLOLAT
from yolo_lat.export.onnx import onnx_session, parity_check


@pytest.fixture(scope="module")
def weights(trained_run, tmp_path_factory):
    """A copy of the tiny run's best.pt in its own folder (export writes beside the weights)."""
    run, _ = trained_run
    d = tmp_path_factory.mktemp("export")
    return shutil.copy(run / "weights" / "best.pt", d / "best.pt")


@pytest.fixture(scope="module")
def onnx_static(weights):
    model = YOLOLAT(weights)
    path = model.export(format="onnx", imgsz=64)
    return model, path


def test_export_writes_beside_weights_and_checks_parity(onnx_static, weights):
    model, path = onnx_static
    assert str(path) == str(weights).replace(".pt", ".onnx")
    p = model.parity
    assert p is not None and p.images >= 1
    assert p.max_abs_diff <= 1e-4, p
    assert p.boxes_agree, p


def test_only_standard_onnx_ops(onnx_static):
    _, path = onnx_static
    graph = onnx.load(path)
    assert graph.opset_import[0].version >= 17
    domains = {n.domain for n in graph.graph.node}
    assert domains <= {"", "ai.onnx"}, domains
    ops = {n.op_type for n in graph.graph.node}
    assert "MatMul" in ops and "Exp" in ops  # ELA's torch path: matrix products and the exp features


def test_dynamic_shapes_two_sizes(weights, tmp_path):
    model = YOLOLAT(weights)
    path = model.export(format="onnx", imgsz=96, dynamic=True)
    sess = onnx_session(path)
    net = YOLOLAT(weights).model.float().eval()
    for b, s in ((1, 64), (2, 96)):
        x = torch.rand(b, 3, s, s, generator=torch.Generator().manual_seed(s))
        y = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]
        with torch.no_grad():
            ref = net(x)
        ref = (ref[0] if isinstance(ref, (list, tuple)) else ref).numpy()
        assert y.shape == ref.shape
        assert np.abs(y - ref).max() <= 1e-4


def test_predict_through_onnx_matches_pt(onnx_static, weights, tiny_data):
    _, path = onnx_static
    image = str(sorted((tiny_data.parent / "images" / "val").glob("*.jpg"))[0])
    r_pt = YOLOLAT(weights).predict(image, imgsz=64, conf=0.001, verbose=False)[0].boxes
    r_onnx = YOLOLAT(path).predict(image, imgsz=64, conf=0.001, verbose=False)[0].boxes
    assert len(r_pt) == len(r_onnx) > 0
    assert torch.allclose(r_pt.xyxy, r_onnx.xyxy, atol=0.5)
    assert torch.equal(r_pt.cls, r_onnx.cls)


def test_parity_check_detects_a_wrong_graph(onnx_static, weights):
    """The check can fail: compare the ONNX file against a differently initialised model."""
    _, path = onnx_static
    other = YOLOLAT("yolo-lat-t.yaml").model
    other.model[-1].nc = 6
    net = YOLOLAT(weights).model
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    images = [np.ascontiguousarray(np.full((64, 64, 3), 127, np.uint8))]
    result = parity_check(net, path, images, 64)
    assert result.max_abs_diff > 1e-3
