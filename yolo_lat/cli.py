"""The ``yolo-lat`` command: Ultralytics-style ``yolo-lat MODE key=value ...``.

    yolo-lat train                                   # yolo-lat-n on the embedded shapes dataset
    yolo-lat train model=yolo-lat-n.yaml data=shapes epochs=50 imgsz=320
    yolo-lat val model=runs/detect/train/weights/best.pt data=shapes
    yolo-lat predict model=yolo-lat-n.pt source=path/to/images
    yolo-lat export model=yolo-lat-n.pt format=onnx
    yolo-lat demo source=0                           # webcam; also a video, URL, folder or glob
    yolo-lat demo model=best.onnx source=video.mp4 show=False save=True
    yolo-lat benchmark device=cpu                    # YOLO-LAT vs YOLO11/12/26: params, GFLOPs, latency

Arguments are Ultralytics' (https://docs.ultralytics.com/usage/cfg/); ``data`` also takes the
names in datasets.yaml (shapes, coco). Errors are reported in one line; set YOLO_LAT_DEBUG=1
for the traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from difflib import get_close_matches
from pathlib import Path
from typing import Any

__all__ = ["main", "parse_args"]

MODES = ("train", "val", "predict", "export", "demo", "benchmark")
# the keys each mode accepts beyond Ultralytics' own set, or instead of it (None: Ultralytics' set)
ONLY_KEYS: dict[str, set[str]] = {
    "demo": {"model", "source", "show", "save", "imgsz", "conf", "iou", "device", "project", "name", "exist_ok"},
    "benchmark": {"device", "models", "imgsz", "batch", "project", "time_limit"},
}
USAGE = __doc__.split("\n\n")[1]
# keys yolo-lat adds to Ultralytics' argument set, per mode
EXTRA_KEYS: dict[str, set[str]] = {}


class UsageError(ValueError):
    """A command-line mistake, reported in one line."""


def parse_args(argv: list[str]) -> tuple[str, dict[str, Any]]:
    """``["train", "epochs=3"]`` -> ("train", {"epochs": 3}); unknown keys raise UsageError."""
    from ultralytics.cfg import DEFAULT_CFG_DICT, merge_equals_args, parse_key_value_pair

    if not argv:
        raise UsageError(f"missing mode; expected one of {', '.join(MODES)}")
    mode, rest = argv[0], merge_equals_args(list(argv[1:]))
    if mode not in MODES:
        near = get_close_matches(mode, MODES, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise UsageError(f"unknown mode '{mode}'{hint}; expected one of {', '.join(MODES)}")
    overrides: dict[str, Any] = {}
    allowed = ONLY_KEYS.get(mode) or (set(DEFAULT_CFG_DICT) | EXTRA_KEYS.get(mode, set()))
    for arg in rest:
        if "=" not in arg:
            raise UsageError(f"argument '{arg}' is not of the form key=value")
        try:
            key, value = parse_key_value_pair(arg)
        except AssertionError as exc:
            raise UsageError(str(exc)) from None
        if key not in allowed:
            near = get_close_matches(key, allowed, n=3)
            hint = f" (similar: {', '.join(near)})" if near else ""
            raise UsageError(f"'{key}' is not a valid argument for {mode}{hint}")
        overrides[key] = value
    return mode, overrides


def _print_metrics(metrics) -> None:
    if metrics is None:
        return
    rd = getattr(metrics, "results_dict", None)
    if rd:
        line = "  ".join(f"{k.replace('metrics/', '')}={v:.4f}" for k, v in rd.items() if isinstance(v, float))
        print(f"metrics: {line}")


def _train(args: dict[str, Any]) -> None:
    from .engine.model import DEFAULT_MODEL, YOLOLAT

    model = YOLOLAT(args.pop("model", None) or DEFAULT_MODEL)
    metrics = model.train(**args)
    _print_metrics(metrics)
    if model.trainer is not None:
        print(f"results saved to {model.trainer.save_dir}")


def _val(args: dict[str, Any]) -> None:
    from .engine.model import YOLOLAT

    model = YOLOLAT(args.pop("model", None) or "yolo-lat-n.pt")
    _print_metrics(model.val(**args))


def _predict(args: dict[str, Any]) -> None:
    from .engine.model import YOLOLAT
    from .paths import SAMPLES_DIR

    model = YOLOLAT(args.pop("model", None) or "yolo-lat-n.pt")
    if args.get("source") is None:
        args["source"] = str(SAMPLES_DIR)
    args.setdefault("save", True)
    results = model.predict(**args)
    if results:
        print(
            f"{len(results)} result(s) saved to {results[0].save_dir}"
            if args.get("save")
            else f"{len(results)} result(s)"
        )


def _export(args: dict[str, Any]) -> None:
    from .engine.model import YOLOLAT

    model = YOLOLAT(args.pop("model", None) or "yolo-lat-n.pt")
    args.setdefault("format", "onnx")
    path = model.export(**args)
    print(f"exported: {path}")
    if model.parity is not None:
        print(model.parity)


def _has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _demo(args: dict[str, Any]) -> None:
    from ultralytics.utils import RUNS_DIR
    from ultralytics.utils.files import increment_path

    from .engine.model import YOLOLAT

    show = args.pop("show", None)
    show = True if show is None else bool(show)
    save = bool(args.pop("save", False))
    if show and not _has_display():
        raise UsageError("no display to show the demo window; use show=False save=True to write the annotated video")
    if not show and not save:
        raise UsageError("show=False without save=True would produce nothing")
    model = YOLOLAT(args.pop("model", None) or "yolo-lat-n.pt")
    source = args.pop("source", None)
    save_dir = None
    if save:
        project = Path(args.pop("project", None) or RUNS_DIR / "detect")
        save_dir = increment_path(
            project / (args.pop("name", None) or "demo"), exist_ok=bool(args.pop("exist_ok", False))
        )
    args.pop("project", None), args.pop("name", None), args.pop("exist_ok", None)
    out = model.demo(
        0 if source is None else source,
        show=show,
        save=save,
        save_dir=save_dir,
        imgsz=args.get("imgsz") or 640,
        conf=args.get("conf") or 0.25,
        iou=args.get("iou") or 0.7,
        device=args.get("device"),
    )
    print(f"{out['frames']} frame(s), {out['fps']:.1f} FPS" + (f"; saved to {out['output']}" if out["output"] else ""))


def _as_list(v) -> list | None:
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return list(v)
    return [x.strip() for x in str(v).split(",") if x.strip()]


def _benchmark(args: dict[str, Any]) -> None:
    from .bench.run import benchmark

    device = str(args.get("device") or "cpu")
    device = "cuda" if device.isdigit() else device
    imgsz = _as_list(args.get("imgsz"))
    batch = _as_list(args.get("batch"))
    benchmark(
        device=device,
        models=_as_list(args.get("models")),
        imgsz=[int(x) for x in imgsz] if imgsz else None,
        batch=[int(x) for x in batch] if batch else None,
        out_dir=args.get("project"),
        time_limit=_seconds(args.get("time_limit")),
    )


def _seconds(v: Any) -> float | None:
    if v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise UsageError(f"time_limit={v!r} is not a number of seconds") from None


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "train": _train,
    "val": _val,
    "predict": _predict,
    "export": _export,
    "demo": _demo,
    "benchmark": _benchmark,
}


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
        HANDLERS[mode](args)
    except KeyboardInterrupt:
        print("yolo-lat: interrupted", file=sys.stderr)
        return 130
    except (
        UsageError,
        ValueError,
        TypeError,
        FileNotFoundError,
        RuntimeError,
        SyntaxError,
        NotImplementedError,
    ) as exc:
        if debug:
            raise
        msg = " ".join(str(exc).split())  # one line
        print(f"yolo-lat: error: {msg}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
