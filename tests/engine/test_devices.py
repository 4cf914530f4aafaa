"""device=: a CUDA request without a GPU is one line that names what was asked and what works."""

import pytest
import torch

from tests.cli_helpers import one_line_error, run_cli
from yolo_lat.engine.devices import _cuda_indices, check_device, working_devices

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")


@pytest.mark.parametrize(
    "device, indices",
    [("cuda", []), ("cuda:1", [1]), ("0", [0]), ("0,1", [0, 1]), (" 1 ", [1]), ("-1", []), (2, [2]),
     ([0, 1], [0, 1]), (torch.device("cuda", 0), [0]), ("cpu", None), ("mps", None), ("", None), (None, None),
     ("npu:0", None), ("dla:0", None), (torch.device("cpu"), None)],
)  # fmt: skip
def test_what_counts_as_a_cuda_request(device, indices):
    assert _cuda_indices(device) == indices


def test_cpu_and_unknown_values_pass():
    for device in ("cpu", None, "", "mps", "xpu:0"):
        check_device(device)  # left to Ultralytics
    assert working_devices()[0] == "cpu"


@no_cuda
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "0", "0,1"])
def test_no_gpu_is_one_accurate_message(device):
    with pytest.raises(ValueError, match=f"device={device}: no CUDA GPU is available") as info:
        check_device(device)
    assert "device=cpu" in str(info.value) and "\n" not in str(info.value)


@no_cuda
@pytest.mark.parametrize("mode", ["predict", "val", "train", "export", "demo"])
def test_cli_device_cuda_without_gpu(mode, tmp_path):
    line = one_line_error(run_cli(mode, "device=cuda", cwd=tmp_path), "device=cuda: no CUDA GPU is available")
    assert "device=0" not in line
    assert list(tmp_path.iterdir()) == []


@no_cuda
def test_python_api_device_cuda_without_gpu(tmp_path, monkeypatch):
    from yolo_lat import YOLOLAT
    from yolo_lat.paths import SAMPLES_DIR

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="device=cuda: no CUDA GPU is available"):
        YOLOLAT("yolo-lat-t.pt").predict(str(SAMPLES_DIR), device="cuda", verbose=False)
