"""The error catalogue: bad inputs to every mode, each answered by exactly one accurate line.

Each row runs ``yolo-lat MODE key=value ...`` (a fresh process, in an empty working folder) and asserts: exit code 2, exactly one ``yolo-lat: error:`` line on stderr that contains the
expected fragments (the bad value and what was expected), no traceback, no file left behind in the
working folder or in the inputs folder, and nothing executed from a checkpoint or a data file.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import yaml

from tests.cli_helpers import run_cli, user_env


class Payload:
    """A pickle payload: unpickling it writes the file ``path`` (the code a crafted checkpoint runs)."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (Path.write_text, (Path(self.path), "code ran"))


def _image(path: Path, size: int = 64) -> None:
    cv2.imwrite(str(path), np.full((size, size, 3), 127, np.uint8))


def _det_dataset(root: Path, labels: dict[str, bytes], names=("a",)) -> Path:
    """A one-split YOLO dataset under ``root`` with the given label files (name -> bytes); its data YAML."""
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for stem, content in labels.items():
        _image(root / "images" / f"{stem}.jpg")
        (root / "labels" / f"{stem}.txt").write_bytes(content)
    data = root / "data.yaml"
    data.write_text(yaml.safe_dump({"path": str(root), "train": "images", "val": "images", "names": list(names)}))
    return data


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The bad inputs, made once: files the rows name as ``{inputs}/...``."""
    d = tmp_path_factory.mktemp("inputs")
    torch.save({"model": Payload(d / "RAN_evil_dict")}, d / "evil.pt")
    torch.save(Payload(d / "RAN_evil_obj"), d / "evil_obj.pt")
    (d / "not_a_checkpoint.pt").write_bytes(b"hello, not a zip")
    (d / "bad_module.yaml").write_text(
        "nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, NoSuchModule, [32]]\nhead:\n"
        "  - [[1], 1, Detect, [nc]]\n"
    )
    (d / "list.yaml").write_text("- 1\n- 2\n")
    missing = d / "nowhere" / "dataset"
    (d / "download_py.yaml").write_text(
        yaml.safe_dump({"path": str(missing), "train": "images", "val": "images", "names": ["a"],
                        "download": f"open({str(d / 'RAN_download_py')!r}, 'w').write('code ran')"})
    )  # fmt: skip
    (d / "download_sh.yaml").write_text(
        yaml.safe_dump({"path": str(missing), "train": "images", "val": "images", "names": ["a"],
                        "download": f"bash -c 'touch {d / 'RAN_download_sh'}'"})
    )  # fmt: skip
    (d / "download_url.yaml").write_text(
        yaml.safe_dump({"path": str(missing), "train": "images", "val": "images", "names": ["a"],
                        "download": "https://example.invalid/data.zip"})
    )  # fmt: skip
    (d / "empty_images").mkdir()
    (d / "zero_frames.mp4").write_bytes(b"")
    garbage = d / "garbage"
    garbage.mkdir()
    (garbage / "broken.jpg").write_bytes(b"\x00\x01 this is not a jpeg" * 10)
    _det_dataset(d / "non_utf8", {"x": "0 0.5 0.5 0.2 0.2\n".encode("utf-16")})
    (d / "coco").mkdir()
    _image(d / "coco" / "1.jpg")
    (d / "coco" / "dangling.json").write_text(
        '{"images": [{"id": 1, "file_name": "1.jpg", "width": 64, "height": 64}], '
        '"annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [1, 1, 10, 10], "area": 100, '
        '"iscrowd": 0}], "categories": [{"id": 1, "name": "a"}]}'
    )
    (d / "coco_data.yaml").write_text(
        yaml.safe_dump({"path": str(d / "coco"), "train": "dangling.json", "val": "dangling.json", "names": ["a"]})
    )
    _image(d / "ok.jpg")
    readonly = d / "readonly"
    if not _mount_tmpfs(readonly, "ro"):  # root writes into a chmod 555 folder: a read-only mount holds
        readonly.chmod(0o555)
    yield d
    subprocess.run(["umount", str(readonly)], capture_output=True)


def _mount_tmpfs(path: Path, options: str) -> bool:
    """Mount a tmpfs at ``path`` (made here) with mount ``options``; False where this process may not."""
    path.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    except OSError:
        return False
    return done.returncode == 0


def _snapshot(*roots: Path) -> set[Path]:
    return {p for r in roots for p in r.rglob("*")}


# (id, argv with {inputs}, fragments the one error line must contain); rows use the shipped weights
# (yolo-lat-n.pt) or the yolo-lat-t.yaml model, so nothing trains before the error.
CATALOGUE = [
    # checkpoints
    ("evil-dict", "predict model={inputs}/evil.pt", ["evil.pt", "refused", "nothing in it was executed", "trust=True"]),
    ("evil-object", "predict model={inputs}/evil_obj.pt", ["evil_obj.pt", "refused", "nothing in it was executed"]),
    ("evil-val", "val model={inputs}/evil.pt data=shapes", ["evil.pt", "refused"]),
    ("evil-export", "export model={inputs}/evil.pt", ["evil.pt", "refused"]),
    ("evil-demo", "demo model={inputs}/evil.pt source={inputs}/ok.jpg show=False save=True", ["evil.pt", "refused"]),
    ("evil-train", "train model={inputs}/evil.pt data=shapes epochs=1", ["evil.pt", "refused"]),
    ("not-a-checkpoint", "predict model={inputs}/not_a_checkpoint.pt", ["not_a_checkpoint.pt"]),
    ("missing-folder-weights", "predict model={inputs}/no/such/dir/yolo-lat-n.pt", ["yolo-lat-n.pt", "does not exist"]),
    ("unknown-weights", "val model=nothing-like-this.pt", ["nothing-like-this.pt", "not found"]),
    # data files
    (
        "download-python",
        "train model=yolo-lat-t.yaml data={inputs}/download_py.yaml epochs=1",
        ["download_py.yaml", "not run"],
    ),
    ("download-shell-val", "val data={inputs}/download_sh.yaml", ["download_sh.yaml", "not run"]),
    ("download-url", "val data={inputs}/download_url.yaml", ["download_url.yaml", "not run"]),
    ("unknown-dataset", "train model=yolo-lat-t.yaml data=no_such_dataset epochs=1", ["no_such_dataset"]),
    ("data-not-mapping", "val data={inputs}/list.yaml", ["list.yaml", "mapping"]),
    (
        "coco-dangling-id",
        "train model=yolo-lat-t.yaml data={inputs}/coco_data.yaml epochs=1 imgsz=64",
        ["dangling.json", "image_id 7"],
    ),
    (
        "labels-not-utf8",
        "train model=yolo-lat-t.yaml data={inputs}/non_utf8/data.yaml epochs=1 imgsz=64 workers=0",
        ["x.jpg", "utf-8"],
    ),
    # models
    ("unknown-module", "train model={inputs}/bad_module.yaml data=shapes epochs=1", ["NoSuchModule"]),
    ("model-not-mapping", "train model={inputs}/list.yaml data=shapes epochs=1", ["list.yaml", "mapping"]),
    # numbers
    ("imgsz-negative", "predict imgsz=-5", ["imgsz=-5", "positive"]),
    ("imgsz-zero", "val imgsz=0 data=shapes", ["imgsz=0", "positive"]),
    ("imgsz-text", "train model=yolo-lat-t.yaml imgsz=abc epochs=1", ["imgsz=abc"]),
    ("imgsz-export", "export imgsz=-5", ["imgsz=-5"]),
    ("batch-negative", "train model=yolo-lat-t.yaml batch=-1 epochs=1", ["batch=-1"]),
    ("batch-zero-val", "val batch=0 data=shapes", ["batch=0"]),
    ("epochs-zero", "train model=yolo-lat-t.yaml epochs=0", ["epochs=0", ">= 1"]),
    ("conf-range", "predict conf=2", ["conf=2"]),
    # sources
    ("missing-source", "predict source={inputs}/no_such.jpg", ["no_such.jpg"]),
    ("empty-folder", "predict source={inputs}/empty_images", ["empty_images"]),
    ("zero-frame-video", "predict source={inputs}/zero_frames.mp4", ["zero_frames.mp4"]),
    ("garbage-image", "predict source={inputs}/garbage", ["garbage", "could be read"]),
    ("demo-missing-source", "demo source={inputs}/no_such.mp4 show=False save=True", ["no_such.mp4"]),
    # devices, formats, outputs
    ("device-cuda", "predict device=cuda", ["device=cuda", "CUDA"]),
    ("export-format", "export format=foo", ["'foo'", "onnx"]),
    ("readonly-project", "predict source={inputs}/ok.jpg project={inputs}/readonly/runs", ["readonly"]),
    ("benchmark-models", "benchmark models=nope", ["nope"]),
    ("benchmark-imgsz", "benchmark imgsz=-5", ["imgsz=-5"]),
    # the command line itself
    ("unknown-key", "predict colour=red", ["colour"]),
    ("unknown-mode", "trian", ["trian", "train"]),
]


def _run_row(row, inputs: Path, root: Path) -> dict:
    """``yolo-lat`` with the row's arguments in a new empty folder; what came out and what was left."""
    name, argv, _ = row
    work = root / name
    work.mkdir()
    proc = run_cli(*argv.format(inputs=inputs).split(), cwd=work, env=user_env())
    return {"proc": proc, "left": sorted(str(p.relative_to(work)) for p in work.rglob("*"))}


