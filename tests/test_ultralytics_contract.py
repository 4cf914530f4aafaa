"""Contract tests: one per Ultralytics touchpoint of yolo_lat/_ultralytics.py.

Each asserts the exact assumption YOLO-LAT relies on and fails with a message naming the touchpoint
and the installed Ultralytics version (``ul.mismatch``). When one fails after an Ultralytics
upgrade, the fix belongs in yolo_lat/_ultralytics.py (and nowhere else).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import socket
import subprocess
import sys
from copy import deepcopy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn
import ultralytics.engine.trainer as ul_trainer
from PIL import Image
from ultralytics.cfg import get_cfg
from ultralytics.engine.model import Model
from ultralytics.models.yolo.detect import DetectionTrainer, DetectionValidator
from ultralytics.nn.modules import C1, C2f
from ultralytics.nn.tasks import DetectionModel, parse_model, yaml_model_load

from yolo_lat import _ultralytics as ul

# A small detector: two strides for Detect, one C1 and one nn.Identity row like the stand-ins.
TINY = {
    "nc": 3,
    "scales": {"t": [0.5, 0.25, 64]},
    "scale": "t",
    "backbone": [
        [-1, 1, "Conv", [32, 3, 2]],
        [-1, 1, "Conv", [64, 3, 2]],
        [-1, 3, "C1", [64]],
        [-1, 4, "nn.Identity", []],  # depth 0.5: 2 repeats
        [-1, 1, "Conv", [128, 3, 2]],
    ],
    "head": [[[3, 4], 1, "Detect", ["nc"]]],
}


def tiny_model() -> DetectionModel:
    return DetectionModel(deepcopy(TINY), verbose=False)


def check(ok: bool, touchpoint: str, what: str) -> None:
    assert ok, ul.mismatch(touchpoint, what)


def test_version_in_tested_range():
    import ultralytics

    major, minor = (int(x) for x in ultralytics.__version__.split(".")[:2])
    check((major, minor) == (8, 4), "ultralytics version", "outside the range the contract tests were run on")


# --------------------------------------------------------------------------- parse_model (nn/)
def test_c1_row_scales_like_ultralytics_blocks():
    """YOLO-LAT blocks stand in as C1: parse_model must scale its c2 and n as it scales C2f's."""
    d = deepcopy(TINY)
    d["backbone"][2] = [-1, 3, "C2f", [64]]
    theirs = DetectionModel(d, verbose=False).model[2]
    ours = tiny_model().model[2]
    _, c2, n = ul.stand_in_block_shape(ours)
    check(
        (c2, n) == (theirs.cv2.conv.out_channels, len(theirs.m)) == (16, 2),
        "C1 stand-in",
        f"parse_model scales a C1 row to (c2, n)=({c2}, {n}) but C2f to "
        f"({theirs.cv2.conv.out_channels}, {len(theirs.m)}); YOLO-LAT blocks would get the wrong width/depth",
    )


def test_c1_exposes_channels_and_repeats():
    try:
        shape = ul.stand_in_block_shape(C1(8, 16, 3))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    check(shape == (8, 16, 3), "C1 stand-in", f"C1(8, 16, 3) reads as (c1, c2, n)={shape} from .cv1.conv and .m")
    assert isinstance(C2f(8, 16, 1), nn.Module)


def test_identity_row_is_repeated_and_keeps_channels():
    """YOLO-LAT layers stand in as nn.Identity: n > 1 becomes an nn.Sequential of n, channels pass through."""
    model = tiny_model()
    check(
        ul.stand_in_layer_repeats(model.model[3]) == 2 and ul.stand_in_layer_repeats(nn.Identity()) == 1,
        "nn.Identity stand-in",
        f"parse_model built a 4-repeat nn.Identity row at depth 0.5 as {type(model.model[3]).__name__}",
    )
    check(
        model.model[4].conv.in_channels == model.model[2].cv1.conv.out_channels,
        "nn.Identity stand-in",
        "parse_model no longer gives a channel-preserving row's input channels to the next row",
    )


