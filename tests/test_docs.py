"""README.md documents every CLI command, option and exit code, every inventory key and limit,
every exported module command and every script exit code: one test case per item, so that a
missing one never hides the next."""

from __future__ import annotations

import argparse
import re

import pytest

from wsl_portproxy import constraints
from wsl_portproxy.api import load_inventory
from wsl_portproxy.cli import build_parser
from wsl_portproxy.errors import PortProxyError
from wsl_portproxy.ports import PORT_KEYS
from wsl_portproxy.validate import FIREWALL_KEYS, SERVER_KEYS

from .conftest import REPO
from .helpers import Write

README = (REPO / "README.md").read_text(encoding="utf-8")


def _section(start: str, end: str) -> str:
    return README[README.index(start):README.index(end)]


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


CLI_ITEMS = [f"wsl-portproxy {name}" for name in _commands()] + sorted(
    {option for command in _commands().values() for action in command._actions
     for option in action.option_strings if option not in ("-h", "--help")}
    | {"--version", "--debug"})
INVENTORY_KEYS = sorted({*SERVER_KEYS, *(f"firewall.{k}" for k in FIREWALL_KEYS), *PORT_KEYS})
EXPORTED = re.findall(r"'([A-Za-z]+-WslPortProxy\w*)'",
                      (REPO / "templates" / "WslPortProxy" / "WslPortProxy.psd1").read_text("ascii"))


@pytest.mark.parametrize("item", CLI_ITEMS)
def test_every_cli_command_and_option_is_documented(item: str) -> None:
    assert item in README


@pytest.mark.parametrize("key", INVENTORY_KEYS)
def test_every_inventory_key_is_in_the_reference(key: str) -> None:
    assert re.search(rf"`{re.escape(key)}`", _section("## The inventory", "## What gets generated"))


@pytest.mark.parametrize("limit", [constraints.MAX_PORT_ENTRIES, constraints.MAX_ALLOW_FROM])
def test_every_size_limit_is_in_the_reference(limit: int) -> None:
    assert re.search(rf"\b{limit}\b", _section("## The inventory", "## What gets generated"))


@pytest.mark.parametrize("code", [0, 1, 2, 3, 4, 5, 70])
def test_every_cli_exit_code_is_documented(code: int) -> None:
    assert f"\n| {code} |" in README[README.index("| exit code | meaning |"):]


@pytest.mark.parametrize("command", EXPORTED)
def test_every_exported_command_is_documented(command: str) -> None:
    assert re.search(rf"`{command}\b", _section("## The WslPortProxy module", "## Performance"))


@pytest.mark.parametrize("code", [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
def test_every_update_script_exit_code_is_documented(code: int) -> None:
    table = README[README.index("| exit code (task \"Last Run Result\") |"):]
    assert f"\n| {code} |" in table


def test_the_item_lists_are_not_empty() -> None:
    assert len(CLI_ITEMS) > 8 and len(INVENTORY_KEYS) > 12 and len(EXPORTED) == 7


RUN_AS_FORMS = {"DOMAIN\\user": "CORP\\svc-podman", ".\\user": ".\\svc-podman",
                "user@domain.tld": "svc-podman@corp.example"}


def test_readme_lists_exactly_the_run_as_forms_the_validator_accepts(write_inventory: Write) -> None:
    row = next(line for line in README.splitlines() if line.startswith("| `run_as` |"))
    listed = row.split("in exactly one of three forms:")[1].split("; a bare")[0]
    assert re.findall(r"`([^`]+)`", listed) == list(RUN_AS_FORMS)
    for example in RUN_AS_FORMS.values():
        path = write_inventory(f"servers:\n  - {{name: A, ports: [80], run_as: '{example}'}}\n")
        assert load_inventory(path).servers[0].run_as == example
    bare = write_inventory("servers:\n  - {name: A, ports: [80], run_as: svc-podman}\n")
    with pytest.raises(PortProxyError, match="has no domain"):
        load_inventory(bare)
