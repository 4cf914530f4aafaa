"""OpenVINO export (fp32, fp16 weights, int8 post-training quantisation with NNCF) through Ultralytics'
exporter, the OpenVINO vs PyTorch parity check, and the compiled model the benchmark runs.

OpenVINO and NNCF are an optional extra (``pip install -e ".[openvino]"``). Ultralytics' exporter and
its OpenVINO backend would try to pip-install them when missing (YOLO-LAT switches that off, and
they would then fail with a traceback): :func:`require_openvino` is called first and says in one
line what to install. The int8 export calibrates on the validation images of ``data`` (a dataset
name such as ``shapes`` or a data YAML), or without ``data`` on the bundled sample images.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
import yaml

from .parity import Parity, compare_with_torch

__all__ = [
    "INSTALL_HINT",
    "calibration_data",
    "compile_openvino",
    "export_openvino",
    "is_openvino_model",
    "is_quantized",
    "openvino_xml",
    "parity_check",
    "require_openvino",
]

INSTALL_HINT = 'pip install "yolo-lat[openvino]" (in a checkout: pip install -e ".[openvino]")'
OPENVINO_SUFFIX = "_openvino_model"


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def require_openvino(int8: bool = False) -> None:
    """Raise ImportError (one line, naming the extra) when OpenVINO, or for ``int8`` NNCF, is missing."""
    missing = [name for name, need in (("openvino", True), ("nncf", int8)) if need and not _installed(name)]
    if missing:
        what = " and ".join(missing) + (" (int8 quantisation)" if "nncf" in missing else "")
        raise ImportError(f"OpenVINO export and inference need {what}, which is not installed: {INSTALL_HINT}")


def is_openvino_model(path: str | Path) -> bool:
    """Whether ``path`` is an OpenVINO model: a ``*_openvino_model/`` folder or its ``.xml`` file."""
    p = Path(str(path))
    return p.name.endswith(OPENVINO_SUFFIX) or (p.suffix == ".xml" and p.parent.name.endswith(OPENVINO_SUFFIX))


def openvino_xml(path: str | Path) -> Path:
    """The model's ``.xml`` file: ``path`` itself, or the one inside the folder ``path``."""
    p = Path(path)
    if p.is_file():
        return p
    found = sorted(p.glob("*.xml"))
    if not found:
        raise FileNotFoundError(f"no OpenVINO model (*.xml) in {p}")
    return found[0]


def compile_openvino(path: str | Path, device: str = "CPU", threads: int | None = None):
    """The OpenVINO model compiled as Ultralytics' OpenVINO backend compiles it for predict/val
    (``PERFORMANCE_HINT=LATENCY``); ``threads`` caps the CPU threads (default: OpenVINO's choice)."""
    require_openvino()
    import openvino as ov

    core = ov.Core()
    config = {"PERFORMANCE_HINT": "LATENCY"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = int(threads)
    return core.compile_model(core.read_model(str(openvino_xml(path))), device, config)


def runtime_label(compiled) -> str:
    """Runtime name such as ``OpenVINO 2026.4.1 (CPU, f32)``: version, device and the precision it executes in."""
    import openvino as ov

    devices = ",".join(compiled.get_property("EXECUTION_DEVICES"))
    precision = _precision(compiled)
    return f"OpenVINO {ov.__version__.split('-')[0]} ({devices}, {precision})"


def _precision(compiled) -> str:
    hint = compiled.get_property("INFERENCE_PRECISION_HINT")
    return hint.get_type_name() if hasattr(hint, "get_type_name") else str(hint)


def is_quantized(path: str | Path) -> bool:
    """Whether the OpenVINO model at ``path`` is int8-quantised (NNCF inserts FakeQuantize ops)."""
    import openvino as ov

    ops = ov.Core().read_model(str(openvino_xml(path))).get_ops()
    return any(op.get_type_name() == "FakeQuantize" for op in ops)


def parity_check(
    model: torch.nn.Module,
    path: str | Path,
    images: list[np.ndarray],
    imgsz: int,
    end2end: bool = False,
    conf: float = 0.25,
    iou: float = 0.7,
    nms_inside: bool = False,
    max_det: int = 300,
    max_batch: int | None = None,
) -> Parity:
    """OpenVINO (compiled as predict compiles it) against PyTorch fp32 on ``images``: raw outputs and
    final boxes. An int8 model, or one executed below fp32, is judged by box matching (see parity.py)."""
    compiled = compile_openvino(path)
    shape = compiled.input(0).get_partial_shape()
    fixed_batch = shape[0].get_length() if shape[0].is_static else None
    int8 = is_quantized(path)
    exact = _precision(compiled) == "f32" and not int8
    run: Callable[[np.ndarray], np.ndarray] = lambda x: compiled(x)[0]  # noqa: E731
    return compare_with_torch(
        model,
        run,
        images,
        imgsz,
        runtime_label(compiled) + (", int8" if int8 else ""),
        fixed_batch=fixed_batch,
        max_batch=max_batch,
        nms_inside=nms_inside,
        exact=exact,
        end2end=end2end,
        conf=conf,
        iou=iou,
        max_det=max_det,
    )


@contextlib.contextmanager
def calibration_data(data: str | Path | None, names: dict[int, str]) -> Iterator[tuple[str, str]]:
    """(data YAML whose ``val`` split calibrates the int8 export, description): ``data`` resolved
    (a name in datasets.yaml or a data YAML), else a temporary YAML over copies of the bundled samples
    (copies: Ultralytics writes a labels cache beside the images, never inside the package)."""
    if data:
        from ..data.registry import resolve_data

        yield resolve_data(data), f"the validation images of {data}"
        return
    from ..paths import SAMPLES_DIR

    with tempfile.TemporaryDirectory(prefix="yolo-lat-calib-") as tmp:
        images = Path(tmp) / "images" / "val"
        images.mkdir(parents=True)
        files = sorted(SAMPLES_DIR.glob("*.jpg"))
        for f in files:
            shutil.copy(f, images / f.name)
        doc = {"path": tmp, "train": "images/val", "val": "images/val", "names": dict(names)}
        (Path(tmp) / "calibration.yaml").write_text(yaml.safe_dump(doc))
        yield str(Path(tmp) / "calibration.yaml"), f"the {len(files)} bundled sample images"


def export_openvino(
    model: torch.nn.Module, workdir: Path, name: str, imgsz: int, batch: int = 1, int8: bool = False
) -> str:
    """Export an in-memory model with Ultralytics' exporter into ``workdir/<name>[_int8]_openvino_model/``
    (int8: calibrated on the bundled samples); returns the folder."""
    from .. import _ultralytics as ul

    require_openvino(int8=int8)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    args = {"format": "openvino", "imgsz": imgsz, "batch": batch, "device": "cpu", "verbose": False}
    if not int8:
        return ul.export_model(model, workdir / f"{name}.pt", args)
    with calibration_data(None, getattr(model, "names", None) or {i: str(i) for i in range(80)}) as (data, _):
        return ul.export_model(model, workdir / f"{name}.pt", {**args, "quantize": 8, "data": data})
