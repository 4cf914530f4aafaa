"""COCO instances JSON <-> YOLO labels.

``coco_json_to_yolo`` turns a COCO detection split into the layout Ultralytics reads, inside a
cache folder and without touching the user's files: ``images/<split>/<image_id>.<ext>`` are
links to the original images (copies where links are impossible), ``labels/<split>/*.txt`` hold
YOLO boxes. Category ids need not be contiguous: class index i is the i-th category by id, and
``index.json`` maps class indices back to category ids and file stems back to image ids, so
every prediction can be reported with the original ids.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from ultralytics.utils import LOGGER

from .atomic import atomic_dir

__all__ = ["coco_json_to_yolo", "load_index"]


def _read_json(path: Path) -> dict:
    try:
        d = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"COCO annotations '{path}' not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"COCO annotations '{path}' is not valid JSON: {exc}") from None
    if not isinstance(d, dict) or not all(k in d for k in ("images", "annotations", "categories")):
        raise ValueError(f"COCO annotations '{path}' must be an object with 'images', 'annotations' and 'categories'")
    return d


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


def _cache_key(paths: dict[str, Path]) -> str:
    h = hashlib.sha1()
    for split, p in sorted(paths.items()):
        st = Path(p).stat()
        h.update(f"{split}:{Path(p).resolve()}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


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

    docs = {split: _read_json(p) for split, p in splits.items()}
    cats: dict[int, str] = {}
    for d in docs.values():
        for c in d["categories"]:
            if cats.setdefault(int(c["id"]), str(c["name"])) != str(c["name"]):
                raise ValueError(f"category id {c['id']} has different names across splits")
    if not cats:
        raise ValueError(f"COCO annotations {list(map(str, splits.values()))} define no categories")
    cat_ids = sorted(cats)
    cls_of = {cid: i for i, cid in enumerate(cat_ids)}

    index = {"categories": {str(i): cid for i, cid in enumerate(cat_ids)}, "images": {}, "json": {}}
    with atomic_dir(out, "data.yaml") as tmp:
        for split, d in docs.items():
            (tmp / "images" / split).mkdir(parents=True)
            (tmp / "labels" / split).mkdir(parents=True)
            bases = _image_bases(splits[split], split, root)
            by_image: dict[int, list[dict]] = {}
            for a in d["annotations"]:
                by_image.setdefault(int(a["image_id"]), []).append(a)
            missing, kept = [], 0
            for im in d["images"]:
                iid, w, h = int(im["id"]), float(im["width"]), float(im["height"])
                src = _find_image(str(im["file_name"]), bases)
                if src is None:
                    missing.append(str(im["file_name"]))
                    continue
                stem = str(iid)
                _link(src, tmp / "images" / split / f"{stem}{src.suffix.lower()}")
                lines = []
                for a in by_image.get(iid, []):
                    if a.get("iscrowd", 0):
                        continue
                    if int(a["category_id"]) not in cls_of:
                        raise ValueError(
                            f"annotation {a.get('id')} in {splits[split]} has category_id {a['category_id']} "
                            "that is not among its categories"
                        )
                    x, y, bw, bh = (float(v) for v in a["bbox"])
                    x0, y0, x1, y1 = max(0.0, x), max(0.0, y), min(w, x + bw), min(h, y + bh)
                    if x1 <= x0 or y1 <= y0:
                        continue
                    cls = cls_of[int(a["category_id"])]
                    lines.append(
                        f"{cls} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} {(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}"
                    )
                (tmp / "labels" / split / f"{stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
                index["images"].setdefault(split, {})[stem] = iid
                kept += 1
            if missing:
                LOGGER.warning(
                    f"{len(missing)} image(s) of {splits[split]} not found and skipped, e.g. {missing[:3]} "
                    f"(searched {[str(b) for b in bases[:4]]} ...)"
                )
            if kept == 0:
                raise FileNotFoundError(
                    f"no image of {splits[split]} could be found (searched {[str(b) for b in bases]})"
                )
            index["json"][split] = str(splits[split].resolve())
        names = "\n".join(f"  {i}: {json.dumps(cats[cid])}" for i, cid in enumerate(cat_ids))
        split_lines = "".join(f"{split}: images/{split}\n" for split in docs)
        json_lines = "".join(f"  {split}: {json.dumps(index['json'][split])}\n" for split in docs)
        (tmp / "index.json").write_text(json.dumps(index))
        (tmp / "data.yaml").write_text(
            f"# converted from COCO JSON by YOLO-LAT (links to the original images)\npath: {out}\n{split_lines}"
            f"coco_json:\n{json_lines}coco_index: index.json\nnames:\n{names}\n"
        )
    return data_yaml


def load_index(data_yaml: Path) -> dict | None:
    """The id mapping written next to a converted dataset, or None."""
    p = Path(data_yaml).parent / "index.json"
    return json.loads(p.read_text()) if p.is_file() else None
