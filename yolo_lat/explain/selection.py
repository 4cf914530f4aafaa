"""Validating ``layers=`` and ``heads=``: one-line errors that name the valid values."""

from __future__ import annotations

from typing import Any

import torch.nn as nn

__all__ = ["select_heads", "select_layers"]


def _items(value: Any) -> list:
    """A value, a list/tuple of values, or a comma-separated string (brackets allowed) -> list."""
    if isinstance(value, str):
        return [s.strip() for s in value.strip().strip("[]()").split(",") if s.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value: Any) -> Any:
    """'3' -> 3 (as a command line gives it); anything else unchanged."""
    return int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else value


def select_layers(available: dict[str, nn.Module], layers: Any) -> dict[str, nn.Module]:
    """The chosen ELA layers, in model order.

    ``layers``: None (all); a layer name; a prefix of names (``model.10`` selects the ELA layers
    inside row 10, yolo-lat's P5 block); an index into the list of ELA layers; or a list / comma-separated string of these.
    """
    names = list(available)
    if not names:
        raise ValueError("the model has no ELA attention layers (ELAttention modules) to explain")
    if layers is None:
        return dict(available)
    chosen: set[str] = set()
    for item in (_as_int(i) for i in _items(layers)):
        if _is_int(item):
            if not 0 <= item < len(names):
                raise ValueError(f"layers: {item} is out of range 0..{len(names) - 1}; ELA layers: {', '.join(names)}")
            chosen.add(names[item])
        elif isinstance(item, str) and item:
            under = [n for n in names if n == item or n.startswith(item + ".")]
            if not under:
                raise ValueError(f"layers: {item!r} is not an ELA layer; ELA layers: {', '.join(names)}")
            chosen.update(under)
        else:
            raise ValueError(f"layers: {item!r} is not a layer name or index; ELA layers: {', '.join(names)}")
    if not chosen:
        raise ValueError(f"layers: {layers!r} names no layer; ELA layers: {', '.join(names)}")
    return {n: available[n] for n in names if n in chosen}


def select_heads(heads: Any, num_heads: dict[str, int]) -> dict[str, list[int]]:
    """The chosen heads of each layer (``num_heads``: layer -> its head count); None: all."""
    if heads is None:
        return {n: list(range(h)) for n, h in num_heads.items()}
    wanted = [_as_int(i) for i in _items(heads)]
    if not wanted:
        raise ValueError(f"heads: {heads!r} names no head")
    for item in wanted:
        if not _is_int(item):
            raise ValueError(f"heads: {item!r} is not a head index (an integer)")
    out = {}
    for name, count in num_heads.items():
        for item in wanted:
            if not 0 <= item < count:
                raise ValueError(
                    f"heads: {item} is out of range 0..{count - 1} for {name} (choose layers= to leave it out)"
                )
        out[name] = sorted(set(wanted))
    return out
