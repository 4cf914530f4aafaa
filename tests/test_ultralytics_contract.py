"""Contract tests: one per Ultralytics touchpoint of yolo_lat/_ultralytics.py.

Each asserts the exact assumption YOLO-LAT relies on and fails with a message naming the touchpoint
and the installed Ultralytics version (``ul.mismatch``). When one fails after an Ultralytics
upgrade, the fix belongs in yolo_lat/_ultralytics.py (and nowhere else).
"""

from __future__ import annotations

import inspect
import socket
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
