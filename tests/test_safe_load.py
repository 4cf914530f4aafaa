"""Checkpoints load with an allowlist: crafted ones are refused before anything in them runs, the
shipped weights, earlier YOLO-LAT checkpoints and Ultralytics' own checkpoints load, and what
YOLO-LAT saves still loads in plain Ultralytics."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from yolo_lat import YOLOLAT
from yolo_lat.checkpoint import TRUST_ENV, UnsafeCheckpointError, load_checkpoint, refused_globals, resave_checkpoint
from yolo_lat.nn import ELAttention, YOLOLATDetectionModel
from yolo_lat.paths import REPO, SAMPLES_DIR

SHIPPED = sorted((REPO / "weights").glob("*.pt"))


class _WriteFile:
    """Unpickling calls open(marker, "w"): code from the file runs, and leaves the marker behind."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


class _System:
    """Unpickling calls os.system("touch marker")."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


EVIL = {"open": (_WriteFile, "io.open"), "os.system": (_System, f"{os.name}.system")}


def evil_checkpoint(tmp_path: Path, kind: str, bare: bool) -> tuple[Path, Path, str]:
    """(checkpoint, marker its payload would create, the global it names)."""
    cls, refused = EVIL[kind]
    marker = tmp_path / f"marker-{kind}-{bare}"
    payload = cls(marker)
    path = tmp_path / f"evil-{kind}-{'bare' if bare else 'dict'}.pt"
    torch.save(payload if bare else {"model": payload}, path)
    return path, marker, refused


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network connection attempted: {args!r}")

    for owner, name in ((socket.socket, "connect"), (socket.socket, "connect_ex"), (socket, "create_connection"),
                        (socket, "getaddrinfo")):  # fmt: skip
        monkeypatch.setattr(owner, name, refuse)


# --------------------------------------------------------------------------- refused
@pytest.mark.parametrize("bare", [False, True], ids=["dict", "bare"])
@pytest.mark.parametrize("kind", sorted(EVIL))
def test_crafted_checkpoint_refused_everywhere(tmp_path, kind, bare, monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)
    path, marker, refused = evil_checkpoint(tmp_path, kind, bare)
    assert refused_globals(path) == [refused]
    loads = {
        "load_checkpoint": lambda: load_checkpoint(path),
        "YOLOLAT(path)": lambda: YOLOLAT(path),
        "model.load(path)": lambda: YOLOLAT("yolo-lat-t.yaml").load(str(path)),
    }
    for where, load in loads.items():
        with pytest.raises(UnsafeCheckpointError, match=refused) as info:
            load()
        assert "nothing in it was executed" in str(info.value) and TRUST_ENV in str(info.value), where
        assert not marker.exists(), f"{where} ran code from the checkpoint"


def test_resume_from_crafted_checkpoint_runs_nothing(tmp_path, tiny_data, monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)
    path, marker, _ = evil_checkpoint(tmp_path, "open", bare=False)
    with pytest.raises(UnsafeCheckpointError, match="io.open"):
        YOLOLAT("yolo-lat-t.yaml").train(data=str(tiny_data), resume=str(path), project=str(tmp_path), name="r")
    assert not marker.exists()


def _cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != TRUST_ENV}
    return subprocess.run([sys.executable, "-m", "yolo_lat.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**environ, **env}, timeout=300)  # fmt: skip


def test_cli_refuses_in_one_line_and_trust_opts_in(tmp_path):
    path, marker, refused = evil_checkpoint(tmp_path, "open", bare=False)
    args = ["predict", f"model={path}", f"source={SAMPLES_DIR}", f"project={tmp_path}", "name=p"]
    proc = _cli(args, tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith("yolo-lat: error: ") and refused in lines[0]
    assert "nothing in it was executed" in lines[0] and f"{TRUST_ENV}=1" in lines[0]
    assert not marker.exists()

    proc = _cli(args, tmp_path, **{TRUST_ENV: "1"})  # the opt-in: plain torch.load, the payload runs
    assert marker.exists()
    assert proc.returncode == 2 and proc.stderr.strip().splitlines()[-1].startswith("yolo-lat: error: ")


# --------------------------------------------------------------------------- loaded
def _legacy(tmp_path: Path, new: bytes, old: bytes, model: torch.nn.Module | None = None) -> Path:
    """A checkpoint as an earlier version wrote it: class path ``new`` renamed to ``old`` in its pickle."""
    buf = io.BytesIO()
    torch.save({"model": model or YOLOLATDetectionModel("yolo-lat-t.yaml", nc=3, verbose=False)}, buf)
    out = tmp_path / "legacy.pt"
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/data.pkl"):
                assert new + b"\n" in data
                data = data.replace(new + b"\n", old + b"\n")
            dst.writestr(info, data)
    return out


def test_earlier_class_paths_load_safely_and_trusted(tmp_path):
    """ELAttention was in yolo_lat/nn/attention.py; checkpoints written then (the shipped weights
    among them) name yolo_lat.nn.attention.ELAttention, a module that no longer exists."""
    path = _legacy(tmp_path, b"yolo_lat.nn.elattention", b"yolo_lat.nn.attention")
    assert "yolo_lat.nn.attention.ELAttention" in torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    assert refused_globals(path) == []
    for trust in (False, True):
        model = load_checkpoint(path, trust=trust)["model"]
        assert any(isinstance(m, ELAttention) for m in model.modules())
    resaved = resave_checkpoint(path, tmp_path / "resaved.pt")
    names = torch.serialization.get_unsafe_globals_in_checkpoint(str(resaved))
    assert "yolo_lat.nn.elattention.ELAttention" in names and "yolo_lat.nn.attention.ELAttention" not in names


def test_ultralytics_renamed_classes_load(tmp_path):
    """YOLOv10 checkpoints name YOLOv10DetectionModel, which Ultralytics' loader maps to DetectionModel."""
    from ultralytics.nn.tasks import DetectionModel

    model = DetectionModel("yolo11n.yaml", nc=2, verbose=False)
    path = _legacy(tmp_path, b"DetectionModel", b"YOLOv10DetectionModel", model)
    assert "ultralytics.nn.tasks.YOLOv10DetectionModel" in torch.serialization.get_unsafe_globals_in_checkpoint(
        str(path)
    )
    for trust in (False, True):
        assert type(load_checkpoint(path, trust=trust)["model"]) is DetectionModel


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_weights_load_with_the_allowlist(path, monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)
    assert refused_globals(path) == []
    assert isinstance(load_checkpoint(path)["model"], YOLOLATDetectionModel)


