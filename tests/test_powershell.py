"""Runs the Pester suites in real PowerShell.

- tests/powershell/e2e/*.Tests.ps1: end to end on the simulated Windows (generated bundles,
  unmodified); sim/Simulation.Tests.ps1 tests the simulation itself, gate/Gate.Tests.ps1 the style
  rules. One pwsh process per file; the id is the path under tests/powershell ("e2e/Watch.Tests.ps1").
- tests/powershell/unit/*.Tests.ps1: unit tests of the module's functions, in one run that measures
  Pester's code coverage of the module's source files; below COVERAGE_FLOOR percent fails.
- The mutation smoke test flips named conditions in a copy of the module; each must make the unit
  tests that guard it fail (so the coverage comes from tests that assert).

pwsh and Pester 5.7.1 come from ``.tools/`` (installed by ``.ci/install-tools``), or from
WSLPP_PWSH / WSLPP_PESTER. Outside CI a missing tool skips these tests with a message saying how
to install it; in CI (CI=true) it fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import REPO, SUMMARY

SUITE = REPO / "tests" / "powershell"
# The Pester files run one per process: every *.Tests.ps1 of these folders (unit/ runs as one suite).
PESTER_FILES = sorted(path for role in ("e2e", "sim", "gate") for path in (SUITE / role).glob("*.Tests.ps1"))
DEMO = REPO / "examples" / "Demo.ps1"
MODULE = REPO / "runtime" / "WslPortProxy"
TOOLS = REPO / ".tools"
COVERAGE_FLOOR = 90.0

# name -> (module file, exact text, replacement, the unit test files that must then fail)
MUTATIONS = {
    "rewrite-in-place-with-set": (
        "Private/PortProxy.ps1", "Words = @('set') + $words; Done = \"Rewrote",
        "Words = @('add') + $words; Done = \"Rewrote", ["PortProxy"]),
    "own-rule-check": (
        "Private/PortProxy.ps1", "$null -ne $now -and $now -ne $Managed[$key]", "$false", ["PortProxy"]),
    "taken-over-rule-restored": (
        "Private/PortProxy.ps1", "elseif ($null -ne $original) {", "elseif ($false) {", ["PortProxy"]),
    "planted-folder-owner-check": (
        "Private/Acl.ps1", "if ($owner -notmatch $script:WslppTrustedSidPattern) {",
        "if ($false) {", ["Acl"]),
    "listener-must-be-ip-helper": (
        "Private/Listener.ps1", "if ($listener.IpHelper -and $listener.Address -eq $Rule.ListenAddress) {",
        "if ($listener.Address -eq $Rule.ListenAddress) {", ["Listener"]),
    "reconcile-lock": (
        "Private/Lock.ps1", "[System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::None)",
        "[System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::ReadWrite)", ["Lock"]),
    "registry-decides": (
        "Private/PortProxy.ps1", "($null -ne $item.Target -and $now[$item.Key] -eq $item.Target)",
        "($null -ne $item.Target)", ["PortProxy"]),
    "firewall-group-check": (
        "Private/Firewall.ps1",
        "$null -ne $existing -and \"$($existing.Group)\" -ne $script:WslppFirewallGroup",
        "$false", ["Firewall"]),
    "settings-schema-version": (
        "Private/Settings.ps1", "if ($Data['SchemaVersion'] -ne $script:WslppSchemaVersion)",
        "if ($false)", ["Settings"]),
    "keep-alive-same-program": (
        "Private/KeepAlive.ps1", "$null -ne $target -and $target.Path -ne $WslPath",
        "$false", ["KeepAlive"]),
}


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


def _run_pester(files: list[Path], report: Path, coverage: Path | None = None,
                env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], int, list[str]]:
    """Runs test files in one pwsh; returns the run, the number of tests and the failed ones."""
    pwsh = _require(_find_pwsh(), "pwsh (PowerShell 7.6.9)")
    pester = _require(_find_pester(), "Pester 5.7.1")
    quoted = ",".join(f"'{f}'" for f in files)
    command = (f"& '{SUITE / 'Invoke-Suite.ps1'}' -PesterManifest '{pester}' -TestFile {quoted} "
               f"-ReportPath '{report}'")
    if coverage is not None:
        sources = sorted(p for p in MODULE.rglob("*") if p.suffix in (".ps1", ".psm1"))
        command += f" -CoveragePath {','.join(repr(str(p)) for p in sources)} -CoverageReport '{coverage}'"
    run_env = {**os.environ, "WSLPP_PYTHON": sys.executable, "POWERSHELL_TELEMETRY_OPTOUT": "1",
               "POWERSHELL_UPDATECHECK": "Off", **(env or {})}
    run = subprocess.run([pwsh, "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", command],
                         capture_output=True, text=True, env=run_env, timeout=1200, check=False)
    assert report.is_file(), f"Pester wrote no report:\n{run.stdout[-20000:]}\n{run.stderr}"
    suites = ET.parse(report).getroot()
    failed = [str(case.get("name")) for case in suites.iter("testcase")
              if case.find("failure") is not None or case.find("error") is not None]
    return run, int(suites.get("tests", "0")), failed


@pytest.mark.parametrize("test_file", PESTER_FILES, ids=lambda p: p.relative_to(SUITE).as_posix())
def test_pester_suite(test_file: Path, tmp_path: Path) -> None:
    run, tests, failed = _run_pester([test_file], tmp_path / "pester.xml")
    assert tests > 0, f"Pester ran no test:\n{run.stdout}"
    assert not failed and run.returncode == 0, (
        f"{len(failed)} of {tests} Pester tests failed: {failed}\n{run.stdout[-20000:]}\n{run.stderr}")


def test_pester_unit_suite_covers_the_module(tmp_path: Path) -> None:
    coverage = tmp_path / "coverage.json"
    run, tests, failed = _run_pester(sorted((SUITE / "unit").glob("*.Tests.ps1")), tmp_path / "unit.xml",
                                     coverage)
    assert tests > 0, f"Pester ran no test:\n{run.stdout}"
    assert not failed and run.returncode == 0, (
        f"{len(failed)} of {tests} unit tests failed: {failed}\n{run.stdout[-20000:]}\n{run.stderr}")
    data = json.loads(coverage.read_text(encoding="utf-8-sig"))
    line = (f"Pester code coverage of the WslPortProxy module: {data['percent']} % "
            f"({data['executed']} of {data['analyzed']} commands, {tests} unit tests)")
    SUMMARY.append(line)
    assert data["percent"] >= COVERAGE_FLOOR, line + "; missed:\n" + "\n".join(data["missed"])


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_mutated_module_fails_the_unit_tests(name: str, tmp_path: Path) -> None:
    relative, original, replacement, guards = MUTATIONS[name]
    copy = tmp_path / "WslPortProxy"
    shutil.copytree(MODULE, copy)
    target = copy / relative
    text = target.read_text(encoding="ascii")
    assert text.count(original) == 1, f"mutation {name} is stale: {original!r} is not in {relative} once"
    target.write_text(text.replace(original, replacement), encoding="ascii")
    files = [SUITE / "unit" / f"{guard}.Tests.ps1" for guard in guards]
    _, tests, failed = _run_pester(files, tmp_path / "unit.xml",
                                   env={"WSLPP_MODULE": str(copy / "WslPortProxy.psd1")})
    assert tests > 0
    assert failed, f"mutation {name} ({relative}) survived: no test in {guards} failed"


def _run_demo(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    pwsh = _require(_find_pwsh(), "pwsh (PowerShell 7.6.9)")
    command = [pwsh, "-NoLogo", "-NoProfile", "-NonInteractive", "-File", str(DEMO)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)


def test_the_demo_shows_install_a_wsl_restart_status_and_uninstall_on_the_simulated_windows() -> None:
    # As README tells a newcomer to run it: no WSLPP_PYTHON, the venv of .ci/install-tools is found.
    env = {k: v for k, v in os.environ.items() if k != "WSLPP_PYTHON"}
    run = _run_demo(env)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    steps = ["=== wsl-portproxy generate examples/inventory.yaml",
             "Containers: web publishes 80 and 443, db 5432, metrics 9100 (not in the inventory);",
             "portproxy: no rules",
             "FirstRun         : First reconcile succeeded", "0.0.0.0:80        172.28.241.140:80",
             "=== wsl --shutdown; WSL comes back with a new address (172.28.250.9)",
             "[INFO] Reconciling: WSL stopped or restarted", "[INFO] Applied: 14 rule(s) written",
             "0.0.0.0:80        172.28.250.9:80", "192.168.0.12:5432 172.28.250.9:5432",
             # -Status: the verdict first, then the drift apart from it, then the rows
             "\nOK: all 14 port(s) are forwarded, allowed, listening and answered by WSL.\n"
             "Drift (information; does not change the verdict):\n"
             "  Published, but not forwarded: 9100 (metrics); add it to this server's ports in the inventory "
             "(Update-WslPortProxy.ps1 -Discover prints the entries).\n"
             "  Forwarded, but no container publishes it: 9000-9010\n",
             "0.0.0.0:80        172.28.250.9:80   ok   ok            True svchost",
             "RulesRemoved     : 18", "portproxy: no rules\nfirewall: no rules\n\n=== Done in "]
    positions = [out.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), out
    assert "but no container publishes it." not in out   # no sentence per port that reads like a verdict


def test_the_demo_says_when_a_step_fails() -> None:
    run = _run_demo({**os.environ, "WSLPP_PYTHON": "/bin/false"})
    assert run.returncode == 1
    assert "demo failed: generate failed (1): " in run.stdout
