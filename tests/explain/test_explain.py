"""``run_explain`` / ``explain_model`` on real models: rows equal the oracle, default points come
from detections, PNGs are written and decodable, bad arguments are one-line errors."""

import json

import cv2
import numpy as np
import pytest
import torch

from tests.explain.test_rows import oracle_weights
from yolo_lat import YOLOLAT
from yolo_lat.ela import register_kernel, unregister_kernel
from yolo_lat.explain import capture_qkv, cell_of, ela_layers, explain_model, run_explain
from yolo_lat.nn import YOLOLATDetectionModel, load_model_yaml
from yolo_lat.paths import SAMPLES_DIR

SAMPLE = SAMPLES_DIR / "shapes_0.jpg"  # 320×320, shapes the shipped weights detect


@pytest.fixture(scope="module")
def shipped():
    return YOLOLAT("yolo-lat-t.pt")


@pytest.fixture(scope="module")
def explained(shipped, tmp_path_factory):
    """Default points, all layers and heads, saved; with the q, k each layer saw in that forward."""
    with capture_qkv(ela_layers(shipped.model)) as seen:
        result = run_explain(shipped, SAMPLE, save_dir=tmp_path_factory.mktemp("explain") / "run")
    return result, dict(seen)


def tiny_model(**ela) -> YOLOLATDetectionModel:
    """The first tiny layout (ELA at P5 and at the P4 and P3 neck merges: strides 32, 16 and 8), random
    weights: three ELA layers to choose from, one of them global attention at stride 8."""
    d = load_model_yaml("ablations/yolo-lat-neck-t.yaml")
    d["ela"] = {**d.get("ela", {}), **ela}
    torch.manual_seed(0)
    return YOLOLATDetectionModel(d, verbose=False)


def assert_rows_match_oracle(result, seen) -> None:
    """Every map is a distribution over its layer's map and equals the oracle's row (fp64, 1e-10)."""
    oracle = {name: oracle_weights(c.q, c.k, c.kernel)[0] for name, c in seen.items() if name in result.layers}
    for m in result.maps:
        cap, info = seen[m.layer], result.layers[m.layer]
        assert m.weights.shape == info.hw == cap.hw
        assert (m.weights >= 0).all() and abs(m.weights.sum() - 1) < 1e-9
        assert m.cell == cell_of(result.letterbox.to_input(m.point), result.imgsz, info.hw)
        ref = oracle[m.layer][m.head, m.cell[0] * info.hw[1] + m.cell[1]]
        assert np.abs(ref.numpy() - m.weights.ravel()).max() <= 1e-10, (m.layer, m.head, m.point_index)


def test_rows_equal_oracle_on_shipped_weights(explained):
    result, seen = explained
    assert list(result.layers) == ["model.10.m.0.attn"]  # yolo-lat-t has ELA at P5 only
    assert result.imgsz == 256  # the checkpoint's training size, as predict uses
    assert [info.stride for info in result.layers.values()] == [32]
    heads = sum(len(info.heads) for info in result.layers.values())
    assert len(result.maps) == heads * len(result.points)
    assert_rows_match_oracle(result, seen)


def test_default_points_are_centres_of_top_detections(explained, shipped):
    result, _ = explained
    assert result.points_from == "detections" and 1 <= len(result.points) <= 4
    boxes = shipped.predict(str(SAMPLE), imgsz=result.imgsz, conf=0.25, verbose=False)[0].boxes
    order = boxes.conf.argsort(descending=True)[: len(result.points)]
    centres = boxes.xywh[order, :2].numpy()
    assert np.abs(centres - np.array(result.points)).max() < 0.5


def test_pngs_written_and_decodable(explained):
    result, _ = explained
    names = {p.name for p in result.files}
    expected = {"overview.png", "summary.json"} | {f"{n}.png" for n in result.layers}
    assert expected | {f"{n}.features.png" for n in result.layers} == names  # hadamard_exp: all decompose
    for path in result.files:
        assert path.parent == result.save_dir and path.stat().st_size > 0
        if path.suffix == ".png":
            image = cv2.imread(str(path))
            assert image is not None and image.ndim == 3 and min(image.shape[:2]) > 32
    summary = json.loads((result.save_dir / "summary.json").read_text())
    assert len(summary["maps"]) == len(result.maps) and summary["points_from"] == "detections"
    assert not list(result.save_dir.glob("*.tmp"))


