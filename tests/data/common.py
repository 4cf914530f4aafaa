"""Test data built from the tiny shapes dataset (shared by tests/data and tests/engine)."""

import json
import shutil
from pathlib import Path


def make_coco_copy(tiny_data: Path, tmp_path: Path, cat_ids=(3, 7, 11, 20, 42, 99), id_offset=1000) -> Path:
    """The tiny dataset's COCO JSON with non-contiguous category ids and shifted image ids,
    images referenced as exporters write them (relative 'images/<split>/<name>'); returns its data.yaml."""
    src = tiny_data.parent
    out = tmp_path / "mycoco"
    shutil.copytree(src / "images", out / "images")
    (out / "annotations").mkdir(parents=True)
    for split in ("train", "val"):
        d = json.loads((src / "annotations" / f"instances_{split}.json").read_text())
        remap = {c["id"]: cat_ids[i] for i, c in enumerate(d["categories"])}
        for c in d["categories"]:
            c["id"] = remap[c["id"]]
        for im in d["images"]:
            im["id"] += id_offset
            im["file_name"] = f"images/{split}/{im['file_name']}"
        for a in d["annotations"]:
            a["image_id"] += id_offset
            a["category_id"] = remap[a["category_id"]]
        (out / "annotations" / f"instances_{split}.json").write_text(json.dumps(d))
    data = out / "data.yaml"
    data.write_text("path: .\ntrain: annotations/instances_train.json\nval: annotations/instances_val.json\n")
    return data