def test_parser_name_lookup():
    """parse_model resolves nn.X in torch.nn, else a global of ultralytics.nn.tasks; parser_knows mirrors it."""
    for name in ("Conv", "C3k2", "C1", "Detect", "nn.Identity", "nn.Upsample"):
        check(ul.parser_knows(name), "parse_model name lookup", f"{name} is not found where parse_model looks")
    for name in ("NoSuchBlock", "nn.NoSuchLayer", "ELABlock"):
        d = deepcopy(TINY)
        d["backbone"][3] = [-1, 1, name, []]
        with pytest.raises((KeyError, AttributeError)):
            parse_model(d, ch=3, verbose=False)
        check(not ul.parser_knows(name), "parse_model name lookup", f"{name} is unknown to parse_model")


def test_layer_attributes_route_the_forward():
    """parse_model sets .i .f .type .np on each layer; DetectionModel's forward routes by .f and .i:
    a replacement given the old layer's attributes by adopt_layer takes its place."""
    model = tiny_model().eval()
    missing = [(i, a) for i, m in enumerate(model.model) for a in ("i", "f", "type", "np") if not hasattr(m, a)]
    check(not missing, "layer attributes", f"parse_model no longer sets {missing}")
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        ref = model(x)[0]
        replacement = deepcopy(model.model[2])
        for a in ("i", "f", "type", "np"):
            delattr(replacement, a)
        ul.adopt_layer(model.model[2], replacement, "test.Replacement")
        model.model[2] = replacement
        out = model(x)[0]
    check(torch.equal(out, ref), "layer attributes", "a layer with adopted .i/.f does not take the old one's place")
    f, n_params, type_name = ul.layer_summary(model.model[2])
    check(
        (f, n_params, type_name) == (-1, sum(p.numel() for p in replacement.parameters()), "test.Replacement"),
        "layer attributes",
        f"layer_summary reads {(f, n_params, type_name)} from a replacement given adopted attributes",
    )


def test_model_yaml_records_nc_and_channels():
    model = DetectionModel(deepcopy(TINY), ch=3, nc=5, verbose=False)
    check(
        ul.parser_resolved(model) == {"nc": 5, "channels": 3},
        "DetectionModel.yaml",
        "DetectionModel no longer records nc and channels in model.yaml",
    )


def test_initialize_weights_matches_ultralytics_layers():
    """Replaced modules get the BatchNorm settings Ultralytics gives the layers it builds."""
    built = next(m for m in tiny_model().modules() if isinstance(m, nn.BatchNorm2d))
    fresh = nn.Sequential(nn.Conv2d(3, 8, 1), nn.BatchNorm2d(8))
    ul.initialize_weights(fresh)
    got, want = (fresh[1].eps, fresh[1].momentum), (built.eps, built.momentum)
    check(got == want, "initialize_weights", f"BatchNorm (eps, momentum) {got} differ from DetectionModel's {want}")


def test_ultralytics_model_names_load_from_its_package():
    d = ul.ultralytics_model_yaml("yolo11n.yaml")
    check(
        isinstance(d, dict) and d.get("scale") == "n" and "backbone" in d,
        "yaml_model_load",
        "yaml_model_load('yolo11n.yaml') no longer gives the model dict with scale 'n'",
    )
    assert ul.ultralytics_model_yaml("yolo-lat-n.yaml") is None


def test_loss_is_per_term_times_batch_with_named_items():
    """DetectionModel.loss (criterion built from model.args) returns per-term losses times the batch
    size and a dict of named terms (which the trainer logs); the MoE term is appended the same way."""
    model = ul.attach_loss_hyperparameters(tiny_model())
    batch = {
        "img": torch.rand(2, 3, 64, 64),
        "cls": torch.tensor([[0.0], [2.0]]),
        "bboxes": torch.tensor([[0.3, 0.3, 0.2, 0.2], [0.6, 0.5, 0.3, 0.4]]),
        "batch_idx": torch.tensor([0.0, 1.0]),
    }
    loss, items = model.loss(batch)
    terms = torch.stack(list(items.values()))
    check(
        loss.shape == terms.shape and torch.allclose(loss, terms * 2),
        "DetectionModel.loss",
        f"loss {tuple(loss.shape)} is no longer the named items {list(items)} times the batch size",
    )
    loss2, items2 = ul.append_loss_term(loss, items, "extra", torch.tensor(0.5), 2)
    assert loss2.shape[0] == loss.shape[0] + 1 and float(loss2[-1].detach()) == 1.0 and list(items2)[-1] == "extra"


# --------------------------------------------------------------------------- Model, trainer, validator
class _Detector(Model):
    @property
    def task_map(self) -> dict:
        return {"detect": {"model": DetectionModel}}


