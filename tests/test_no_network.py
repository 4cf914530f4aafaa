"""No code path reaches the network: every ``yolo-lat`` mode runs in a process whose sockets refuse
to connect (and report that they were asked to), with ``YOLO_OFFLINE`` and ``YOLO_AUTOINSTALL``
unset, a fresh home folder (no Ultralytics settings, fonts or weights), and outside pytest's marker
(Ultralytics disables its telemetry while it believes tests are running)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from yolo_lat.paths import REPO, SAMPLES_DIR

MARK = "yolo-lat-test: network attempt"

# installed in every Python process started with its folder on PYTHONPATH
SITECUSTOMIZE = f'''
import os, socket, sys, traceback

def _refuse(name):
    def refuse(*args, **kwargs):
        if name == "connect" and getattr(args[0], "family", None) == socket.AF_UNIX:
            return _connect(*args, **kwargs)  # a local socket file, not the network
        msg = "{MARK}: socket." + name + repr(args[1:] if name.startswith("connect") else args)
        sys.stderr.write(msg + "\\n")
        with open(os.environ["YOLO_LAT_TEST_NETWORK_LOG"], "a") as f:
            f.write(msg + "\\n" + "".join(traceback.format_stack(limit=15)[:-1]) + "\\n")
        raise OSError(msg)
    return refuse

_connect = socket.socket.connect
socket.socket.connect = _refuse("connect")
socket.socket.connect_ex = _refuse("connect_ex")
socket.create_connection = _refuse("create_connection")
socket.getaddrinfo = _refuse("getaddrinfo")
'''


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("offline")
    (root / "site").mkdir()
    (root / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    unset = {"YOLO_OFFLINE", "YOLO_AUTOINSTALL", "PYTEST_CURRENT_TEST", "YOLO_CONFIG_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        PYTHONPATH=os.pathsep.join([str(root / "site"), str(REPO), env.get("PYTHONPATH", "")]),
        HOME=str(root / "home"),
        MPLCONFIGDIR=str(root / "mpl"),  # matplotlib's font cache, built once for all the runs
        YOLO_LAT_TEST_NETWORK_LOG=str(root / "network.log"),
    )
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[list[str], subprocess.CompletedProcess]:
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    return args, proc


def test_the_harness_sees_a_connection_attempt(offline_env, tmp_path):
    """With the network allowed back (YOLO_OFFLINE=0) Ultralytics checks it at import: the harness
    must notice, or the test below would prove nothing."""
    env = {**offline_env, "YOLO_OFFLINE": "0", "YOLO_LAT_TEST_NETWORK_LOG": str(tmp_path / "log")}
    _, proc = _run(["-c", "import ultralytics.utils"], env, tmp_path)
    assert MARK in proc.stderr and (tmp_path / "log").is_file()


def test_every_mode_runs_without_the_network(offline_env, tiny_data, tmp_path):
    """train, val, predict, export and demo, three at a time."""
    weights = tmp_path / "yolo-lat-t.pt"  # export writes beside its weights
    shutil.copy(REPO / "weights" / "yolo-lat-t.pt", weights)
    out = f"project={tmp_path / 'runs'}"
    modes = {
        "train": ["model=yolo-lat-t.yaml", f"data={tiny_data}", "epochs=1", "imgsz=64", "batch=4", "workers=0",
                  "plots=False", out, "name=train"],
        "val": [f"model={weights}", f"data={tiny_data}", "imgsz=64", "batch=6", "plots=True", out, "name=val"],
        "predict": ["model=yolo-lat-t.pt", f"source={SAMPLES_DIR}", "imgsz=64", out, "name=predict"],
        "export": [f"model={weights}", "format=onnx", "imgsz=64"],
        "demo": ["model=yolo-lat-t.pt", f"source={SAMPLES_DIR}", "show=False", "save=True", "imgsz=64", out,
                 "name=demo"],
    }  # fmt: skip
    # not benchmark: even models=yolo-lat-t imgsz=64 batch=1 takes ~40 s; it builds its models from YAMLs
    # and exports them with the exporter that export runs
    log = Path(offline_env["YOLO_LAT_TEST_NETWORK_LOG"])
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = list(pool.map(lambda m: _run(["-m", "yolo_lat.cli", m, *modes[m]], offline_env, tmp_path), modes))
    failed = {a[2]: p.stderr[-1500:] for a, p in runs if p.returncode != 0 or MARK in p.stderr}
    assert not failed, failed
    assert not log.exists(), log.read_text()[-4000:]
