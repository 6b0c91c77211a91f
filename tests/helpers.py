"""Helpers shared by the pytest modules (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

# The write_inventory fixture: (YAML text or bytes, file name="inventory.yaml") -> its path.
Write = Callable[..., Path]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path (``a/b.ps1``), with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}
