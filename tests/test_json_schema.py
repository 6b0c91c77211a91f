"""The JSON Schema (for editors) and the schema-library validation agree where both can judge."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from wsl_portproxy.api import load_inventory
from wsl_portproxy.errors import PortProxyError
from wsl_portproxy.json_schema import inventory_schema

from .conftest import EXAMPLES, REPO
from .helpers import Write

VALIDATOR = jsonschema.Draft202012Validator(inventory_schema())

VALID = [
    "servers: [{name: WEB-01, ports: [80]}]",
    "servers: [{name: a, ports: ['80/tcp', '9000-9010:9100-9110', {listen: '5000-5001'}]}]",
    """\
    defaults: {start: LOGON, keep_alive: false, recheck_every: 0s1m, wait_for_wsl: 90,
               install_dir: 'D:\\Tools\\Wsl Proxy', firewall: {allow_from: [], profiles: [any]}}
    servers: [{name: DB-2, distro: Ubuntu-22.04, podman_machine: false, ports: [5432]}]
    """.replace("0s1m", "1m"),
    "servers: [{name: A, metrics_file: '%ProgramFiles%\\windows_exporter\\textfile_inputs\\"
    "wsl-portproxy.prom', ports: [80]}]",
    "servers: [{name: A, metrics_file: 'D:\\m.PROM', ports: [80]}]",
    "defaults: {metrics_file: 'D:\\m.prom'}\nservers: [{name: A, metrics_file: null, ports: [80]}]",
    "servers: [{name: A, auto_ports: {from: podman, allow: [80, '443', '8000-8999']}}]",
    "servers: [{name: A, ports: [80, {listen: 80, listen_address: '::'}, "
    "{listen: 81, listen_address: '2001:db8::10', allow_from: ['2001:db8::/32']}]}]",
    "servers: [{name: A, distro: Ubuntu, auto_ports: {from: docker, allow: [8080]}, ports: [80]}]",
    "defaults: {auto_ports: {from: podman, allow: [80]}}\n"
    "servers: [{name: A, auto_ports: null, ports: [80]}]",
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
    "listen-zone-index": "servers: [{name: A, listen_address: 'fe80::1%12', ports: [80]}]",
    "listen-word": "servers: [{name: A, listen_address: web, ports: [80]}]",
    "bad-distro": "servers: [{name: A, distro: 'my distro', ports: [80]}]",
    "relative-install-dir": "servers: [{name: A, install_dir: 'Tools\\\\x', ports: [80]}]",
    "metrics-not-prom": "servers: [{name: A, metrics_file: 'D:\\\\m\\\\x.txt', ports: [80]}]",
    "metrics-just-prom": "servers: [{name: A, metrics_file: 'D:\\\\.prom', ports: [80]}]",
    "metrics-folder": "servers: [{name: A, metrics_file: 'D:\\\\m\\\\', ports: [80]}]",
    "metrics-relative": "servers: [{name: A, metrics_file: 'm.prom', ports: [80]}]",
    "metrics-number": "servers: [{name: A, metrics_file: 5, ports: [80]}]",
    "too-many-ports": "servers: [{name: A, ports: [" + ", ".join(map(str, range(1, 102))) + "]}]",
    "auto-ports-text": "servers: [{name: A, auto_ports: podman}]",
    "auto-ports-unknown-key": "servers: [{name: A, auto_ports: {from: podman, allow: [80], ports: 1}}]",
    "auto-ports-no-allow": "servers: [{name: A, auto_ports: {from: podman}}]",
    "auto-ports-empty-allow": "servers: [{name: A, auto_ports: {from: podman, allow: []}}]",
    "auto-ports-bad-engine": "servers: [{name: A, auto_ports: {from: containerd, allow: [80]}}]",
    "auto-ports-bad-port": "servers: [{name: A, auto_ports: {from: podman, allow: [http]}}]",
    "auto-ports-too-many": ("servers: [{name: A, auto_ports: {from: podman, allow: ["
                            + ", ".join(str(8000 + i) for i in range(21)) + "]}}]"),
    "too-many-allow-from": ("servers: [{name: A, firewall: {allow_from: ["
                            + ", ".join(f"10.0.0.{i}" for i in range(1, 22)) + "]}, ports: [80]}]"),
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


def _schema_location(error: jsonschema.ValidationError) -> str:
    """Where a JSON Schema error is, written as our errors write it (servers[0].ports[1])."""
    parts = list(error.absolute_path)
    if error.validator == "additionalProperties":  # reported at the mapping: name the key
        parts += sorted(set(error.instance) - set(error.schema.get("properties", {})))[:1]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text


def _same_place(one: str, other: str) -> bool:
    """The same location, or one inside the other (a list item, a key of a mapping)."""
    if not other:  # the top level holds only its own keys
        return "." not in one and "[" not in one
    return one == other or one.startswith(other + ".") or one.startswith(other + "[")


@pytest.mark.parametrize("text", STRUCTURALLY_WRONG.values(), ids=STRUCTURALLY_WRONG.keys())
def test_structurally_wrong_inventories_fail_both_at_the_same_place(write_inventory: Write,
                                                                    text: str) -> None:
    path, data = _inventories(write_inventory, text)
    with pytest.raises(PortProxyError) as info:
        load_inventory(path)
    ours = {problem.where for problem in info.value.problems}
    theirs = {_schema_location(error) for error in VALIDATOR.iter_errors(data)}
    assert theirs, "the JSON Schema accepts it"
    for location in theirs:
        assert any(_same_place(location, o) or _same_place(o, location) for o in ours), (location, ours)
    for location in ours:
        assert any(_same_place(location, j) or _same_place(j, location) for j in theirs), (location, theirs)


def test_the_place_check_tells_places_apart() -> None:
    assert _same_place("servers[0].firewall.profiles[0]", "servers[0].firewall.profiles")
    assert not _same_place("servers[0].name", "servers[0].distro")
    assert not _same_place("servers[1].name", "servers[10].name")
    assert _same_place("colour", "") and not _same_place("servers[0].name", "")


def test_the_schema_is_valid_and_the_example_copy_is_current() -> None:
    jsonschema.Draft202012Validator.check_schema(inventory_schema())
    shipped = json.loads((EXAMPLES / "wsl-portproxy.schema.json").read_text("utf-8"))
    assert shipped == inventory_schema(), "run: wsl-portproxy schema > examples/wsl-portproxy.schema.json"
    assert (REPO / "examples" / "inventory.yaml").read_text("utf-8").startswith(
        "# yaml-language-server: $schema=./wsl-portproxy.schema.json")
