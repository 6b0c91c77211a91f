"""ruff and mypy are part of the one test command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import REPO

# The commands (after ``python -m``); .pre-commit-config.yaml runs the very same (tests/test_workflows.py).
RUFF = ("ruff", "check", "generator", "templates", "runtime", "examples", "tests", "bench")
MYPY = ("mypy", "generator/wsl_portproxy", "tests", "bench")


def test_ruff_is_clean() -> None:
    run = subprocess.run([sys.executable, "-m", *RUFF],
                         cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_is_clean(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", MYPY[0], "--cache-dir", str(tmp_path / "cache"), *MYPY[1:]],
        cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
