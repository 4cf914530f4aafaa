"""The device pipeline (yolo_lat.engine.pipeline), run on CPU tensors, against Ultralytics' own steps.

NMS must keep exactly Ultralytics' boxes. Letterboxing resizes with torch's bilinear interpolation
where Ultralytics uses cv2.resize (11-bit fixed-point weights), so input pixels may differ by one grey
level and final boxes by a fraction of a pixel: those are compared with a tolerance, not bitwise.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
import torchvision  # noqa: F401  (Ultralytics' NMS uses torchvision once it is imported, as on GPU)

from yolo_lat import _ultralytics as ul
from yolo_lat.engine import pipeline as pl
from yolo_lat.engine.pipeline import nms as nms_module
from yolo_lat.paths import SAMPLES_DIR


# ----------------------------------------------------------------------------------------------- NMS
def raw_predictions(seed: int, batch: int = 3, nc: int = 4, anchors: int = 600, extra: int = 0,
                    ties: bool = True) -> torch.Tensor:  # fmt: skip
    """(B, 4 + nc + extra, anchors) head outputs with clustered, overlapping boxes (many IoUs near any
    threshold), repeated scores, identical boxes and equal class scores."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.rand(batch, 2, 8, generator=g) * 300
    pick = torch.randint(0, 8, (batch, anchors), generator=g)
    xy = torch.gather(centres, 2, pick[:, None].expand(-1, 2, -1)) + torch.randn(batch, 2, anchors, generator=g) * 6
    wh = 20 + torch.rand(batch, 2, anchors, generator=g) * 30
    scores = torch.rand(batch, nc, anchors, generator=g)
    if ties:
        scores = (scores * 20).round() / 20  # many equal scores
        scores[:, 1, ::7] = scores[:, 0, ::7]  # equal class scores: the first class wins
        xy[:, :, 1::11], wh[:, :, 1::11] = (
            xy[:, :, ::11][..., : xy[:, :, 1::11].shape[-1]],
            wh[:, :, ::11][..., : wh[:, :, 1::11].shape[-1]],
        )
    extra_rows = torch.randn(batch, extra, anchors, generator=g)
    return torch.cat((xy, wh, scores, extra_rows), 1)


def assert_same(ours: list[torch.Tensor], ref: list[torch.Tensor]) -> None:
    assert len(ours) == len(ref)
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert a.shape == b.shape, f"image {i}: {a.shape[0]} boxes kept, Ultralytics keeps {b.shape[0]}"
        assert torch.equal(a, b.float()), f"image {i}: different boxes"


NMS_CASES = {  # max_det=2000: no truncation unless the case is about it
    "default": dict(conf=0.25, iou=0.7),
    "no_truncation": dict(conf=0.25, iou=0.7, max_det=2000),
    "tight": dict(conf=0.1, iou=0.3, max_det=2000),
    "iou_rounding_up": dict(conf=0.25, iou=0.6, max_det=2000),  # fp32(0.6) > 0.6: torchvision compares in double
    "max_det": dict(conf=0.05, iou=0.5, max_det=7),
    "classes": dict(conf=0.2, iou=0.6, classes=[1, 3], max_det=2000),
    "agnostic": dict(conf=0.2, iou=0.5, agnostic=True, max_det=2000),
    "multi_label": dict(conf=0.3, iou=0.65, multi_label=True, max_det=2000),
    "multi_label_max_det": dict(conf=0.01, iou=0.7, multi_label=True, max_det=50),
    "nothing_above_conf": dict(conf=1.0, iou=0.7),
}


