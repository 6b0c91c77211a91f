"""ruff and mypy are part of the one test command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def test_ruff_is_clean() -> None:
    folders = ["generator", "templates", "runtime", "examples", "tests", "bench"]
    run = subprocess.run([sys.executable, "-m", "ruff", "check", *folders],
                         cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_is_clean(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
         "generator/wsl_portproxy", "tests", "bench"],
        cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
