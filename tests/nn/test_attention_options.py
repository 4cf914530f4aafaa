"""ELAttention's ablation options (issue 15): learnable temperature, output gate, positional conv size."""

import pickle

import pytest
import torch
import yaml

from yolo_lat.ela import get_kernel
from yolo_lat.ela.quadratic import quadratic_attention
from yolo_lat.explain import capture_qkv, split_qkv
from yolo_lat.nn import ELABlock, ELAttention


def reference(m: ELAttention, x: torch.Tensor) -> torch.Tensor:
    """The module's output rebuilt from its parts with the quadratic oracle (fp64)."""
    b, c, h, w = x.shape
    q, k, v = split_qkv(m.qkv(x), m.num_heads, m.key_dim, m.head_dim)  # (B, H, L, ·)
    if m.log_tau is not None:
        tau = m.log_tau.exp().view(1, -1, 1, 1)
        q, k = q * tau, k * tau
    o = quadratic_attention(q.double(), k.double(), v.double(), get_kernel(m.kernel))  # (B, H, L, Dv)
    out = o.transpose(-1, -2).reshape(b, c, h, w).to(x.dtype)
    if m.pe is not None:
        out = out + m.pe(v.transpose(-1, -2).reshape(b, c, h, w))
    if m.gate is not None:
        out = out * torch.sigmoid(m.gate(x))
    return m.proj(out)


@pytest.mark.parametrize("kernel", ["hadamard_exp", "sum_sqeuclid", "sub_sqeuclid", "softmax"])
@pytest.mark.parametrize("options", [{"temperature": True}, {"gate": True}, {"pe_kernel": 7},
                                     {"temperature": True, "gate": True, "pe_kernel": 5}])  # fmt: skip
def test_options_compute_what_they_say(kernel, options):
    torch.manual_seed(0)
    m = ELAttention(32, num_heads=2, kernel=kernel, **options).eval()
    if m.log_tau is not None:
        with torch.no_grad():
            m.log_tau.copy_(torch.tensor([0.7, -0.4]))  # τ = 2.01 and 0.67: one head sharper, one flatter
    x = torch.randn(2, 32, 5, 6)
    with torch.no_grad():
        assert torch.allclose(m(x), reference(m, x), atol=2e-5, rtol=1e-4)


def test_temperature_starts_as_the_plain_kernel_and_learns():
    torch.manual_seed(0)
    plain = ELAttention(16, num_heads=2)
    torch.manual_seed(0)
    tempered = ELAttention(16, num_heads=2, temperature=True)
    x = torch.randn(1, 16, 4, 4)
    assert torch.equal(plain(x), tempered(x))  # τ = 1 at start, and the rest of the weights are the same
    tempered(x).square().sum().backward()
    assert tempered.log_tau.grad is not None and tempered.log_tau.grad.abs().sum() > 0


def test_temperature_can_start_sharper():
    torch.manual_seed(0)
    sharp = ELAttention(16, num_heads=2, temperature=3.0).eval()
    assert torch.allclose(sharp.qk_scale().flatten(), torch.tensor([3.0, 3.0]))
    x = torch.randn(1, 16, 4, 4)
    with torch.no_grad():
        assert torch.allclose(sharp(x), reference(sharp, x), atol=2e-5, rtol=1e-4)
        flat = ELAttention(16, num_heads=2, temperature=True).eval()
        flat.load_state_dict({k: v for k, v in sharp.state_dict().items() if k != "log_tau"}, strict=False)
        assert not torch.allclose(flat(x), sharp(x))  # the same weights read with τ = 1 attend differently
    for bad in (0, -1.0, float("nan"), "3"):
        with pytest.raises(ValueError, match="is not an option; expected true/false or a positive starting τ"):
            ELAttention(16, temperature=bad)
    assert ELAttention(16, temperature=False).log_tau is None


def test_gate_and_pe_kernel_shapes_and_errors():
    m = ELAttention(16, num_heads=2, gate=True, pe_kernel=5)
    assert m.pe.conv.kernel_size == (5, 5) and m.gate.conv.out_channels == 16
    assert "pe_kernel=5" in repr(m) and "gate" in repr(m)
    for bad in (4, 0, "7"):
        with pytest.raises(ValueError, match=f"pe_kernel={bad} is not a positional conv size"):
            ELAttention(16, pe_kernel=bad)


