"""The ``yolo-lat`` command: Ultralytics-style ``yolo-lat MODE key=value ...``.

    yolo-lat train                                   # yolo-lat-n on the embedded shapes dataset
    yolo-lat train model=yolo-lat-n.yaml data=shapes epochs=50 imgsz=320
    yolo-lat val model=runs/detect/train/weights/best.pt data=shapes
    yolo-lat predict model=yolo-lat-n.pt source=path/to/images
    yolo-lat export model=yolo-lat-n.pt format=onnx

Arguments are Ultralytics' (https://docs.ultralytics.com/usage/cfg/); ``data`` also takes the
names in datasets.yaml (shapes, coco). Errors are reported in one line; set YOLO_LAT_DEBUG=1
for the traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from difflib import get_close_matches
from typing import Any

__all__ = ["main", "parse_args"]

MODES = ("train", "val", "predict", "export")
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
    allowed = set(DEFAULT_CFG_DICT) | EXTRA_KEYS.get(mode, set())
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
            raise UsageError(f"'{key}' is not a valid argument{hint}")
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
    print(f"exported: {model.export(**args)}")


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "train": _train,
    "val": _val,
    "predict": _predict,
    "export": _export,
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
