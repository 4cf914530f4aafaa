"""The one door to Ultralytics internals.

YOLO-LAT extends Ultralytics from outside. Everything it uses that is not Ultralytics' documented
public API — a private method, a module-level name it replaces, a class's internal attribute, the
exact shape of a dict Ultralytics passes around — is reached through a function of this module,
and each such *touchpoint* has a contract test in ``tests/test_ultralytics_contract.py`` that fails
with a message naming the touchpoint and the installed Ultralytics version.

The rest of the package uses from Ultralytics only its public API: ``Model`` (and its
``task_map``), ``DetectionModel`` (``predict``, ``loss``, ``model``, ``stride``, ``yaml``), the
detection trainer/validator/predictor classes, their documented attributes and hooks (``train``,
``get_model``, ``get_dataset``, ``get_validator``, ``set_model_names_for_load``, ``init_metrics``,
``pred_to_json``, ``eval_json``, ``setup_model``), the building blocks in ``ultralytics.nn.modules``,
and ``LOGGER``, ``YAML``, ``RANK`` from ``ultralytics.utils``.

Importing this module installs YOLO-LAT's guards into Ultralytics, for the whole process (see the
last section): checkpoints are read with an allowlist (``yolo_lat.checkpoint``) and never downloaded,
a data YAML's ``download:`` is never run, nothing is pip-installed, and no network is used.

Tested with Ultralytics >=8.4,<8.5 (``TESTED_RANGE``; pyproject.toml pins the same range).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import ultralytics
from ultralytics.nn import tasks as _ul_tasks

__all__ = [
    "STAND_IN_BLOCK",
    "STAND_IN_LAYER",
    "TESTED_RANGE",
    "adopt_layer",
    "append_loss_term",
    "attach_loss_hyperparameters",
    "args_value",
    "autocast",
    "cfg_keys",
    "decode_images_with",
    "dataset_labels",
    "exif_size",
    "export_model",
    "go_offline",
    "init_new_model",
    "initialize_weights",
    "install_checkpoint_reader",
    "install_dataset_guard",
    "install_guards",
    "json_detections",
    "json_predictions",
    "layer_summary",
    "letterbox",
    "letterbox_batch",
    "local_font",
    "merge_key_value_fragments",
    "mismatch",
    "non_max_suppression",
    "parse_key_value",
    "parser_knows",
    "parser_resolved",
    "predictor_plain_forward",
    "predictor_rect",
    "predictor_saves_features",
    "reference_nms",
    "replaced",
    "request_json_predictions",
    "run_dir",
    "scale_boxes",
    "stand_in_block_shape",
    "stand_in_layer_repeats",
    "trainer_amp_check",
    "ultralytics_amp_check",
    "ultralytics_model_yaml",
    "validator_end2end",
]

TESTED_RANGE = ">=8.4,<8.5"


def mismatch(touchpoint: str, what: str) -> str:
    """The message for a broken touchpoint: which one, what changed, and the installed version."""
    return f"{touchpoint}: {what}; installed ultralytics {ultralytics.__version__} (tested: {TESTED_RANGE})"


# =========================================================================== model YAMLs, parse_model
# Ultralytics' parse_model scales channels and repeats only for block classes it knows. A YOLO-LAT
# row is given to it as a stand-in of the same scaling family, then replaced by the real module:
# a ``block`` (c1, c2, n, ...) as C1, whose c2 and n the parser scales like its own blocks, and a
# channel-preserving ``layer`` (c1, ...) as nn.Identity, which it repeats n times in a Sequential.
STAND_IN_BLOCK = "C1"
STAND_IN_LAYER = "nn.Identity"
_ULTRALYTICS_MODEL_NAME = re.compile(r"yolo(e-)?v?\d+[nslmx]?")


def parser_knows(name: str) -> bool:
    """Whether parse_model resolves the row module ``name``: ``nn.X`` in torch.nn,
    ``torchvision.ops.X``, or a class among ultralytics.nn.tasks' globals (as parse_model looks it up)."""
    if name.startswith("nn."):
        return hasattr(nn, name[3:])
    if name.startswith("torchvision.ops."):
        return True
    return isinstance(getattr(_ul_tasks, name, None), type)


