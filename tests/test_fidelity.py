"""docs/windows-facts.md, the fidelity table of the simulated Windows, stays true: every row names a
source, and every covering test it names is a file that exists and holds a test of that name. What
runtime/ and tests/ cite is in the repository (a row of the table that exists) or a public source."""

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


# Knowledge lives in the repository: what the code under runtime/ and tests/ cites is a row of the
# table above, a page of docs/, or a public primary source (microsoft/WSL file@commit, a Microsoft
# Learn page); never a folder outside the repository or an issue of this project's tracker.
FIXTURES = REPO / "tests" / "powershell" / "e2e" / "fixtures"   # the released 0.1.0 bundle, as it was
OUTSIDE = re.compile(r"(?<![\w.-])shared/|(?i:(?<![\w#/])issue\s+\d+)")
FACT = re.compile(r"windows-facts\.md(.{0,300})", re.S)
ROW_CITED = re.compile(r'^, row "([^"]+)"')
POINTER = " (the fidelity table)"   # the whole table, named as such: not a citation


def _scanned(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file() and FIXTURES not in path.parents
                  and path != Path(__file__).resolve() and "__pycache__" not in path.parts)


def _outside_citations(roots: list[Path]) -> list[str]:
    found = []
    for path in (p for root in roots for p in _scanned(root)):
        text = path.read_bytes().decode("utf-8", "replace")
        found += [f"{path}: {text[m.start():m.end() + 20]!r}" for m in OUTSIDE.finditer(text)]
    return found


def _row_citations(text: str) -> list[str | None]:
    """Each windows-facts.md citation's row ('..., row "Stopping a task"'), comment leaders joined;
    None for a citation that names no row."""
    cited = []
    for match in FACT.finditer(text):
        after = re.sub(r"\s*\n\s*(?:#\s*)?", " ", match.group(1))
        if after.startswith(POINTER):
            continue
        row = ROW_CITED.match(after)
        cited.append(row.group(1) if row else None)
    return cited


def test_nothing_under_runtime_or_tests_cites_a_folder_outside_or_an_issue_number() -> None:
    assert _outside_citations([REPO / "runtime", REPO / "tests"]) == []


def test_the_citation_check_finds_a_planted_case(tmp_path: Path) -> None:
    (tmp_path / "Planted.ps1").write_text("# see shared/windows-facts.md and issue 9 §8\n", encoding="utf-8")
    assert len(_outside_citations([tmp_path])) == 2
    assert _row_citations("# (docs/windows-facts.md, WSL)\n") == [None]
    assert _row_citations('# (docs/windows-facts.md,\n    # row "Stopping a task")') == ["Stopping a task"]


def test_every_citation_of_the_table_in_the_simulation_and_the_module_names_one_of_its_rows() -> None:
    rows = [behaviour.replace("`", "") for behaviour, _, _ in _rows()]
    for path in _scanned(REPO / "tests" / "powershell") + _scanned(REPO / "runtime"):
        for row in _row_citations(path.read_bytes().decode("utf-8", "replace")):
            assert row is not None, f"{path} cites docs/windows-facts.md without a row"
            assert any(behaviour.startswith(row) for behaviour in rows), f"{path}: no row starts {row!r}"
