"""Cold start of the one-file program against the installed console script.

Builds the program from wsl-portproxy.spec (into build/pyinstaller/), then times `--version`
and a small `generate` (examples/inventory.yaml), each run 10 times; prints median and max.
Run: .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "pyinstaller"
RUNS = 10


def build() -> Path:
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(BUILD / "dist"), "--workpath", str(BUILD / "work"),
                    str(REPO / "wsl-portproxy.spec")], check=True, cwd=REPO)
    return BUILD / "dist" / "wsl-portproxy"


def timed(command: list[str]) -> tuple[float, float]:
    seconds = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as out:
            full = [part.replace("{out}", out) for part in command]
            start = time.perf_counter()
            subprocess.run(full, check=True, capture_output=True)
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), max(seconds)


def main() -> None:
    frozen = str(build())
    script = shutil.which("wsl-portproxy", path=str(Path(sys.executable).parent)) or "wsl-portproxy"
    example = str(REPO / "examples" / "inventory.yaml")
    print(f"{'program':<28} {'--version':>20} {'generate (1 server)':>24}")
    for name, program in (("frozen one-file", frozen), ("console script (venv)", script)):
        version = timed([program, "--version"])
        generate = timed([program, "generate", example, "-o", "{out}"])
        print(f"{name:<28} {version[0]:>8.3f} s (max {version[1]:.3f}) "
              f"{generate[0]:>10.3f} s (max {generate[1]:.3f})")


if __name__ == "__main__":
    main()
