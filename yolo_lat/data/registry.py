"""``data=`` resolution: dataset names from datasets.yaml, Ultralytics data YAMLs, COCO JSON splits.

``resolve_data(x)`` returns the path of an Ultralytics data YAML for:

- a name in datasets.yaml: ``shapes``, ``shapes-dense`` (generated on first use) or ``coco`` (COCO 2017 layout at
  the path set there or in $YOLO_LAT_COCO, converted once from its instances JSON);
- any Ultralytics data YAML (returned as is);
- a data YAML whose ``train:``/``val:`` are COCO instances JSON files (converted once and cached).

Nothing is downloaded: a dataset that is not on disk is an error that says where it was looked for.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import yaml

from ..paths import DATASETS_YAML
from .coco import coco_json_to_yolo
from .shapes import ShapesConfig, ensure_shapes
from .shapes_dense import DenseShapesConfig, ensure_shapes_dense

__all__ = ["cache_dir", "dataset_train_defaults", "resolve_data"]

# datasets.yaml types that are generated: type -> (config class, whose fields the entry may set; generator)
GENERATED = {"shapes": (ShapesConfig, ensure_shapes), "shapes-dense": (DenseShapesConfig, ensure_shapes_dense)}


def cache_dir() -> Path:
    """Where generated and converted datasets live: $YOLO_LAT_CACHE or ~/.cache/yolo-lat."""
    return Path(os.environ.get("YOLO_LAT_CACHE") or Path.home() / ".cache" / "yolo-lat") / "datasets"


def _registry() -> dict:
    if not DATASETS_YAML.is_file():
        return {}
    return yaml.safe_load(DATASETS_YAML.read_text()) or {}


def dataset_train_defaults(data: str | Path) -> dict:
    """Training settings a datasets.yaml entry recommends (its ``train_defaults``), else {}."""
    entry = _registry().get(str(data)) if isinstance(data, (str, Path)) else None
    return dict((entry or {}).get("train_defaults") or {})


def _coco_root(entry: dict) -> Path:
    env = os.environ.get("YOLO_LAT_COCO")
    root = Path(env) if env else (DATASETS_YAML.parent / entry.get("path", "")).resolve()
    return root


def _resolve_named(name: str, entry: dict) -> Path:
    kind = entry.get("type", name)
    if kind in GENERATED:
        config, ensure = GENERATED[kind]
        fields = {f.name: entry[f.name] for f in dataclasses.fields(config) if f.name in entry}
        return ensure(cache_dir(), config(**fields))
    if kind == "coco":
        root = _coco_root(entry)
        ann = root / "annotations"
        splits = {s: ann / f"instances_{s}2017.json" for s in ("train", "val")}
        missing = [str(p) for p in splits.values() if not p.is_file()]
        if missing:
            raise FileNotFoundError(
                f"COCO 2017 not found at {root} (missing {', '.join(missing)}); set 'coco: path:' in "
                f"{DATASETS_YAML} or the YOLO_LAT_COCO environment variable to your COCO root "
                "(annotations/instances_{train,val}2017.json with images in train2017/ and val2017/)"
            )
        return coco_json_to_yolo(splits, cache_dir(), root)
    expected = ", ".join([*GENERATED, "coco"])
    raise ValueError(f"datasets.yaml entry '{name}' has unknown type '{kind}' (expected one of {expected})")


def _is_json(v) -> bool:
    return isinstance(v, str) and v.lower().endswith(".json")


def resolve_data(data: str | Path) -> str:
    """Path of an Ultralytics data YAML for ``data`` (a dataset name or a data YAML path)."""
    if data is None or str(data).strip() == "":
        raise ValueError("no dataset given: pass data=shapes, data=coco or data=path/to/data.yaml")
    s = str(data)
    reg = _registry()
    if s in reg and not Path(s).exists():
        return str(_resolve_named(s, reg[s] or {}))
    p = Path(s)
    if p.suffix.lower() in (".yaml", ".yml"):
        if not p.is_file():
            if p.name in reg or p.stem in reg:  # data=shapes.yaml for the registered name
                return str(_resolve_named(p.stem, reg[p.stem] or {}))
            raise FileNotFoundError(f"data YAML '{s}' not found")
        d = yaml.safe_load(p.read_text()) or {}
        if not isinstance(d, dict):
            raise ValueError(f"data YAML '{s}' is not a mapping")
        if _is_json(d.get("train")) or _is_json(d.get("val")):
            root = p.parent / d["path"] if d.get("path") else p.parent
            root = root.resolve()
            splits = {k: (root / d[k]) for k in ("train", "val", "test") if _is_json(d.get(k))}
            return str(coco_json_to_yolo(splits, cache_dir(), root))
        return s
    if p.suffix.lower() == ".json":
        raise ValueError(f"data='{s}' is a JSON file; write a data YAML with 'train: {s}' and 'val: ...' instead")
    known = ", ".join(reg) or "none"
    raise FileNotFoundError(f"unknown dataset '{s}': not a data YAML and not in {DATASETS_YAML} (known: {known})")