def ultralytics_model_yaml(name: str | Path) -> dict | None:
    """Ultralytics' own model dict for one of its model names (``yolo11n.yaml``, ``yolov8s.yaml``:
    scale taken from the name, file from its package), or None for a name that is not one."""
    if not _ULTRALYTICS_MODEL_NAME.search(Path(str(name)).stem):
        return None
    return _ul_tasks.yaml_model_load(name)


def stand_in_block_shape(stand_in: nn.Module) -> tuple[int, int, int]:
    """(c1, c2, n) that parse_model resolved for a C1 stand-in: its cv1 conv's channels, its repeats."""
    try:
        return stand_in.cv1.conv.in_channels, stand_in.cv1.conv.out_channels, len(stand_in.m)
    except AttributeError as exc:
        raise RuntimeError(mismatch("C1 stand-in", f"C1 no longer has .cv1.conv and .m ({exc})")) from None


def stand_in_layer_repeats(stand_in: nn.Module) -> int:
    """How many times parse_model repeated an nn.Identity stand-in (n > 1 is an nn.Sequential)."""
    return len(stand_in) if isinstance(stand_in, nn.Sequential) else 1


def adopt_layer(old: nn.Module, new: nn.Module, type_name: str) -> None:
    """Give ``new`` the attributes parse_model sets on each layer it builds and that DetectionModel's
    forward (``i``, ``f``) and its summaries (``type``, ``np``) read: the replacement takes ``old``'s place."""
    new.np = sum(p.numel() for p in new.parameters())
    new.i, new.f, new.type = old.i, old.f, type_name


def layer_summary(layer: nn.Module) -> tuple[int | list[int], int, str]:
    """(``from`` index, parameter count, module type) that parse_model recorded on a layer it built."""
    return layer.f, layer.np, layer.type


def parser_resolved(model: nn.Module) -> dict:
    """``nc`` and ``channels`` that DetectionModel's construction wrote into ``model.yaml``."""
    return {"nc": model.yaml["nc"], "channels": model.yaml["channels"]}


def append_loss_term(
    loss: torch.Tensor, items: dict, name: str, value: torch.Tensor, batch_size: int
) -> tuple[torch.Tensor, dict]:
    """Add a term to what DetectionModel.loss returns: per-term losses multiplied by the batch size
    (the trainer backpropagates their sum) and a dict of the detached terms (which it logs by name)."""
    scaled = (value * batch_size).reshape(1).to(loss.dtype)
    return torch.cat([loss.reshape(-1), scaled]), {**items, name: value.detach()}


def attach_loss_hyperparameters(model: nn.Module, overrides: dict | None = None) -> nn.Module:
    """Give ``model`` the training arguments its loss reads (box, cls, dfl gains: DetectionModel.loss
    builds its criterion from ``model.args``), Ultralytics' defaults updated by ``overrides``; the
    trainer does this itself, code that computes the loss outside a trainer calls this first."""
    from ultralytics.cfg import get_cfg

    model.args = get_cfg(overrides=overrides)
    return model


def initialize_weights(model: nn.Module) -> None:
    """Ultralytics' layer initialisation (BatchNorm eps/momentum, inplace activations), as DetectionModel
    applies it to the layers it builds."""
    from ultralytics.utils.torch_utils import initialize_weights as init

    init(model)


# =========================================================================== Model, trainer, validator
def init_new_model(model: Any, cfg: str, cfg_dict: dict, task: str, verbose: bool = False) -> None:
    """What ``Model._new`` does once it has the model dict, for a dict Ultralytics' loader cannot read.

    ``Model._new`` loads the YAML with ``yaml_model_load`` (which finds neither YOLO-LAT's cfg/ folder
    nor ``base:`` files) and offers no hook for the loader, so the attributes it sets are set here:
    the model built by the task map's model class, ``cfg``, ``task``, ``overrides`` and the model's
    ``args`` (which let a model built from a YAML be exported) and ``task``.
    """
    from ultralytics.utils import DEFAULT_CFG_DICT, RANK

    model.cfg = cfg
    model.task = task
    model.model = model.task_map[task]["model"](cfg_dict, verbose=verbose and RANK == -1)
    model.overrides["model"] = cfg
    model.overrides["task"] = task
    model.model.args = {**DEFAULT_CFG_DICT, **model.overrides}
    model.model.task = task
    model.model_name = cfg


