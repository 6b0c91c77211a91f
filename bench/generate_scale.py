"""Generation at scale: 1, 100, 1,000 and 10,000 servers x 10 ports.

For each size it times `generate` through the Python API (load, validate, render, write), then,
in the same run, the floor: writing the very same bytes to the same layout with plain Python.
It prints seconds, seconds per server and the ratio to the floor (targets: linear growth,
at most 3x the floor at 10,000). Run: .venv/bin/python bench/generate_scale.py [SIZES...]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

from wsl_portproxy.api import generate


def inventory(servers: int) -> str:
    return yaml.safe_dump({"defaults": {"run_as": "CORP\\svc-podman"}, "servers": [
        {"name": f"S{i:05d}", "ports": list(range(10000, 10010))} for i in range(servers)]})


def floor(source: Path, target: Path) -> float:
    """Write the same files, same bytes, same folders, with nothing but open/write."""
    files = [(p.relative_to(source), p.read_bytes()) for p in source.rglob("*") if p.is_file()]
    start = time.perf_counter()
    for relative, data in files:
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    return time.perf_counter() - start


def main(sizes: list[int]) -> None:
    print(f"{'servers':>8} {'seconds':>9} {'ms/server':>10} {'floor s':>9} {'ratio':>6}")
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix="wsl-portproxy-scale-"))
        try:
            (work / "inventory.yaml").write_text(inventory(size), encoding="utf-8")
            start = time.perf_counter()
            generate(work / "inventory.yaml", work / "out")
            seconds = time.perf_counter() - start
            plain = floor(work / "out", work / "floor")
            print(f"{size:>8} {seconds:>9.2f} {1000 * seconds / size:>10.2f} {plain:>9.2f} "
                  f"{seconds / plain:>6.1f}")
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 100, 1000, 10000])
