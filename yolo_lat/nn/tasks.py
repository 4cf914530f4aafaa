"""YOLO-LAT model YAMLs: file resolution, scales, and building them with Ultralytics' parser.

This is the one place that teaches Ultralytics' YAML parser about YOLO-LAT modules, without
editing the installed package. Ultralytics' ``parse_model`` only scales channels and repeats
for the block classes it knows, so each YOLO-LAT row is first given to it as a *stand-in* of
the same scaling family:

- ``block`` modules (signature ``(c1, c2, n, ...)``, like C2PSA/A2C2f) stand in as ``C1``, a
  base block with repeats: the parser applies width, max_channels and depth to them exactly as
  to its own blocks;
- ``layer`` modules (channel-preserving, signature ``(c1, ...)``) stand in as ``nn.Identity``.

After the parser has built the network (strides, Detect head and all), each stand-in is
replaced by the real module, built with the channels and repeats the parser resolved.
"""

from __future__ import annotations

import contextlib
import inspect
import re
from copy import deepcopy
from pathlib import Path

import torch
import torch.nn as nn
from ultralytics.nn import tasks as ul_tasks
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils import LOGGER, YAML
from ultralytics.utils.torch_utils import initialize_weights

from ..paths import CFG_DIRS
from .attention import ELAttention
from .block import ELABlock
from .moe import MoEFFN

__all__ = ["MODULES", "YOLOLATDetectionModel", "load_model_yaml", "register_module", "resolve_model_yaml"]

# name -> (class, kind); kind "block": (c1, c2, n, *args, **kwargs), "layer": (c1, *args, **kwargs)
MODULES: dict[str, tuple[type[nn.Module], str]] = {
    "ELABlock": (ELABlock, "block"),
    "ELAttention": (ELAttention, "layer"),
}
_STAND_IN = {"block": "C1", "layer": "nn.Identity"}
_SCALE_SUFFIX = re.compile(r"^(?P<base>.+)-(?P<scale>[nslmx])$")


def register_module(name: str, cls: type[nn.Module], kind: str = "block") -> None:
    """Make ``cls`` usable as a YAML row module under ``name`` (kind ``block`` or ``layer``)."""
    if kind not in _STAND_IN:
        raise ValueError(f"kind must be one of {list(_STAND_IN)}, got {kind!r}")
    MODULES[name] = (cls, kind)


