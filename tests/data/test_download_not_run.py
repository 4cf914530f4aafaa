"""A data YAML's ``download:`` (Python, shell or URL) is never run, in train or val: a dataset whose
images are missing is a one-line error naming the missing path."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from yolo_lat import YOLOLAT


def data_with_download(tiny_data: Path, tmp_path: Path, kind: str) -> tuple[Path, Path, Path]:
    """(data YAML with train images present, val images missing and a ``download:`` of ``kind``;
    the marker that download would create; the missing val folder)."""
    marker = tmp_path / f"downloaded-{kind}"
    script = tmp_path / "fetch.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    download = {
        "python": f"open({str(marker)!r}, 'w').write('ran')",
        "bash": f"bash {script}",
        "url": "https://example.com/dataset.zip",
    }[kind]
    d = yaml.safe_load(tiny_data.read_text())
    d.update(val="images/missing_val", download=download)
    d.pop("coco_json", None)
    data = tmp_path / f"data-{kind}.yaml"
    data.write_text(yaml.safe_dump(d))
    return data, marker, Path(d["path"]) / "images" / "missing_val"


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network connection attempted: {args!r}")

    for owner, name in ((socket.socket, "connect"), (socket.socket, "connect_ex"), (socket, "create_connection"),
                        (socket, "getaddrinfo")):  # fmt: skip
        monkeypatch.setattr(owner, name, refuse)


def _check(exc: BaseException, marker: Path, missing: Path) -> None:
    msg = str(exc)
    assert "\n" not in msg and str(missing) in msg and "download scripts" in msg and "not run" in msg, msg
    assert not marker.exists(), "the data YAML's download: ran"


@pytest.mark.parametrize("kind", ["python", "bash", "url"])
def test_train_does_not_run_download(kind, tiny_data, tmp_path, no_network):
    data, marker, missing = data_with_download(tiny_data, tmp_path, kind)
    with pytest.raises((FileNotFoundError, RuntimeError)) as info:
        YOLOLAT("yolo-lat-t.yaml").train(data=str(data), epochs=1, imgsz=64, batch=4, workers=0, plots=False,
                                         project=str(tmp_path), name="t")  # fmt: skip
    _check(info.value, marker, missing)


@pytest.mark.parametrize("kind", ["python", "bash", "url"])
def test_val_does_not_run_download(kind, tiny_data, tmp_path, no_network):
    data, marker, missing = data_with_download(tiny_data, tmp_path, kind)
    with pytest.raises(FileNotFoundError) as info:
        YOLOLAT("yolo-lat-t.pt").val(data=str(data), imgsz=64, batch=4, plots=False, project=str(tmp_path), name="v")
    _check(info.value, marker, missing)


def test_cli_reports_the_missing_path_in_one_line(tiny_data, tmp_path):
    data, marker, missing = data_with_download(tiny_data, tmp_path, "bash")
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    args = ["val", "model=yolo-lat-t.pt", f"data={data}", "imgsz=64", f"project={tmp_path}", "name=v"]
    proc = subprocess.run([sys.executable, "-m", "yolo_lat.cli", *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)  # fmt: skip
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("yolo-lat: error: "), proc.stderr[-2000:]
    assert str(missing) in lines[0] and "download scripts" in lines[0]
    assert "Dataset download success" not in proc.stdout + proc.stderr
    assert not marker.exists()