def test_load_resolves_a_shipped_name_without_network(no_network, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = YOLOLAT("yolo-lat-t.yaml").load("yolo-lat-t.pt")
    assert model.ckpt_path == str(REPO / "weights" / "yolo-lat-t.pt")
    with pytest.raises(FileNotFoundError, match="does not download"):
        YOLOLAT("yolo-lat-t.yaml").load("no-such-weights.pt")


def test_ultralytics_trained_checkpoint_loads(tiny_data, tmp_path, no_network):
    """A YOLO11n built from its YAML and trained by Ultralytics' own trainer (plain ultralytics.YOLO)."""
    import ultralytics
    from ultralytics.nn.tasks import DetectionModel

    ultralytics.YOLO("yolo11n.yaml").train(data=str(tiny_data), epochs=1, imgsz=64, batch=4, workers=0, plots=False,
                                           amp=False, project=str(tmp_path), name="y11", verbose=False)  # fmt: skip
    weights = tmp_path / "y11" / "weights"
    for f in ("best.pt", "last.pt"):
        assert refused_globals(weights / f) == [], f
        assert isinstance(load_checkpoint(weights / f)["model"], DetectionModel)
    model = YOLOLAT(weights / "best.pt")
    assert type(model.model) is DetectionModel and model.model.yaml["scale"] == "n"
    assert len(model.predict(str(SAMPLES_DIR), imgsz=64, verbose=False)) == len(list(SAMPLES_DIR.glob("*.jpg")))


def test_what_yolo_lat_saves_loads_in_plain_ultralytics(trained_run):
    """A YOLO-LAT run's best.pt names today's class paths; Ultralytics' own loader (a fresh process
    where YOLO-LAT is imported only by the unpickling) reads it."""
    run, _ = trained_run
    best = run / "weights" / "best.pt"
    code = "import sys, ultralytics; print(*(type(ultralytics.YOLO(p).model).__name__ for p in sys.argv[1:]))"
    for path in (best, *SHIPPED):  # the shipped weights were re-saved with today's class paths
        assert refused_globals(path) == []
    out = subprocess.run([sys.executable, "-c", code, str(best), *map(str, SHIPPED)], capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-3:] == ["YOLOLATDetectionModel"] * 3