def test_model_new_is_mirrored(tmp_path):
    """Model.__init__ builds a YAML through self._new(cfg, task=, verbose=); init_new_model sets what
    Model._new sets."""
    calls = []

    class Ours(_Detector):
        def _new(self, cfg, task=None, verbose=False):
            calls.append(cfg)
            ul.init_new_model(self, cfg, yaml_model_load(cfg), task or "detect", verbose)

    cfg = str(tmp_path / "tiny.yaml")
    Path(cfg).write_text(__import__("yaml").safe_dump(TINY))
    theirs, ours = _Detector(cfg), Ours(cfg)
    check(calls == [cfg], "Model._new", "Model.__init__ no longer builds a model YAML through self._new")
    same = {
        "attributes": set(vars(theirs)) == set(vars(ours)),
        "overrides": theirs.overrides == ours.overrides,
        "model.args": theirs.model.args == ours.model.args,
        "model.task": theirs.model.task == ours.model.task,
        "cfg/task/model_name": (theirs.cfg, theirs.task, theirs.model_name) == (ours.cfg, ours.task, ours.model_name),
    }
    check(all(same.values()), "Model._new", f"Model._new now sets differently: {[k for k, v in same.items() if not v]}")


def test_amp_check_replaced_during_training(tiny_data, tmp_path, monkeypatch):
    """A real training with amp=True (Ultralytics checks AMP whenever amp is on, even on CPU) calls
    YOLO-LAT's check, never Ultralytics' check_amp, and opens no connection."""
    from yolo_lat.engine import amp
    from yolo_lat.engine.trainer import YOLOLATTrainer

    def no_network(*args, **kwargs):
        raise AssertionError(f"network connection attempted during training: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    theirs, ours = [], []
    monkeypatch.setattr(ul_trainer, "check_amp", lambda model: theirs.append(model) or False)
    monkeypatch.setattr(amp, "amp_check", lambda model, check=amp.amp_check: ours.append(model) or check(model))
    overrides = {"model": "yolo-lat-t.yaml", "data": str(tiny_data), "epochs": 1, "imgsz": 64, "batch": 4,
                 "workers": 0, "amp": True, "val": False, "plots": False, "project": str(tmp_path), "name": "amp"}  # fmt: skip
    trainer = YOLOLATTrainer(overrides=overrides)
    trainer.train()
    check(
        not theirs and len(ours) == 1,
        "check_amp",
        f"training called Ultralytics' check_amp {len(theirs)}x and YOLO-LAT's amp_check {len(ours)}x: check_amp "
        "is no longer looked up in ultralytics.engine.trainer at call time (or YOLOLATTrainer.train no longer "
        "replaces it); the AMP check would download yolo26n.pt on a GPU",
    )
    assert trainer.amp is False  # the local check: AMP is CUDA-only
    assert ul_trainer.check_amp.__name__ == "<lambda>"  # the spy is back in place after training


def test_amp_check_restored_after_an_error():
    original = ul_trainer.check_amp
    with pytest.raises(RuntimeError), ul.trainer_amp_check(lambda m: True):
        raise RuntimeError
    assert ul_trainer.check_amp is original


def test_ultralytics_amp_check_reference_weights():
    from ultralytics.utils.checks import check_amp

    check(
        "yolo26n.pt" in inspect.getsource(check_amp),
        "check_amp",
        "check_amp's reference weights are no longer yolo26n.pt; ultralytics_amp_check would not avoid a download",
    )
    with ul.autocast(enabled=False, device="cpu"):
        pass


def test_get_dataset_reads_args_data_when_called(tiny_data):
    trainer = SimpleNamespace(args=get_cfg(overrides={"data": "no-such-dataset-name", "task": "detect"}))
    with ul.args_value(trainer.args, "data", str(tiny_data)):
        data = DetectionTrainer.get_dataset(trainer)
    check(data.get("nc") == 6, "get_dataset args.data", "get_dataset no longer loads the data of args.data")
    assert trainer.args.data == "no-such-dataset-name"


class _JsonSpy(DetectionValidator):
    """Uses the validator as YOLOLATValidator does, and records what Ultralytics passes."""

    def init_metrics(self, model):
        ul.request_json_predictions(self)
        super().init_metrics(model)

    def pred_to_json(self, predn, pbatch):
        self.calls.append((predn, pbatch))
        super().pred_to_json(predn, pbatch)

    def eval_json(self, stats):
        self.eval_json_called = True
        return stats


@pytest.fixture(scope="module")
def json_val(tiny_data, tmp_path_factory):
    """A standalone val of the shipped yolo-lat-t (64 px images at imgsz 96), save_json requested in
    init_metrics, args.data resolved only while the validator runs, as YOLOLATValidator does."""
    from yolo_lat.paths import REPO

    args = {"model": str(REPO / "weights" / "yolo-lat-t.pt"), "data": "no-such-dataset-name", "imgsz": 96,
            "batch": 6, "conf": 0.001, "plots": False, "save_json": False,
            "project": str(tmp_path_factory.mktemp("val")), "name": "v"}  # fmt: skip
    v = _JsonSpy(args=args)
    v.calls, v.eval_json_called = [], False
    with ul.args_value(v.args, "data", str(tiny_data)):
        v()
    return v


def test_validator_reads_args_data_when_called(json_val):
    check(json_val.data.get("nc") == 6, "validator args.data", "a standalone val no longer loads args.data when called")
    assert json_val.args.data == "no-such-dataset-name"


def test_pred_to_json_arguments(json_val):
    """pred_to_json(predn, pbatch) per image with detections: predn bboxes/conf/cls in pixels of the
    original image, pbatch["im_file"]."""
    check(bool(json_val.calls), "pred_to_json", "save_json set in init_metrics no longer gets pred_to_json called")
    predn, pbatch = json_val.calls[0]
    keys_ok = {"bboxes", "conf", "cls"} <= set(predn) and isinstance(pbatch.get("im_file"), str)
    check(keys_ok, "pred_to_json", f"predn keys {sorted(predn)}, pbatch keys {sorted(pbatch)}")
    path, rows = ul.json_detections(predn, pbatch)
    right = [max(b[0] + b[2], b[1] + b[3]) for b, _, _ in rows]  # input 96 px, images 64 px
    in_pixels = min(b[0] for b, _, _ in rows) >= 0 and 32 < max(right) <= 64.01
    check(in_pixels and path.is_file(), "pred_to_json", "predn boxes are not in pixels of the original 64 px images")


def test_jdict_written_and_eval_json_called(json_val):
    written = (json_val.save_dir / "predictions.json").is_file()
    check(
        written and ul.json_predictions(json_val), "jdict", "the validator no longer writes jdict to predictions.json"
    )
    check(json_val.eval_json_called, "eval_json", "the validator no longer calls eval_json after predictions.json")


def test_dataset_labels(json_val):
    files, labels = ul.dataset_labels(json_val.dataloader.dataset)
    ok = len(files) == len(labels) == 6 and all(Path(f).is_file() for f in files)
    boxes = np.concatenate([lb["bboxes"] for lb in labels])
    ok &= all(lb["cls"].shape == (len(lb["bboxes"]), 1) for lb in labels) and boxes.shape[1] == 4
    ok &= bool((boxes >= 0).all() and (boxes <= 1).all())
    check(ok, "YOLODataset labels", "im_files/labels no longer give cls (n, 1) and normalised xywh bboxes (n, 4)")


def test_trainer_hooks_mirror_upstream(tiny_data, tmp_path):
    """YOLOLATTrainer.get_model/get_validator copy DetectionTrainer's bodies with the class changed."""
    from yolo_lat.engine.trainer import YOLOLATTrainer

    trainer = YOLOLATTrainer(overrides={"model": "yolo-lat-t.yaml", "data": str(tiny_data), "project": str(tmp_path)})
    theirs = DetectionTrainer.get_model(trainer, cfg=deepcopy(TINY), verbose=False)
    ours = trainer.get_model(cfg=deepcopy(TINY), verbose=False)
    same = theirs.names == ours.names and sum(p.numel() for p in theirs.parameters()) == sum(
        p.numel() for p in ours.parameters()
    )
    check(same, "DetectionTrainer.get_model", "its model now differs from YOLOLATTrainer.get_model's copy")
    trainer.test_loader = None
    a, b = DetectionTrainer.get_validator(trainer), trainer.get_validator()
    check(
        set(vars(a)) == set(vars(b)) and a.args.data == b.args.data,
        "DetectionTrainer.get_validator",
        "its validator is now set up differently from YOLOLATTrainer.get_validator's copy",
    )


# --------------------------------------------------------------------------- command line
def test_cli_parsing():
    merged = ul.merge_key_value_fragments(["imgsz", "=", "320", "name=", "exp", "a=[1,", "2]"])
    check(merged == ["imgsz=320", "name=exp", "a=[1,2]"], "merge_equals_args", f"joins fragments as {merged}")
    with pytest.raises(ValueError):
        ul.merge_key_value_fragments(["a=[1,", "2"])
    parsed = [ul.parse_key_value(a) for a in ("epochs=3", "name=1", "show=False", "device=cpu", "model=None")]
    want = [("epochs", 3), ("name", "1"), ("show", False), ("device", "cpu"), ("model", None)]
    check(parsed == want, "parse_key_value_pair", f"parses as {parsed}")
    with pytest.raises(ValueError, match="missing 'epochs' value"):
        ul.parse_key_value("epochs=")
    keys = ul.cfg_keys()
    check({"model", "data", "epochs", "imgsz", "device", "source", "format"} <= keys, "DEFAULT_CFG_DICT", "keys")


def test_run_dir_increments(tmp_path):
    first = ul.run_dir(tmp_path, "demo")
    first.mkdir()
    second = ul.run_dir(tmp_path, "demo")
    check(first == tmp_path / "demo" and second.parent == tmp_path and second != first, "increment_path", str(second))
    assert ul.run_dir(tmp_path, "demo", exist_ok=True) == first


# --------------------------------------------------------------------------- export, pre/post-processing
def test_exporter_names_output_after_pt_path(tmp_path):
    model = tiny_model().eval()
    out = ul.export_model(model, tmp_path / "tiny.pt", {"format": "torchscript", "imgsz": 64, "verbose": False})
    check(
        Path(out) == tmp_path / "tiny.torchscript" and Path(out).is_file(),
        "Exporter output name",
        f"the Exporter no longer names its output after model.pt_path: {out}",
    )


def test_letterbox_pads_centred():
    image = np.zeros((32, 64, 3), np.uint8)
    out = ul.letterbox(image, 64)
    ok = out.shape == (64, 64, 3) and (out[:16] == 114).all() and (out[16:48] == 0).all() and (out[48:] == 114).all()
    check(ok, "LetterBox", f"a 32x64 image letterboxed to 64 is no longer centred with 114 padding: {out.shape}")


def test_nms_output_rows():
    preds = torch.zeros(1, 4 + 3, 2)
    preds[0, :4, 0] = torch.tensor([32.0, 32.0, 10.0, 10.0])  # xywh
    preds[0, 4 + 2, 0] = 0.9
    (det,) = ul.non_max_suppression(preds, 0.25, 0.7)
    want = torch.tensor([[27.0, 27.0, 37.0, 37.0, 0.9, 2.0]])
    check(det.shape == (1, 6) and torch.allclose(det, want), "non_max_suppression", f"returns {det.tolist()}")


def test_scale_boxes_to_original_image():
    boxes = torch.tensor([[0.0, 16.0, 64.0, 48.0]])  # the whole 32x64 image inside its 64x64 letterbox
    out = ul.scale_boxes((64, 64), boxes.clone(), (32, 64, 3))
    check(torch.allclose(out, torch.tensor([[0.0, 0.0, 64.0, 32.0]])), "scale_boxes", f"returns {out.tolist()}")


def test_exif_size_applies_orientation(tmp_path):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[274] = 6  # rotated 90°: width and height swap
    Image.new("RGB", (40, 20)).save(path, exif=exif)
    with Image.open(path) as im:
        size = ul.exif_size(im)
    check(size == (20, 40), "exif_size", f"a 40x20 image with EXIF orientation 6 sizes as {size}")


# --------------------------------------------------------------------------- safety: checkpoints, data files, network
SHIPPED_T = Path(__file__).resolve().parents[1] / "weights" / "yolo-lat-t.pt"


class _Payload:
    """Unpickling calls open(marker, "w")."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _loaded_ultralytics_holding(name: str, original) -> list[str]:
    return [m.__name__ for m in list(sys.modules.values())
            if getattr(m, "__name__", "").startswith("ultralytics") and vars(m).get(name) is original]  # fmt: skip


def test_checkpoint_reads_go_through_torch_safe_load(monkeypatch):
    """load_checkpoint looks up torch_safe_load in ultralytics.nn.tasks at call time and takes (ckpt, file)
    from it; Model, the trainer and AutoBackend's PyTorch backend read .pt files with that load_checkpoint."""
    import ultralytics.engine.model as ul_model
    import ultralytics.nn.backends.pytorch as ul_backend
    from ultralytics.nn import tasks

    installed = tasks.torch_safe_load
    check(getattr(installed, "_yolo_lat", False), "torch_safe_load", "YOLO-LAT's reader is not installed")
    original = ul.replaced(installed)
    check(not _loaded_ultralytics_holding("torch_safe_load", original), "torch_safe_load",
          f"modules still hold Ultralytics' own: {_loaded_ultralytics_holding('torch_safe_load', original)}")  # fmt: skip
    calls = []
    monkeypatch.setattr(tasks, "torch_safe_load", lambda w, *a, **k: calls.append(w) or installed(w, *a, **k))
    model, ckpt = tasks.load_checkpoint("yolo-lat-t.pt")  # a bare shipped name: resolved, not downloaded
    check(calls == ["yolo-lat-t.pt"], "torch_safe_load", "load_checkpoint no longer calls torch_safe_load(weight)")
    check(model.pt_path == str(SHIPPED_T) and "model" in ckpt, "torch_safe_load",
          "load_checkpoint no longer takes the model from ckpt['ema'/'model'] and pt_path from the file returned")  # fmt: skip
    readers = {"Model": ul_model.load_checkpoint, "trainer": ul_trainer.load_checkpoint}
    check(all(f is tasks.load_checkpoint for f in readers.values()), "load_checkpoint",
          "Model or the trainer now reads checkpoints with another function than nn.tasks.load_checkpoint")  # fmt: skip
    check("from ultralytics.nn.tasks import BaseModel, load_checkpoint" in inspect.getsource(ul_backend),
          "load_checkpoint", "AutoBackend's PyTorch backend no longer reads .pt files with nn.tasks.load_checkpoint")  # fmt: skip


def test_strip_optimizer_reads_through_torch_utils_torch_load(tmp_path, monkeypatch):
    """strip_optimizer (end of training: best.pt, last.pt) reads with torch_utils' module-level
    torch_load, its only use there; a crafted best.pt is skipped, nothing in it run."""
    from ultralytics.utils import torch_utils

    src = inspect.getsource(torch_utils)
    check(src.count("torch_load(") == 1 and "torch_load(" in inspect.getsource(torch_utils.strip_optimizer),
          "torch_utils.torch_load", "torch_load is now used in torch_utils beyond strip_optimizer")  # fmt: skip
    check(getattr(torch_utils.torch_load, "_yolo_lat", False), "torch_utils.torch_load", "YOLO-LAT's reader absent")
    marker, evil = tmp_path / "marker", tmp_path / "best.pt"
    torch.save({"model": _Payload(marker)}, evil)
    assert torch_utils.strip_optimizer(evil) == {} and not marker.exists()
    reads = []
    installed = torch_utils.torch_load
    monkeypatch.setattr(torch_utils, "torch_load", lambda f, **k: reads.append(f) or installed(f, **k))
    ok = tmp_path / "ok.pt"
    torch.save({"model": tiny_model(), "train_args": {}}, ok)
    out = torch_utils.strip_optimizer(ok)
    check(reads == [ok] and out.get("epoch") == -1, "torch_utils.torch_load", "strip_optimizer reads differently")


def _data_yaml(tmp_path: Path, marker: Path) -> Path:
    (tmp_path / "images" / "train").mkdir(parents=True)
    data = tmp_path / "data.yaml"
    data.write_text(f"path: {tmp_path}\ntrain: images/train\nval: images/val\nnames: {{0: a}}\n"
                    f"download: open({str(marker)!r}, 'w').write('ran')\n")  # fmt: skip
    return data


def test_check_det_dataset_never_runs_download(tmp_path):
    """check_det_dataset runs download: only with autodownload (its default); the trainer, validator
    and exporter call it by the module-level name, where YOLO-LAT's version (autodownload off) is."""
    import ultralytics.data.utils as data_utils
    import ultralytics.engine.exporter as ul_exporter
    import ultralytics.engine.validator as ul_validator

    ours = data_utils.check_det_dataset
    original = ul.replaced(ours)
    holders = {"trainer": ul_trainer, "validator": ul_validator, "exporter": ul_exporter}
    check(getattr(ours, "_yolo_lat", False) and all(m.check_det_dataset is ours for m in holders.values()),
          "check_det_dataset", "YOLO-LAT's check_det_dataset is not where the trainer/validator/exporter look")  # fmt: skip
    check(not _loaded_ultralytics_holding("check_det_dataset", original), "check_det_dataset",
          f"modules still hold Ultralytics' own: {_loaded_ultralytics_holding('check_det_dataset', original)}")  # fmt: skip
    marker = tmp_path / "marker"
    data = _data_yaml(tmp_path, marker)
    with pytest.raises(FileNotFoundError) as theirs:
        original(str(data), autodownload=False)
    check(f"missing path '{tmp_path / 'images' / 'val'}'" in str(theirs.value) and not marker.exists(),
          "check_det_dataset", f"its missing-images error reads differently: {theirs.value}")  # fmt: skip
    with pytest.raises(FileNotFoundError, match="download scripts") as mine:
        ours(str(data))
    assert "\n" not in str(mine.value) and not marker.exists()
    with contextlib.suppress(Exception):
        original(str(data))  # Ultralytics' default: the download: entry runs (what the guard prevents)
    check(marker.exists(), "check_det_dataset", "autodownload no longer runs download: (the guard may be stale)")


def test_autoinstall_and_online_switches(monkeypatch):
    """check_requirements reads AUTOINSTALL (and the update check ONLINE) from ultralytics.utils.checks at
    call time; go_offline sets them, and the telemetry switch, when Ultralytics was imported first."""
    import ultralytics.utils as ul_utils
    import ultralytics.utils.checks as checks
    import ultralytics.utils.events as events

    for module in (ul_utils, checks, events):
        monkeypatch.setattr(module, "ONLINE", True, raising=False)
    monkeypatch.setattr(ul_utils, "AUTOINSTALL", True)
    monkeypatch.setattr(checks, "AUTOINSTALL", True)
    monkeypatch.setattr(events.events, "enabled", True)
    ul.go_offline()
    state = (ul_utils.AUTOINSTALL, checks.AUTOINSTALL, ul_utils.ONLINE, checks.ONLINE, events.ONLINE)
    state += (events.events.enabled,)
    check(state == (False,) * 6, "AUTOINSTALL/ONLINE", f"go_offline left {state}")
    installs = []
    monkeypatch.setattr(subprocess, "check_output", lambda *a, **k: installs.append(a) or "")
    ok = checks.check_requirements("yolo-lat-no-such-package>=1")
    check(ok is False and not installs, "check_requirements AUTOINSTALL", "a missing package was pip-installed")
    check("if ONLINE and IS_PIP_PACKAGE" in inspect.getsource(checks.check_pip_update_available), "ONLINE",
          "check_pip_update_available (called by Model.train) no longer checks ONLINE before asking PyPI")  # fmt: skip


def test_ultralytics_imported_first_gets_the_guards():
    """YOLO_AUTOINSTALL is read when ultralytics.utils is imported; imported before yolo_lat, the names it
    was read into are reset by importing yolo_lat."""
    code = ("import ultralytics, ultralytics.utils as u, ultralytics.utils.checks as c, ultralytics.nn.tasks as t;"
            "a = (u.AUTOINSTALL, c.AUTOINSTALL); import yolo_lat;"
            "print(a, (u.AUTOINSTALL, c.AUTOINSTALL), getattr(t.torch_safe_load, '_yolo_lat', False))")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("YOLO_AUTOINSTALL", "YOLO_OFFLINE")}
    env["YOLO_OFFLINE"] = "1"  # Ultralytics' own import-time check: not the subject here
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    check(out.stdout.split("\n")[-2] == "(True, True) (False, False) True", "AUTOINSTALL",
          f"importing yolo_lat after Ultralytics gives {out.stdout.strip()}")  # fmt: skip