@contextlib.contextmanager
def trainer_amp_check(check: Callable[[nn.Module], bool]) -> Iterator[None]:
    """While active, Ultralytics' trainer calls ``check`` where it would call its ``check_amp``.

    The trainer calls ``check_amp`` (looked up in ultralytics.engine.trainer at call time) whenever
    ``amp`` is on, and that check downloads yolo26n.pt on a GPU. No trainer hook replaces it, so the
    module-level name is replaced for the duration, and restored after.
    """
    import ultralytics.engine.trainer as ul_trainer

    original = ul_trainer.check_amp
    ul_trainer.check_amp = check
    try:
        yield
    finally:
        ul_trainer.check_amp = original


def ultralytics_amp_check(model: nn.Module) -> bool | None:
    """Ultralytics' own AMP check when its reference weights (yolo26n.pt) are already on disk, so that
    it downloads nothing; None when they are not."""
    from ultralytics.utils import WEIGHTS_DIR
    from ultralytics.utils.checks import check_amp

    if (WEIGHTS_DIR / "yolo26n.pt").is_file():
        return bool(check_amp(model))
    return None


def autocast(enabled: bool, device: str = "cuda") -> contextlib.AbstractContextManager:
    """Ultralytics' autocast context (the one its trainer and validator use)."""
    from ultralytics.utils.torch_utils import autocast as ul_autocast

    return ul_autocast(enabled=enabled, device=device)


@contextlib.contextmanager
def args_value(args: Any, key: str, value: Any) -> Iterator[None]:
    """``args.<key> = value`` while active, then the given value back.

    The trainer's ``get_dataset`` and a standalone validator's ``__call__`` read ``args.data`` when
    called; YOLO-LAT shows them the resolved data YAML there while the run's args keep the name the
    user gave (``data=shapes``), which is what checkpoints record.
    """
    given = getattr(args, key)
    setattr(args, key, value)
    try:
        yield
    finally:
        setattr(args, key, given)


def request_json_predictions(validator: Any) -> None:
    """Make the detection validator call ``pred_to_json`` for every image with detections, write
    ``predictions.json`` and call ``eval_json`` (its ``save_json`` setting, read after ``init_metrics``)."""
    validator.args.save_json = True


def json_predictions(validator: Any) -> list[dict]:
    """The validator's list of COCO-JSON detections (``jdict``), which it writes to predictions.json."""
    return validator.jdict


def dataset_labels(dataset: Any) -> tuple[list[str], list[dict]]:
    """Image files of an Ultralytics detection dataset (a validator's ``dataloader.dataset``) and their
    labels: dicts with ``cls`` (n, 1) and ``bboxes`` (n, 4), normalised xywh."""
    return list(dataset.im_files), list(dataset.labels)


def json_detections(predn: dict, pbatch: dict) -> tuple[Path, list[tuple[list[float], float, int]]]:
    """What ``pred_to_json(predn, pbatch)`` receives, as (image file, [(xywh box with a top-left corner,
    in pixels of the original image; score; class index)])."""
    from .data.boxes import xyxy_to_coco

    box = xyxy_to_coco(predn["bboxes"])  # pixels of the original image, top-left corner
    rows = [(b, s, int(c)) for b, s, c in zip(box.tolist(), predn["conf"].tolist(), predn["cls"].tolist())]
    return Path(pbatch["im_file"]), rows


# =========================================================================== command line
def cfg_keys() -> set[str]:
    """The argument names of Ultralytics' default configuration (what ``yolo train ...`` accepts)."""
    from ultralytics.cfg import DEFAULT_CFG_DICT

    return set(DEFAULT_CFG_DICT)


def merge_key_value_fragments(args: list[str]) -> list[str]:
    """Ultralytics' joining of shell fragments: ``["imgsz", "=", "320"]`` -> ``["imgsz=320"]``,
    ``["a=[1,", "2]"]`` -> ``["a=[1,2]"]``; an unmatched bracket raises ValueError."""
    from ultralytics.cfg import merge_equals_args

    try:
        return merge_equals_args(list(args))
    except SyntaxError as exc:
        raise ValueError(str(exc)) from None


