"""format=onnx nms=True: the model outputs final boxes (batch, max_det, 6), equal to the PyTorch pipeline's."""

import shutil

import cv2
import numpy as np
import pytest
import torch

from yolo_lat import YOLOLAT
from yolo_lat import _ultralytics as ul
from yolo_lat.export.onnx import onnx_session
from yolo_lat.export.parity import compare_boxes, final_boxes
from yolo_lat.paths import SAMPLES_DIR


@pytest.fixture(scope="module")
def weights(trained_run, tmp_path_factory):
    run, _ = trained_run
    d = tmp_path_factory.mktemp("nms")
    return shutil.copy(run / "weights" / "best.pt", d / "best.pt")


def _torch_boxes(weights, x, conf=0.25, iou=0.7):
    net = YOLOLAT(weights).model.float().eval()
    with torch.no_grad():
        raw = net(torch.from_numpy(x))
    return ul.non_max_suppression(raw[0] if isinstance(raw, (list, tuple)) else raw, conf, iou)


def test_static_nms_outputsfinal_boxes_with_parity(weights, tmp_path):
    model = YOLOLAT(weights)
    path = model.export(format="onnx", nms=True, imgsz=64, conf=0.001, project=str(tmp_path), name="s")
    sess = onnx_session(path)
    assert sess.get_outputs()[0].shape[1:] == [300, 6]
    p = model.parity
    assert p.max_abs_diff is None and "NMS inside" in str(p)
    assert p.boxes_agree and p.boxes_torch > 0, p


def test_dynamic_nms_batch_1_and_2(weights, tmp_path):
    path = YOLOLAT(weights).export(format="onnx", nms=True, dynamic=True, batch=2, imgsz=64, conf=0.001,
                                   project=str(tmp_path), name="d")  # fmt: skip
    sess = onnx_session(path)
    images = [cv2.imread(str(f)) for f in sorted(SAMPLES_DIR.glob("*.jpg"))[:2]]
    for b in (1, 2):
        x = ul.letterbox_batch(images[:b], 64).astype(np.float32) / 255
        out = sess.run(None, {sess.get_inputs()[0].name: x})[0]
        assert out.shape == (b, 300, 6)
        got, want = final_boxes(out), _torch_boxes(weights, x, conf=0.001)
        n_torch, n_onnx, matched, max_px, agree = compare_boxes(want, got, exact=True)
        assert agree and n_torch == n_onnx == matched > 0 and max_px <= 0.5, (n_torch, n_onnx, matched, max_px)


def test_dynamic_nms_without_batch_is_refused(weights):
    with pytest.raises(ValueError, match="nms=True with dynamic=True needs batch=N"):
        YOLOLAT(weights).export(format="onnx", nms=True, dynamic=True, imgsz=64)
