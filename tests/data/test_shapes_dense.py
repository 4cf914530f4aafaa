"""shapes-dense: deterministic, dense and small, the global-cue rule, and resolution by name."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from yolo_lat.data import registry
from yolo_lat.data.shapes_dense import CLASSES, THEMES, DenseShapesConfig, render, theme_of

CFG = DenseShapesConfig()  # the defaults are what datasets.yaml registers
STARS = {CLASSES.index("star_warm"): "warm", CLASSES.index("star_cool"): "cool"}


@pytest.fixture(scope="module")
def images():
    """A few images of each split at the registered settings: [(split, index, image, boxes)]."""
    return [(split, i, *render(CFG, split, i)) for split in ("train", "val") for i in range(5)]


def test_registered_entry_matches_the_defaults():
    entry = registry._registry()["shapes-dense"]
    assert entry["type"] == "shapes-dense"
    assert DenseShapesConfig(**{k: v for k, v in entry.items() if k in CFG.__dataclass_fields__}) == CFG
    assert registry.dataset_train_defaults("shapes-dense")["imgsz"] == CFG.imgsz >= 640


def test_deterministic(images):
    split, i, img, boxes = images[3]
    img2, boxes2 = render(CFG, split, i)
    assert boxes2 == boxes and np.array_equal(img2, img)
    assert not np.array_equal(render(DenseShapesConfig(seed=1), split, i)[0], img)


def test_many_small_objects_inside_the_frame(images):
    s, frame = CFG.imgsz, CFG.frame()
    sides = []
    for *_, img, boxes in images:
        assert img.shape == (s, s, 3) and img.dtype == np.uint8
        assert CFG.min_objects <= len(boxes) <= CFG.max_objects
        for cls, x0, y0, x1, y1, area in boxes:
            assert 0 <= cls < len(CLASSES) and area > 0
            assert frame <= x0 <= x1 < s - frame and frame <= y0 <= y1 < s - frame
            sides.append(((x1 - x0 + 1) * (y1 - y0 + 1)) ** 0.5)
    assert CFG.min_size * 0.8 <= min(sides) and max(sides) <= CFG.max_size * 1.5
    assert 14 <= float(np.median(sides)) <= 30  # documented: median ≈ 20 px
    assert {b[0] for *_, boxes in images for b in boxes} == set(range(len(CLASSES)))


def test_star_label_follows_the_frame_colour(images):
    """The global-cue rule: stars are star_warm in warm-framed images and star_cool in cool ones."""
    seen = set()
    for split, i, img, boxes in images:
        b, _, r = img[CFG.frame() // 2, CFG.imgsz // 2].astype(int)  # a pixel of the frame
        theme = "warm" if r >= 190 and b <= 70 else "cool" if b >= 190 and r <= 70 else None
        assert theme == THEMES[theme_of(CFG, split, i)]
        star_labels = {STARS[c] for c, *_ in boxes if c in STARS}
        assert star_labels == {theme}, (split, i)  # every image here has stars, all labelled by its theme
        seen.add(theme)
    assert seen == set(THEMES)


def test_resolves_by_name_and_ultralytics_accepts_it(tmp_path, monkeypatch):
    from ultralytics.data.utils import check_det_dataset

    reg = tmp_path / "datasets.yaml"
    tiny = {"type": "shapes-dense", "train": 3, "val": 2, "imgsz": 160, "min_objects": 3, "max_objects": 6}
    reg.write_text(yaml.safe_dump({"dense": tiny}))
    monkeypatch.setattr(registry, "DATASETS_YAML", reg)
    monkeypatch.setenv("YOLO_LAT_CACHE", str(tmp_path / "cache"))
    path = Path(registry.resolve_data("dense"))
    assert str(tmp_path / "cache") in str(path) and registry.resolve_data("dense") == str(path)
    data = check_det_dataset(str(path))
    assert data["nc"] == len(CLASSES) and list(data["names"].values()) == list(CLASSES)
    assert len(list(Path(data["train"]).glob("*.jpg"))) == 3 and len(list(Path(data["val"]).glob("*.jpg"))) == 2
    coco = json.loads((path.parent / "annotations" / "instances_val.json").read_text())
    assert [c["name"] for c in coco["categories"]] == list(CLASSES)
    n_yolo = sum(len(p.read_text().splitlines()) for p in (path.parent / "labels" / "val").glob("*.txt"))
    assert n_yolo == len(coco["annotations"]) >= 6
    assert yaml.safe_load(path.read_text())["names"] == dict(enumerate(CLASSES))
