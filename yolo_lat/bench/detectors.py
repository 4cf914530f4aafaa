"""Detector benchmark: YOLO-LAT against Ultralytics YOLO11, YOLO12 and YOLO26, side by side in one run.

Every model is built from its YAML (random weights: latency does not depend on them), fused
(Conv+BN) and timed through the *same* pipeline:

    preprocess  letterbox to imgsz, BGR->RGB, HWC->CHW, /255       (Ultralytics' LetterBox)
    forward     the network                       (torch, ONNX Runtime, or OpenVINO fp32 / NNCF int8)
    postprocess Ultralytics' non_max_suppression (conf 0.25, IoU 0.7; end-to-end heads such as
                YOLO26's are only filtered, as Ultralytics does) and boxes scaled to the image

"forward" is the network alone on a ready tensor; "end_to_end" is all three from uint8 images.
Medians and p90 after warm-up; CUDA events on GPU, perf_counter on CPU. On a CPU each backend runs in
a process of its own (their thread pools would disturb each other), and every row records the
1-minute load average when it was measured: timings are meaningful on a quiet machine only.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from ultralytics.utils import LOGGER

from .. import _ultralytics as ul
from .common import environment, time_callable, write_json
from .models import DEFAULT_MODELS, SMALL_MODELS, build_model, count_params, model_gflops

__all__ = ["BACKENDS", "RUNTIMES", "Pipeline", "Plan", "measure", "measure_in_fresh_process", "sample_images"]

# the backends that run an exported model, and what they run it with
RUNTIMES = {"onnxruntime": "ONNX Runtime", "openvino": "OpenVINO", "openvino_int8": "OpenVINO int8 (NNCF)"}
BACKENDS = ("torch", "torch_fp16", "cuda_graph_fp16", *RUNTIMES, "tensorrt_fp16")


@dataclass
class Plan:
    """What to measure; ``skip`` explains any (model, backend, batch, imgsz) left out."""

    device: str = "cpu"
    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    imgszs: tuple[int, ...] = (320, 640, 1280)
    batches: tuple[int, ...] = (1, 16)
    backends: tuple[str, ...] = ("torch",)
    min_runs: int = 10
    max_runs: int = 200
    budget_s: float = 3.0
    warmup: int = 3
    time_limit: float | None = None  # seconds; models not started by then are listed as skipped
    isolate: bool = False  # one process per backend (CPU: thread pools of two runtimes disturb each other)

    @classmethod
    def for_device(cls, device: str) -> Plan:
        if device.startswith("cuda"):
            backends = ("torch", "torch_fp16", "cuda_graph_fp16", "onnxruntime", "tensorrt_fp16")
            return cls(device=device, backends=backends, min_runs=100, max_runs=100, budget_s=2.0, warmup=10)
        return cls(device=device, backends=("torch", "onnxruntime", "openvino", "openvino_int8"), isolate=True)

    def skip(self, model: str, backend: str, batch: int, imgsz: int) -> str | None:
        if self.device.startswith("cuda"):
            return None
        # the full matrix takes hours on a CPU: the large sizes, batch 16 and ONNX Runtime are
        # measured for the n/t-size models only, and every configuration left out is listed; a
        # model outside the default set (the user's own YAML) is measured as asked
        big = model in DEFAULT_MODELS and model not in SMALL_MODELS
        if imgsz == 1280 and big:
            return "CPU: imgsz 1280 measured for the n/t-size models only"
        if batch > 1 and (big or imgsz != 320):
            return "CPU: batch 16 measured at imgsz 320 for the n/t-size models only"
        if backend in RUNTIMES and (big or imgsz == 1280):
            return f"CPU: {RUNTIMES[backend]} measured for the n/t-size models at 320 and 640"
        return None


def sample_images(n: int, size: tuple[int, int] = (480, 640)) -> list[np.ndarray]:
    """``n`` BGR images (the bundled shapes samples, resized to h×w = ``size``)."""
    from ..paths import SAMPLES_DIR

    files = sorted(SAMPLES_DIR.glob("*.jpg"))
    return [cv2.resize(cv2.imread(str(files[i % len(files)])), (size[1], size[0])) for i in range(n)]


class Pipeline:
    """preprocess -> forward -> NMS/postprocess, identical for every model and backend."""

    def __init__(self, forward: Callable[[torch.Tensor], object], imgsz: int, device: torch.device, end2end: bool,
                 half: bool = False):  # fmt: skip
        self.forward = forward
        self.imgsz = imgsz
        self.device = device
        self.end2end = end2end
        self.half = half

    def preprocess(self, images: list[np.ndarray]) -> torch.Tensor:
        x = torch.from_numpy(ul.letterbox_batch(images, self.imgsz)).to(self.device)
        return (x.half() if self.half else x.float()) / 255

    def postprocess(self, preds, x: torch.Tensor, images: list[np.ndarray]) -> list[torch.Tensor]:
        preds = preds[0] if isinstance(preds, (list, tuple)) else preds
        dets = ul.non_max_suppression(preds, 0.25, 0.7, max_det=300, end2end=self.end2end)
        for d, im in zip(dets, images):
            d[:, :4] = ul.scale_boxes(x.shape[2:], d[:, :4], im.shape)
        return dets

    def __call__(self, images: list[np.ndarray]) -> list[torch.Tensor]:
        x = self.preprocess(images)
        return self.postprocess(self.forward(x), x, images)


def _torch_forward(model, device: torch.device, half: bool) -> Callable:
    net = model.to(device)
    if half:
        net = net.half()

    def fwd(x):
        with torch.inference_mode():
            return net(x)

    return fwd


def _cuda_graph_forward(model, device: torch.device, batch: int, imgsz: int) -> Callable:
    """fp16 forward replayed from a captured CUDA graph (static input buffer)."""
    net = model.to(device).half()
    static = torch.zeros(batch, 3, imgsz, imgsz, device=device, dtype=torch.half)
    with torch.inference_mode():
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(3):
                net(static)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            out = net(static)

    def fwd(x):
        static.copy_(x)
        graph.replay()
        return out

    return fwd


def _stem(name: str) -> str:
    """A file name for a model named by a YAML path (``ablations/yolo-lat-neck-n``): no folders."""
    return name.replace("/", "_").replace("\\", "_")


def _onnx_forward(
    model, name: str, batch: int, imgsz: int, workdir: Path, device: torch.device
) -> tuple[Callable, str]:
    """Export with Ultralytics' exporter (opset 17, onnxslim, fixed shape), run with ONNX Runtime."""
    from ..export.onnx import export_with_ultralytics, onnx_session

    path = export_with_ultralytics(
        model.float().cpu(), workdir, name=f"{_stem(name)}_b{batch}_{imgsz}", imgsz=imgsz, batch=batch, device="cpu"
    )
    model.to(device)
    sess = onnx_session(path, device)
    input_name = sess.get_inputs()[0].name

    def fwd(t):
        return torch.from_numpy(sess.run(None, {input_name: t.detach().float().cpu().numpy()})[0])

    return fwd, sess.get_providers()[0]


