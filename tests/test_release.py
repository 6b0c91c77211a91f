"""One version everywhere a user sees it, and a changelog entry for it (Keep a Changelog)."""

from __future__ import annotations

import re
import tomllib

from wsl_portproxy import __version__

from .conftest import REPO

CHANGELOG = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
VERSION_HEADING = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", re.M)


def test_the_package_and_pyproject_name_the_same_version() -> None:
    """One source: pyproject.toml names no version of its own but reads the package's (the built
    wheel and sdist carry it: tests/test_dist.py)."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "wsl_portproxy.__version__"}
    source = (REPO / "generator" / "wsl_portproxy" / "__init__.py").read_text(encoding="utf-8")
    assert re.findall(r'^__version__ = "([^"]+)"$', source, re.M) == [__version__]


def test_the_newest_changelog_entry_is_this_version() -> None:
    versions = VERSION_HEADING.findall(CHANGELOG)
    assert versions, "no '## [x.y.z] - YYYY-MM-DD' heading in CHANGELOG.md"
    assert versions[0][0] == __version__


def test_changelog_versions_are_newest_first_and_each_names_its_commits() -> None:
    versions = VERSION_HEADING.findall(CHANGELOG)
    numbers = [tuple(int(part) for part in number.split(".")) for number, _ in versions]
    assert numbers == sorted(numbers, reverse=True) and len(set(numbers)) == len(numbers)
    dates = [date for _, date in versions]
    assert dates == sorted(dates, reverse=True)
    for entry in re.split(r"^## ", CHANGELOG, flags=re.M)[1:]:
        assert re.search(r"\bCommits\b.*\b[0-9a-f]{7}\b", entry), entry.splitlines()[0]


def test_the_license_is_the_one_pyproject_names() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
