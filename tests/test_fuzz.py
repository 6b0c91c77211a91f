"""Property: whatever the inventory, generate ends with exit 0, or exit 1 and only ``error:`` lines.

Never a traceback, never exit 70 (internal error), and on exit 1 the output folder is exactly
as it was. The default run tries WSLPP_FUZZ_EXAMPLES (default 200) inventories; the dedicated
run (docs/development.md, "Testing beyond the default run") sets it to 10,000.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from wsl_portproxy.cli import main

from .helpers import tree

EXAMPLES = int(os.environ.get("WSLPP_FUZZ_EXAMPLES", "200"))
KEYS = ["defaults", "servers", "name", "ports", "distro", "run_as", "start", "listen_address",
        "podman_machine", "wait_for_wsl", "recheck_every", "install_dir", "firewall",
        "allow_from", "profiles", "listen", "connect", "lisen", "port", "Name"]
WORDS = ["80", "8443:443", "9000-9010", "9000-9010:9100-9110", "80/udp", "80/tcp", "0.0.0.0",
         "192.168.0.12", "::1", "LocalSubnet", "Any", "10.0.0.0/8", "10.0.0.1-10.0.0.9", "boot",
         "logon", "5m", "0", "1h30m", "%ProgramData%\\X", "C:\\a\\..\\b", "CORP\\svc", "SYSTEM",
         "", "-1", "65536", "1-0", "WEB-01", "web-01", "CON", "Domain", "Public", "podman-machine-x",
         "O'Brien", "$(calc)", "\u2018x\u2019", "a\r\nb", "]]>", "%PATH%", "x" * 300]
BASE: dict[str, Any] = {
    "defaults": {"distro": "podman-machine-default", "run_as": "CORP\\svc-podman",
                 "start": "boot", "wait_for_wsl": "120s", "recheck_every": "5m",
                 "firewall": {"allow_from": ["LocalSubnet"], "profiles": ["Domain", "Private"]}},
    "servers": [{"name": "WEB-01", "ports": [80, "8443:443", "9000-9010",
                                             {"listen": 5432, "listen_address": "192.168.0.12",
                                              "allow_from": ["192.168.0.0/24"]}]},
                {"name": "DB-01", "listen_address": "0.0.0.0", "ports": [5433]}],
}

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(),
                    st.sampled_from(WORDS), st.text(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=5)),
    max_leaves=12)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*path, index))
    return found


PATHS = _paths(BASE)[1:]


@st.composite
def near_valid(draw: st.DrawFn) -> Any:
    """The valid base inventory with one value replaced, or one key renamed."""
    document = copy.deepcopy(BASE)
    path = draw(st.sampled_from(PATHS))
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    if isinstance(parent, dict) and draw(st.booleans()):
        parent[draw(st.sampled_from(KEYS))] = parent.pop(path[-1])
    else:
        parent[path[-1]] = draw(st.one_of(st.sampled_from(WORDS), st.integers(1, 65535), values))
    return document


def _serialize(document: Any, as_json: bool) -> bytes:
    if as_json:
        return json.dumps(document).encode()
    return yaml.safe_dump(document, allow_unicode=True).encode()


inventories = st.one_of(
    st.tuples(near_valid(), st.booleans()).map(lambda d: _serialize(*d)),
    st.tuples(values, st.booleans()).map(lambda d: _serialize(*d)),
    st.text(max_size=200).map(str.encode),
    st.binary(max_size=200),
)


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder holding the bundles of the valid base inventory (made once per run)."""
    folder = tmp_path_factory.mktemp("fuzz-seed")
    inventory = folder / "seed.yaml"
    inventory.write_text(yaml.safe_dump(BASE), encoding="utf-8")
    assert _run(["generate", str(inventory), "-o", str(folder / "out")])[0] == 0
    return folder / "out"


@pytest.mark.timeout(max(300, EXAMPLES // 10))   # the dedicated run: 10,000 examples take minutes
@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 200,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(content=inventories, as_json=st.booleans())
def test_any_inventory_gives_exit_0_or_a_clean_error(seed: Path, content: bytes, as_json: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        inventory = root / ("inventory.json" if as_json else "inventory.yaml")
        inventory.write_bytes(content)
        out = root / "out"
        shutil.copytree(seed, out)
        before = tree(out)
        code, stderr = _run(["generate", str(inventory), "-o", str(out)])
        event(f"exit {code}")
        assert code in (0, 1), stderr
        assert "Traceback" not in stderr
        if code == 1:
            assert stderr and all(line.startswith("error: ") for line in stderr.splitlines())
            assert tree(out) == before
        else:
            assert stderr == ""

