"""CPU threads for torch on a CPU device: every usable core, minus the cores other processes keep busy.

torch runs its CPU operators on an OpenMP team whose threads, at each of the many barriers of one
forward pass, spin while they wait for the slowest. With as many threads as cores and one other
CPU-bound process on the machine, one thread is always descheduled and the others spin through its
time slice: on a 2-core machine, yolo-lat-n predict (the first layout, now
ablations/yolo-lat-neck-n) took 1640 ms per image with 2 threads (the former
default) against 44 ms with ``YOLO_LAT_THREADS=1`` (tools/measure_threads.py,
benchmarks/results/threads_cpu.json). Ultralytics' cpu_count − 1 threads leave a core unused on an
idle machine; ``OMP_WAIT_POLICY=PASSIVE`` (threads sleep instead of spinning) avoided the collapse but
was slower without a busy neighbour (57 vs 43 ms) and works only when set before torch is imported;
a shorter spin (``GOMP_SPINCOUNT=10000``) still took 178 ms beside the busy process.

So the count follows the load: before each batch (reading /proc/stat at most every
``CpuShare.window_s``), torch gets the usable cores minus those other processes kept busy in the last
window (a core counts from a quarter of it), at least one. Alone on the machine a run uses every core,
as before; beside a busy process it ran at 39 ms per image, no slower than ``YOLO_LAT_THREADS=1``.
Without /proc/stat (not Linux) every usable core is used. ``YOLO_LAT_THREADS=N`` fixes the count
(also the way to bit-identical CPU results whatever the load).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import torch

__all__ = ["CpuShare", "cpu_threads", "threads_for", "usable_cores", "use_cpu_threads"]


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask: a container's or taskset's limit)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class CpuShare:
    """Cores' worth of CPU that other processes used on this process's cores, over windows of at least
    ``window_s``: their busy time in /proc/stat minus this process's own CPU time. The first reading
    waits ``first_s`` to have a window at all (once per process)."""

    def __init__(
        self,
        window_s: float = 0.5,
        first_s: float = 0.1,
        stat: Path = Path("/proc/stat"),
        clock: Callable[[], float] = time.monotonic,
        own_cpu: Callable[[], float] = time.process_time,
    ):
        self.window_s, self.first_s, self.stat, self.clock, self.own_cpu = window_s, first_s, stat, clock, own_cpu
        self.cpus = {f"cpu{i}" for i in os.sched_getaffinity(0)} if hasattr(os, "sched_getaffinity") else None
        self.last: tuple[float, float, float] | None = None  # (monotonic s, busy CPU s, own CPU s)
        self.others = 0.0

    def busy_s(self) -> float | None:
        """CPU seconds this process's cores have been busy since boot (not idle, not waiting on I/O)."""
        try:
            lines = self.stat.read_text().splitlines()
        except OSError:
            return None
        total = 0.0
        for line in lines[1:]:  # the per-CPU lines follow the total
            name, *fields = line.split()
            if not name.startswith("cpu"):
                break
            if self.cpus is None or name in self.cpus:
                user, nice, system, idle, iowait, irq, softirq, steal = (float(x) for x in fields[:8])
                total += user + nice + system + irq + softirq + steal
        return total / os.sysconf("SC_CLK_TCK")

    def _sample(self) -> tuple[float, float, float] | None:
        busy = self.busy_s()
        return None if busy is None else (self.clock(), busy, self.own_cpu())

    def busy_elsewhere(self) -> float:
        """Cores kept busy by other processes in the last complete window (0.0 without /proc/stat)."""
        if self.last is None:
            self.last = self._sample()
            if self.last is None:
                return 0.0
            time.sleep(self.first_s)
        elif self.clock() - self.last[0] < self.window_s:
            return self.others
        now = self._sample()
        if now is not None:
            (t0, busy0, own0), (t1, busy1, own1) = self.last, now
            self.others = max(0.0, (busy1 - busy0) - (own1 - own0)) / max(t1 - t0, 1e-6)
            self.last = now
        return self.others


_SHARE = CpuShare()


def threads_for(cores: int, busy_elsewhere: float) -> int:
    """Threads for ``cores`` usable cores of which others keep ``busy_elsewhere`` busy: a core counts as
    taken from a quarter of it on (a thread descheduled now and then already stalls the whole team)."""
    return max(1, cores - math.floor(busy_elsewhere + 0.75))


def cpu_threads() -> int:
    """torch's intra-op threads on a CPU device now: ``$YOLO_LAT_THREADS`` if set (a number, or
    ``auto``), else the usable cores minus those other processes keep busy."""
    value = os.environ.get("YOLO_LAT_THREADS", "").strip().lower()
    if value and value != "auto":
        if not value.isdigit() or int(value) < 1:
            raise ValueError(
                f"YOLO_LAT_THREADS={value!r} is not a number of threads (expected an integer >= 1, or auto)"
            )
        return int(value)
    return threads_for(usable_cores(), _SHARE.busy_elsewhere())


def use_cpu_threads(device: torch.device | str | None) -> None:
    """Set torch's thread count for work on ``device`` (nothing for a GPU); called before each batch."""
    if device is None or torch.device(device).type != "cpu":
        return
    n = cpu_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
