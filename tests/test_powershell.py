"""Runs the Pester suite (tests/powershell/*.Tests.ps1) in real PowerShell, one file per test.

pwsh and Pester 5.7.1 come from ``.tools/`` (installed by ``.ci/install-tools``), or from
WSLPP_PWSH / WSLPP_PESTER. Outside CI a missing tool skips these tests with a message saying
how to install it; in CI (CI=true) it fails them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import REPO

SUITE = REPO / "tests" / "powershell"
TOOLS = REPO / ".tools"


def _find_pwsh() -> str | None:
    for candidate in (os.environ.get("WSLPP_PWSH"), str(TOOLS / "pwsh" / "pwsh")):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("pwsh")


def _find_pester() -> str | None:
    roots = [os.environ.get("WSLPP_PESTER"), str(TOOLS / "nuget" / "pester" / "5.7.1"),
             str(Path.home() / ".nuget" / "packages" / "pester" / "5.7.1")]
    for root in roots:
        if root and (Path(root) / "tools" / "Pester.psd1").is_file():
            return str(Path(root) / "tools" / "Pester.psd1")
        if root and root.endswith(".psd1") and Path(root).is_file():
            return root
    return None


def _require(tool: str | None, name: str) -> str:
    if tool is None:
        message = f"{name} not found: run .ci/install-tools (or set WSLPP_PWSH / WSLPP_PESTER)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return tool


@pytest.mark.parametrize("test_file", sorted(SUITE.glob("*.Tests.ps1")), ids=lambda p: p.name)
def test_pester_suite(test_file: Path, tmp_path: Path) -> None:
    pwsh = _require(_find_pwsh(), "pwsh (PowerShell 7.6.9)")
    pester = _require(_find_pester(), "Pester 5.7.1")
    report = tmp_path / "pester.xml"
    env = {**os.environ, "WSLPP_PYTHON": sys.executable, "POWERSHELL_TELEMETRY_OPTOUT": "1",
           "POWERSHELL_UPDATECHECK": "Off"}
    run = subprocess.run(
        [pwsh, "-NoLogo", "-NoProfile", "-NonInteractive", "-File",
         str(SUITE / "Invoke-Suite.ps1"), "-PesterManifest", pester,
         "-TestFile", str(test_file), "-ReportPath", str(report)],
        capture_output=True, text=True, env=env, timeout=1200, check=False)
    assert report.is_file(), f"Pester wrote no report:\n{run.stdout}\n{run.stderr}"
    suites = ET.parse(report).getroot()
    tests = int(suites.get("tests", "0"))
    failed = [case.get("name") for case in suites.iter("testcase")
              if case.find("failure") is not None or case.find("error") is not None]
    assert tests > 0, f"Pester ran no test:\n{run.stdout}"
    assert not failed and run.returncode == 0, (
        f"{len(failed)} of {tests} Pester tests failed: {failed}\n{run.stdout[-20000:]}\n{run.stderr}")