def test_check_font_downloads_and_is_replaced():
    """check_font downloads a missing font whatever YOLO_OFFLINE says; data.utils and plotting call it by
    name, and find YOLO-LAT's local lookup there."""
    import ultralytics.data.utils as data_utils
    import ultralytics.utils.checks as checks
    import ultralytics.utils.plotting as plotting

    original = ul.replaced(checks.check_font)
    check("safe_download" in inspect.getsource(original) and "OFFLINE" not in inspect.getsource(original),
          "check_font", "check_font no longer downloads regardless of YOLO_OFFLINE (the replacement may be stale)")  # fmt: skip
    check(data_utils.check_font is plotting.check_font is ul.local_font, "check_font", "not replaced where called")
    assert ul.local_font("Arial.ttf").is_file() and ul.local_font("Arial.Unicode.ttf").is_file()


# =========================================================================== device pipeline (issue #16)
def test_reference_nms_arguments():
    from ultralytics.utils import nms

    params = inspect.signature(nms.non_max_suppression).parameters
    wanted = {"classes", "agnostic", "multi_label", "max_det", "nc", "max_nms", "max_wh", "end2end"}
    check(wanted <= set(params), "reference_nms", f"non_max_suppression lacks {sorted(wanted - set(params))}")
    preds = torch.tensor([[[5.0, 5.5], [5.0, 5.0], [10.0, 10.0], [10.0, 10.0], [0.9, 0.8]]])  # two boxes, IoU 0.82
    check(len(ul.reference_nms(preds, 0.25, 0.7)[0]) == 1, "reference_nms", "an overlapping box was not suppressed")