def parse_key_value(arg: str) -> tuple[str, Any]:
    """``"epochs=3"`` -> ("epochs", 3), with Ultralytics' value parsing (``name``/``project`` stay
    strings); a missing value raises ValueError."""
    from ultralytics.cfg import parse_key_value_pair

    try:
        return parse_key_value_pair(arg)
    except AssertionError as exc:
        raise ValueError(str(exc)) from None


def run_dir(project: str | Path | None, name: str, exist_ok: bool = False) -> Path:
    """A new run folder ``project/name`` (``name2``, ``name3``... when taken), as Ultralytics names its
    runs; ``project`` defaults to Ultralytics' runs directory ``/detect``. Not created."""
    from ultralytics.utils import RUNS_DIR
    from ultralytics.utils.files import increment_path

    return increment_path(Path(project or RUNS_DIR / "detect") / name, exist_ok=exist_ok)


# =========================================================================== export, pre/post-processing
def export_model(model: nn.Module, pt_path: Path, overrides: dict) -> str:
    """Export an in-memory model with Ultralytics' Exporter; the file is named after ``pt_path``
    (``dir/name.pt`` -> ``dir/name.onnx``), as the Exporter names it after ``model.pt_path``."""
    from ultralytics.engine.exporter import Exporter
    from ultralytics.utils import DEFAULT_CFG_DICT

    model.pt_path = str(pt_path)
    model.task = getattr(model, "task", None) or "detect"
    if not isinstance(getattr(model, "args", None), dict):  # the Exporter reads model.args["data"]
        model.args = {**DEFAULT_CFG_DICT, "task": "detect"}
    return str(Exporter(overrides={**overrides, "mode": "export"})(model=model))


def export_format_names() -> tuple[str, ...]:
    """The ``format=`` values of Ultralytics' exporter (its ``export_formats()`` table's Argument column,
    PyTorch excluded)."""
    from ultralytics.engine.exporter import export_formats

    return tuple(export_formats()["Argument"][1:])


def name_exports_after(model: nn.Module, pt_path: Path | None) -> None:
    """Have Ultralytics' Exporter name its output after ``pt_path`` (``dir/x.pt`` -> ``dir/x.onnx``): it
    reads ``model.pt_path``. None removes the name again."""
    model.pt_path = None if pt_path is None else str(pt_path)


def letterbox(image: np.ndarray, imgsz: int) -> np.ndarray:
    """``image`` (H, W, 3) resized to fit ``imgsz``×``imgsz`` and padded to it (value 114, centred),
    as Ultralytics' predictor prepares images for a fixed input size."""
    from ultralytics.data.augment import LetterBox

    return LetterBox(new_shape=(imgsz, imgsz), auto=False, stride=32)(image=image)


def letterbox_batch(images: list[np.ndarray], imgsz: int) -> np.ndarray:
    """BGR images (H, W, 3) uint8 -> letterboxed RGB batch (N, 3, imgsz, imgsz) uint8, contiguous: the
    preprocessing shared by the ONNX parity check and the benchmark pipeline. The caller converts to
    float and divides by 255 where the batch will live."""
    x = np.stack([letterbox(im, imgsz) for im in images])[..., ::-1].transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x)


def non_max_suppression(
    preds: torch.Tensor, conf: float, iou: float, max_det: int = 300, end2end: bool = False
) -> list[torch.Tensor]:
    """Ultralytics' NMS on raw head outputs: per image an (n, 6) tensor x1, y1, x2, y2, score, class."""
    from ultralytics.utils import nms

    return nms.non_max_suppression(preds, conf, iou, max_det=max_det, end2end=end2end)


def scale_boxes(input_hw: tuple[int, int], boxes: torch.Tensor, image_shape: tuple[int, ...]) -> torch.Tensor:
    """xyxy ``boxes`` in pixels of the letterboxed input (h, w) -> pixels of the original image."""
    from ultralytics.utils import ops

    return ops.scale_boxes(input_hw, boxes, image_shape)


def exif_size(image: Any) -> tuple[int, int]:
    """(width, height) of a PIL image with its EXIF orientation applied, as Ultralytics sizes its labels."""
    from ultralytics.data.utils import exif_size as ul_exif_size

    return ul_exif_size(image)


