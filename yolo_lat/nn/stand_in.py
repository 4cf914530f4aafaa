"""Teaching Ultralytics' YAML parser about YOLO-LAT modules: the module registry and stand-ins.

Ultralytics' ``parse_model`` only scales channels and repeats for the block classes it knows, so
each YOLO-LAT row is first given to it as a *stand-in* of the same scaling family (see
``yolo_lat._ultralytics``):

- ``block`` modules (signature ``(c1, c2, n, ...)``, like C2PSA/A2C2f) stand in as ``C1``, a
  base block with repeats: the parser applies width, max_channels and depth to them exactly as
  to its own blocks;
- ``layer`` modules (channel-preserving, signature ``(c1, ...)``) stand in as ``nn.Identity``.

``plan_stand_ins`` rewrites a model dict that way and remembers each row; once the parser has
built the network, ``build_planned`` makes the real module with the channels and repeats it
resolved.
"""

from __future__ import annotations

import inspect
from copy import deepcopy
from typing import NamedTuple

import torch.nn as nn

from .. import _ultralytics as ul
from .block import ELABlock
from .elattention import ELAttention

__all__ = ["MODULES", "PlannedRow", "build_planned", "plan_stand_ins", "register_module"]

# name -> (class, kind); kind "block": (c1, c2, n, *args, **kwargs), "layer": (c1, *args, **kwargs)
MODULES: dict[str, tuple[type[nn.Module], str]] = {
    "ELABlock": (ELABlock, "block"),
    "ELAttention": (ELAttention, "layer"),
}
_STAND_IN = {"block": ul.STAND_IN_BLOCK, "layer": ul.STAND_IN_LAYER}


class PlannedRow(NamedTuple):
    """A YOLO-LAT row given to the parser as a stand-in: its module name and the arguments after c1
    (and, for blocks, after c2 and n, which the parser resolves)."""

    name: str
    args: list
    kwargs: dict


def register_module(name: str, cls: type[nn.Module], kind: str = "block") -> None:
    """Make ``cls`` usable as a YAML row module under ``name`` (kind ``block`` or ``layer``)."""
    if kind not in _STAND_IN:
        raise ValueError(f"kind must be one of {list(_STAND_IN)}, got {kind!r}")
    MODULES[name] = (cls, kind)


def _params(cls: type) -> list[str]:
    return [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "c1", "c2", "n")]


def _accepts(cls: type, key: str) -> bool:
    return key in inspect.signature(cls.__init__).parameters


def _split_args(args: list) -> tuple[list, dict]:
    """Positional args and one optional trailing mapping of keyword args."""
    if args and isinstance(args[-1], dict):
        return list(args[:-1]), dict(args[-1])
    return list(args), {}


def _check_row(row: object, i: int, where: str) -> None:
    if not (isinstance(row, list) and len(row) == 4):
        raise ValueError(f"{where}: row {i} must be [from, repeats, module, args], got {row!r}")
    name = row[2]
    if not isinstance(name, str) or not (name in MODULES or ul.parser_knows(name)):
        raise ValueError(
            f"{where}: unknown module '{name}' in row {i}; YOLO-LAT modules are {', '.join(MODULES)}, "
            "other rows must name an Ultralytics module (e.g. Conv, C3k2) or nn.<Layer>"
        )


def plan_stand_ins(d: dict) -> tuple[dict, dict[int, PlannedRow]]:
    """Copy of model dict ``d`` with YOLO-LAT rows replaced by stand-ins, and the plan: row -> PlannedRow.

    The ``ela:`` mapping gives keyword defaults to every YOLO-LAT module that accepts them; a row's own
    trailing ``{key: value}`` overrides them.
    """
    out = deepcopy(d)
    plan: dict[int, PlannedRow] = {}
    defaults = dict(d.get("ela") or {})
    where = d.get("yaml_file", "model YAML")
    unknown = [k for k in defaults if not any(_accepts(cls, k) for cls, _ in MODULES.values())]
    if unknown:
        raise ValueError(f"{where}: 'ela' has unknown key(s) {unknown}; ELABlock takes {_params(ELABlock)}")
    for i, row in enumerate(out["backbone"] + out["head"]):
        _check_row(row, i, where)
        f, _, name, args = row
        if name not in MODULES:
            continue
        if not isinstance(f, int):
            raise ValueError(f"{where}: {name} in row {i} takes one input, got from={f!r}")
        cls, kind = MODULES[name]
        pos, kw = _split_args(list(args or []))
        kwargs = {**{k: v for k, v in defaults.items() if _accepts(cls, k)}, **kw}
        if kind == "block":
            if not pos:
                raise ValueError(f"{where}: {name} in row {i} needs its output channels as first arg")
            row[2], row[3] = _STAND_IN[kind], [pos[0]]
            plan[i] = PlannedRow(name, pos[1:], kwargs)
        else:
            row[2], row[3] = _STAND_IN[kind], []
            plan[i] = PlannedRow(name, pos, kwargs)
    return out, plan


def build_planned(row: PlannedRow, stand_in: nn.Module, c1: int, where: str) -> nn.Module:
    """The real module for a planned row, with the channels and repeats the parser gave its stand-in
    (``c1``: the input channels it receives); it takes the stand-in's place in the network."""
    cls, kind = MODULES[row.name]
    try:
        if kind == "block":
            _, c2, n = ul.stand_in_block_shape(stand_in)
            new = cls(c1, c2, n, *row.args, **row.kwargs)
            resolved = [c1, c2, n, *row.args]
        else:
            n = ul.stand_in_layer_repeats(stand_in)
            layers = [cls(c1, *row.args, **row.kwargs) for _ in range(n)]
            new = nn.Sequential(*layers) if n > 1 else layers[0]
            resolved = [c1, *row.args]
    except TypeError as exc:
        raise ValueError(f"{where} ({row.name}): {exc}; {row.name} takes {_params(cls)}") from None
    ul.adopt_layer(stand_in, new, f"{cls.__module__}.{cls.__name__}")
    new.resolved_args = [*resolved, row.kwargs] if row.kwargs else resolved
    return new
