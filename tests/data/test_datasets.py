"""data= resolution: shapes, COCO JSON (non-contiguous ids), bad datasets."""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.data.common import make_coco_copy
from yolo_lat.data import registry
from yolo_lat.data.coco import coco_json_to_yolo
from yolo_lat.data.shapes import CLASSES, ShapesConfig, ensure_shapes, render


def test_shapes_is_deterministic_and_complete(tiny_data, tmp_path):
    root = tiny_data.parent
    assert len(list((root / "images" / "train").glob("*.jpg"))) == 12
    assert len(list((root / "labels" / "val").glob("*.txt"))) == 6
    coco = json.loads((root / "annotations" / "instances_val.json").read_text())
    assert [c["name"] for c in coco["categories"]] == list(CLASSES)
    img1, boxes1 = render(ShapesConfig(imgsz=64, seed=7, max_objects=3), "train", 3)
    img2, boxes2 = render(ShapesConfig(imgsz=64, seed=7, max_objects=3), "train", 3)
    assert boxes1 == boxes2 and (img1 == img2).all()
    n_yolo = sum(len(p.read_text().splitlines()) for p in (root / "labels" / "val").glob("*.txt"))
    assert n_yolo == len(coco["annotations"]) > 0
    assert not list(tmp_path.parent.glob(".shapes-*"))  # no temporary folder left behind


def test_named_dataset_uses_registry(tmp_path, monkeypatch):
    reg = tmp_path / "datasets.yaml"
    reg.write_text("mini:\n  type: shapes\n  train: 4\n  val: 2\n  imgsz: 48\n")
    monkeypatch.setattr(registry, "DATASETS_YAML", reg)
    monkeypatch.setenv("YOLO_LAT_CACHE", str(tmp_path / "cache"))
    path = registry.resolve_data("mini")
    assert path.endswith("data.yaml") and str(tmp_path / "cache") in path
    with pytest.raises(FileNotFoundError, match="unknown dataset 'nope'.*known: mini"):
        registry.resolve_data("nope")


def test_coco_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("YOLO_LAT_COCO", str(tmp_path / "nococo"))
    with pytest.raises(FileNotFoundError, match="COCO 2017 not found at"):
        registry.resolve_data("coco")


def test_coco_json_data_yaml_non_contiguous_ids(tiny_data, tmp_path, monkeypatch):
    monkeypatch.setenv("YOLO_LAT_CACHE", str(tmp_path / "cache"))
    data = make_coco_copy(tiny_data, tmp_path)
    resolved = registry.resolve_data(str(data))
    d = yaml.safe_load(Path(resolved).read_text())
    assert d["names"] == {i: n for i, n in enumerate(CLASSES)}
    index = json.loads((Path(resolved).parent / "index.json").read_text())  # class -> category id, stem -> image id
    assert index["categories"] == {str(i): c for i, c in enumerate((3, 7, 11, 20, 42, 99))}
    assert set(index["images"]["val"].values()) == {1001, 1002, 1003, 1004, 1005, 1006}
    # labels carry contiguous class indices and the same boxes as the shapes generator's YOLO labels
    conv_dir = Path(resolved).parent / "labels" / "val"
    for i in range(6):
        orig = np.loadtxt(tiny_data.parent / "labels" / "val" / f"val_{i:06d}.txt", ndmin=2)
        conv = np.loadtxt(conv_dir / f"val_{i:06d}.txt", ndmin=2)  # the original file stems
        np.testing.assert_allclose(conv, orig, atol=2e-6)
    assert registry.resolve_data(str(data)) == resolved  # cached, not converted twice