# =========================================================================== device pipeline (issue #16)
# What yolo_lat.engine.pipeline needs from Ultralytics' predictor, validator and image loader.
def reference_nms(preds: torch.Tensor, conf: float, iou: float, **kwargs: Any) -> list[torch.Tensor]:
    """Ultralytics' ``non_max_suppression`` with its full arguments (``classes``, ``agnostic``,
    ``multi_label``, ``max_det``, ``nc``, ``max_nms``, ``max_wh``, ``end2end``): the reference of the
    batched NMS, and what it hands end-to-end heads to."""
    from ultralytics.utils import nms

    return nms.non_max_suppression(preds, conf, iou, **kwargs)


def predictor_rect(predictor: Any, images: list[np.ndarray]) -> bool:
    """Whether the predictor's ``pre_transform`` letterboxes ``images`` to the minimum rectangle
    (``auto``): same shapes, ``rect``, no ``scale_fill``, and a PyTorch (or dynamic) model."""
    model = predictor.model
    return (
        len({im.shape for im in images}) == 1
        and bool(predictor.args.rect)
        and not predictor.scale_fill
        and (model.format == "pt" or (getattr(model, "dynamic", False) and model.format != "imx"))
    )


def predictor_plain_forward(predictor: Any) -> bool:
    """Whether the predictor's ``inference`` is just ``model(im)`` on a PyTorch module (no augment,
    visualize, embed, feature hooks): what a CUDA graph may replay."""
    a = predictor.args
    return (
        predictor.model.format == "pt"
        and not (a.augment or a.visualize or a.embed)
        and getattr(predictor, "_feats", None) is None
    )


def predictor_saves_features(predictor: Any) -> bool:
    """Whether ``postprocess`` must return object features (``_feats``, set by ``predict(embed=...)`` hooks)."""
    return getattr(predictor, "_feats", None) is not None


def validator_end2end(validator: Any) -> bool:
    """Whether the validator's model has an end-to-end head (its ``end2end``, set in ``__call__``)."""
    return bool(getattr(validator, "end2end", False))


def decode_images_with(dataset: Any, decode: Callable[[list[str]], list]) -> bool:
    """Make an image-only ``LoadImagesAndVideos`` (folders, globs, files; no video) read each batch
    with ``decode(paths)`` (which returns the batch's images, e.g. a DeviceBatch) instead of OpenCV
    per file; returns False, changing nothing, for any other source."""
    from ultralytics.data.loaders import LoadImagesAndVideos

    if type(dataset) is not LoadImagesAndVideos or any(dataset.video_flag):
        return False
    dataset.__class__ = _decoding_loader()
    dataset.decode = decode
    return True


_DECODING_LOADER: type | None = None


def _decoding_loader() -> type:
    """A LoadImagesAndVideos whose ``__next__`` reads ``bs`` images at once through ``self.decode``,
    yielding what the original yields: (paths, images, info strings ``image i/n path: ``)."""
    global _DECODING_LOADER
    if _DECODING_LOADER is None:
        from ultralytics.data.loaders import LoadImagesAndVideos

        class DecodingLoader(LoadImagesAndVideos):
            def __next__(self):
                if self.count >= self.nf:
                    raise StopIteration
                paths = list(self.files[self.count : self.count + self.bs])
                images = self.decode(paths)
                info = [f"image {self.count + i + 1}/{self.nf} {p}: " for i, p in enumerate(paths)]
                self.count += len(paths)
                self.mode = "image"
                return paths, images, info

        _DECODING_LOADER = DecodingLoader
    return _DECODING_LOADER


# =========================================================================== safety: checkpoints, data files, network
# Ultralytics reads checkpoints with plain torch.load (which runs code a .pt file names), downloads a
# bare weights name it cannot find, runs a data YAML's `download:` (Python, shell or URL) when the
# images are missing, pip-installs missing packages, checks PyPI for updates and downloads fonts.
# None of it has a hook, so the module-level functions it looks up at call time are replaced, once,
# when this module is imported (``install_guards``, at the end of this file): everything YOLO-LAT
# runs imports this module first. This holds for the whole process, plain ``ultralytics.YOLO``
# included, once YOLO-LAT is imported.
_MISSING_IMAGES = re.compile(r"missing path '([^']*)'")


