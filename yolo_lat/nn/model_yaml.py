"""Model YAML files: finding them, their scale suffix, and ``base:`` inheritance.

``yolo-lat-n.yaml`` is scale n of cfg/models/yolo-lat.yaml, as ``yolo11n.yaml`` is scale n of
Ultralytics' yolo11.yaml; a YAML may name a ``base:`` file whose top-level keys it replaces.
Building a network from the resulting dict is ``YOLOLATDetectionModel``'s job (tasks.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from ultralytics.utils import YAML

from .. import _ultralytics as ul
from ..paths import CFG_DIRS

__all__ = ["load_model_yaml", "resolve_model_yaml"]

_SCALE_SUFFIX = re.compile(r"^(?P<base>.+)-(?P<scale>[nslmx])$")


def _find_yaml(name: str) -> Path | None:
    p = Path(name)
    if p.is_file():
        return p
    for d in CFG_DIRS:
        for cand in (d / name, d / p.name):
            if cand.is_file():
                return cand
    return None


def resolve_model_yaml(name: str | Path) -> tuple[Path, str]:
    """Find a model YAML and its scale: ``yolo-lat-n.yaml`` -> (cfg/models/yolo-lat.yaml, "n").

    A file that exists under the exact name wins (``yolo-lat-t.yaml`` is its own model); otherwise
    a trailing ``-n/-s/-m/-l/-x`` selects that scale of the base file, as ``yolo11n.yaml`` selects
    scale n of ``yolo11.yaml`` in Ultralytics.
    """
    name = str(name)
    stem = Path(name).stem
    exact = _find_yaml(name)
    m = _SCALE_SUFFIX.match(stem)
    if exact is not None:
        scale = m.group("scale") if m and "scales" in (YAML.load(exact) or {}) else ""
        return exact, scale
    if m:
        base = _find_yaml(str(Path(name).with_name(m.group("base") + Path(name).suffix)))
        if base is not None:
            return base, m.group("scale")
    searched = ", ".join(str(d) for d in CFG_DIRS)
    raise FileNotFoundError(f"model YAML '{name}' not found (looked in the working directory and {searched})")


def _merge(base: dict, child: dict) -> dict:
    """The child's keys replace the base's, except ``ela`` (block defaults), which is merged key by key."""
    out = {**base, **child}
    if isinstance(base.get("ela"), dict) and isinstance(child.get("ela"), dict):
        out["ela"] = {**base["ela"], **child["ela"]}
    return out


def _load_with_base(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    if path.resolve() in seen:
        raise ValueError(f"model YAML {path} inherits from itself (base chain {[str(s) for s in seen]})")
    d = YAML.load(path) or {}
    if not isinstance(d, dict):
        raise ValueError(f"model YAML {path} is not a mapping")
    base = d.pop("base", None)
    if base:
        bpath = path.parent / base if (path.parent / base).is_file() else _find_yaml(base)
        if bpath is None:
            raise FileNotFoundError(f"model YAML {path}: base '{base}' not found")
        d = _merge(_load_with_base(bpath, (*seen, path.resolve())), d)
    return d


def load_model_yaml(name: str | Path) -> dict:
    """Model dict for a YOLO-LAT (or any Ultralytics) model YAML name, with ``scale`` set.

    YOLO-LAT YAMLs may name a ``base:`` file whose top-level keys they replace (the softmax twin
    and the ablation variants share yolo-lat.yaml's layout this way); ``ela:`` block defaults
    are merged key by key. A name found nowhere here that is an Ultralytics model name
    (``yolo11n.yaml``) is loaded from Ultralytics' package.
    """
    try:
        path, scale = resolve_model_yaml(name)
    except FileNotFoundError:
        d = ul.ultralytics_model_yaml(name)
        if d is not None:
            return d
        raise
    d = _load_with_base(path)
    for key in ("backbone", "head"):
        if not isinstance(d.get(key), list):
            raise ValueError(f"model YAML {path} has no '{key}' list")
    scale = scale or d.get("scale", "")  # a file may fix its own scale (yolo-lat-t.yaml)
    if scale and scale not in d.get("scales", {}):
        raise ValueError(f"model YAML {path} has no scale '{scale}'; scales: {list(d.get('scales', {}))}")
    d["scale"] = scale
    d["yaml_file"] = str(name)
    return d
