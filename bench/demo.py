"""How long the demo takes (examples/Demo.ps1: generate, install, WSL restart, -Status,
uninstall on the simulated Windows), from starting pwsh to its exit; 3 runs, median and max, and
the watcher's time from the WSL restart to the last rewritten rule as the demo reports it.
Run: .venv/bin/python bench/demo.py   (pwsh from .ci/install-tools)
"""

from __future__ import annotations

import re
import statistics
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PWSH = REPO / ".tools" / "pwsh" / "pwsh"
RUNS = 3


def main() -> None:
    totals, follows = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        run = subprocess.run([str(PWSH), "-NoLogo", "-NoProfile", "-NonInteractive", "-File",
                              str(REPO / "examples" / "Demo.ps1")],
                             capture_output=True, text=True, check=True)
        totals.append(time.perf_counter() - start)
        match = re.search(r"rewrote every rule in ([\d.]+) s", run.stdout)
        assert match, run.stdout
        follows.append(float(match.group(1)))
    print(f"demo, {RUNS} runs: {statistics.median(totals):.1f} s median, {max(totals):.1f} s max "
          f"(pwsh start to exit); WSL restart -> every rule rewritten: "
          f"{statistics.median(follows):.1f} s median")


if __name__ == "__main__":
    main()