def _replace(home: str, name: str, make: Callable[[Callable], Callable], everywhere: bool = True) -> Callable:
    """Replace the function ``name`` of the Ultralytics module ``home`` by ``make(original)``: in
    ``home`` (where modules imported later find it) and, with ``everywhere``, in every loaded
    Ultralytics module that imported it by name (``from home import name``). Idempotent."""
    module = importlib.import_module(home)
    current = getattr(module, name)
    if getattr(current, "_yolo_lat", False):
        return current
    replacement = make(current)
    replacement._yolo_lat, replacement.__wrapped__ = True, current
    setattr(module, name, replacement)
    for loaded in list(sys.modules.values()) if everywhere else ():
        if getattr(loaded, "__name__", "").startswith("ultralytics") and vars(loaded).get(name) is current:
            setattr(loaded, name, replacement)
    return replacement


def replaced(function: Callable) -> Callable:
    """The Ultralytics function that a replacement installed here stands in for (itself otherwise)."""
    return getattr(function, "__wrapped__", function) if getattr(function, "_yolo_lat", False) else function


def _as_checkpoint(obj: Any, file: str) -> dict:
    """What Ultralytics' ``load_checkpoint`` expects from ``torch_safe_load``: a dict whose ``ema`` or
    ``model`` is the model (a bare module saved with torch.save is wrapped, as Ultralytics does)."""
    if isinstance(obj, torch.jit.ScriptModule):
        raise ValueError(f"{file} is a TorchScript archive, not a checkpoint; export from the .pt checkpoint instead")
    if isinstance(obj, nn.Module):
        obj = {"model": obj}
    elif not isinstance(obj, dict) and isinstance(getattr(obj, "model", None), nn.Module):
        obj = {"model": obj.model}  # a whole YOLO object saved with torch.save (a trusted load)
    if not isinstance(obj, dict) or not any(isinstance(obj.get(k), nn.Module) for k in ("ema", "model")):
        raise ValueError(
            f"checkpoint {file} holds no detection model (expected a dict whose 'model' or 'ema' is a torch "
            f"module, got {type(obj).__name__})"
        )
    return obj


def install_checkpoint_reader(read: Callable[..., Any], locate: Callable[[str], str]) -> None:
    """Make every checkpoint Ultralytics reads go through ``read(file, trust=None)``.

    Ultralytics' ``load_checkpoint`` (behind ``Model(...)``, ``Model.load``, the trainer's weights,
    pretrained and resume checkpoints, AutoBackend in predict/val/export) calls the module-level
    ``torch_safe_load(weight)`` of ultralytics.nn.tasks at call time, and expects ``(ckpt, file)``;
    it is replaced by one that finds the file with ``locate`` (never a download: a bare name not found
    there may still be a file Ultralytics downloaded earlier into its weights folder) and reads it
    with ``read``. ``strip_optimizer``, which rewrites best.pt/last.pt at the end of training, reads
    them with the module-level ``torch_load`` of ultralytics.utils.torch_utils: that one too (on
    resume, best.pt may be a file the run did not write).
    """

    def make_loader(original: Callable) -> Callable:
        def torch_safe_load(weight: str | Path, safe_only: bool | None = None) -> tuple[dict, str]:
            """Read a checkpoint with YOLO-LAT's allowlist (``yolo_lat.checkpoint``); never downloads."""
            file = _checkpoint_file(str(weight).strip(), locate)
            return _as_checkpoint(read(file, trust=False if safe_only else None), file), file

        return torch_safe_load

    def make_torch_load(original: Callable) -> Callable:
        def torch_load(f: str | Path, *args: Any, map_location: Any = "cpu", **kwargs: Any) -> Any:
            return read(f, map_location=map_location)

        return torch_load

    _replace("ultralytics.nn.tasks", "torch_safe_load", make_loader)
    _replace("ultralytics.utils.torch_utils", "torch_load", make_torch_load, everywhere=False)