@pytest.fixture(scope="module")
def outcomes(inputs, tmp_path_factory) -> dict:
    """Every row run once, two at a time (each is a fresh process: the command as a user runs it)."""
    before = _snapshot(inputs)
    root = tmp_path_factory.mktemp("work")
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip([r[0] for r in CATALOGUE], pool.map(lambda r: _run_row(r, inputs, root), CATALOGUE)))
    done["inputs written"] = sorted(str(p) for p in _snapshot(inputs) - before if p.suffix != ".cache")
    return done


@pytest.mark.parametrize("row", CATALOGUE, ids=[r[0] for r in CATALOGUE])
def test_one_accurate_line(row, outcomes):
    name, _, fragments = row
    if name == "device-cuda" and torch.cuda.is_available():
        pytest.skip("a GPU is present")
    proc, left = outcomes[name]["proc"], outcomes[name]["left"]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("yolo-lat: error:")]
    assert proc.returncode == 2, proc.stdout[-1000:] + proc.stderr[-2000:]
    assert len(lines) == 1, proc.stderr[-2000:]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert not left, left  # nothing half-written in the working folder


def test_nothing_executed_or_written_beside_the_inputs(outcomes):
    """No payload ran (it would have written a RAN_* file) and no row wrote beside its inputs (Ultralytics'
    labels.cache aside)."""
    assert outcomes["inputs written"] == []


def test_the_catalogue_is_wide_enough():
    modes = {argv.split()[0] for _, argv, _ in CATALOGUE}
    assert len(CATALOGUE) >= 25
    assert {"train", "val", "predict", "export", "demo", "benchmark"} <= modes


def test_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    """An export into a folder on a 64 KiB tmpfs (needs the right to mount one; skipped otherwise)."""
    full = tmp_path / "full"
    if not _mount_tmpfs(full, "size=64k"):
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        proc = run_cli("export", f"project={full}", "name=out", cwd=tmp_path, env=user_env())
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("yolo-lat: error:")]
        assert proc.returncode == 2 and len(lines) == 1, proc.stderr[-2000:]
        assert "space" in lines[0].lower() and str(full) in lines[0], lines[0]
        assert "Traceback" not in proc.stderr
        assert not list(full.rglob("*"))
    finally:
        subprocess.run(["umount", str(full)], capture_output=True)