def test_predictor_rect_is_pre_transform_rule(tmp_path):
    from ultralytics.models.yolo.detect import DetectionPredictor

    from yolo_lat.engine.pipeline import letterbox_geometry

    p = DetectionPredictor(overrides={"project": str(tmp_path)})
    p.imgsz = [320, 320]
    for fmt, dynamic in (("pt", False), ("onnx", False), ("onnx", True)):
        p.model = SimpleNamespace(format=fmt, dynamic=dynamic, stride=32)
        for ims in (
            [np.zeros((300, 500, 3), np.uint8)] * 2,
            [np.zeros((300, 500, 3), np.uint8), np.zeros((90, 70, 3), np.uint8)],
        ):
            got = [x.shape[:2] for x in p.pre_transform(ims)]
            g = [letterbox_geometry(im.shape, 320, ul.predictor_rect(p, ims)) for im in ims]
            check(got == [(x.out_h, x.out_w) for x in g], "predictor_rect",
                  f"pre_transform gives {got} for {fmt} (dynamic={dynamic}), the rule predicts otherwise")  # fmt: skip


def test_predictor_forward_and_feature_hooks():
    from ultralytics.engine.predictor import BasePredictor
    from ultralytics.models.yolo.detect import DetectionPredictor

    src = inspect.getsource(BasePredictor.inference)
    check(all(s in src for s in ("self.args.visualize", "augment=self.args.augment", "embed=self.args.embed")),
          "predictor_plain_forward", "BasePredictor.inference no longer reads only augment/visualize/embed")  # fmt: skip
    check('getattr(self, "_feats", None)' in inspect.getsource(DetectionPredictor.postprocess),
          "predictor_saves_features", "DetectionPredictor.postprocess no longer keys object features on _feats")  # fmt: skip
    check("self.end2end = " in inspect.getsource(DetectionValidator.init_metrics), "validator_end2end",
          "DetectionValidator.init_metrics no longer sets self.end2end")  # fmt: skip


def test_decode_images_with_yields_what_the_loader_yields(tmp_path):
    import cv2
    from ultralytics.data.loaders import LoadImagesAndVideos

    for i in range(5):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((8 + i, 10, 3), 20 * i, np.uint8))
    reference = list(LoadImagesAndVideos(str(tmp_path), batch=2))
    loader = LoadImagesAndVideos(str(tmp_path), batch=2)
    check(ul.decode_images_with(loader, lambda paths: [cv2.imread(p) for p in paths]), "decode_images_with",
          "an image folder was not accepted")  # fmt: skip
    got = list(loader)
    check([(p, s) for p, _, s in got] == [(p, s) for p, _, s in reference], "decode_images_with",
          f"batches {[(p, s) for p, _, s in got]} differ from LoadImagesAndVideos' {[(p, s) for p, _, s in reference]}")  # fmt: skip
    check(all(np.array_equal(a, b) for g, r in zip(got, reference) for a, b in zip(g[1], r[1])), "decode_images_with",
          "images differ")  # fmt: skip
    check(loader.mode == "image" and len(loader) == len(reference), "decode_images_with", "mode or length differs")