def _checkpoint_file(weight: str, locate: Callable[[str], str]) -> str:
    """``locate(weight)``; for a bare name it does not find, a file of that name in Ultralytics' weights
    folder (where Ultralytics keeps what it downloaded, e.g. yolo26n.pt for its AMP check)."""
    try:
        return locate(weight)
    except FileNotFoundError:
        from ultralytics.utils import SETTINGS

        cached = Path(SETTINGS["weights_dir"]) / weight
        if Path(weight).name == weight and cached.is_file():
            return str(cached)
        raise


def install_dataset_guard() -> None:
    """Ultralytics' ``check_det_dataset`` (trainer, validator, exporter) never runs ``download:``.

    ``check_det_dataset(data, autodownload=True)`` executes a data YAML's ``download:`` entry (Python
    with ``exec``, ``bash ...`` with subprocess, or a URL it downloads) when the val images are missing.
    The replacement always passes ``autodownload=False``, and turns the resulting "images not found"
    error into one line naming the missing path.
    """

    def make(original: Callable) -> Callable:
        def check_det_dataset(dataset: str | Path, autodownload: bool = True, split: str = "") -> dict:
            """Ultralytics' check_det_dataset, with the data YAML's ``download:`` never run."""
            try:
                return original(dataset, autodownload=False, split=split)
            except FileNotFoundError as exc:
                found = _MISSING_IMAGES.search(str(exc))
                if not found:
                    raise
                raise FileNotFoundError(
                    f"dataset '{dataset}': images not found, missing path '{found[1]}'; download scripts "
                    "(a data YAML's 'download:') are not run: put the images there or correct 'path:'/'val:'"
                ) from None

        return check_det_dataset

    _replace("ultralytics.data.utils", "check_det_dataset", make)


def _env_flag(name: str, default: bool) -> bool:
    from ultralytics.utils import env_bool

    return env_bool(name, default)


def go_offline() -> None:
    """Ultralytics installs nothing and, unless ``YOLO_OFFLINE`` is set false, uses no network.

    ``YOLO_AUTOINSTALL`` and ``YOLO_OFFLINE`` are read when Ultralytics is imported (yolo_lat sets both
    before that, unless you did); when Ultralytics was imported first, the module-level names it read
    them into are set here: ``AUTOINSTALL`` (checked by ``check_requirements`` before a pip install),
    ``ONLINE`` (update check, telemetry) and the telemetry switch. ``check_font``, which downloads
    Arial.ttf for plots whatever ``YOLO_OFFLINE`` says, finds fonts locally instead (Ultralytics'
    config folder, the system, then matplotlib's own DejaVu Sans).
    """
    autoinstall = _env_flag("YOLO_AUTOINSTALL", False)
    for name in ("ultralytics.utils", "ultralytics.utils.checks", "ultralytics.utils.export.tensorflow"):
        if name in sys.modules:
            sys.modules[name].AUTOINSTALL = autoinstall
    if not _env_flag("YOLO_OFFLINE", True):
        return
    for name in ("ultralytics.utils", "ultralytics.utils.checks", "ultralytics.utils.events"):
        if name in sys.modules:
            sys.modules[name].ONLINE = False
    if "ultralytics.utils.events" in sys.modules:
        sys.modules["ultralytics.utils.events"].events.enabled = False
    _replace("ultralytics.utils.checks", "check_font", lambda original: local_font)


def local_font(font: str = "Arial.ttf") -> Path:
    """A font file for ``font`` without downloading one: Ultralytics' config folder, a system font of
    that name (as ``check_font`` looks), else matplotlib's DejaVu Sans."""
    from matplotlib import font_manager
    from ultralytics.utils import USER_CONFIG_DIR

    file = USER_CONFIG_DIR / Path(font).name
    if file.is_file():
        return file
    matches = [f.fname for f in font_manager.fontManager.ttflist if font in f.fname and os.path.exists(f.fname)]
    return Path(matches[0] if matches else font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans")))


def _locate_checkpoint(name: str) -> str:
    from .engine.weights import resolve_weights  # at call time: the engine imports this module

    return resolve_weights(name)


def install_guards() -> None:
    """Everything above, once: safe checkpoint reads, no data scripts, no installs, no network."""
    from .checkpoint import load_checkpoint

    install_checkpoint_reader(load_checkpoint, _locate_checkpoint)
    install_dataset_guard()
    go_offline()


install_guards()