@pytest.mark.parametrize("case", NMS_CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_batched_nms_keeps_ultralytics_boxes(case, seed):
    preds = raw_predictions(seed, extra=2 if seed else 0)
    kw = NMS_CASES[case]
    ref = ul.reference_nms(preds, kw["conf"], kw["iou"], **{k: v for k, v in kw.items() if k not in ("conf", "iou")})
    ours = pl.batched_nms(preds, **kw)
    if case != "nothing_above_conf":
        assert sum(len(r) for r in ref) > 10, "the case must exercise suppression"
    assert_same(ours, ref)


def test_batched_nms_iou_exactly_at_threshold():
    """IoU 60/100 is fp32(0.6) = 0.600000024 > 0.6: torchvision (comparing in double) suppresses the box."""
    boxes = torch.tensor(
        [[5.0, 5, 10, 10], [5, 3, 10, 6], [50, 50, 10, 10]]
    )  # xywh: the second is 10x6 inside the first
    preds = torch.cat((boxes, torch.tensor([[0.9], [0.8], [0.7]])), 1).T[None]
    ref = ul.reference_nms(preds, 0.25, 0.6)
    assert len(ref[0]) == 2
    assert_same(pl.batched_nms(preds, 0.25, 0.6), ref)


def test_batched_nms_per_image_path_and_fp16(monkeypatch):
    """Candidate sets too large for the pairwise matrix take one torchvision NMS per image; fp16
    predictions are suppressed in fp32 (the boxes of Ultralytics' NMS on their fp32 values)."""
    preds = raw_predictions(2, batch=2, anchors=900)
    ref = ul.reference_nms(preds, 0.2, 0.55, max_det=40)
    monkeypatch.setattr(nms_module, "MATRIX_LIMIT", 0)
    assert_same(pl.batched_nms(preds, 0.2, 0.55, max_det=40), ref)
    monkeypatch.undo()
    half = preds.half()
    assert_same(pl.batched_nms(half, 0.2, 0.55), ul.reference_nms(half.float(), 0.2, 0.55))


def test_batched_nms_over_max_nms_and_end2end_use_ultralytics():
    preds = raw_predictions(3, batch=2, anchors=400, ties=False)
    assert_same(pl.batched_nms(preds, 0.05, 0.6, max_nms=50), ul.reference_nms(preds, 0.05, 0.6, max_nms=50))
    e2e = torch.rand(2, 30, 6)
    assert_same(pl.batched_nms(e2e, 0.4, 0.7, max_det=5), ul.reference_nms(e2e, 0.4, 0.7, max_det=5, end2end=True))


def test_batched_nms_rejects_thresholds():
    with pytest.raises(ValueError, match=r"iou=1.5"):
        pl.batched_nms(raw_predictions(0), 0.25, 1.5)


# ----------------------------------------------------------------------------------------------- letterbox
SHAPES = [(480, 640), (640, 480), (333, 517), (1080, 1920), (100, 90), (640, 640), (17, 801)]


@pytest.mark.parametrize("auto", [False, True])
def test_letterbox_geometry_is_ultralytics(auto):
    from ultralytics.data.augment import LetterBox

    for h, w in SHAPES:
        for imgsz in (320, 640, (384, 640)):
            new_shape = (imgsz, imgsz) if isinstance(imgsz, int) else imgsz
            ref = LetterBox(new_shape, auto=auto, stride=32)(image=np.zeros((h, w, 3), np.uint8))
            g = pl.letterbox_geometry((h, w), imgsz, auto=auto)
            assert (g.out_h, g.out_w) == ref.shape[:2], (h, w, imgsz)


def images(n: int = 6) -> list[np.ndarray]:
    """The bundled samples and generated shapes images, at several sizes and aspect ratios."""
    from yolo_lat.data.shapes import ShapesConfig, render

    samples = [cv2.imread(str(f)) for f in sorted(SAMPLES_DIR.glob("*.jpg"))]
    generated = [render(ShapesConfig(), "val", i)[0] for i in range(3)]
    sizes = [(480, 640), (300, 500), (512, 384), (720, 1280), (200, 200), (333, 517)]
    pool = samples + generated
    return [cv2.resize(pool[i % len(pool)], sizes[i % len(sizes)][::-1]) for i in range(n)]


@pytest.mark.parametrize("half", [False, True])
def test_letterbox_images_match_cv2(half):
    ims = images()
    x, geometry = pl.letterbox_images(pl.to_device(ims, torch.device("cpu")), 320, half=half)
    assert x.dtype == (torch.float16 if half else torch.float32) and x.shape == (len(ims), 3, 320, 320)
    for im, got, g in zip(ims, x, geometry):
        ref = torch.from_numpy(ul.letterbox(im, 320)[..., ::-1].copy()).permute(2, 0, 1).float() / 255
        diff = (got.float() - ref).abs() * 255
        assert diff.max() <= 1.5, f"{im.shape}: a pixel differs by {diff.max():.1f} grey levels"
        assert diff.mean() < 0.2
        pad = torch.ones(320, 320, dtype=torch.bool)
        pad[g.top : g.top + g.new_h, g.left : g.left + g.new_w] = False
        assert torch.all(got.float()[:, pad] * 255 - 114 < 0.5), "padding must be 114"


def test_letterbox_same_shapes_rect_and_mixed_shapes():
    same = [np.full((300, 500, 3), v, np.uint8) for v in (0, 255)]
    x, g = pl.letterbox_images(pl.to_device(same, torch.device("cpu")), 640, auto=True)
    assert x.shape == (2, 3, 384, 640) and g[0] == g[1]  # rect: padded to the stride only
    x, g = pl.letterbox_images(pl.to_device(same[:1] + [np.zeros((50, 60, 3), np.uint8)], torch.device("cpu")),
                               640, auto=True)  # fmt: skip
    assert x.shape == (2, 3, 640, 640), "mixed shapes are letterboxed to imgsz, as Ultralytics does"
    with pytest.raises(ValueError, match="no pixels"):
        pl.letterbox_geometry((0, 10), 640)


def test_scale_boxes_is_ultralytics():
    g = torch.Generator().manual_seed(0)
    dets, ref, geometry = [], [], []
    for h, w in SHAPES:
        geo = pl.letterbox_geometry((h, w), 640, auto=True)
        d = torch.rand(5, 6, generator=g) * torch.tensor([geo.out_w, geo.out_h, geo.out_w, geo.out_h, 1, 5])
        dets.append(d.clone())
        ref.append(ul.scale_boxes((geo.out_h, geo.out_w), d.clone()[:, :4], (h, w, 3)))
        geometry.append(geo)
    dets.append(torch.zeros(0, 6))
    ref.append(torch.zeros(0, 4))
    geometry.append(pl.letterbox_geometry((10, 10), 640))
    for a, b in zip(pl.scale_boxes(dets, geometry), ref):
        torch.testing.assert_close(a[:, :4], b, rtol=0, atol=1e-4)


# ----------------------------------------------------------------------------------------------- graphs
def fake_capture(fn, example, warmup):
    """A stand-in for CUDA graph capture on CPU: static buffers that each replay overwrites."""
    static_in = example.clone()
    static_out = fn(static_in).clone()

    def replay():
        static_out.copy_(fn(static_in))

    return static_in, static_out, replay


def test_graph_cache_captures_fixed_shapes_and_copies_outputs():
    calls = []

    def fn(x):
        calls.append(tuple(x.shape))
        return x * 2 + 1

    cache = pl.GraphCache(fn, max_graphs=2, capture_after=2, capture=fake_capture)
    a, b = torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4)
    torch.testing.assert_close(cache(a), a * 2 + 1)
    assert cache.graphs == {}, "the first sight of a shape runs eagerly"
    out_a = cache(a)
    assert len(cache.graphs) == 1
    out_b = cache(b)
    torch.testing.assert_close(out_a, a * 2 + 1, msg="a replay must not overwrite an earlier output")
    torch.testing.assert_close(out_b, b * 2 + 1)
    for shape in [(2, 3, 4, 4), (2, 3, 4, 4), (3, 3, 4, 4), (3, 3, 4, 4)]:  # a second graph, then the cache is full
        x = torch.rand(shape)
        torch.testing.assert_close(cache(x), x * 2 + 1)
    assert sorted(k[0] for k in cache.graphs) == [(1, 3, 4, 4), (2, 3, 4, 4)]
    assert cache(torch.rand(1, 3, 4, 4, dtype=torch.float64)).dtype == torch.float64  # another key: eager
    assert pl.GraphCache(fn)(a).shape == a.shape  # CPU tensors without a capture: eager, never captured
    with pytest.raises(ValueError, match="capture_after=0"):
        pl.GraphCache(fn, capture_after=0)