def test_block_passes_options_to_every_layer():
    b = ELABlock(32, 32, n=2, head_dim=8, temperature=True, gate=True, pe_kernel=7)
    for layer in b.m:
        assert layer.attn.log_tau is not None and layer.attn.gate is not None
        assert layer.attn.pe.conv.kernel_size == (7, 7)
    assert b(torch.randn(1, 32, 6, 6)).shape == (1, 32, 6, 6)


def test_checkpoints_from_before_the_options_load():
    """An ELAttention pickled before log_tau/gate existed unpickles and runs as the plain kernel."""
    torch.manual_seed(0)
    m = ELAttention(16, num_heads=2)
    x = torch.randn(1, 16, 3, 3)
    want = m(x)
    for store in (m.__dict__, m._parameters, m._modules):  # as an object of the earlier class was pickled
        store.pop("log_tau", None), store.pop("gate", None)
    assert "log_tau" not in m.__getstate__() and "gate" not in m.__getstate__()["_modules"]
    old = pickle.loads(pickle.dumps(m))
    assert old.log_tau is None and old.gate is None and torch.equal(old(x), want)


def test_explain_captures_the_tempered_queries_and_keys():
    torch.manual_seed(0)
    m = ELAttention(16, num_heads=2, temperature=True).eval()
    with torch.no_grad():
        m.log_tau.copy_(torch.tensor([0.5, -0.5]))
    x = torch.randn(1, 16, 4, 5)
    with capture_qkv({"attn": m}) as seen, torch.no_grad():
        m(x)
        q, k, _ = split_qkv(m.qkv(x), 2, m.key_dim, m.head_dim)
    tau = m.log_tau.exp().view(1, -1, 1, 1)
    assert torch.allclose(seen["attn"].q, q * tau) and torch.allclose(seen["attn"].k, k * tau)


def _kinds(model, rows=(10, 13, 16)) -> list[str]:
    return [type(model.model[i]).__name__ for i in rows]


def test_the_default_layout_has_ela_at_p5_only():
    """yolo-lat.yaml (and yolo-lat-t, the softmax twin): ELA at P5 (row 10), YOLO11's C3k2 at the P4 and
    P3 neck merges (rows 13 and 16); the first layout, with ELA at those merges too, is ablations/yolo-lat-neck."""
    from yolo_lat.nn import YOLOLATDetectionModel, load_model_yaml

    def build(name):
        return YOLOLATDetectionModel(load_model_yaml(name), nc=80, verbose=False)

    n, t, sm, neck = (build(f) for f in ("yolo-lat-n.yaml", "yolo-lat-t.yaml", "yolo-lat-softmax-n.yaml", "ablations/yolo-lat-neck-n.yaml"))  # fmt: skip
    assert _kinds(n) == _kinds(t) == _kinds(sm) == ["ELABlock", "C3k2", "C3k2"]
    assert _kinds(neck) == ["ELABlock", "ELABlock", "ELABlock"]
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(n) == count(sm) < 2_624_080  # YOLO11n's parameters at nc=80
    assert all(a.kernel == "softmax" for a in sm.modules() if isinstance(a, ELAttention))
    assert t.model[-1].reg_max == 1 and count(t) < 0.35e6


