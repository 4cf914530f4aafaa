"""Test-wide settings: offline, and Triton's CPU interpreter where there is no GPU."""

import os

import torch

os.environ.setdefault("YOLO_OFFLINE", "1")
if not torch.cuda.is_available():
    # must be set before any @triton.jit function is created
    os.environ.setdefault("TRITON_INTERPRET", "1")


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """data.yaml of a tiny shapes dataset (12 train / 6 val images, 64 px)."""
    from tests.helpers import tiny_shapes

    return tiny_shapes(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def trained_run(tiny_data, tmp_path_factory):
    """A 2-epoch yolo-lat-t run on the tiny dataset: (run dir, YOLOLAT after training)."""
    from yolo_lat import YOLOLAT

    project = tmp_path_factory.mktemp("runs")
    model = YOLOLAT("yolo-lat-t.yaml")
    model.train(
        data=str(tiny_data),
        epochs=2,
        imgsz=64,
        batch=4,
        workers=0,
        project=str(project),
        name="t",
        plots=False,
        verbose=False,
        seed=0,
        deterministic=False,
    )
    return project / "t", model
