"""Model sizes: the per-scale measurement agrees with the built model; training throughput runs on CPU."""

import torch

from yolo_lat.bench.models import build_model, count_params, model_gflops, yaml_sizes
from yolo_lat.bench.training import train_throughput
from yolo_lat.nn import YOLOLATDetectionModel, load_model_yaml


def test_yaml_sizes_every_scale():
    sizes = yaml_sizes("yolo-lat.yaml", imgsz=64)
    assert list(sizes) == list(load_model_yaml("yolo-lat.yaml")["scales"])
    d = load_model_yaml("yolo-lat.yaml")
    d["scale"] = "s"
    assert sizes["s"]["params"] == count_params(YOLOLATDetectionModel(d, verbose=False))
    assert sizes["n"]["params"] < sizes["s"]["params"] and sizes["n"]["gflops"] < sizes["s"]["gflops"]


def test_gflops_grow_with_the_image():
    model = build_model("yolo-lat-t").train()
    small, large = model_gflops(model, 64), model_gflops(model, 128)
    assert 3.5 < large / small < 4.5  # 4x the pixels; linear attention grows with them, not faster
    assert model.training  # measured in eval mode, then left as it was


def test_train_throughput_on_cpu():
    row = train_throughput("yolo-lat-t", torch.device("cpu"), imgsz=64, batch=2, steps=1, warmup=1)
    assert row["model"] == "yolo-lat-t"
    assert abs(row["images_per_s"] * row["step_ms"] / 1e3 - 2) < 1e-6  # batch / step time
