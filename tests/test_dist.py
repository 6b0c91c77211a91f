"""python -m build makes a wheel and an sdist; the wheel, installed into a fresh venv, generates the
golden output for examples/. Packages come from the wheelhouse when there is one (as .ci/install-tools
decides), else from the package index pip is configured for."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from wsl_portproxy import __version__

from .conftest import EXAMPLES, GOLDEN, REPO
from .helpers import full_output, tree

WHEELHOUSE = Path(os.environ.get("WSLPP_WHEELHOUSE", REPO.parent / "shared" / "wheelhouse"))


def _pip_env() -> dict[str, str]:
    """The environment for pip: the wheelhouse alone when there is one, else the package index."""
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if "WSLPP_WHEELHOUSE" in os.environ and not WHEELHOUSE.is_dir():
        pytest.fail(f"WSLPP_WHEELHOUSE={WHEELHOUSE} is not a folder")
    if WHEELHOUSE.is_dir():
        env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(WHEELHOUSE))
    return env


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    env = _pip_env()
    run = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
                         capture_output=True, text=True, env=env, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    return out


def test_the_wheel_and_the_sdist_carry_the_package_version(dists: Path) -> None:
    """pyproject.toml reads its version from wsl_portproxy.__version__ (the one source)."""
    (sdist,) = dists.glob("*.tar.gz")
    (wheel,) = dists.glob("*.whl")
    assert sdist.name == f"wsl_portproxy-{__version__}.tar.gz"
    assert wheel.name.startswith(f"wsl_portproxy-{__version__}-")
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"wsl_portproxy-{__version__}.dist-info/METADATA").decode("utf-8")
    with tarfile.open(sdist) as archive:
        member = archive.extractfile(f"wsl_portproxy-{__version__}/PKG-INFO")
        assert member is not None
        pkg_info = member.read().decode("utf-8")
    for text in (metadata, pkg_info):
        assert f"\nVersion: {__version__}\n" in text


def test_the_sdist_holds_the_package_its_data_folders_and_tests(dists: Path) -> None:
    (sdist,) = dists.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"generator/wsl_portproxy/cli.py", "runtime/WslPortProxy/WslPortProxy.psd1",
            "templates/README.txt.j2", "examples/inventory.yaml", "pyproject.toml", "README.md",
            "LICENSE"} <= names


def test_the_wheel_installed_in_a_fresh_venv_generates_the_golden_output(
        dists: Path, tmp_path: Path) -> None:
    (wheel,) = dists.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert {"wsl_portproxy/runtime/WslPortProxy/Private/Wsl.ps1", "wsl_portproxy/runtime/fleet/site.yml",
            "wsl_portproxy/templates/README.txt.j2", "wsl_portproxy/examples/inventory.yaml"} <= set(names)
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), names
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    env = _pip_env()
    env.pop("PYTHONPATH", None)
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)],
                             capture_output=True, text=True, env=env, timeout=600, check=False)
    assert install.returncode == 0, install.stderr
    out = tmp_path / "out"
    generate = subprocess.run(
        [str(environment / "bin" / "wsl-portproxy"), "generate",
         str(EXAMPLES / "inventory.yaml"), "-o", str(out)],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert generate.returncode == 0, generate.stderr
    golden = GOLDEN / "inventory"
    expected = full_output(golden)  # rendered files + runtime/'s
    actual = tree(out)
    assert actual == expected
