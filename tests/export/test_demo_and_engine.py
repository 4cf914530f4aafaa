"""The demo headless on a video file; clear errors for missing sources and for TensorRT."""

import subprocess
import sys

import cv2
import numpy as np

from tests.cli_helpers import one_line_error, run_cli
from yolo_lat import YOLOLAT


def make_video(path, frames=12, fps=10.0, size=(96, 80)):
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for i in range(frames):
        im = np.full((h, w, 3), 40, np.uint8)
        cv2.circle(im, (10 + 5 * i, 40), 12, (0, 200, 255), -1)
        writer.write(im)
    writer.release()
    return path


def test_demo_headless_writes_annotated_video(trained_run, tmp_path):
    run, _ = trained_run
    video = make_video(tmp_path / "in.mp4")
    proc = run_cli(
        "demo",
        f"model={run / 'weights' / 'best.pt'}",
        f"source={video}",
        "show=False",
        "save=True",
        "imgsz=64",
        f"project={tmp_path}",
        "name=d",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = tmp_path / "d" / "demo.mp4"
    assert out.is_file()
    cap = cv2.VideoCapture(str(out))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    fps = cap.get(cv2.CAP_PROP_FPS)
    ok, frame = cap.read()
    cap.release()
    assert n == 12 and abs(fps - 10.0) < 0.01 and ok and frame.shape[:2] == (80, 96)
    assert not list((tmp_path / "d").glob(".demo.partial*"))


def test_demo_api_on_image_folder(trained_run, tmp_path):
    run, _ = trained_run
    from yolo_lat.paths import SAMPLES_DIR

    out = YOLOLAT(run / "weights" / "best.pt").demo(
        str(SAMPLES_DIR), show=False, save=True, save_dir=tmp_path / "f", imgsz=64
    )
    assert out["frames"] == len(list(SAMPLES_DIR.glob("*.jpg")))
    assert len(list((tmp_path / "f").glob("frame_*.jpg"))) == out["frames"]


def test_demo_missing_camera_and_file(trained_run, tmp_path):
    run, _ = trained_run
    w = f"model={run / 'weights' / 'best.pt'}"
    one_line_error(
        run_cli("demo", w, "source=7", "show=False", "save=True", f"project={tmp_path}", "name=c"),
        "could not open camera 7",
    )
    one_line_error(
        run_cli(
            "demo", w, f"source={tmp_path / 'missing.mp4'}", "show=False", "save=True", f"project={tmp_path}", "name=m"
        ),
        "missing.mp4 not found",
    )
    assert not list(tmp_path.rglob("*.mp4"))  # nothing half-written


def test_demo_without_display_says_what_to_do(trained_run, tmp_path):
    run, _ = trained_run
    env_cmd = [sys.executable, "-m", "yolo_lat.cli", "demo", f"model={run / 'weights' / 'best.pt'}", "source=0"]
    proc = subprocess.run(env_cmd, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    one_line_error(proc, "show=False save=True")


def test_engine_export_without_tensorrt(trained_run):
    run, _ = trained_run
    one_line_error(run_cli("export", f"model={run / 'weights' / 'best.pt'}", "format=engine"), "needs TensorRT")


def test_demo_takes_inference_settings_from_the_checkpoint():
    """As predict: the checkpoint's imgsz (256 for the shipped weights), not 640."""
    from yolo_lat.paths import SAMPLES_DIR

    model = YOLOLAT("yolo-lat-t.pt")
    assert model.demo(str(SAMPLES_DIR), show=False, max_frames=1)["frames"] == 1
    assert model.predictor.args.imgsz == model.overrides["imgsz"] == 256
    reference = YOLOLAT("yolo-lat-t.pt")
    reference.predict(str(SAMPLES_DIR / "shapes_0.jpg"), verbose=False)
    keys = ("imgsz", "conf", "iou", "max_det", "quantize", "agnostic_nms", "classes", "device")
    assert [getattr(model.predictor.args, k) for k in keys] == [getattr(reference.predictor.args, k) for k in keys]
    model.demo(str(SAMPLES_DIR), show=False, max_frames=1, imgsz=64, conf=0.5)
    assert (model.predictor.args.imgsz, model.predictor.args.conf) == (64, 0.5)