# ----------------------------------------------------------------------------------------------- decode, switch
def test_decode_images_torchvision_vs_opencv(tmp_path):
    from PIL import Image

    ims = images(3)
    paths = []
    for i, im in enumerate(ims):
        cv2.imwrite(str(tmp_path / f"{i}.jpg"), im)
        paths.append(str(tmp_path / f"{i}.jpg"))
    cv2.imwrite(str(tmp_path / "p.png"), ims[0])
    rotated = tmp_path / "rot.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90: OpenCV applies it, torchvision's GPU decoder would not
    Image.fromarray(ims[1][..., ::-1]).save(rotated, exif=exif)
    paths += [str(tmp_path / "p.png"), str(rotated)]
    batch = pl.decode_images(paths, torch.device("cpu"), on_device=True)
    for p, host, t in zip(paths, batch, batch.device_tensors()):
        ref = cv2.imread(p)
        assert host.shape == ref.shape and t.shape == (3, *ref.shape[:2]), p
        assert np.abs(host.astype(int) - ref).max() <= 8, p
        assert np.array_equal(t.permute(1, 2, 0).flip(-1).numpy(), host)
    assert batch[4].shape[:2] == ims[1].shape[1::-1], "the EXIF-rotated JPEG is upright"
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match="bad.jpg"):
        pl.decode_images([str(tmp_path / "bad.jpg")], torch.device("cpu"))


def test_pipeline_switch(monkeypatch):
    monkeypatch.delenv(pl.ENV_PIPELINE, raising=False)
    assert pl.pipeline_enabled("cuda") and not pl.pipeline_enabled("cpu")
    assert pl.pipeline_enabled("cpu", True) and not pl.pipeline_enabled("cuda", False)
    monkeypatch.setenv(pl.ENV_PIPELINE, "0")
    assert not pl.pipeline_enabled("cuda")
    monkeypatch.setenv(pl.ENV_PIPELINE, "maybe")
    with pytest.raises(ValueError, match="YOLO_LAT_GPU_PIPELINE='maybe'"):
        pl.pipeline_enabled("cuda")