# --------------------------------------------------------------------------- YAML files
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
    are merged key by key.
    """
    try:
        path, scale = resolve_model_yaml(name)
    except FileNotFoundError:
        if re.search(r"yolo(e-)?v?\d+[nslmx]?", Path(str(name)).stem):  # an Ultralytics model name
            return ul_tasks.yaml_model_load(name)
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


# --------------------------------------------------------------------------- building
def _known_module(name: str) -> bool:
    if name in MODULES:
        return True
    if name.startswith("nn."):
        return hasattr(nn, name[3:])
    if name.startswith("torchvision.ops."):
        return True
    return isinstance(getattr(ul_tasks, name, None), type)


def _split_args(args: list) -> tuple[list, dict]:
    """Positional args and one optional trailing mapping of keyword args."""
    if args and isinstance(args[-1], dict):
        return list(args[:-1]), dict(args[-1])
    return list(args), {}


def _stand_in(d: dict) -> tuple[dict, dict[int, tuple[str, list, dict]]]:
    """Copy of ``d`` with YOLO-LAT rows replaced by stand-ins; the plan maps row -> (module, args, kwargs)."""
    out = deepcopy(d)
    plan: dict[int, tuple[str, list, dict]] = {}
    defaults = dict(d.get("ela") or {})
    where = d.get("yaml_file", "model YAML")
    unknown = [k for k in defaults if not any(_accepts(cls, k) for cls, _ in MODULES.values())]
    if unknown:
        raise ValueError(f"{where}: 'ela' has unknown key(s) {unknown}; ELABlock takes {_params(ELABlock)}")
    rows = out["backbone"] + out["head"]
    for i, row in enumerate(rows):
        if not (isinstance(row, list) and len(row) == 4):
            raise ValueError(f"{where}: row {i} must be [from, repeats, module, args], got {row!r}")
        f, n, name, args = row
        if not isinstance(name, str) or not _known_module(name):
            known = ", ".join(MODULES)
            raise ValueError(
                f"{where}: unknown module '{name}' in row {i}; YOLO-LAT modules are {known}, "
                "other rows must name an Ultralytics module (e.g. Conv, C3k2) or nn.<Layer>"
            )
        if name not in MODULES:
            continue
        if not isinstance(f, int):
            raise ValueError(f"{where}: {name} in row {i} takes one input, got from={f!r}")
        pos, kw = _split_args(list(args or []))
        kind = MODULES[name][1]
        kwargs = {**{k: v for k, v in defaults.items() if _accepts(MODULES[name][0], k)}, **kw}
        if kind == "block":
            if not pos:
                raise ValueError(f"{where}: {name} in row {i} needs its output channels as first arg")
            row[2], row[3] = _STAND_IN[kind], [pos[0]]
            plan[i] = (name, pos[1:], kwargs)
        else:
            row[2], row[3] = _STAND_IN[kind], []
            plan[i] = (name, pos, kwargs)
    return out, plan


def _params(cls: type) -> list[str]:
    return [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "c1", "c2", "n")]


def _accepts(cls: type, key: str) -> bool:
    return key in inspect.signature(cls.__init__).parameters


@contextlib.contextmanager
def _eval_mode(model: nn.Module):
    was = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was)


class YOLOLATDetectionModel(DetectionModel):
    """Ultralytics ``DetectionModel`` built from a YAML that may contain YOLO-LAT modules.

    Args:
        cfg: model YAML name or path (``yolo-lat-n.yaml``), or a model dict.
        ch: input channels.
        nc: number of classes (overrides the YAML).
        verbose: log the layer table and model summary.
    """

    def __init__(self, cfg: str | Path | dict = "yolo-lat-n.yaml", ch: int = 3, nc: int | None = None, verbose=True):
        d = deepcopy(cfg) if isinstance(cfg, dict) else load_model_yaml(cfg)
        stand_in, plan = _stand_in(d)
        super().__init__(stand_in, ch=ch, nc=nc, verbose=False)
        d["nc"], d["channels"] = self.yaml["nc"], self.yaml["channels"]
        self.yaml = d
        if plan:
            self._build_planned(plan, ch)
        initialize_weights(self)
        if verbose:
            self._log_layers(plan)
            self.info()
            LOGGER.info("")

    def _build_planned(self, plan: dict[int, tuple[str, list, dict]], ch: int) -> None:
        """Replace each stand-in by its YOLO-LAT module, with the channels the parser resolved."""
        in_ch: dict[int, int] = {}
        hooks = [
            self.model[i].register_forward_pre_hook(lambda m, x, i=i: in_ch.__setitem__(i, x[0].shape[1])) for i in plan
        ]
        s = int(max(self.stride.max().item(), 32)) * 2
        try:
            with torch.no_grad(), _eval_mode(self):
                self._predict_once(torch.zeros(1, ch, s, s))
        finally:
            for h in hooks:
                h.remove()
        for i, (name, args, kwargs) in plan.items():
            old = self.model[i]
            cls, kind = MODULES[name]
            c1 = in_ch[i]
            try:
                if kind == "block":
                    c2, n = old.cv1.conv.out_channels, len(old.m)
                    new = cls(c1, c2, n, *args, **kwargs)
                    resolved = [c1, c2, n, *args]
                else:
                    n = len(old) if isinstance(old, nn.Sequential) else 1
                    layers = [cls(c1, *args, **kwargs) for _ in range(n)]
                    new = nn.Sequential(*layers) if n > 1 else layers[0]
                    resolved = [c1, *args]
            except TypeError as exc:
                where = self.yaml.get("yaml_file", "model YAML")
                raise ValueError(f"{where}: row {i} ({name}): {exc}; {name} takes {_params(cls)}") from None
            new.np = sum(p.numel() for p in new.parameters())
            new.i, new.f, new.type = old.i, old.f, f"{cls.__module__}.{cls.__name__}"
            new.resolved_args = [*resolved, kwargs] if kwargs else resolved
            self.model[i] = new

    def moe_aux_loss(self) -> torch.Tensor | None:
        """Sum of the MoE load-balancing losses of the last forward pass, or None without MoE."""
        losses = [m.aux_loss for m in self.modules() if isinstance(m, MoEFFN) and m.aux_loss is not None]
        return torch.stack(losses).sum() if losses else None

    def loss(self, batch: dict, preds=None):
        """Ultralytics' detection loss, plus the MoE load-balancing loss (logged as ``moe_loss``).

        The criterion returns its terms multiplied by the batch size; the auxiliary term is scaled
        the same way and appended, so that the trainer's ``loss.sum()`` includes it once."""
        if preds is None:
            preds = self.forward(batch["img"])
        loss, items = super().loss(batch, preds)
        aux = self.moe_aux_loss()
        if aux is None:
            return loss, items
        scaled = (aux * batch["img"].shape[0]).reshape(1).to(loss.dtype)
        return torch.cat([loss.reshape(-1), scaled]), {**items, "moe_loss": aux.detach()}

    def _log_layers(self, plan: dict) -> None:
        rows = self.yaml["backbone"] + self.yaml["head"]
        LOGGER.info(f"\n{'':>3}{'from':>20}{'n':>3}{'params':>10}  {'module':<45}{'arguments':<30}")
        for i, m in enumerate(self.model):
            args = getattr(m, "resolved_args", rows[i][3])
            n = rows[i][1]
            LOGGER.info(f"{i:>3}{m.f!s:>20}{n:>3}{m.np:10.0f}  {m.type:<45}{args!s:<30}")
