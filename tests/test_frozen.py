"""The one-file program built from wsl-portproxy.spec behaves exactly like the installed package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES, GOLDEN, REPO
from .helpers import full_output, tree


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the program once for this module (about 20 s)."""
    build = tmp_path_factory.mktemp("pyinstaller")
    run = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(build / "dist"), "--workpath", str(build / "work"),
         str(REPO / "wsl-portproxy.spec")],
        cwd=build, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    program = build / "dist" / "wsl-portproxy"
    assert program.is_file()
    return program


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False,
                          timeout=120)


def test_version_is_the_package_version(frozen: Path, tmp_path: Path) -> None:
    package = _run([sys.executable, "-m", "wsl_portproxy", "--version"], tmp_path)
    program = _run([str(frozen), "--version"], tmp_path)
    assert program.returncode == 0
    assert program.stdout == package.stdout


def test_output_for_the_examples_is_byte_identical(frozen: Path, tmp_path: Path) -> None:
    for inventory in sorted(EXAMPLES.glob("*.yaml")):
        out = tmp_path / inventory.stem
        result = _run([str(frozen), "generate", str(inventory), "-o", str(out)], tmp_path)
        assert result.returncode == 0, result.stderr
        golden = GOLDEN / inventory.stem
        expected = full_output(golden)  # rendered files + runtime/'s
        actual = tree(out)
        assert actual == expected


def test_a_bad_inventory_gives_the_same_message_and_exit_code(frozen: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("servers:\n  - {name: WEB_01, ports: [70000, '53/udp']}\n", encoding="utf-8")
    package = _run([sys.executable, "-m", "wsl_portproxy", "validate", "bad.yaml"], tmp_path)
    program = _run([str(frozen), "validate", "bad.yaml"], tmp_path)
    assert package.returncode == 1
    assert (program.returncode, program.stderr, program.stdout) == (
        package.returncode, package.stderr, package.stdout)
    assert "Traceback" not in program.stderr


def test_init_and_schema_work_frozen(frozen: Path, tmp_path: Path) -> None:
    assert _run([str(frozen), "init", "inv.yaml"], tmp_path).returncode == 0
    assert (tmp_path / "inv.yaml").read_text("utf-8") == (EXAMPLES / "inventory.yaml").read_text("utf-8")
    schema = _run([str(frozen), "schema"], tmp_path)
    assert schema.stdout == (EXAMPLES / "wsl-portproxy.schema.json").read_text("utf-8")
