"""tools/dilution.py's uniform-rows probe: a constant kernel, used only while the probe runs."""

import torch

from tools import dilution
from yolo_lat.ela import available_kernels, ela_attention, register_kernel, unregister_kernel


def test_constant_kernel_rows_are_the_mean_of_v():
    register_kernel("test_uniform", dilution._ones, dilution._ones)
    try:
        q, k = torch.randn(2, 3, 4, 10), torch.randn(2, 3, 4, 10)
        v = torch.randn(2, 3, 5, 10)
        out = ela_attention(q, k, v, "test_uniform", backend="torch", channels_first=True)
        assert torch.allclose(out, v.mean(-1, keepdim=True).expand_as(v), atol=1e-6)
    finally:
        unregister_kernel("test_uniform")


def test_uniform_probe_sets_every_layer_and_unregisters(monkeypatch):
    from yolo_lat.engine.weights import resolve_weights
    from yolo_lat.explain import ela_layers

    seen = {}

    def fake_val(model, data, imgsz, project, name):  # the kernel the probe validates with, and one real forward
        seen["kernels"] = {m.kernel for m in ela_layers(model.model).values()}
        with torch.no_grad():
            seen["shape"] = model.model.eval()(torch.rand(1, 3, imgsz, imgsz))[0].shape
        return {"mAP50-95": 0.5, "per_class_mAP50-95": {}}

    monkeypatch.setattr(dilution, "_val_map", fake_val)
    record = dilution._uniform_probe(resolve_weights("yolo-lat-t.pt"), "shapes", 64, "unused")
    assert record["mAP50-95"] == 0.5 and "κ(q, k) = 1" in record["how"]
    assert seen["kernels"] == {"dilution_uniform_probe"} and seen["shape"][0] == 1
    assert "dilution_uniform_probe" not in available_kernels()
