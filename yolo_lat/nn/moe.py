"""Mixture-of-experts FFN with the ELA paper's routing-score bias (arXiv 2605.18848, Sec. MoE).

For every position of x: (B, C, H, W) a router (1×1 conv) gives logits over E experts; softmax
probabilities p, the top-k experts, and their scores S_e renormalised to sum to 1. Each expert
is an FFN (1×1 conv c -> h -> c); each expert also has a learnable *label vector* B_e ∈ R^C.
The paper's two variants:

    bias="outside":  y = Σ_{e∈top-k} S_e · ffn_e(x) + B_e
    bias="inside":   y = Σ_{e∈top-k} S_e · (ffn_e(x) + B_e)

Load balancing (Switch Transformer form): aux = coef · E · Σ_e f_e · P_e, with f_e the fraction
of top-k assignments that go to expert e and P_e the mean router probability of e; it is 1·coef
for a perfectly balanced router. Only P_e carries gradient (to the router). The model adds it
to the detection loss (``YOLOLATDetectionModel.loss``), where it is logged as ``moe_loss``.

The experts are evaluated densely (all E, then combined with zero weights off the top-k): the
same function as sparse dispatch, export-friendly (TopK and ScatterElements in ONNX), at E/k
times the FFN compute.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from ultralytics.nn.modules import Conv

__all__ = ["MoEFFN"]


class MoEFFN(nn.Module):
    """Top-k routed FFN experts with label-vector bias; x: (B, c, H, W) -> (B, c, H, W).

    Args:
        c: channels.
        hidden: hidden channels of each expert.
        experts: number of experts E.
        top_k: experts per position.
        bias: "outside" (S_e·ffn_e(x) + B_e) or "inside" (S_e·(ffn_e(x) + B_e)).
        aux_coef: weight of the load-balancing loss.
    """

    def __init__(
        self, c: int, hidden: int, experts: int = 4, top_k: int = 2, bias: str = "outside", aux_coef: float = 0.01
    ):
        super().__init__()
        if not 1 <= top_k <= experts:
            raise ValueError(f"MoEFFN: top_k={top_k} must be between 1 and experts={experts}")
        if bias not in ("outside", "inside"):
            raise ValueError(f"MoEFFN: bias must be 'outside' or 'inside', got {bias!r}")
        self.c, self.experts, self.top_k, self.bias, self.aux_coef = c, experts, top_k, bias, aux_coef
        self.router = nn.Conv2d(c, experts, 1)
        # all experts at once: one 1×1 conv c -> E·hidden, then a grouped 1×1 conv per expert -> E·c
        self.fc1 = Conv(c, experts * hidden, 1)
        self.fc2 = Conv(experts * hidden, experts * c, 1, g=experts, act=False)
        self.labels = nn.Parameter(torch.zeros(experts, c))  # B_e
        nn.init.normal_(self.router.weight, std=0.01)
        nn.init.zeros_(self.router.bias)
        self.aux_loss: torch.Tensor | None = None  # set by every forward

    def route(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(probabilities p, renormalised top-k scores S, top-k mask), each (B, E, H, W)."""
        probs = self.router(x).float().softmax(dim=1)
        top, idx = probs.topk(self.top_k, dim=1)
        scores = torch.zeros_like(probs).scatter(1, idx, top / top.sum(1, keepdim=True))
        mask = torch.zeros_like(probs).scatter(1, idx, torch.ones_like(top))
        return probs, scores, mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        probs, scores, mask = self.route(x)
        out = self.fc2(self.fc1(x)).view(b, self.experts, c, h, w)
        scores = scores.to(out.dtype)
        y = (scores.unsqueeze(2) * out).sum(1)
        bias_weight = mask if self.bias == "outside" else scores
        y = y + torch.einsum("behw,ec->bchw", bias_weight.to(out.dtype), self.labels.to(out.dtype))
        frac = mask.mean((0, 2, 3)) / self.top_k  # f_e (no gradient: from the hard top-k choice)
        mean_prob = probs.mean((0, 2, 3))  # P_e
        self.aux_loss = self.aux_coef * self.experts * (frac.detach() * mean_prob).sum()
        return y

    def extra_repr(self) -> str:
        return f"experts={self.experts}, top_k={self.top_k}, bias={self.bias}, aux_coef={self.aux_coef}"