def _openvino_forward(model, name: str, batch: int, imgsz: int, workdir: Path, int8: bool) -> tuple[Callable, str]:
    """Export with Ultralytics' exporter (fp32, or int8 calibrated by NNCF on the bundled samples), run the
    model compiled as Ultralytics' OpenVINO backend compiles it (LATENCY hint)."""
    from ..export.openvino import compile_openvino, export_openvino, runtime_label

    tag = "_int8" if int8 else ""
    path = export_openvino(
        model.float().cpu(), workdir, f"{_stem(name)}{tag}_b{batch}_{imgsz}", imgsz, batch, int8=int8
    )
    compiled = compile_openvino(path)

    def fwd(t):
        return torch.from_numpy(compiled(t.detach().float().cpu().numpy())[0])

    return fwd, runtime_label(compiled)


def _skip(report: dict, plan: Plan, name: str, why: str, *, backend: str | None = None, imgsz: int | None = None,
          batch: int | None = None) -> None:  # fmt: skip
    """Record configurations of ``name`` as not measured: one, or (with None) every one in the plan."""
    for b in (backend,) if backend else plan.backends:
        for s in (imgsz,) if imgsz else plan.imgszs:
            for n in (batch,) if batch else plan.batches:
                report["skipped"].append(dict(model=name, backend=b, batch=n, imgsz=s, why=why))


