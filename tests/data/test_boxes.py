"""Box conversions: known values, round trips, numpy and torch alike."""

import numpy as np
import pytest
import torch

from yolo_lat.data.boxes import coco_to_xyxy, xyxy_to_coco, xyxy_to_yolo, yolo_to_coco

W, H = 200, 100
XYXY = [[10, 20, 50, 80], [0, 0, 200, 100]]
COCO = [[10, 20, 40, 60], [0, 0, 200, 100]]
YOLO = [[0.15, 0.5, 0.2, 0.6], [0.5, 0.5, 1.0, 1.0]]


@pytest.mark.parametrize("lib", [np.array, torch.tensor], ids=["numpy", "torch"])
def test_known_values(lib):
    xyxy = lib(XYXY)
    np.testing.assert_allclose(np.asarray(xyxy_to_coco(xyxy)), COCO)
    np.testing.assert_allclose(np.asarray(coco_to_xyxy(lib(COCO))), XYXY)
    np.testing.assert_allclose(np.asarray(xyxy_to_yolo(xyxy, W, H)), YOLO)
    np.testing.assert_allclose(np.asarray(yolo_to_coco(lib(YOLO), W, H)), COCO, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(xyxy), XYXY)  # inputs are not modified


def test_integer_corners_stay_integers():
    coco = xyxy_to_coco(np.array(XYXY))
    assert coco.dtype.kind == "i" and coco.tolist() == COCO  # JSON-ready as plain ints


def test_round_trip_any_batch_shape():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, (3, 5, 2))
    xyxy = np.concatenate([xy, xy + rng.uniform(1, 50, (3, 5, 2))], -1)
    np.testing.assert_allclose(coco_to_xyxy(xyxy_to_coco(xyxy)), xyxy)
    np.testing.assert_allclose(coco_to_xyxy(yolo_to_coco(xyxy_to_yolo(xyxy, W, H), W, H)), xyxy)
