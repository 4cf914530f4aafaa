"""Image files -> RGB uint8 (3, H, W) tensors on the device: JPEGs decoded there (nvJPEG through
``torchvision.io.decode_jpeg``) where torchvision can, OpenCV on the host otherwise.

OpenCV applies a JPEG's EXIF orientation and torchvision's GPU decoder does not, so rotated JPEGs
(and anything nvJPEG refuses, such as CMYK) take the OpenCV path. Decoders differ in their IDCT
and chroma upsampling: a pixel may differ by a few grey levels from OpenCV's.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from ultralytics.utils import LOGGER

from .preprocess import to_device

__all__ = ["DeviceBatch", "JPEG_SUFFIXES", "decode_images"]

JPEG_SUFFIXES = frozenset({".jpg", ".jpeg"})
_ORIENTATION = 0x0112


class DeviceBatch(list):
    """The original images of a batch (BGR uint8 arrays, what Ultralytics' Results keep) that also
    carries them decoded on the device (``tensors``: RGB uint8 (3, H, W)), ready once ``ready`` is."""

    def __init__(self, images: list[np.ndarray], tensors: list[torch.Tensor], ready: torch.cuda.Event | None = None):
        super().__init__(images)
        self.tensors, self.ready = tensors, ready

    def device_tensors(self) -> list[torch.Tensor]:
        """The tensors, usable on the current stream (it waits for the decoding stream)."""
        if self.ready is not None:
            stream = torch.cuda.current_stream(self.tensors[0].device)
            stream.wait_event(self.ready)
            for t in self.tensors:
                t.record_stream(stream)
        return self.tensors


def _upright(data: bytes) -> bool:
    """Whether a JPEG needs no EXIF rotation (the header alone is read)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.getexif().get(_ORIENTATION, 1) == 1
    except Exception:  # unreadable header: let OpenCV decide
        return False


def _torchvision_decode(datas: list[bytes], device: torch.device) -> list[torch.Tensor]:
    from torchvision.io import ImageReadMode, decode_jpeg

    raw = [torch.frombuffer(bytearray(d), dtype=torch.uint8) for d in datas]
    with warnings.catch_warnings():  # torchvision 0.29 deprecates its decoders in favour of TorchCodec
        warnings.simplefilter("ignore")
        out = decode_jpeg(raw, mode=ImageReadMode.RGB, device=device)
    return list(out)


def decode_images(paths: Sequence[str | Path], device: torch.device, stream: torch.cuda.Stream | None = None,
                  on_device: bool | None = None) -> DeviceBatch:  # fmt: skip
    """Decode ``paths`` for the device. ``on_device`` (default: on CUDA) decodes upright JPEGs with
    torchvision there (on CPU with ``on_device=True``: torchvision's CPU decoder, for tests); the rest,
    and any batch torchvision fails on, with OpenCV. ``stream``: the CUDA stream to decode on."""
    on_device = device.type == "cuda" if on_device is None else on_device
    datas = [Path(p).read_bytes() for p in paths]
    tv = [on_device and Path(p).suffix.lower() in JPEG_SUFFIXES and _upright(d) for p, d in zip(paths, datas)]
    ctx = torch.cuda.stream(stream) if stream is not None else contextlib.nullcontext()
    with ctx:
        tensors: list[torch.Tensor | None] = [None] * len(paths)
        if any(tv):
            idx = [i for i, t in enumerate(tv) if t]
            try:
                for i, t in zip(idx, _torchvision_decode([datas[i] for i in idx], device)):
                    tensors[i] = t
            except RuntimeError as exc:
                LOGGER.warning(f"torchvision could not decode a JPEG batch on {device} ({exc}); using OpenCV")
        rest = [i for i, t in enumerate(tensors) if t is None]
        host = {}
        for i in rest:
            im = cv2.imdecode(np.frombuffer(datas[i], np.uint8), cv2.IMREAD_COLOR)
            if im is None:
                raise ValueError(f"{paths[i]} is not a readable image (OpenCV could not decode it)")
            host[i] = im
        if rest:
            for i, t in zip(rest, to_device([host[i] for i in rest], device)):
                tensors[i] = t
        images = [host[i] if i in host else t.flip(0).permute(1, 2, 0).cpu().numpy() for i, t in enumerate(tensors)]
        ready = None
        if device.type == "cuda" and stream is not None:
            ready = torch.cuda.Event()
            ready.record(stream)
    return DeviceBatch(images, tensors, ready)
