"""Training, checkpoints, prediction and resume on a tiny shapes split (CPU)."""

import csv
import subprocess
import sys
import textwrap

import numpy as np
import torch

from yolo_lat import YOLOLAT
from yolo_lat.paths import SAMPLES_DIR


def test_two_epoch_train_writes_run(trained_run):
    run, model = trained_run
    assert (run / "weights" / "best.pt").is_file() and (run / "weights" / "last.pt").is_file()
    rows = list(csv.DictReader((run / "results.csv").open()))
    assert len(rows) == 2
    assert all(float(r["train/box_loss"]) > 0 for r in rows)
    assert model.metrics is not None and 0.0 <= model.metrics.box.map <= 1.0


def test_predict_on_an_image(trained_run):
    run, _ = trained_run
    model = YOLOLAT(run / "weights" / "best.pt")
    image = next(SAMPLES_DIR.glob("*.jpg"))
    results = model.predict(str(image), imgsz=64, conf=0.0, verbose=False)
    assert len(results) == 1
    boxes = results[0].boxes
    assert boxes.xyxy.shape[1] == 4 and len(boxes) > 0  # conf=0 keeps the top candidates
    assert results[0].names == {0: "circle", 1: "rectangle", 2: "triangle", 3: "star", 4: "cross", 5: "hexagon"}


def test_checkpoint_loads_in_a_new_process(trained_run, tmp_path):
    """Only yolo_lat needs importing: the pickled model classes live in the package."""
    run, _ = trained_run
    best = run / "weights" / "best.pt"
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    torch.save(x, tmp_path / "x.pt")
    script = textwrap.dedent(
        f"""
        import torch
        from yolo_lat import YOLOLAT
        m = YOLOLAT({str(best)!r})
        net = m.model.float().eval()
        with torch.no_grad():
            y = net(torch.load({str(tmp_path / "x.pt")!r}))
        y = y[0] if isinstance(y, (list, tuple)) else y
        torch.save(y, {str(tmp_path / "y.pt")!r})
        print(type(net).__name__, sum(p.numel() for p in net.parameters()))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    name, params = out.stdout.split()[-2:]
    here = YOLOLAT(best).model.float().eval()
    assert name == "YOLOLATDetectionModel"
    assert int(params) == sum(p.numel() for p in here.parameters())
    with torch.no_grad():
        y = here(x)
    y = y[0] if isinstance(y, (list, tuple)) else y
    np.testing.assert_allclose(torch.load(tmp_path / "y.pt").numpy(), y.numpy(), rtol=1e-5, atol=1e-5)
