"""A bundle depends only on what matters: not on the inventory file's name or folder.

Renaming or moving the inventory must leave every file of every bundle, and so every manifest,
byte-identical: the Ansible playbook and Deploy-WslPortProxy.ps1 reinstall a server whose
manifest changed, and generate rewrites a folder whose files changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wsl_portproxy.api import generate

from .conftest import EXAMPLES
from .helpers import tree


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_renaming_and_moving_the_inventory_changes_no_file(tmp_path: Path, example: Path) -> None:
    first = tmp_path / "one" / "inventory.yaml"
    second = tmp_path / "elsewhere" / "deeper" / "fleet-of-Ünï 'x'.yml"
    for path in (first, second):
        path.parent.mkdir(parents=True)
        shutil.copyfile(example, path)
    generate(first, tmp_path / "out-1")
    generate(second, tmp_path / "out-2")
    before, after = tree(tmp_path / "out-1"), tree(tmp_path / "out-2")
    assert sorted(before) == sorted(after)
    assert any(name.endswith("/manifest.json") for name in before)
    assert any(name.startswith("_fleet/") for name in before)
    changed = sorted(name for name, data in before.items() if data != after[name])
    assert not changed, f"depend on the inventory's file name or folder: {', '.join(changed)}"
