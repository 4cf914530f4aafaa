"""The AMP check never downloads. That training calls it instead of Ultralytics' check_amp is the
contract test tests/test_ultralytics_contract.py::test_amp_check_replaced_during_training."""

from yolo_lat import _ultralytics as ul
from yolo_lat.engine.amp import amp_check, local_amp_check
from yolo_lat.nn import YOLOLATDetectionModel


def test_local_check_is_off_on_cpu():
    assert local_amp_check(YOLOLATDetectionModel("yolo-lat-t.yaml", verbose=False)) is False


def test_without_reference_weights_the_check_is_local(monkeypatch):
    monkeypatch.setattr(ul, "ultralytics_amp_check", lambda model: None)  # yolo26n.pt not on disk
    assert amp_check(YOLOLATDetectionModel("yolo-lat-t.yaml", verbose=False)) is False
    monkeypatch.setattr(ul, "ultralytics_amp_check", lambda model: True)  # on disk: Ultralytics' verdict
    assert amp_check(YOLOLATDetectionModel("yolo-lat-t.yaml", verbose=False)) is True
