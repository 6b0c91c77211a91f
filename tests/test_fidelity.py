"""docs/windows-facts.md, the fidelity table of the simulated Windows, stays true: every row names a
source, and every covering test it names is a file that exists and holds a test of that name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import REPO

TABLE = REPO / "docs" / "windows-facts.md"
NO_TEST = ("docs only", "premise", "the stress run itself")
# A Pester file by its path under tests/powershell ("e2e/Watch.Tests.ps1"), or a pytest file.
PESTER = r"(?:(?:e2e|unit|sim|gate)/)?[A-Za-z.-]+\.Tests\.ps1"
FILE = re.compile(rf"`?({PESTER}|tests/test_\w+\.py)(?:::\w+)?`?")


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and len(cells) == 3 and not cells[0].startswith(("Behaviour", "---")):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def _test_file(name: str) -> Path:
    if name.startswith("tests/"):
        return REPO / name
    return REPO / "tests" / "powershell" / name


def _names_by_file(cell: str) -> list[tuple[str, str]]:
    """(file, quoted test name) pairs: each quoted name belongs to the file named before it."""
    pairs, current = [], ""
    for match in re.finditer(rf'`?({PESTER}|tests/test_\w+\.py)|"([^"]+)"', cell):
        if match.group(1):
            current = match.group(1)
        elif current:
            pairs.append((current, match.group(2)))
    return pairs


def test_the_table_has_rows() -> None:
    assert len(_rows()) >= 25


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row[0][:60])
def test_each_row_names_a_source_and_a_test_that_exists(row: tuple[str, str, str]) -> None:
    behaviour, source, covering = row
    assert source, behaviour
    if any(word in covering for word in NO_TEST):
        return
    files = FILE.findall(covering)
    assert files, f"no test file named for: {behaviour[:80]}"
    for name in files:
        assert _test_file(name).is_file(), name
    for name, title in _names_by_file(covering):
        # Up to the first placeholder or ellipsis: the rest may be a Pester template or abridged.
        fixed = re.split(r"[<…]", title)[0].strip()
        text = _test_file(name).read_text(encoding="utf-8").replace("''", "'")
        assert fixed in text, f"{name} has no test '{fixed}'"
