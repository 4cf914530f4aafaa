"""The letterbox preprocessing shared by the ONNX parity check and the benchmark pipeline."""

import numpy as np

from yolo_lat._ultralytics import letterbox_batch


def test_letterbox_batch_is_rgb_nchw_uint8():
    bgr = np.zeros((32, 64, 3), np.uint8)
    bgr[..., 0] = 255  # blue
    x = letterbox_batch([bgr, bgr], 64)
    assert x.shape == (2, 3, 64, 64) and x.dtype == np.uint8 and x.flags.c_contiguous
    assert (x[:, 2, 16:48] == 255).all() and (x[:, 0, 16:48] == 0).all()  # blue is the last RGB channel
    assert (x[:, :, :16] == 114).all()  # padding above the image
