"""Original pixel -> letterboxed input -> feature-map cell, against Ultralytics' LetterBox."""

import numpy as np
import pytest

from yolo_lat import _ultralytics as ul
from yolo_lat.explain import Letterbox, cell_of, grid_points, parse_points


@pytest.mark.parametrize("hw", [(240, 320), (333, 100), (64, 64), (479, 641), (7, 300)])
@pytest.mark.parametrize("imgsz", [128, 256])
def test_letterbox_placement_matches_ultralytics(hw, imgsz):
    image = np.full((*hw, 3), 255, np.uint8)  # white image on the grey (114) padding
    out = ul.letterbox(image, imgsz)
    rows, cols = np.nonzero(out[..., 0] > 200)
    box = Letterbox.fit(hw, imgsz)
    assert (box.top, box.left) == (rows.min(), cols.min())
    assert box.new_hw == (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1)


@pytest.mark.parametrize("point", [(10, 20), (300, 5), (160.5, 200.5)])
def test_point_lands_where_ultralytics_puts_it(point):
    image = np.zeros((240, 320, 3), np.uint8)
    x, y = int(point[0]), int(point[1])
    image[y, x] = 255
    blank = ul.letterbox(np.zeros_like(image), 160).astype(float)[..., 0]
    out = ul.letterbox(image, 160).astype(float)[..., 0] - blank  # the resized pixel alone, no padding
    ys, xs = np.nonzero(out > 0)
    cy, cx = np.average(ys, weights=out[ys, xs]) + 0.5, np.average(xs, weights=out[ys, xs]) + 0.5
    mx, my = Letterbox.fit((240, 320), 160).to_input((x + 0.5, y + 0.5))
    assert abs(mx - cx) < 1.0 and abs(my - cy) < 1.0


def test_round_trip_and_cells():
    box = Letterbox.fit((240, 320), 256)
    p = box.to_input((100.0, 50.0))
    assert np.allclose(box.to_image(p), (100.0, 50.0))
    assert cell_of((0.0, 0.0), 256, (32, 32)) == (0, 0)
    assert cell_of((255.9, 255.9), 256, (32, 32)) == (31, 31)
    assert cell_of((17.0, 9.0), 256, (32, 32)) == (1, 2)  # stride 8: row ⌊9/8⌋, col ⌊17/8⌋
    assert len(grid_points(90, 60)) == 9 and grid_points(90, 60)[0] == (15.0, 10.0)


def test_parse_points_forms():
    assert parse_points((10, 20), 64, 48) == [(10.0, 20.0)]
    assert parse_points([[1, 2], (3, 4)], 64, 48) == [(1.0, 2.0), (3.0, 4.0)]
    assert parse_points("1,2;3,4", 64, 48) == [(1.0, 2.0), (3.0, 4.0)]


@pytest.mark.parametrize(
    "bad, message",
    [
        ((700, 20), r"points: \(700, 20\) is outside the 640×480 image \(valid: 0 ≤ x < 640, 0 ≤ y < 480\)"),
        ((-1, 5), r"points: \(-1, 5\) is outside the 640×480 image"),
        ((5, 480), r"points: \(5, 480\) is outside"),
        ([1, 2, 3], "is not a point"),
        ("a,b", "is not of the form"),
        ([], "non-empty list"),
    ],
)
def test_parse_points_errors(bad, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_points(bad, 640, 480)
    assert "\n" not in str(info.value)
