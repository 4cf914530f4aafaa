"""Hyper-Link, Memory Lobe and the MoE routing-score bias: shapes, gradients, aux loss, plugging,
ONNX export, and training like the base model."""

import csv

import pytest
import torch
import yaml

from yolo_lat import YOLOLAT
from yolo_lat import _ultralytics as ul
from yolo_lat.nn import (
    ELABlock,
    MemoryLobe,
    MoEFFN,
    YOLOLATDetectionModel,
    add_memory_lobes,
    load_model_yaml,
    remove_memory_lobes,
)

OPTIONS = {
    "hyperlink": {"hyperlink": True},
    "lobe": {"lobe": True},
    "moe-outside": {"moe": {"experts": 4, "top_k": 2, "bias": "outside"}},
    "moe-inside": {"moe": {"experts": 4, "top_k": 2, "bias": "inside"}},
}
VARIANT_YAML = {"hyperlink": "yolo-lat-hyperlink.yaml", "lobe": "yolo-lat-lobe.yaml",
                "moe-outside": "yolo-lat-moe.yaml", "moe-inside": "yolo-lat-moe-inside.yaml"}  # fmt: skip


def tiny_variant(name: str) -> dict:
    """The variant's model dict at the tiny yolo-lat-t width (fast on CPU)."""
    d = load_model_yaml(VARIANT_YAML[name])
    d.update(scales={"t": [0.33, 0.1875, 256]}, scale="t", reg_max=1)
    return d


@pytest.mark.parametrize("name", list(OPTIONS))
def test_block_shapes_and_gradients(name):
    torch.manual_seed(0)
    m = ELABlock(32, 24, n=2, head_dim=8, **OPTIONS[name])
    with torch.no_grad():  # make the zero-initialised lobe output non-zero so its gradients are visible
        for lobe in (x for x in m.modules() if isinstance(x, MemoryLobe)):
            lobe.proj.bn.weight.fill_(0.5)
    x = torch.randn(2, 32, 5, 6, requires_grad=True)
    y = m(x)
    assert y.shape == (2, 24, 5, 6)
    y.square().mean().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    no_grad = [n for n, p in m.named_parameters() if p.grad is None]
    assert not no_grad, no_grad


def test_hyperlink_starts_as_plain_residual():
    torch.manual_seed(0)
    m = ELABlock(16, 16, n=3, head_dim=8, hyperlink=True).eval()
    b = torch.randn(1, 8, 4, 4)
    h = b
    for layer in m.m:
        h = h + layer(h)
    states = [b]
    for layer, alpha in zip(m.m, m.alpha):
        states.append(layer(states[-1]) + sum(a * s for a, s in zip(alpha, states)))
    assert torch.allclose(states[-1], h)
    assert [a.tolist() for a in m.alpha] == [[1.0], [0.0, 1.0], [0.0, 0.0, 1.0]]


def test_moe_bias_variants_differ_as_specified():
    torch.manual_seed(0)
    moe = MoEFFN(8, 16, experts=4, top_k=2, bias="outside").eval()
    with torch.no_grad():
        moe.labels.normal_()
    x = torch.randn(1, 8, 3, 3)
    probs, scores, mask = moe.route(x)
    assert torch.allclose(scores.sum(1), torch.ones(1, 3, 3)) and (mask.sum(1) == 2).all()
    out = moe.fc2(moe.fc1(x)).view(1, 4, 8, 3, 3)
    expect_out = (scores.unsqueeze(2) * out).sum(1) + torch.einsum("behw,ec->bchw", mask, moe.labels)
    expect_in = (scores.unsqueeze(2) * (out + moe.labels.view(1, 4, 8, 1, 1))).sum(1)
    assert torch.allclose(moe(x), expect_out, atol=1e-6)
    moe.bias = "inside"
    assert torch.allclose(moe(x), expect_in, atol=1e-6)


def _batch(nc=6):
    g = torch.Generator().manual_seed(0)
    return {
        "img": torch.rand(2, 3, 64, 64, generator=g),
        "cls": torch.tensor([[0.0], [3.0], [5.0]]),
        "bboxes": torch.tensor([[0.3, 0.3, 0.2, 0.2], [0.6, 0.5, 0.3, 0.4], [0.5, 0.5, 0.5, 0.5]]),
        "batch_idx": torch.tensor([0.0, 0.0, 1.0]),
    }


