#!/usr/bin/env python
"""Predict latency per CPU-thread setting, on an idle machine and beside one busy neighbour.

What `yolo-lat predict` does (``YOLOLAT("yolo-lat-n.pt").predict`` on the bundled sample images, at
the checkpoint's imgsz), timed warm in a fresh subprocess per setting: the median wall time of one
image's predict call. "busy" runs the same beside one CPU-bound process (``while True: pass``), as a
second job on the same machine would. Each setting is measured ``--reps`` times, interleaved, and the
median of those medians is reported; ``foreign_cpu`` says how much CPU other processes used meanwhile
(a measurement disturbed by a third process shows up there).

    python tools/measure_threads.py                 # -> benchmarks/results/threads_cpu.json
    python tools/measure_threads.py --reps 1 --budget 6 --out /tmp/threads.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed

CLEARED = ("YOLO_LAT_THREADS", "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "MKL_NUM_THREADS")


def settings(ncpu: int) -> dict[str, dict]:
    """name -> {"env": the worker's variables (OpenMP reads OMP_* and GOMP_* when torch loads it)}."""
    one = max(1, ncpu - 1)
    return {
        "default": {"env": {}},  # as shipped: what `yolo-lat predict` does
        "YOLO_LAT_THREADS=1": {"env": {"YOLO_LAT_THREADS": "1"}},
        f"YOLO_LAT_THREADS={ncpu} (former default: every core)": {"env": {"YOLO_LAT_THREADS": str(ncpu)}},
        f"Ultralytics: cpu_count-1 = {one}": {"env": {"YOLO_LAT_THREADS": str(one)}},
        f"{ncpu} threads, OMP_WAIT_POLICY=PASSIVE": {
            "env": {"YOLO_LAT_THREADS": str(ncpu), "OMP_WAIT_POLICY": "PASSIVE"}
        },
        f"{ncpu} threads, GOMP_SPINCOUNT=10000": {"env": {"YOLO_LAT_THREADS": str(ncpu), "GOMP_SPINCOUNT": "10000"}},
        "default, OMP_WAIT_POLICY=PASSIVE": {"env": {"OMP_WAIT_POLICY": "PASSIVE"}},
    }


# --------------------------------------------------------------------------- the measured process
def worker(warmup: int, budget_s: float, max_images: int) -> dict:
    """Time YOLOLAT("yolo-lat-n.pt").predict per sample image, warm; runs in a fresh process."""
    import yolo_lat.cli  # noqa: F401  (as `yolo-lat predict` runs)
    from yolo_lat import YOLOLAT
    from yolo_lat.paths import SAMPLES_DIR

    model = YOLOLAT("yolo-lat-n.pt")
    images = [str(p) for p in sorted(SAMPLES_DIR.glob("*.jpg"))]
    for _ in range(warmup):
        for im in images:
            model.predict(im, verbose=False)
    import torch

    times: list[float] = []
    threads: dict[int, int] = {}  # torch threads after each timed call -> calls
    start = time.perf_counter()
    while len(times) < max_images and (len(times) < len(images) or time.perf_counter() - start < budget_s):
        for im in images:
            t0 = time.perf_counter()
            model.predict(im, verbose=False)
            times.append((time.perf_counter() - t0) * 1e3)
            threads[torch.get_num_threads()] = threads.get(torch.get_num_threads(), 0) + 1
    return {
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "images": len(times),
        "torch_threads": threads,
        "env": {k: os.environ[k] for k in CLEARED if k in os.environ},
        "imgsz": model.overrides.get("imgsz"),
    }


# --------------------------------------------------------------------------- the driver
def _cpu_busy_s() -> float | None:
    """CPU seconds all processes spent busy so far (Linux /proc/stat), or None."""
    try:
        fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(setting: dict, busy: bool, args: argparse.Namespace) -> dict:
    """One worker run (beside a CPU-bound neighbour when ``busy``); adds wall and foreign CPU."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(setting["env"])
    cmd = [sys.executable, __file__, "--worker", "--warmup", str(args.warmup), "--budget", str(args.budget),
           "--max-images", str(args.max_images)]  # fmt: skip

    def priority() -> None:
        """Worker and neighbour each in a session of its own, as two jobs started from two terminals (the
        kernel's autogroups share the CPU between sessions first), both at priority ``args.nice``: unrelated
        processes weigh less while the contention between the two stays."""
        os.setsid()
        if args.nice:
            with contextlib.suppress(OSError):
                Path("/proc/self/autogroup").write_text(str(args.nice))
            os.setpriority(os.PRIO_PROCESS, 0, args.nice)

    busy0, ours0, t0 = _cpu_busy_s(), _children_cpu_s(), time.perf_counter()
    neighbour = subprocess.Popen([sys.executable, "-c", "while True: pass"], preexec_fn=priority) if busy else None
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800, preexec_fn=priority)
    finally:
        if neighbour is not None:
            neighbour.kill()
            neighbour.wait()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    busy1 = _cpu_busy_s()
    if busy0 is not None and busy1 is not None:
        foreign = (busy1 - busy0) - (_children_cpu_s() - ours0)  # CPU neither the worker nor the neighbour used
        out["foreign_cpu"] = round(max(foreign, 0.0) / (wall * (os.cpu_count() or 1)), 3)  # share of the machine
    return out


def wait_for_quiet(max_wait_s: float, threshold: float = 0.15) -> float:
    """Wait (at most ``max_wait_s``) until the machine's busy share over one second is below ``threshold``;
    returns the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < max_wait_s:
        b0 = _cpu_busy_s()
        time.sleep(1.0)
        b1 = _cpu_busy_s()
        if b0 is None or b1 is None or (b1 - b0) / (os.cpu_count() or 1) < threshold:
            break
    return round(time.perf_counter() - t0, 1)


def measure_quietly(setting: dict, busy: bool, args: argparse.Namespace) -> dict:
    """``measure`` after waiting for a quiet machine; repeated (up to ``args.tries`` times) while other
    processes took more than ``args.max_foreign`` of the machine, keeping the least disturbed run."""
    best = None
    for attempt in range(args.tries):
        waited = wait_for_quiet(args.max_wait)
        r = {**measure(setting, busy, args), "waited_s": waited, "attempt": attempt}
        if best is None or r.get("foreign_cpu", 0) < best.get("foreign_cpu", 0):
            best = r
        if r.get("foreign_cpu", 0) <= args.max_foreign:
            break
    return best


def summarise(runs: list[dict], names: list[str]) -> list[dict]:
    """Per setting: median over repetitions of the per-run median, idle and busy, and the ratios the
    default is judged by (busy vs one thread busy; idle vs the former default idle)."""

    def med(name: str | None, load: str) -> float | None:
        xs = [r["median_ms"] for r in runs if r["setting"] == name and r["load"] == load]
        return statistics.median(xs) if xs else None

    def foreign(name: str, load: str) -> float | None:  # median share of the machine other processes used
        xs = [r["foreign_cpu"] for r in runs if r["setting"] == name and r["load"] == load and "foreign_cpu" in r]
        return round(statistics.median(xs), 2) if xs else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a is not None and b else None

    one = med("YOLO_LAT_THREADS=1", "busy")
    before = med(next((n for n in names if "former default" in n), None), "idle")
    rows = []
    for name in names:
        idle, busy = med(name, "idle"), med(name, "busy")
        rows.append({"setting": name, "idle_ms": idle and round(idle, 1), "busy_ms": busy and round(busy, 1),
                     "busy_vs_threads1_busy": ratio(busy, one), "idle_vs_former_default_idle": ratio(idle, before),
                     "foreign_cpu_idle": foreign(name, "idle"), "foreign_cpu_busy": foreign(name, "busy")})  # fmt: skip
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| setting | idle ms/image | busy ms/image | busy vs YOLO_LAT_THREADS=1 busy | idle vs former default |",
             "|---|---:|---:|---:|---:|"]  # fmt: skip

    def x(v: float | None, unit: str = "") -> str:
        return "-" if v is None else f"{v}{unit}"

    for r in rows:
        lines.append(f"| {r['setting']} | {x(r['idle_ms'])} | {x(r['busy_ms'])} | {x(r['busy_vs_threads1_busy'], 'x')} "
                     f"| {x(r['idle_vs_former_default_idle'], 'x')} |")  # fmt: skip
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each setting and load, interleaved")
    ap.add_argument("--warmup", type=int, default=3, help="warm-up passes over the sample images")
    ap.add_argument("--budget", type=float, default=10.0, help="seconds of timed predictions per run")
    ap.add_argument("--max-images", type=int, default=200, help="timed predictions per run at most")
    ap.add_argument("--only", nargs="*", help="measure only these settings (names as in the table)")
    ap.add_argument("--loads", nargs="*", default=["idle", "busy"], choices=["idle", "busy"], help="loads to measure")
    ap.add_argument("--max-foreign", type=float, default=0.1, help="repeat a run when other processes used more "
                    "than this share of the machine")  # fmt: skip
    ap.add_argument("--tries", type=int, default=3, help="attempts per run at most (see --max-foreign)")
    ap.add_argument("--max-wait", type=float, default=300.0, help="seconds to wait for a quiet machine before a run")
    ap.add_argument("--out", type=Path, default=None, help="JSON output (default benchmarks/results/threads_cpu.json)")
    ap.add_argument("--nice", type=int, default=0, help="scheduling priority of the worker and its neighbour "
                    "(e.g. -10, as root, on a machine shared with other jobs)")  # fmt: skip
    ap.add_argument("--note", default="", help="the conditions of the measurement, recorded with it")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.worker:
        print(json.dumps(worker(args.warmup, args.budget, args.max_images)))
        return 0
    import torch

    from tools.results import RESULTS
    from yolo_lat.bench.common import environment, write_json

    ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    every = settings(ncpu)
    names = [n for n in every if not args.only or n in args.only]
    runs = []
    for rep in range(args.reps):
        for load in args.loads:
            for name in names:
                r = {"setting": name, "load": load, "rep": rep, **measure_quietly(every[name], load == "busy", args)}
                print(json.dumps(r), flush=True)
                runs.append(r)
    rows = summarise(runs, names)
    print(table(rows))
    out = write_json({
        "command": "python tools/measure_threads.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "what": "median wall ms of one YOLOLAT('yolo-lat-n.pt').predict(image) call on the bundled samples, warm; "
                "busy = beside one `python -c 'while True: pass'`",
        "note": args.note,
        "settings": {n: every[n] for n in names},
        "summary": rows,
        "runs": runs,
        "environment": environment(torch.device("cpu")),
    }, args.out or RESULTS / "threads_cpu.json")  # fmt: skip
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