def test_coco_json_labels_are_ultralytics_convert_coco_byte_for_byte(tiny_data, tmp_path, monkeypatch):
    """What plain Ultralytics users get from its own converter: the same stems (so the same sorted
    order and, with one seed, the same shuffles) and byte-identical label files; plus a box reaching
    outside its image, clipped by ours (Ultralytics' loader would drop that image's labels)."""
    from ultralytics.data.converter import convert_coco

    monkeypatch.setenv("YOLO_LAT_CACHE", str(tmp_path / "cache"))
    data = make_coco_copy(tiny_data, tmp_path, cat_ids=(1, 2, 3, 4, 5, 6))  # convert_coco: class = id - 1
    ann = data.parent / "annotations"
    ul_out = tmp_path / "ul"
    convert_coco(str(ann), save_dir=str(ul_out), use_segments=False, cls91to80=False)
    ours = Path(registry.resolve_data(str(data))).parent
    for split in ("train", "val"):
        doc = json.loads((ann / f"instances_{split}.json").read_text())
        annotated = {a["image_id"] for a in doc["annotations"]}
        theirs = {p.stem: p.read_bytes() for p in (ul_out / "labels" / split / "images" / split).glob("*.txt")}
        mine = {p.stem: p.read_bytes() for p in (ours / "labels" / split).glob("*.txt")}
        assert sorted(p.stem for p in (ours / "images" / split).iterdir()) == sorted(
            Path(im["file_name"]).stem for im in doc["images"]
        )
        assert len(theirs) == len(annotated) > 0
        for stem, text in theirs.items():
            assert mine[stem] == text, (split, stem)
        assert all(not mine[s] for s in set(mine) - set(theirs))  # images without boxes: empty files

    # out of bounds: clipped; duplicates: dropped, as convert_coco does
    d = json.loads((ann / "instances_val.json").read_text())
    im = d["images"][0]
    a = {"id": 1, "image_id": im["id"], "category_id": 1, "iscrowd": 0, "bbox": [-10.0, 5.0, 30.0, 20.0], "area": 600}
    d["annotations"] = [a, dict(a, id=2)]
    (ann / "instances_val.json").write_text(json.dumps(d))
    out = Path(coco_json_to_yolo({"val": ann / "instances_val.json"}, tmp_path / "c2", data.parent)).parent
    lines = (out / "labels" / "val" / f"{Path(im['file_name']).stem}.txt").read_text().splitlines()
    w, h = im["width"], im["height"]
    assert lines == [f"0 {10 / w:g} {15 / h:g} {20 / w:g} {20 / h:g}"]


def test_coco_json_repeated_stems_fall_back_to_image_ids(tiny_data, tmp_path):
    data = make_coco_copy(tiny_data, tmp_path)
    ann = data.parent / "annotations" / "instances_val.json"
    d = json.loads(ann.read_text())
    sub = data.parent / "images" / "val" / "sub"
    sub.mkdir()
    first = d["images"][0]["file_name"]
    (sub / Path(first).name).write_bytes((data.parent / first).read_bytes())
    d["images"].append(dict(d["images"][0], id=99999, file_name=f"images/val/sub/{Path(first).name}"))
    ann.write_text(json.dumps(d))
    out = Path(coco_json_to_yolo({"val": ann}, tmp_path / "c", data.parent)).parent
    index = json.loads((out / "index.json").read_text())
    assert sorted(index["images"]["val"]) == sorted(str(im["id"]) for im in d["images"])


def test_coco_json_missing_images_are_skipped_with_warning(tiny_data, tmp_path, caplog):
    data = make_coco_copy(tiny_data, tmp_path)
    (data.parent / "images" / "val" / "val_000000.jpg").unlink()
    out = coco_json_to_yolo({"val": data.parent / "annotations" / "instances_val.json"}, tmp_path / "c", data.parent)
    assert len(list((out.parent / "images" / "val").iterdir())) == 5
    assert "not found and skipped" in caplog.text


def test_coco_json_no_images_is_an_error(tiny_data, tmp_path):
    data = make_coco_copy(tiny_data, tmp_path)
    shutil.rmtree(data.parent / "images" / "val")
    with pytest.raises(FileNotFoundError, match="no image of .*instances_val.json could be found"):
        coco_json_to_yolo({"val": data.parent / "annotations" / "instances_val.json"}, tmp_path / "c", data.parent)


def test_bad_json_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json' is not valid JSON"):
        coco_json_to_yolo({"val": bad}, tmp_path / "c")


def test_interrupted_generation_leaves_nothing(tmp_path, monkeypatch):
    from yolo_lat.data import shapes

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(shapes, "_write_split", boom)
    with pytest.raises(KeyboardInterrupt):
        ensure_shapes(tmp_path, ShapesConfig(train=2, val=1, imgsz=32))
    assert list(tmp_path.iterdir()) == []


def digest(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_shapes_output_is_unchanged(tmp_path):
    """Pixels, boxes and written files (all but the JPEG bytes, which depend on libjpeg) as hashed
    before the writer was shared with shapes-dense; a change here needs a new shapes VERSION."""
    renders = ""
    for cfg in (ShapesConfig(), ShapesConfig(imgsz=64, seed=7, max_objects=3)):
        for split in ("train", "val"):
            for i in range(4):
                img, boxes = render(cfg, split, i)
                renders += digest(img.tobytes() + repr(boxes).encode())
    assert digest(renders.encode()) == "f1bb97faa68faa53ba9ef50be0d67b325f7a2f504ef3d2b6ce745938b8298b50"
    root = ensure_shapes(tmp_path, ShapesConfig(train=5, val=3, imgsz=96, seed=2)).parent
    files = {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file() and p.suffix != ".jpg"}
    files = "".join(digest(files[k].read_bytes().replace(str(root).encode(), b"ROOT")) for k in sorted(files))
    assert digest(files.encode()) == "39f6b231264b0979668b92aa2ec6516a592be32e87cd3717025f5f247e753a5f"