def test_features_reconstruct_rows(explained):
    result, _ = explained
    assert {fm.layer for fm in result.features} == set(result.layers)
    for fm in result.features:
        assert fm.decomposition.kind == "softmax_poolings"
        for p in range(len(result.points)):
            (m,) = result.select(layer=fm.layer, head=fm.head, point=p)
            rebuilt = np.tensordot(fm.mix[p], fm.maps, axes=1)
            assert np.abs(rebuilt - m.weights).max() <= 1e-10


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"points": (700, 20)}, r"^points: \(700, 20\) is outside the 320×320 image"),
        ({"layers": "model.99"}, r"^layers: 'model.99' is not an ELA layer; ELA layers: model.10.m.0.attn$"),
        ({"layers": 3}, r"^layers: 3 is out of range 0..0; ELA layers: model.10.m.0.attn$"),
        ({"heads": 5}, r"^heads: 5 is out of range 0..0 for model.10.m.0.attn"),
        ({"heads": "x"}, r"^heads: 'x' is not a head index"),
        ({"imgsz": -3}, r"^imgsz: -3 is not a positive image size"),
        ({"conf": 2}, r"^conf: 2 is not a threshold between 0 and 1"),
    ],
)
def test_bad_arguments_are_one_line_errors(shipped, kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        run_explain(shipped, SAMPLE, **kwargs)
    assert "\n" not in str(info.value)


def test_bad_sources(shipped, tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        run_explain(shipped, SAMPLES_DIR)
    with pytest.raises(FileNotFoundError, match="not found"):
        run_explain(shipped, tmp_path / "missing.jpg")


def test_layer_and_head_selection():
    result = run_explain(tiny_model(), SAMPLE, points="40,50", layers="model.16,0", heads=0, features=False)
    assert list(result.layers) == ["model.10.m.0.attn", "model.16.m.0.attn"]
    assert result.points == [(40.0, 50.0)] and result.points_from == "user" and not result.features


@pytest.fixture(scope="module")
def user_kernel():
    def phi(x):
        return torch.cat([x.exp(), torch.ones_like(x[..., :1])], -1)

    register_kernel("explain_model_kernel", phi, phi, overwrite=True)
    yield "explain_model_kernel"
    unregister_kernel("explain_model_kernel")


@pytest.mark.parametrize(
    "ela",
    [
        {"kernel": "sum_sqeuclid", "lobe": True},
        {"kernel": "sub_sqeuclid", "moe": {"experts": 2, "top_k": 1}},
        {"kernel": "hadamard_exp", "hyperlink": True},
        {"kernel": "softmax"},
        {"kernel": "user"},
    ],
    ids=["sum_sqeuclid-lobe", "sub_sqeuclid-moe", "hadamard_exp-hyperlink", "softmax", "registered"],
)
def test_every_kernel_and_paper_option(ela, user_kernel, tmp_path):
    ela = {**ela, "kernel": user_kernel} if ela["kernel"] == "user" else ela
    net = tiny_model(**ela)
    with capture_qkv(ela_layers(net)) as seen:
        result = run_explain(net, SAMPLE, points=[(10, 10), (300, 200)], imgsz=64, save_dir=tmp_path)
    assert_rows_match_oracle(result, seen)
    lobes = [n for n in result.layers if n.endswith(".lobe")]
    assert len(lobes) == (3 if ela.get("lobe") else 0)
    assert bool(result.features) == (ela["kernel"] != "softmax")
    assert all(cv2.imread(str(p)) is not None for p in result.files if p.suffix == ".png")


def test_grid_points_without_detections():
    result = run_explain(tiny_model(), SAMPLE, imgsz=64, conf=1.0)  # no score exceeds 1
    assert result.points_from == "grid" and len(result.points) == 9
    assert result.points[4] == (160.0, 160.0)


def test_explain_model_numbers_run_folders(tmp_path):
    net = tiny_model()
    first = explain_model(net, None, points=(5, 5), project=tmp_path, name="e", imgsz=64)
    second = explain_model(net, SAMPLE, points=(5, 5), project=tmp_path, name="e", imgsz=64)
    assert first.save_dir == tmp_path / "e"
    assert (
        second.save_dir.parent == tmp_path
        and second.save_dir.name.startswith("e")
        and second.save_dir != first.save_dir
    )
    assert (second.save_dir / "overview.png").is_file()
    assert "saved to" in first.summary() and explain_model(net, SAMPLE, save=False, imgsz=64).save_dir is None


def test_global_attention_at_stride_8_at_640():
    """imgsz 640: the P3 layer attends over all 80×80 = 6400 cells (rows cost O(L), no L×L matrix)."""
    result = run_explain(tiny_model(), SAMPLE, points=(100, 100), layers="model.16", imgsz=640, features=False)
    (m,) = result.maps
    assert m.weights.shape == (80, 80) and abs(m.weights.sum() - 1) < 1e-9
    assert result.layers[m.layer].stride == 8 and m.cell == (
        25,
        25,
    )  # (100, 100) of 320 px -> (200, 200) of 640 -> 200 // 8


def test_measure_dilution_rows():
    from yolo_lat.explain import measure_dilution

    image = cv2.imread(str(SAMPLE))
    rows = measure_dilution(tiny_model(kernel="sum_sqeuclid"), [image, image[:200]], 64)
    assert [(r["layer"], r["head"]) for r in rows] == [(f"model.{i}.m.0.attn", 0) for i in (10, 13, 16)]
    for r in rows:
        assert r["rows"] == 2 * r["L"] and r["L"] == r["hw"][0] * r["hw"][1]
        assert 0 <= r["normalized_entropy"]["p10"] <= r["normalized_entropy"]["mean"] <= 1 + 1e-12
        assert 1 - 1e-9 <= r["effective"]["mean"] <= r["L"] + 1e-6 and 0 < r["effective_fraction"] <= 1 + 1e-12
        assert "pooling_floor" not in r  # a hadamard_exp quantity
    for r in measure_dilution(tiny_model(), [image], 64):  # hadamard_exp: no row below the pooling floor
        assert r["normalized_entropy"]["p10"] >= r["pooling_floor"]["mean"] - 1e-12
