"""tools/dilution.py's uniform-rows probe: every layer of the weights set to the built-in ``uniform`` kernel
(whose rows, the mean of v, tests/ela/test_uniform.py checks)."""

import torch

from tools import dilution


def test_uniform_probe_sets_every_layer(monkeypatch):
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
    assert seen["kernels"] == {"uniform"} and seen["shape"][0] == 1
