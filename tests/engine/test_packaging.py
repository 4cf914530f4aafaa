"""A regular (non-editable) install works without the checkout: the wheel carries the model
YAMLs, the dataset registry, the shipped weights and the sample images."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from yolo_lat.paths import REPO


@pytest.fixture(scope="module")
def wheel_dir(tmp_path_factory):
    """The project's wheel, built from this checkout and unpacked (as site-packages would hold it)."""
    out = tmp_path_factory.mktemp("wheel")
    src = out / "src"  # a copy, so the build leaves nothing behind in the checkout
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "datasets.yaml", "yolo_lat", "cfg", "weights"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(REPO / name, src / name)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    (whl,) = out.glob("yolo_lat-*.whl")
    site = out / "site"
    zipfile.ZipFile(whl).extractall(site)
    return site


def test_wheel_carries_the_assets(wheel_dir):
    pkg = wheel_dir / "yolo_lat"
    for rel in ("models/yolo-lat.yaml", "models/yolo-lat-t.yaml", "models/yolo-lat-moe.yaml"):
        assert (pkg / "_assets" / "cfg" / rel).read_bytes() == (REPO / "cfg" / rel).read_bytes()
    assert (pkg / "_assets" / "datasets.yaml").is_file()
    for w in ("yolo-lat-n.pt", "yolo-lat-t.pt"):
        assert (pkg / "_assets" / "weights" / w).stat().st_size == (REPO / "weights" / w).stat().st_size
    assert sorted(p.name for p in (pkg / "assets" / "samples").glob("*.jpg")) == sorted(
        p.name for p in (REPO / "yolo_lat" / "assets" / "samples").glob("*.jpg")
    )


def test_wheel_install_finds_models_and_weights(wheel_dir, tmp_path):
    """From the unpacked wheel, outside the checkout: a YAML by name builds, weights by name load."""
    code = (
        "import yolo_lat, yolo_lat.paths as p\n"
        "from yolo_lat import YOLOLAT\n"
        "print('file', yolo_lat.__file__)\n"
        "m = YOLOLAT('yolo-lat-lobe-n.yaml'); print('yaml', sum(x.numel() for x in m.model.parameters()))\n"
        "m = YOLOLAT('yolo-lat-t.pt'); print('ckpt', m.ckpt_path)\n"
        "print('samples', len(list(p.SAMPLES_DIR.glob('*.jpg'))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(wheel_dir), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    keys = ("file", "yaml", "ckpt", "samples")  # Ultralytics prints to stdout too
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if line.split(" ", 1)[0] in keys)
    assert lines["file"].startswith(str(wheel_dir))  # the wheel's copy, not the checkout's
    assert int(lines["yaml"]) > 0
    assert lines["ckpt"].startswith(str(wheel_dir / "yolo_lat" / "_assets" / "weights"))
    assert int(lines["samples"]) >= 1


def test_wheel_install_exports_outside_site_packages(wheel_dir, tmp_path):
    """Exporting the shipped weights writes into the current directory, never into the package."""
    before = set(wheel_dir.rglob("*"))
    env = {**os.environ, "PYTHONPATH": str(wheel_dir), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "yolo_lat.cli", "export", "model=yolo-lat-t.pt", "format=onnx"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"exported: {tmp_path / 'yolo-lat-t.onnx'}" in proc.stdout
    assert (tmp_path / "yolo-lat-t.onnx").is_file()
    assert {p for p in wheel_dir.rglob("*") if "__pycache__" not in p.parts} == {
        p for p in before if "__pycache__" not in p.parts
    }
