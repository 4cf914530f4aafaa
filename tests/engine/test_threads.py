"""CPU threads: every usable core minus those other processes keep busy, or $YOLO_LAT_THREADS.
The contention figures are tools/measure_threads.py's (benchmarks/results/threads_cpu.json), not a
timed test."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.cli_helpers import one_line_error, run_cli, user_env
from yolo_lat.engine import threads
from yolo_lat.engine.threads import CpuShare, cpu_threads, threads_for, usable_cores, use_cpu_threads


@pytest.fixture
def restore_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


class Others:
    """A CpuShare stand-in: other processes keep ``cores`` cores busy."""

    def __init__(self, cores: float):
        self.cores = cores

    def busy_elsewhere(self) -> float:
        return self.cores


def test_usable_cores_follow_the_affinity_mask():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cores() == expected


@pytest.mark.parametrize(
    "cores, others, n",
    [(2, 0.0, 2), (2, 0.2, 2), (2, 0.3, 1), (2, 1.0, 1), (2, 2.0, 1), (1, 0.0, 1), (16, 3.3, 12), (16, 0.1, 16)],
)
def test_threads_for_the_load(cores, others, n):
    assert threads_for(cores, others) == n


def test_default_gives_way_to_a_busy_process(monkeypatch):
    monkeypatch.delenv("YOLO_LAT_THREADS", raising=False)
    monkeypatch.setattr(threads, "_SHARE", Others(0.0))
    assert cpu_threads() == usable_cores()  # alone: every core, as before
    monkeypatch.setattr(threads, "_SHARE", Others(1.0))
    assert cpu_threads() == max(1, usable_cores() - 1)
    monkeypatch.setenv("YOLO_LAT_THREADS", "auto")
    assert cpu_threads() == max(1, usable_cores() - 1)


@pytest.mark.parametrize("value, n", [("1", 1), ("3", 3), (" 2 ", 2)])
def test_env_fixes_the_count(monkeypatch, value, n):
    monkeypatch.setattr(threads, "_SHARE", Others(5.0))
    monkeypatch.setenv("YOLO_LAT_THREADS", value)
    assert cpu_threads() == n


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_bad_env_value_is_named(monkeypatch, value):
    monkeypatch.setenv("YOLO_LAT_THREADS", value)
    with pytest.raises(ValueError, match="YOLO_LAT_THREADS"):
        cpu_threads()


def _stat(path: Path, busy: list[int]) -> None:
    """A /proc/stat with one line per CPU: ``busy[i]`` ticks of user time on cpu i, the rest idle."""
    lines = [f"cpu  {sum(busy)} 0 0 100000 0 0 0 0 0 0"]
    lines += [f"cpu{i} {b} 0 0 50000 7 0 0 0 0 0" for i, b in enumerate(busy)]
    path.write_text("\n".join([*lines, "intr 12345", "procs_running 3"]) + "\n")


def test_cpu_share_is_busy_time_minus_our_own(tmp_path):
    stat, now, own = tmp_path / "stat", [0.0], [0.0]
    share = CpuShare(window_s=1.0, first_s=0.0, stat=stat, clock=lambda: now[0], own_cpu=lambda: own[0])
    share.cpus = {"cpu0", "cpu1"}  # this process's cores; cpu2 belongs to someone else
    hz = os.sysconf("SC_CLK_TCK")
    _stat(stat, [0, 0, 0])
    assert share.busy_elsewhere() == 0.0
    now[0], own[0] = 2.0, 1.0  # 2 s later: we used 1 CPU second, cpu0+cpu1 were busy 3 s, cpu2 4 s
    _stat(stat, [int(1.5 * hz), int(1.5 * hz), 4 * hz])
    assert share.busy_elsewhere() == pytest.approx(1.0)  # (3 - 1) / 2
    now[0] = 2.5  # within the window: the last figure
    _stat(stat, [0, 0, 0])
    assert share.busy_elsewhere() == pytest.approx(1.0)


def test_without_proc_stat_nobody_is_seen(tmp_path):
    assert CpuShare(stat=tmp_path / "missing").busy_elsewhere() == 0.0


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="Linux /proc/stat")
def test_a_cpu_bound_process_is_seen():
    neighbour = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        share = CpuShare(window_s=0.5, first_s=0.5)
        share.busy_elsewhere()  # the first reading waits first_s
        assert share.busy_elsewhere() >= 0.5
    finally:
        neighbour.kill()
        neighbour.wait()


def test_threads_set_on_cpu_only(monkeypatch, restore_threads):
    monkeypatch.setenv("YOLO_LAT_THREADS", "1")
    torch.set_num_threads(2)
    use_cpu_threads("cuda:0")
    use_cpu_threads(None)
    assert torch.get_num_threads() == 2
    use_cpu_threads(torch.device("cpu"))
    assert torch.get_num_threads() == 1


def test_predict_checks_the_count_before_each_image(monkeypatch, restore_threads, tmp_path):
    from yolo_lat import YOLOLAT
    from yolo_lat.paths import SAMPLES_DIR

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("YOLO_LAT_THREADS", raising=False)
    calls = []
    monkeypatch.setattr(threads, "threads_for", lambda cores, others: calls.append(cores) or 1)
    YOLOLAT("yolo-lat-t.pt").predict(str(SAMPLES_DIR), device="cpu", verbose=False)
    assert torch.get_num_threads() == 1  # ours, not the count Ultralytics' select_device() set
    assert len(calls) >= 1 + len(list(SAMPLES_DIR.glob("*.jpg")))  # at setup and before every image


def test_bad_env_value_is_one_line_on_the_command_line(tmp_path):
    proc = run_cli("predict", "model=yolo-lat-t.pt", cwd=tmp_path, env=user_env(YOLO_LAT_THREADS="many"))
    one_line_error(proc, "YOLO_LAT_THREADS='many'")
