"""``YOLOLATDetectionModel``: Ultralytics' ``DetectionModel`` built from a YAML with YOLO-LAT modules.

The YAML file is found and read by model_yaml.py; its YOLO-LAT rows go to Ultralytics' parser as
stand-ins (stand_in.py), which this class replaces by the real modules once the network is built.
(Checkpoints pickle the class under this module's name, ``yolo_lat.nn.tasks``: keep it here.)
"""

from __future__ import annotations

import contextlib
from copy import deepcopy
from pathlib import Path

import torch
import torch.nn as nn
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils import LOGGER

from .. import _ultralytics as ul
from .model_yaml import load_model_yaml
from .moe import MoEFFN
from .stand_in import PlannedRow, build_planned, plan_stand_ins

__all__ = ["YOLOLATDetectionModel"]


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

    def __init__(
        self, cfg: str | Path | dict = "yolo-lat-n.yaml", ch: int = 3, nc: int | None = None, verbose: bool = True
    ):
        d = deepcopy(cfg) if isinstance(cfg, dict) else load_model_yaml(cfg)
        stand_in, plan = plan_stand_ins(d)
        super().__init__(stand_in, ch=ch, nc=nc, verbose=False)
        d.update(ul.parser_resolved(self))
        self.yaml = d
        if plan:
            self._build_planned(plan, ch)
        ul.initialize_weights(self)
        if verbose:
            self._log_layers()
            self.info()
            LOGGER.info("")

    def _build_planned(self, plan: dict[int, PlannedRow], ch: int) -> None:
        """Replace each stand-in by its YOLO-LAT module, with the channels the parser resolved."""
        in_ch: dict[int, int] = {}
        hooks = [
            self.model[i].register_forward_pre_hook(lambda m, x, i=i: in_ch.__setitem__(i, x[0].shape[1])) for i in plan
        ]
        s = int(max(self.stride.max().item(), 32)) * 2
        try:
            with torch.no_grad(), _eval_mode(self):
                self.predict(torch.zeros(1, ch, s, s))
        finally:
            for h in hooks:
                h.remove()
        where = self.yaml.get("yaml_file", "model YAML")
        for i, row in plan.items():
            self.model[i] = build_planned(row, self.model[i], in_ch[i], f"{where}: row {i}")

    def moe_aux_loss(self) -> torch.Tensor | None:
        """Sum of the MoE load-balancing losses of the last forward pass, or None without MoE."""
        losses = [m.aux_loss for m in self.modules() if isinstance(m, MoEFFN) and m.aux_loss is not None]
        return torch.stack(losses).sum() if losses else None

    def loss(self, batch: dict, preds=None):
        """Ultralytics' detection loss, plus the MoE load-balancing loss (logged as ``moe_loss``),
        added the way Ultralytics' criterion returns its own terms (scaled by the batch size)."""
        if preds is None:
            preds = self.forward(batch["img"])
        loss, items = super().loss(batch, preds)
        aux = self.moe_aux_loss()
        if aux is None:
            return loss, items
        return ul.append_loss_term(loss, items, "moe_loss", aux, batch["img"].shape[0])

    def _log_layers(self) -> None:
        rows = self.yaml["backbone"] + self.yaml["head"]
        LOGGER.info(f"\n{'':>3}{'from':>20}{'n':>3}{'params':>10}  {'module':<45}{'arguments':<30}")
        for i, m in enumerate(self.model):
            f, n_params, type_name = ul.layer_summary(m)
            args = getattr(m, "resolved_args", rows[i][3])
            LOGGER.info(f"{i:>3}{f!s:>20}{rows[i][1]:>3}{n_params:10.0f}  {type_name:<45}{args!s:<30}")