def _measure_model(report: dict, plan: Plan, name: str, device: torch.device, tmp: Path, out_json: Path | None,
                   log: Callable[[str], None]) -> None:  # fmt: skip
    """Every (backend, imgsz, batch) of one model into ``report``."""
    model = build_model(name)
    end2end = bool(getattr(model, "end2end", False))
    report["models"][name] = {  # sizes of the model as defined (before Conv+BN fusion)
        "params": count_params(model),
        "gflops_640": round(model_gflops(model, 640), 3),
        "postprocess": "end-to-end filter" if end2end else "NMS",
    }
    model = model.fuse(verbose=False)
    log(f"{name}: {report['models'][name]['params']:,} params, {report['models'][name]['gflops_640']:.2f} GFLOPs")
    for backend in plan.backends:
        for imgsz in plan.imgszs:
            for batch in plan.batches:
                where = dict(backend=backend, batch=batch, imgsz=imgsz)
                reason = plan.skip(name, backend, batch, imgsz) or _unavailable(backend, device)
                if reason:
                    _skip(report, plan, name, reason, **where)
                    continue
                try:
                    row = _measure_one(model, name, backend, batch, imgsz, device, end2end, plan, tmp)
                except Exception as exc:  # record and go on: one failing backend must not lose the rest
                    _skip(report, plan, name, f"failed: {exc}", **where)
                    log(f"  {backend} b{batch} {imgsz}: failed: {exc}")
                    continue
                report["latency"].append({**row, "model": name, **where, "loadavg_1min": _loadavg()})
                log(
                    f"  {backend:16s} b{batch:<2d} {imgsz:4d}: forward {row['forward']['median_ms']:8.2f} ms, "
                    f"end-to-end {row['end_to_end']['median_ms']:8.2f} ms (p90 {row['end_to_end']['p90_ms']:.2f})"
                )
                if out_json:  # results land as they are measured
                    write_json(report, out_json)


def measure(plan: Plan, out_json: Path | None = None, log: Callable[[str], None] = LOGGER.info) -> dict:
    """Run the plan; returns the report, and writes it to ``out_json`` (if given) after every row.
    With ``plan.isolate``, each backend is measured in a fresh process of its own."""
    if plan.isolate and len(plan.backends) > 1:
        return _measure_isolated(plan, out_json, log)
    device = torch.device(plan.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={plan.device} requested but no CUDA GPU is available")
    if device.type == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    report = _new_report(device)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="yolo-lat-bench-") as tmp:  # exported ONNX / TensorRT files
        for name in plan.models:
            # the first model always runs; later ones start only while the time limit lasts
            if plan.time_limit is not None and report["models"] and time.perf_counter() - started > plan.time_limit:
                _skip(report, plan, name, f"not reached: the run's time limit of {plan.time_limit:g} s was spent")
                log(f"{name}: not reached (time limit {plan.time_limit:g} s)")
                continue
            _measure_model(report, plan, name, device, Path(tmp), out_json, log)
    report["environment"]["loadavg_end"] = list(os.getloadavg())
    if out_json:
        write_json(report, out_json)
    return report


def _new_report(device: torch.device) -> dict:
    return {
        "benchmark": "detectors",
        "environment": environment(device),
        "pipeline": "\n\n".join(__doc__.strip().split("\n\n")[1:]),
        "timing": "CUDA events" if device.type == "cuda" else "time.perf_counter",
        "models": {},
        "latency": [],
        "skipped": [],
    }


def _loadavg() -> float:
    """The 1-minute load average: above ~0.7 on a CPU run, other work was competing for the cores."""
    return round(os.getloadavg()[0], 2)


def _measure_in_child(plan: Plan, queue) -> None:
    """A child process's work: measure ``plan``, sending log lines and then the report (or the error)."""
    try:
        queue.put(("report", measure(plan, None, log=lambda s: queue.put(("log", s)))))
    except Exception as exc:  # reported by the parent as the backend's reason for having no rows
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


def _run_child(plan: Plan, log: Callable[[str], None]) -> tuple[dict | None, str]:
    """Run ``measure(plan)`` in a fresh (spawned) process; (its report or None, why it has none)."""
    import multiprocessing as mp
    import queue as queues

    ctx = mp.get_context("spawn")
    channel = ctx.Queue()
    proc = ctx.Process(target=_measure_in_child, args=(plan, channel), daemon=True)
    proc.start()
    while True:
        try:
            kind, value = channel.get(timeout=1.0)
        except queues.Empty:
            if proc.is_alive():
                continue
            proc.join()
            return None, f"failed: the process measuring it exited with code {proc.exitcode}"
        if kind == "log":
            log(value)
            continue
        proc.join()
        return (value, "") if kind == "report" else (None, f"failed: {value}")


def measure_in_fresh_process(plan: Plan, log: Callable[[str], None] = LOGGER.info) -> dict:
    """``measure(plan)`` in a fresh (spawned) process, as a CPU runtime is timed: its report, or
    RuntimeError with the reason it has none."""
    report, why = _run_child(dataclasses.replace(plan, isolate=False), log)
    if report is None:
        raise RuntimeError(why)
    return report