def test_every_ablation_yaml_builds_and_runs():
    """cfg/models/ablations: each variant builds at scale n from its ``base:`` and says what it changes.
    The variants are defined on the first layout, ablations/yolo-lat-neck.yaml, where they were measured,
    except yolo-lat-p5-heads and yolo-lat-t-heads (the heads variant on the default layout, n and t),
    yolo-lat-taylor and yolo-lat-uniform (the taylor_exp and uniform kernels on the default layout)."""
    from yolo_lat.nn import YOLOLATDetectionModel, load_model_yaml
    from yolo_lat.paths import CFG_DIRS

    files = sorted(p for d in CFG_DIRS for p in (d / "ablations").glob("*.yaml"))
    assert len(files) >= 9
    base = YOLOLATDetectionModel(load_model_yaml("ablations/yolo-lat-neck-n.yaml"), nc=6, verbose=False)
    plain = sum(p.numel() for p in base.parameters())
    plain_heads = [m.num_heads for m in base.modules() if isinstance(m, ELAttention)]
    default = YOLOLATDetectionModel(load_model_yaml("yolo-lat-n.yaml"), nc=6, verbose=False)
    default_heads = [m.num_heads for m in default.modules() if isinstance(m, ELAttention)]
    assert len(default_heads) == len(plain_heads) - 2
    tiny = YOLOLATDetectionModel(load_model_yaml("yolo-lat-t.yaml"), nc=6, verbose=False)
    tiny_heads = [m.num_heads for m in tiny.modules() if isinstance(m, ELAttention)]
    for f in files:
        # a file that fixes its own scale (yolo-lat-neck-t, like yolo-lat-t.yaml) is built under its own name
        fixed = "scale" in (yaml.safe_load(f.read_text()) or {})
        name = f"ablations/{f.stem}.yaml" if fixed else f"ablations/{f.stem}-n.yaml"
        model = YOLOLATDetectionModel(load_model_yaml(name), nc=6, verbose=False).eval()
        with torch.no_grad():
            out = model(torch.zeros(1, 3, 64, 64))
        assert out[0].shape[:2] == (1, 4 + 6), f.name
        attn = [m for m in model.modules() if isinstance(m, ELAttention)]
        assert attn, f.name
        params = sum(p.numel() for p in model.parameters())
        moe = any(type(m).__name__ == "MoEFFN" for m in model.modules())
        neck = _kinds(model) == ["ELABlock", "ELABlock", "ELABlock"]
        changed = {
            "yolo-lat-neck": neck and params == plain,
            "yolo-lat-neck-softmax": neck and params == plain and all(a.kernel == "softmax" for a in attn),
            # the first tiny layout: ELA in the neck too, the tiny width and the DFL-free head
            "yolo-lat-neck-t": neck and model.model[-1].reg_max == 1 and params < 0.35e6,
            # the paper's options on the first layout
            "yolo-lat-neck-moe": neck and moe and params > plain,
            "yolo-lat-neck-moe-inside": neck and moe and params > plain,
            "yolo-lat-neck-hyperlink": neck and params != plain,
            "yolo-lat-neck-lobe": neck and params > plain,
            "yolo-lat-tau": all(a.log_tau is not None for a in attn),
            "yolo-lat-gate": all(a.gate is not None for a in attn),
            "yolo-lat-pe7": all(a.pe.conv.kernel_size == (7, 7) for a in attn),
            "yolo-lat-keys": all(a.key_dim == a.head_dim for a in attn),
            "yolo-lat-sum": all(a.kernel == "sum_sqeuclid" for a in attn),
            "yolo-lat-sub": all(a.kernel == "sub_sqeuclid" for a in attn),
            "yolo-lat-p34": len(attn) == 5,
            # ELA at P5 and the P3 merge; the P4 merge (row 13) is C3k2 again
            "yolo-lat-p3": len(attn) == len(plain_heads) - 1 and _kinds(model) == ["ELABlock", "C3k2", "ELABlock"],
            "yolo-lat-heads": [a.num_heads for a in attn] == [2 * h for h in plain_heads],
            # the same change on the default (P5-only) layout: its parameters, twice its heads
            "yolo-lat-p5-heads": _kinds(model) == _kinds(default)
            and params == sum(p.numel() for p in default.parameters())
            and [a.num_heads for a in attn] == [2 * h for h in default_heads],
            # the same change on yolo-lat-t (one head of 24 -> two of 12): its parameters, twice its heads
            "yolo-lat-t-heads": model.model[-1].reg_max == 1
            and params == sum(p.numel() for p in tiny.parameters())
            and [a.num_heads for a in attn] == [2 * h for h in tiny_heads],
            # the default layout and its parameters, with the taylor_exp (or uniform) kernel in every block
            **{
                f"yolo-lat-{variant}": _kinds(model) == _kinds(default)
                and params == sum(p.numel() for p in default.parameters())
                and all(a.kernel == kernel for a in attn)
                for variant, kernel in (("taylor", "taylor_exp"), ("uniform", "uniform"))
            },
            # routed experts within 1 % of the dense baseline's parameters (YOLO11n's budget)
            "yolo-lat-moe-eq": moe and params != plain and abs(params - plain) < 0.01 * plain,
        }.get(f.stem, params != plain)
        assert changed, f.name
        # the others keep the first layout's neck
        if f.stem not in (
            "yolo-lat-p3",
            "yolo-lat-p5-heads",
            "yolo-lat-t-heads",
            "yolo-lat-taylor",
            "yolo-lat-uniform",
        ):
            assert neck, f.name
