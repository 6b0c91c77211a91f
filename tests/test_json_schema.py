"""The JSON Schema (for editors) and the schema-library validation agree where both can judge."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml

from wsl_portproxy.api import load_inventory
from wsl_portproxy.errors import PortProxyError
from wsl_portproxy.json_schema import inventory_schema

from .conftest import EXAMPLES, REPO

Write = Callable[..., Path]
VALIDATOR = jsonschema.Draft202012Validator(inventory_schema())

VALID = [
    "servers: [{name: WEB-01, ports: [80]}]",
    "servers: [{name: a, ports: ['80/tcp', '9000-9010:9100-9110', {listen: '5000-5001'}]}]",
    """\
    defaults: {start: LOGON, keep_alive: false, recheck_every: 0s1m, wait_for_wsl: 90,
               install_dir: 'D:\\Tools\\Wsl Proxy', firewall: {allow_from: [], profiles: [any]}}
    servers: [{name: DB-2, distro: Ubuntu-22.04, podman_machine: false, ports: [5432]}]
    """.replace("0s1m", "1m"),
]
STRUCTURALLY_WRONG = {
    "unknown-top-key": "servers: [{name: A, ports: [80]}]\ncolour: blue",
    "unknown-server-key": "servers: [{name: A, ports: [80], lisen: 1}]",
    "unknown-port-key": "servers: [{name: A, ports: [{lisen: 80}]}]",
    "port-too-big": "servers: [{name: A, ports: [70000]}]",
    "port-zero": "servers: [{name: A, ports: [0]}]",
    "port-word": "servers: [{name: A, ports: [http]}]",
    "udp": "servers: [{name: A, ports: ['53/udp']}]",
    "empty-ports": "servers: [{name: A, ports: []}]",
    "ports-not-list": "servers: [{name: A, ports: 80}]",
    "no-servers": "defaults: {}",
    "empty-servers": "servers: []",
    "no-name": "servers: [{ports: [80]}]",
    "bad-name": "servers: [{name: WEB_01, ports: [80]}]",
    "long-name": "servers: [{name: ABCDEFGHIJKLMNOP, ports: [80]}]",
    "bad-start": "servers: [{name: A, start: reboot, ports: [80]}]",
    "bad-profile": "servers: [{name: A, firewall: {profiles: [Work]}, ports: [80]}]",
    "empty-profiles": "servers: [{name: A, firewall: {profiles: []}, ports: [80]}]",
    "allow-from-text": "servers: [{name: A, firewall: {allow_from: LocalSubnet}, ports: [80]}]",
    "bad-duration": "servers: [{name: A, wait_for_wsl: forever, ports: [80]}]",
    "bad-bool": "servers: [{name: A, podman_machine: maybe, ports: [80]}]",
    "ipv6-listen": "servers: [{name: A, listen_address: '::1', ports: [80]}]",
    "bad-distro": "servers: [{name: A, distro: 'my distro', ports: [80]}]",
    "relative-install-dir": "servers: [{name: A, install_dir: 'Tools\\\\x', ports: [80]}]",
}


def _inventories(write_inventory: Write, text: str) -> tuple[Path, object]:
    text = textwrap.dedent(text)
    return write_inventory(text), yaml.safe_load(text)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_pass_both(path: Path) -> None:
    load_inventory(path)
    assert not list(VALIDATOR.iter_errors(yaml.safe_load(path.read_text("utf-8"))))


@pytest.mark.parametrize("text", VALID)
def test_valid_inventories_pass_both(write_inventory: Write, text: str) -> None:
    path, data = _inventories(write_inventory, text)
    load_inventory(path)
    assert not [e.message for e in VALIDATOR.iter_errors(data)]


@pytest.mark.parametrize("text", STRUCTURALLY_WRONG.values(), ids=STRUCTURALLY_WRONG.keys())
def test_structurally_wrong_inventories_fail_both(write_inventory: Write, text: str) -> None:
    path, data = _inventories(write_inventory, text)
    with pytest.raises(PortProxyError):
        load_inventory(path)
    assert list(VALIDATOR.iter_errors(data))


def test_the_schema_is_valid_and_the_example_copy_is_current() -> None:
    jsonschema.Draft202012Validator.check_schema(inventory_schema())
    shipped = json.loads((EXAMPLES / "wsl-portproxy.schema.json").read_text("utf-8"))
    assert shipped == inventory_schema(), "run: wsl-portproxy schema > examples/wsl-portproxy.schema.json"
    assert (REPO / "examples" / "inventory.yaml").read_text("utf-8").startswith(
        "# yaml-language-server: $schema=./wsl-portproxy.schema.json")