def _measure_isolated(plan: Plan, out_json: Path | None, log: Callable[[str], None]) -> dict:
    """``measure`` with each backend in a process of its own, the reports merged in the plan's order."""
    started, merged = time.perf_counter(), None
    for backend in plan.backends:
        left = None if plan.time_limit is None else max(plan.time_limit - (time.perf_counter() - started), 1e-9)
        sub = dataclasses.replace(plan, backends=(backend,), isolate=False, time_limit=left)
        log(f"{backend}: measuring in a process of its own")
        report, why = _run_child(sub, log)
        if report is None:
            report = _new_report(torch.device(plan.device))
            for name in plan.models:
                _skip(report, sub, name, why)
        if merged is None:
            merged = {**report, "models": {}, "latency": [], "skipped": [], "environment_per_backend": {}}
            merged["processes"] = "one per backend"
        merged["models"].update(report["models"])
        merged["latency"] += report["latency"]
        merged["skipped"] += report["skipped"]
        merged["environment_per_backend"][backend] = report["environment"]
        if out_json:
            write_json(merged, out_json)
    return merged


def _unavailable(backend: str, device: torch.device) -> str | None:
    if backend in ("torch_fp16", "cuda_graph_fp16") and device.type != "cuda":
        return "needs a GPU"
    if backend == "onnxruntime":
        try:
            import onnxruntime
        except ImportError:
            return "onnxruntime not installed"
        if device.type == "cuda" and "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
            return "onnxruntime has no CUDA provider here (onnxruntime-gpu not installed); CPU runs measure ORT"
    if backend.startswith("openvino"):
        from ..export.openvino import require_openvino

        if device.type != "cpu":
            return "OpenVINO is measured on the CPU"
        try:
            require_openvino(int8=backend == "openvino_int8")
        except ImportError as exc:
            return str(exc)
    if backend == "tensorrt_fp16":
        if device.type != "cuda":
            return "needs a GPU"
        try:
            import tensorrt  # noqa: F401
        except ImportError:
            return "TensorRT not installed (pip install yolo-lat[gpu])"
    return None


def _measure_one(model, name, backend, batch, imgsz, device, end2end, plan: Plan, tmp: Path) -> dict:
    half = backend in ("torch_fp16", "cuda_graph_fp16", "tensorrt_fp16")
    provider = None
    if backend == "torch" or backend == "torch_fp16":
        fwd = _torch_forward(model, device, half)
    elif backend == "cuda_graph_fp16":
        fwd = _cuda_graph_forward(model, device, batch, imgsz)
    elif backend == "onnxruntime":
        fwd, provider = _onnx_forward(model, name, batch, imgsz, tmp, device)
    elif backend in ("openvino", "openvino_int8"):
        fwd, provider = _openvino_forward(model, name, batch, imgsz, tmp, int8=backend == "openvino_int8")
    elif backend == "tensorrt_fp16":
        fwd = _tensorrt_forward(model, name, batch, imgsz, tmp, device)
    else:
        raise ValueError(f"unknown backend {backend!r}")
    in_device = device if backend not in RUNTIMES else torch.device("cpu")
    pipe = Pipeline(fwd, imgsz, in_device, end2end, half=half and backend != "tensorrt_fp16")
    images = sample_images(batch)
    x = pipe.preprocess(images)
    kw = dict(warmup=plan.warmup, min_runs=plan.min_runs, max_runs=plan.max_runs, budget_s=plan.budget_s)
    row = {
        "forward": time_callable(lambda: fwd(x), device, **kw),
        "end_to_end": time_callable(lambda: pipe(images), device, **kw),
    }
    if provider:
        row["provider"] = provider
    return row


def _tensorrt_forward(model, name, batch, imgsz, tmp: Path, device) -> Callable:
    """TensorRT fp16 engine built by Ultralytics' exporter, run through its AutoBackend."""
    from ultralytics.nn.autobackend import AutoBackend

    from ..export.onnx import export_with_ultralytics

    engine = export_with_ultralytics(
        model,
        tmp,
        name=f"{_stem(name)}_b{batch}_{imgsz}",
        format="engine",
        imgsz=imgsz,
        batch=batch,
        half=True,
        device=0,
    )
    backend = AutoBackend(engine, device=device, fp16=True)

    def fwd(x):
        return backend(x.half())

    return fwd
