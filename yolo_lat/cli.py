"""The ``yolo-lat`` command: Ultralytics-style ``yolo-lat MODE key=value ...``.

    yolo-lat train                                   # yolo-lat-n on the embedded shapes dataset
    yolo-lat train model=yolo-lat-n.yaml data=shapes epochs=50 imgsz=320
    yolo-lat val model=runs/detect/train/weights/best.pt data=shapes
    yolo-lat predict model=yolo-lat-n.pt source=path/to/images
    yolo-lat export model=yolo-lat-n.pt format=onnx
    yolo-lat export model=yolo-lat-n.pt format=openvino int8=True data=shapes
    yolo-lat demo source=0                           # webcam; also a video, URL, folder or glob
    yolo-lat demo model=best.onnx source=video.mp4 show=False save=True
    yolo-lat benchmark device=cpu                    # YOLO-LAT vs YOLO11/12/26: params, GFLOPs, latency
    yolo-lat explain model=yolo-lat-n.pt source=img.jpg points=[[320,240]]   # exact attention maps

Arguments are Ultralytics' (https://docs.ultralytics.com/usage/cfg/); ``data`` also takes the
names in datasets.yaml (shapes, shapes-dense, coco). Errors are reported in one line; set YOLO_LAT_DEBUG=1
for the traceback.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from difflib import get_close_matches
from pathlib import Path
from typing import Any

__all__ = ["main", "parse_args"]

MODES = ("train", "val", "predict", "export", "demo", "benchmark", "explain")
# the keys of the modes that do not take Ultralytics' argument set (the others take exactly that set)
DEMO_PREDICT_KEYS = {"imgsz", "conf", "iou", "device", "quantize", "max_det", "classes", "agnostic_nms"}
ONLY_KEYS: dict[str, set[str]] = {
    "demo": {"model", "source", "show", "save", "project", "name", "exist_ok", *DEMO_PREDICT_KEYS},
    "benchmark": {"device", "models", "imgsz", "batch", "project", "name", "exist_ok", "time_limit", "backends"},
    "explain": {
        "model",
        "source",
        "points",
        "layers",
        "heads",
        "imgsz",
        "conf",
        "iou",
        "device",
        "save",
        "project",
        "name",
        "exist_ok",
    },  # fmt: skip
}
# keys a mode takes beside Ultralytics' set: export's precision flags, which Ultralytics 8.4 folded into quantize=
EXTRA_KEYS: dict[str, set[str]] = {"export": {"half", "int8"}}
USAGE = __doc__.split("\n\n")[1]


class UsageError(ValueError):
    """A command-line mistake, reported in one line."""


def _hint(word: str, choices, n: int) -> str:
    """`` (did you mean 'x'?)`` (n=1) or `` (similar: x, y)``: the closest of ``choices``, or ''."""
    near = get_close_matches(word, choices, n=n)
    if not near:
        return ""
    return f" (did you mean '{near[0]}'?)" if n == 1 else f" (similar: {', '.join(near)})"


def parse_args(argv: list[str]) -> tuple[str, dict[str, Any]]:
    """``["train", "epochs=3"]`` -> ("train", {"epochs": 3}); unknown keys raise UsageError."""
    from . import _ultralytics as ul

    if not argv:
        raise UsageError(f"missing mode; expected one of {', '.join(MODES)}")
    try:
        mode, rest = argv[0], ul.merge_key_value_fragments(argv[1:])
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if mode not in MODES:
        raise UsageError(f"unknown mode '{mode}'{_hint(mode, MODES, 1)}; expected one of {', '.join(MODES)}")
    allowed = ONLY_KEYS.get(mode) or ul.cfg_keys() | EXTRA_KEYS.get(mode, set())
    overrides: dict[str, Any] = {}
    for arg in rest:
        if "=" not in arg:
            raise UsageError(f"argument '{arg}' is not of the form key=value")
        try:
            key, value = ul.parse_key_value(arg)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if key not in allowed:
            raise UsageError(f"'{key}' is not a valid argument for {mode}{_hint(key, allowed, 3)}")
        overrides[key] = value
    return mode, overrides


def _print_metrics(metrics) -> None:
    if metrics is None:
        return
    rd = getattr(metrics, "results_dict", None)
    if rd:
        line = "  ".join(f"{k.replace('metrics/', '')}={v:.4f}" for k, v in rd.items() if isinstance(v, float))
        print(f"metrics: {line}")


def _load(args: dict[str, Any]):
    """The YOLOLAT of ``model=`` (popped from ``args``), by default the shipped yolo-lat-n weights."""
    from .engine.defaults import DEFAULT_WEIGHTS
    from .engine.model import YOLOLAT

    return YOLOLAT(args.pop("model", None) or DEFAULT_WEIGHTS)


def _train(args: dict[str, Any]) -> None:
    from .engine.defaults import DEFAULT_MODEL
    from .engine.model import YOLOLAT

    model = YOLOLAT(args.pop("model", None) or DEFAULT_MODEL)
    metrics = model.train(**args)
    _print_metrics(metrics)
    if model.trainer is not None:
        print(f"results saved to {model.trainer.save_dir}")


def _val(args: dict[str, Any]) -> None:
    model = _load(args)
    _print_metrics(model.val(**args))


def _predict(args: dict[str, Any]) -> None:
    from .engine.defaults import RunFolder, run_project
    from .paths import SAMPLES_DIR

    model = _load(args)
    if args.get("source") is None:
        args["source"] = str(SAMPLES_DIR)
    args.setdefault("save", True)
    folder = RunFolder(run_project(args.get("project")), str(args.get("name") or "predict"), bool(args.get("exist_ok")))
    results = model.predict(**args)
    if not results:
        save_dir = getattr(model.predictor, "save_dir", None)
        if save_dir is not None and Path(save_dir).is_dir() and not any(Path(save_dir).iterdir()):
            folder.discard(save_dir)  # the empty folder this run made
        raise ValueError(
            f"source={args['source']}: no image or video frame could be read from it (see the warnings above)"
        )
    else:
        print(
            f"{len(results)} result(s) saved to {results[0].save_dir}"
            if args.get("save")
            else f"{len(results)} result(s)"
        )


def _export(args: dict[str, Any]) -> None:
    model = _load(args)
    args.setdefault("format", "onnx")
    path = model.export(**args)
    print(f"exported: {os.path.abspath(path)}")
    if model.parity is not None:
        print(model.parity)


def _has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _demo(args: dict[str, Any]) -> None:
    from . import _ultralytics as ul
    from .engine.defaults import run_project

    show = args.pop("show", None)
    show = True if show is None else bool(show)
    save = bool(args.pop("save", False))
    if show and not _has_display():
        raise UsageError("no display to show the demo window; use show=False save=True to write the annotated video")
    if not show and not save:
        raise UsageError("show=False without save=True would produce nothing")
    model = _load(args)
    source = args.pop("source", None)
    project, name, exist_ok = args.pop("project", None), args.pop("name", None), args.pop("exist_ok", False)
    save_dir = ul.run_dir(run_project(project), name or "demo", exist_ok=bool(exist_ok)) if save else None
    # the rest are predict's arguments: what is not given comes from the checkpoint, as for predict
    out = model.demo(0 if source is None else source, show=show, save=save, save_dir=save_dir, **args)
    print(f"{out['frames']} frame(s), {out['fps']:.1f} FPS" + (f"; saved to {out['output']}" if out["output"] else ""))


def _benchmark(args: dict[str, Any]) -> None:
    from .bench.run import benchmark

    save_dir = benchmark(
        device=args.get("device") or "cpu",
        models=args.get("models"),
        imgsz=args.get("imgsz"),
        batch=args.get("batch"),
        project=args.get("project"),
        name=args.get("name"),
        exist_ok=bool(args.get("exist_ok", False)),
        time_limit=args.get("time_limit"),
        backends=args.get("backends"),
    )
    print(f"results saved to {save_dir}")


def _explain(args: dict[str, Any]) -> None:
    model = _load(args)
    print(model.explain(**args).summary())


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "train": _train,
    "val": _val,
    "predict": _predict,
    "export": _export,
    "demo": _demo,
    "benchmark": _benchmark,
    "explain": _explain,
}


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _one_line(exc: BaseException) -> str:
    """The error's message on one line, without terminal colours; an OSError names its file."""
    msg = str(exc)
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in msg:
        msg = f"{exc.strerror or msg}: {exc.filename}"
    return " ".join(_ANSI.sub("", msg or type(exc).__name__).split())


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] in ("-V", "--version", "version"):
        from . import __version__

        print(f"yolo-lat {__version__}")
        return 0
    debug = os.environ.get("YOLO_LAT_DEBUG", "0") not in ("", "0")
    try:
        mode, args = parse_args(argv)
        if args.get("device") is not None:
            from .engine.devices import check_device

            check_device(args["device"])  # before anything loads: a missing GPU is one accurate line
        HANDLERS[mode](args)
    except KeyboardInterrupt:
        print("yolo-lat: interrupted", file=sys.stderr)
        return 130
    except (
        UsageError,
        ValueError,
        TypeError,
        OSError,  # FileNotFoundError, PermissionError, a full disk
        ImportError,  # an optional package that is not installed
        RuntimeError,
        SyntaxError,
        NotImplementedError,
    ) as exc:
        if debug:
            raise
        print(f"yolo-lat: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
