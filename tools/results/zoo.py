"""The measured sizes recorded in the model zoo's YAML headers (written by tools/measure_models.py)."""

from __future__ import annotations

import re
from pathlib import Path

from . import REPO

__all__ = ["HEADER_BEGIN", "header_sizes", "write_header", "zoo_files"]

HEADER_BEGIN = "# measured by tools/measure_models.py (nc=80, 640x640 input, FLOPs by torch FlopCounterMode):"
_LINE = re.compile(r"^#\s+(?P<scale>\w+): (?P<params>[\d,]+) parameters, (?P<gflops>[\d.]+) GFLOPs\s*$")


def zoo_files(cfg_dir: Path = REPO / "cfg" / "models") -> list[Path]:
    return sorted(Path(cfg_dir).glob("yolo-lat*.yaml"))


def header_sizes(path: Path) -> dict[str, int]:
    """{scale: params} as recorded in a YAML's measured header."""
    sizes, inside = {}, False
    for line in Path(path).read_text().splitlines():
        if line.startswith(HEADER_BEGIN):
            inside = True
            continue
        if inside:
            m = _LINE.match(line)
            if not m:
                break
            sizes[m.group("scale")] = int(m.group("params").replace(",", ""))
    return sizes


def write_header(path: Path, sizes: dict[str, dict]) -> None:
    """Insert or replace the measured-sizes block right after the YAML's leading comments."""
    lines = Path(path).read_text().splitlines()
    block = [HEADER_BEGIN] + [
        f"#   {scale}: {v['params']:,} parameters, {v['gflops']:.2f} GFLOPs" for scale, v in sizes.items()
    ]
    if HEADER_BEGIN in lines:
        i = lines.index(HEADER_BEGIN)
        j = i + 1
        while j < len(lines) and _LINE.match(lines[j]):
            j += 1
        lines[i:j] = block
    else:
        i = 0
        while i < len(lines) and lines[i].startswith("#"):
            i += 1
        lines[i:i] = ["#", *block] if i else block
    Path(path).write_text("\n".join(lines) + "\n")
