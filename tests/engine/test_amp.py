"""The trainer's AMP check never downloads: Ultralytics' check is swapped for a local one."""

import ultralytics.engine.trainer as ul_trainer

from yolo_lat.engine.amp import amp_check, local_amp_check, no_download_amp_check
from yolo_lat.nn import YOLOLATDetectionModel


def test_check_is_swapped_only_inside_the_context():
    original = ul_trainer.check_amp
    with no_download_amp_check():
        assert ul_trainer.check_amp is amp_check
    assert ul_trainer.check_amp is original


def test_local_check_is_off_on_cpu():
    assert local_amp_check(YOLOLATDetectionModel("yolo-lat-t.yaml", verbose=False)) is False