# ----------------------------------------------------------------------------------------------- predict, val
def predict_both(monkeypatch, ims, **kwargs):
    from yolo_lat import YOLOLAT
    from yolo_lat.engine.predictor import YOLOLATPredictor

    out = {}
    for on in (False, True):
        monkeypatch.setattr(YOLOLATPredictor, "gpu_pipeline", on)
        model = YOLOLAT("yolo-lat-n.pt")
        out[on] = model.predict(ims, verbose=False, save=False, device="cpu", **kwargs)
        assert (model.predictor.pipeline is not None) == on
    return out[False], out[True]


@pytest.mark.parametrize("same_size", [False, True])
def test_predict_pipeline_gives_ultralytics_boxes(monkeypatch, same_size):
    """Same count and classes, boxes within a pixel (torch's resize rounds differently from cv2's)."""
    ims = images(6)
    if same_size:  # rect letterbox (padded to the stride only), one interpolation for the batch
        ims = [cv2.resize(im, (500, 300)) for im in ims]
    ref, ours = predict_both(monkeypatch, ims, imgsz=320, batch=3, conf=0.3)
    assert sum(len(r.boxes) for r in ref) >= 6, "the fixed images must give detections"
    for i, (a, b) in enumerate(zip(ref, ours)):
        assert a.orig_shape == b.orig_shape
        assert len(a.boxes) == len(b.boxes), f"image {i}: {len(b.boxes)} boxes, Ultralytics {len(a.boxes)}"
        # near-equal scores may swap places: match each box to the closest one of the same class
        free = list(range(len(b.boxes)))
        for box, cls, conf in zip(a.boxes.xyxy, a.boxes.cls, a.boxes.conf):
            cand = [j for j in free if b.boxes.cls[j] == cls]
            assert cand, f"image {i}: no box of class {int(cls)} left"
            j = min(cand, key=lambda j: float((b.boxes.xyxy[j] - box).abs().max()))
            assert (b.boxes.xyxy[j] - box).abs().max() <= 1.0, f"image {i}: a box moved by more than 1 px"
            assert abs(b.boxes.conf[j] - conf) <= 0.02
            free.remove(j)


def test_validator_postprocess_matches_ultralytics(tmp_path):
    from ultralytics.models.yolo.detect import DetectionValidator

    from yolo_lat.engine.validator import YOLOLATValidator

    v = YOLOLATValidator(save_dir=tmp_path, args=dict(conf=0.05, iou=0.6, max_det=100))
    v.device, v.end2end, v.gpu_pipeline = torch.device("cpu"), False, True
    preds = raw_predictions(4)
    ours, ref = v.postprocess(preds), DetectionValidator.postprocess(v, preds)
    assert sum(len(r["cls"]) for r in ref) > 10
    for a, b in zip(ours, ref):
        for k in ("bboxes", "conf", "cls"):
            assert torch.equal(a[k], b[k]), k


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (tools/gpu_session.sh pipeline)")
def test_cuda_pipeline_pieces(tmp_path):
    """On the GPU: NMS against Ultralytics' on the same CUDA tensors, a real CUDA graph replay, nvJPEG."""
    preds = raw_predictions(5).cuda()
    ours, ref = pl.batched_nms(preds, 0.25, 0.6, max_det=2000), ul.reference_nms(preds, 0.25, 0.6, max_det=2000)
    assert [len(a) for a in ours] == [len(b) for b in ref]  # torchvision's CUDA kernel may fuse multiply-adds
    net = torch.nn.Conv2d(3, 4, 3).cuda().eval()
    cache = pl.GraphCache(lambda x: net(x), capture_after=1)
    xs = [torch.rand(2, 3, 32, 32, device="cuda") for _ in range(3)]
    with torch.inference_mode():
        outs = [cache(x) for x in xs]
        for x, o in zip(xs, outs):
            torch.testing.assert_close(o, net(x))
    assert len(cache.graphs) == 1
    cv2.imwrite(str(tmp_path / "a.jpg"), images(1)[0])
    batch = pl.decode_images([str(tmp_path / "a.jpg")], torch.device("cuda"), stream=torch.cuda.Stream())
    t = batch.device_tensors()[0]
    assert (
        t.is_cuda
        and np.abs(t.flip(0).permute(1, 2, 0).cpu().numpy().astype(int) - cv2.imread(str(tmp_path / "a.jpg"))).max()
        <= 8
    )