def test_moe_aux_loss_reaches_total_loss_and_router_gradients():
    torch.manual_seed(0)
    model = YOLOLATDetectionModel(tiny_variant("moe-outside"), nc=6, verbose=False)
    ul.attach_loss_hyperparameters(model)  # the criterion reads the box/cls/dfl gains from the training args
    batch = _batch()
    loss, items = model.loss(batch)
    assert "moe_loss" in items and items["moe_loss"] > 0
    det = YOLOLATDetectionModel.__mro__[1].loss(model, batch)[0]  # Ultralytics' loss alone, same forward
    assert torch.allclose(loss.sum(), det.sum() + items["moe_loss"] * 2, rtol=1e-5)

    def router_grads(coef):
        for m in model.modules():
            if isinstance(m, MoEFFN):
                m.aux_coef = coef
        model.zero_grad()
        model.loss(batch)[0].sum().backward()
        return torch.cat([m.router.weight.grad.flatten() for m in model.modules() if isinstance(m, MoEFFN)])

    with_aux, without = router_grads(0.5), router_grads(0.0)
    assert not torch.allclose(with_aux, without)


def test_memory_lobe_plugs_in_and_out():
    torch.manual_seed(0)
    model = torch.nn.Sequential(ELABlock(16, 16, n=2, head_dim=8), ELABlock(16, 8, n=1, head_dim=8)).eval()
    x = torch.randn(2, 16, 6, 6)
    with torch.no_grad():
        base = model(x)
        assert add_memory_lobes(model) == 3
        same = model(x)  # a new lobe starts at zero: the model is unchanged
        for lobe in (m for m in model.modules() if isinstance(m, MemoryLobe)):
            lobe.proj.bn.weight.fill_(1.0)
        changed = model(x)
        assert remove_memory_lobes(model) == 3
        back = model(x)
    assert torch.allclose(base, same) and torch.equal(base, back)
    assert (base - changed).abs().max() > 1e-3


def test_memory_lobe_in_a_detector():
    """One lobe per ELA layer: yolo-lat has one (at P5), the first layout three (P5 and the P4/P3 merges)."""
    for name, layers in (("yolo-lat-t.yaml", 1), ("ablations/yolo-lat-neck-t.yaml", 3)):
        model = YOLOLATDetectionModel(name, nc=6, verbose=False)
        assert add_memory_lobes(model) == layers and remove_memory_lobes(model) == layers, name
    for name, layers in (("yolo-lat-lobe-n.yaml", 1), ("ablations/yolo-lat-neck-lobe-n.yaml", 3)):
        assert sum(isinstance(m, MemoryLobe) for m in YOLOLATDetectionModel(name).modules()) == layers, name


@pytest.mark.parametrize("name", list(OPTIONS))
def test_onnx_export_matches_pytorch(name, tmp_path):
    import onnxruntime as ort

    from yolo_lat.export.onnx import export_with_ultralytics

    torch.manual_seed(0)
    model = YOLOLATDetectionModel(tiny_variant(name), nc=6, verbose=False).eval()
    with torch.no_grad():
        for lobe in (m for m in model.modules() if isinstance(m, MemoryLobe)):
            lobe.proj.bn.weight.fill_(1.0)  # exercise the lobe, not a zero branch
    path = export_with_ultralytics(model, tmp_path, name=name, imgsz=64, batch=1)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        ref = model.float().eval()(x)
    ref = ref[0] if isinstance(ref, (list, tuple)) else ref
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    y = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]
    assert y.shape == tuple(ref.shape)
    assert abs(y - ref.numpy()).max() <= 1e-4


@pytest.mark.parametrize("name", ["hyperlink", "moe-inside"])
def test_variant_trains_validates_predicts(name, tiny_data, tmp_path):
    cfg = tmp_path / f"{name}.yaml"
    cfg.write_text(yaml.safe_dump(tiny_variant(name)))
    model = YOLOLAT(str(cfg))
    model.train(data=str(tiny_data), epochs=1, imgsz=64, batch=4, project=str(tmp_path), name="r", plots=False)
    header = next(csv.reader((tmp_path / "r" / "results.csv").open()))
    if name.startswith("moe"):
        assert "train/moe_loss" in header
    best = YOLOLAT(tmp_path / "r" / "weights" / "best.pt")
    assert best.val(data=str(tiny_data), imgsz=64, batch=4, project=str(tmp_path), name="v", plots=False) is not None
    assert (
        len(best.predict(str(sorted((tiny_data.parent / "images" / "val").glob("*.jpg"))[0]), imgsz=64, verbose=False))
        == 1
    )


def test_checkpoints_from_before_the_options_still_load(tmp_path):
    """A block pickled before Hyper-Link/Lobe existed (no alpha, lobe, transform_only) still runs."""
    torch.manual_seed(0)
    m = ELABlock(16, 16, n=1, head_dim=8).eval()
    x = torch.randn(1, 16, 4, 4)
    with torch.no_grad():
        ref = m(x)
    del m.alpha, m.m[0].lobe, m.m[0].transform_only
    torch.save(m, tmp_path / "old.pt")
    old = torch.load(tmp_path / "old.pt", weights_only=False)
    with torch.no_grad():
        assert torch.equal(old(x), ref)
