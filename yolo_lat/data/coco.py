"""COCO instances JSON <-> YOLO labels.

``coco_json_to_yolo`` turns a COCO detection split into the layout Ultralytics reads, inside a
cache folder and without touching the user's files: ``images/<split>/<stem>.<ext>`` are links to
the original images (copies where links are impossible), ``labels/<split>/<stem>.txt`` hold YOLO
boxes. Category ids need not be contiguous: class index i is the i-th category by id, and
``index.json`` maps class indices back to category ids and file stems back to image ids, so
every prediction can be reported with the original ids.

The result is what Ultralytics' own ``convert_coco`` gives (``cls91to80=False``, categories
numbered 1..K): the same file stems, so the images sort (and, with the same seed, shuffle) as in
a YOLO copy that kept their names, and the same label lines, computed and written as it does
(``%g``, duplicates dropped). Two differences, both on purpose: a box that reaches outside its
image is clipped to it (Ultralytics' loader would reject the whole image's labels for a
coordinate above 1), and the split's stems are the image ids when file names repeat a stem.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
from ultralytics.utils import LOGGER

from .boxes import coco_to_xyxy
from .files import atomic_dir, read_json

__all__ = ["COCO_KEYS", "coco_json_to_yolo"]

COCO_KEYS = ("images", "annotations", "categories")  # what every COCO instances JSON has


def _image_bases(json_path: Path, split: str, root: Path | None) -> list[Path]:
    """Folders a COCO ``file_name`` may be relative to, most specific first."""
    j = json_path.resolve().parent
    bases = []
    for base in (root, j, j.parent):
        if base is None:
            continue
        bases += [base, base / "images" / split, base / "images", base / split, base / f"{split}2017"]
    seen, out = set(), []
    for b in bases:
        if b not in seen:
            seen.add(b)
            out.append(b)
    return out


def _find_image(file_name: str, bases: list[Path]) -> Path | None:
    p = Path(file_name)
    if p.is_absolute():
        return p if p.is_file() else None
    for base in bases:
        for cand in (base / p, base / p.name):
            if cand.is_file():
                return cand
    return None


def _link(src: Path, dst: Path) -> None:
    try:
        os.symlink(src.resolve(), dst)
    except OSError:
        shutil.copy2(src, dst)


# the layout of a converted folder; a new version converts again instead of reusing an older cache
# (2: original file stems and Ultralytics' label lines; 1: image-id stems, 6 decimals)
LAYOUT_VERSION = 2


def _cache_key(paths: dict[str, Path]) -> str:
    h = hashlib.sha1(f"layout {LAYOUT_VERSION}".encode())
    for split, p in sorted(paths.items()):
        st = Path(p).stat()
        h.update(f"{split}:{Path(p).resolve()}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _categories(docs: dict[str, dict], splits: dict[str, Path]) -> dict[int, str]:
    """{category id: name} over every split; the same id with two names is an error."""
    cats: dict[int, str] = {}
    for d in docs.values():
        for c in d["categories"]:
            if cats.setdefault(int(c["id"]), str(c["name"])) != str(c["name"]):
                raise ValueError(f"category id {c['id']} has different names across splits")
    if not cats:
        raise ValueError(f"COCO annotations {list(map(str, splits.values()))} define no categories")
    return dict(sorted(cats.items()))


def _label_lines(anns: list[dict], cls_of: dict[int, int], w: float, h: float, source: Path) -> list[str]:
    """YOLO label lines of one image's annotations, as Ultralytics' ``convert_coco`` computes and
    writes them (``%g``, duplicates dropped); crowd and empty boxes dropped, boxes reaching outside
    the image clipped to it."""
    rows = []
    for a in anns:
        if a.get("iscrowd", 0):
            continue
        if int(a["category_id"]) not in cls_of:
            raise ValueError(
                f"annotation {a.get('id')} in {source} has category_id {a['category_id']} "
                "that is not among its categories"
            )
        box = np.array(a["bbox"], dtype=np.float64)  # x, y, width, height in pixels
        x0, y0, x1, y1 = coco_to_xyxy(box)
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:  # clipped to the image
            x0, y0, x1, y1 = np.clip([x0, y0, x1, y1], 0.0, [w, h, w, h])
            box = np.array([x0, y0, x1 - x0, y1 - y0])
        box[:2] += box[2:] / 2  # Ultralytics' convert_coco, operation for operation
        box[[0, 2]] /= w
        box[[1, 3]] /= h
        if box[2] <= 0 or box[3] <= 0:
            continue
        rows.append((cls_of[int(a["category_id"])], *box.tolist()))
    return [("%g " * len(r)).rstrip() % r for r in dict.fromkeys(rows)]


def _stems(images: list[dict], split: str, source: Path) -> list[str]:
    """File stems for a split's images: the original ones (so the images sort as in a YOLO copy that
    kept their names), or the image ids when two file names share a stem."""
    stems = [Path(str(im["file_name"])).stem for im in images]
    if len(set(stems)) == len(stems) and all(stems):
        return stems
    LOGGER.info(f"{source}: file names repeat a stem in '{split}', so the converted files are named by image id")
    return [str(int(im["id"])) for im in images]


def _convert_split(doc: dict, json_path: Path, split: str, root: Path | None, cls_of: dict[int, int],
                   out: Path) -> dict[str, int]:  # fmt: skip
    """Links and label files of one split under ``out``; returns {file stem: image id}."""
    (out / "images" / split).mkdir(parents=True)
    (out / "labels" / split).mkdir(parents=True)
    bases = _image_bases(json_path, split, root)
    by_image: dict[int, list[dict]] = {}
    for a in doc["annotations"]:
        by_image.setdefault(int(a["image_id"]), []).append(a)
    dangling = sorted(set(by_image) - {int(im["id"]) for im in doc["images"]})
    if dangling:  # a broken file: its boxes would silently vanish from training and evaluation
        first = by_image[dangling[0]][0]
        more = f" (and {len(dangling) - 1} more image ids)" if len(dangling) > 1 else ""
        raise ValueError(
            f"annotation {first.get('id')} in {json_path} refers to image_id {dangling[0]}{more}, which is not "
            "among its images; expected every annotation's image_id to be the id of an entry in 'images'"
        )
    missing, stems = [], {}
    for im, stem in zip(doc["images"], _stems(doc["images"], split, json_path)):
        iid, w, h = int(im["id"]), float(im["width"]), float(im["height"])
        src = _find_image(str(im["file_name"]), bases)
        if src is None:
            missing.append(str(im["file_name"]))
            continue
        _link(src, out / "images" / split / f"{stem}{src.suffix.lower()}")
        lines = _label_lines(by_image.get(iid, []), cls_of, w, h, json_path)
        (out / "labels" / split / f"{stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
        stems[stem] = iid
    if missing:
        LOGGER.warning(
            f"{len(missing)} image(s) of {json_path} not found and skipped, e.g. {missing[:3]} "
            f"(searched {[str(b) for b in bases[:4]]} ...)"
        )
    if not stems:
        raise FileNotFoundError(f"no image of {json_path} could be found (searched {[str(b) for b in bases]})")
    return stems


def coco_json_to_yolo(splits: dict[str, Path], cache_dir: Path, root: Path | None = None) -> Path:
    """Convert COCO JSON splits (e.g. {"train": a.json, "val": b.json}) once; returns the data.yaml.

    Missing images are skipped with a warning; a split with no usable image is an error.
    """
    splits = {k: Path(v) for k, v in splits.items()}
    for split, p in splits.items():
        if not p.is_file():
            raise FileNotFoundError(f"COCO annotations for '{split}' not found: {p}")
    out = Path(cache_dir) / f"coco-json-{_cache_key(splits)}"
    data_yaml = out / "data.yaml"
    if data_yaml.is_file():
        return data_yaml

    docs = {split: read_json(p, "COCO annotations", COCO_KEYS) for split, p in splits.items()}
    cats = _categories(docs, splits)
    cls_of = {cid: i for i, cid in enumerate(cats)}
    index = {"categories": {str(i): cid for cid, i in cls_of.items()}, "images": {}, "json": {}}
    with atomic_dir(out, "data.yaml") as tmp:
        for split, d in docs.items():
            index["images"][split] = _convert_split(d, splits[split], split, root, cls_of, tmp)
            index["json"][split] = str(splits[split].resolve())
        names = "\n".join(f"  {i}: {json.dumps(name)}" for i, name in enumerate(cats.values()))
        split_lines = "".join(f"{split}: images/{split}\n" for split in docs)
        json_lines = "".join(f"  {split}: {json.dumps(index['json'][split])}\n" for split in docs)
        (tmp / "index.json").write_text(json.dumps(index))
        (tmp / "data.yaml").write_text(
            f"# converted from COCO JSON by YOLO-LAT (links to the original images)\npath: {out}\n{split_lines}"
            f"coco_json:\n{json_lines}coco_index: index.json\nnames:\n{names}\n"
        )
    return data_yaml
