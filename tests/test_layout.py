"""The unit tests mirror the module: tests/powershell/unit/X.Tests.ps1 tests exactly Private/X.ps1 or
Public/X.ps1 of runtime/WslPortProxy, every Private file has its unit test file, and no unit test file
is named after a file that does not exist."""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import REPO

MODULE = REPO / "runtime" / "WslPortProxy"
UNIT = REPO / "tests" / "powershell" / "unit"


def layout_problems(module: Path, unit: Path) -> list[str]:
    """What breaks the mirror between the module's source files and the unit test files."""
    private = {p.stem for p in (module / "Private").glob("*.ps1")}
    public = {p.stem for p in (module / "Public").glob("*.ps1")}
    tests = {p.name.removesuffix(".Tests.ps1") for p in unit.glob("*.Tests.ps1")}
    problems = [f"Private/{name}.ps1 has no unit test file unit/{name}.Tests.ps1"
                for name in sorted(private - tests)]
    problems += [f"unit/{name}.Tests.ps1 names no file of the module "
                 f"(Private/{name}.ps1 or Public/{name}.ps1)" for name in sorted(tests - private - public)]
    return problems


def test_every_private_file_has_its_unit_test_file_and_every_unit_test_file_its_source() -> None:
    assert layout_problems(MODULE, UNIT) == []


def test_the_layout_check_names_a_missing_unit_test_file_and_a_unit_test_file_without_source(
        tmp_path: Path) -> None:
    module, unit = tmp_path / "WslPortProxy", tmp_path / "unit"
    shutil.copytree(MODULE, module)
    shutil.copytree(UNIT, unit)
    (unit / "Lock.Tests.ps1").unlink()
    (unit / "Locks.Tests.ps1").write_text("", encoding="utf-8")
    assert layout_problems(module, unit) == [
        "Private/Lock.ps1 has no unit test file unit/Lock.Tests.ps1",
        "unit/Locks.Tests.ps1 names no file of the module (Private/Locks.ps1 or Public/Locks.ps1)"]
