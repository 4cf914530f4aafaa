"""Running the ``yolo-lat`` command in a subprocess, and checking its one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["one_line_error", "run_cli", "user_env"]


def user_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: this one without pytest's marker (Ultralytics puts its runs
    elsewhere while it believes tests are running), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(extra)
    return env


def run_cli(
    *args: str, cwd: str | Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``python -m yolo_lat.cli *args`` in ``cwd``; stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "yolo_lat.cli", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


def one_line_error(proc: subprocess.CompletedProcess, fragment: str) -> str:
    """Assert exit code 2 and exactly one ``yolo-lat: error:`` line on stderr, containing ``fragment``,
    and no traceback; returns that line."""
    assert proc.returncode == 2, proc.stdout[-1500:] + proc.stderr[-1500:]
    err_lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("yolo-lat: error:")]
    assert len(err_lines) == 1 and fragment in err_lines[0], proc.stderr[-1500:]
    assert "Traceback" not in proc.stderr
    return err_lines[0]
