"""Live detection demo: webcam, video file, stream URL, image folder or glob.

A window shows boxes, labels, confidences and a smoothed FPS counter; q, Esc or Ctrl-C quit.
``show=False save=True`` runs headless and writes the annotated video (same frame count and
frame rate as the input) or the annotated images into the run folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from ultralytics.utils import LOGGER

from .sources import IMAGE_SUFFIXES

__all__ = ["DemoSource", "open_source", "run_demo"]

STREAM_PREFIXES = ("rtsp://", "rtmp://", "http://", "https://", "udp://", "tcp://")


class DemoSource:
    """Frames from a camera, video, stream, or a list of images; ``fps`` is the input frame rate."""

    def __init__(self, description: str, frames: Iterator[np.ndarray], fps: float, is_video: bool, close=lambda: None):
        self.description = description
        self.frames = frames
        self.fps = fps
        self.is_video = is_video
        self.close = close


def _images(files: list[Path], what: str) -> DemoSource:
    def gen():
        for f in files:
            im = cv2.imread(str(f))
            if im is None:
                LOGGER.warning(f"skipping {f}: not a readable image")
                continue
            yield im

    return DemoSource(what, gen(), fps=0.0, is_video=False)


def open_source(source: str | int) -> DemoSource:
    """Open ``source``; raises FileNotFoundError / ValueError saying what was tried."""
    s = str(source).strip()
    if s.isdigit():  # a camera index
        cap = cv2.VideoCapture(int(s))
        if not cap.isOpened():
            cap.release()
            raise FileNotFoundError(f"could not open camera {s} (tried cv2.VideoCapture({s}); is a camera attached?)")
        return _video(cap, f"camera {s}", live=True)
    if s.lower().startswith(STREAM_PREFIXES):
        cap = cv2.VideoCapture(s)
        if not cap.isOpened():
            cap.release()
            raise FileNotFoundError(f"could not open stream {s} (tried cv2.VideoCapture with FFmpeg)")
        return _video(cap, f"stream {s}", live=True)
    p = Path(s)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise FileNotFoundError(f"image folder {p} contains no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        return _images(files, f"folder {p} ({len(files)} images)")
    if any(ch in s for ch in "*?["):
        files = sorted(Path(f) for f in glob.glob(s, recursive=True) if Path(f).suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise FileNotFoundError(f"glob {s} matches no images")
        return _images(files, f"glob {s} ({len(files)} images)")
    if not p.exists():
        raise FileNotFoundError(f"source {s} not found (not a camera index, stream URL, folder, glob or existing file)")
    if p.suffix.lower() in IMAGE_SUFFIXES:
        return _images([p], f"image {p}")
    cap = cv2.VideoCapture(str(p))
    if not cap.isOpened():
        cap.release()
        raise ValueError(f"could not open {p} as a video (OpenCV could not decode it)")
    return _video(cap, f"video {p}", live=False)


def _video(cap: cv2.VideoCapture, description: str, live: bool) -> DemoSource:
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = fps if fps and np.isfinite(fps) and fps > 0 else 30.0

    def gen():
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            yield frame

    return DemoSource(description, gen(), fps=fps, is_video=True, close=cap.release)


def _draw_fps(frame: np.ndarray, fps: float) -> None:
    text = f"{fps:5.1f} FPS"
    (w, h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.7, 2)
    cv2.rectangle(frame, (8, 8), (16 + w, 18 + h), (0, 0, 0), -1)
    cv2.putText(frame, text, (12, 12 + h), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2, cv2.LINE_AA)


class _Output:
    """Annotated frames into ``save_dir``: one video (written to a temporary name, renamed by
    ``finish``) for a video source, numbered JPEGs for images; nothing when ``save_dir`` is None."""

    def __init__(self, save_dir: Path | None, is_video: bool, fps: float):
        self.save_dir, self.is_video, self.fps = save_dir, is_video, fps
        self.writer: cv2.VideoWriter | None = None
        self.tmp: Path | None = None
        self.path: Path | None = None

    def write(self, frame: np.ndarray, n: int) -> None:
        if self.save_dir is None:
            return
        self.save_dir.mkdir(parents=True, exist_ok=True)
        if not self.is_video:
            self.path = self.save_dir
            cv2.imwrite(str(self.save_dir / f"frame_{n:06d}.jpg"), frame)
            return
        if self.writer is None:
            self.path, self.tmp = self.save_dir / "demo.mp4", self.save_dir / ".demo.partial.mp4"
            h, w = frame.shape[:2]
            self.writer = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
            if not self.writer.isOpened():
                raise RuntimeError(f"could not open a video writer for {self.tmp}")
        self.writer.write(frame)

    def release(self) -> None:
        if self.writer is not None:
            self.writer.release()

    def finish(self, frames: int) -> str | None:
        """The output's path once complete, or None (and no file left) when no frame was written."""
        if self.tmp is not None:
            if frames:
                os.replace(self.tmp, self.path)
            else:
                self.tmp.unlink(missing_ok=True)
                self.path = None
        return str(self.path) if self.path else None


def run_demo(
    model,
    source: str | int = 0,
    show: bool = True,
    save: bool = False,
    save_dir: Path | None = None,
    max_frames: int | None = None,
    **predict_args: Any,
) -> dict:
    """Run the demo; returns {"frames", "fps", "output", "input_fps"}.

    ``model`` is a YOLOLAT (any of .pt/.onnx/.engine weights). ``predict_args`` (``imgsz``, ``conf``,
    ``iou``, ``device``, ``quantize``, ``max_det``, ``classes``, ``agnostic_nms``; None means not given) go
    to ``model.predict``: what is not given comes from the checkpoint (its imgsz) and Ultralytics'
    defaults, exactly as for ``predict``. The output video is written to a temporary name and renamed
    when complete; nothing is left behind if no frame was processed.
    """
    if save and save_dir is None:
        raise ValueError("save=True needs a run folder (save_dir)")
    predict_args = {k: v for k, v in predict_args.items() if v is not None}
    src = open_source(source)
    LOGGER.info(f"demo: {src.description}; {'window' if show else 'headless'}; press q or Esc to quit")
    out = _Output(save_dir if save else None, src.is_video, src.fps)
    n, ema_fps, t_prev = 0, 0.0, time.perf_counter()
    try:
        for frame in src.frames:
            result = model.predict(frame, verbose=False, **predict_args)[0]
            annotated = result.plot()
            now = time.perf_counter()
            inst = 1.0 / max(now - t_prev, 1e-6)
            t_prev = now
            ema_fps = inst if n == 0 else 0.9 * ema_fps + 0.1 * inst  # smoothed
            _draw_fps(annotated, ema_fps)
            n += 1
            out.write(annotated, n)
            if show:
                cv2.imshow("YOLO-LAT", annotated)
                if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                    break
            if max_frames and n >= max_frames:
                break
    except KeyboardInterrupt:
        LOGGER.info("demo: interrupted")
    finally:
        src.close()
        out.release()
        if show:
            with contextlib.suppress(cv2.error):
                cv2.destroyAllWindows()
    output = out.finish(n)
    if n == 0:
        raise ValueError(f"{src.description} produced no frames")
    return {"frames": n, "fps": ema_fps, "output": output, "input_fps": src.fps}
