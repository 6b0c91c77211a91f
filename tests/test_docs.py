"""README.md documents every CLI command, every option and every inventory key."""

from __future__ import annotations

import argparse
import re

from wsl_portproxy.cli import build_parser
from wsl_portproxy.ports import PORT_KEYS
from wsl_portproxy.validate import FIREWALL_KEYS, SERVER_KEYS

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_cli_command_and_option_is_documented() -> None:
    for name, command in _commands().items():
        assert f"wsl-portproxy {name}" in README, f"command {name}"
        for action in command._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in README, f"{name} {option}"
    for option in ("--version", "--debug"):
        assert option in README


def test_every_inventory_key_is_in_the_reference() -> None:
    reference = README[README.index("## The inventory"):README.index("## What gets generated")]
    keys = {*SERVER_KEYS, *(f"firewall.{k}" for k in FIREWALL_KEYS), *PORT_KEYS}
    for key in sorted(keys):
        assert re.search(rf"`{re.escape(key)}`", reference), f"inventory key {key}"


def test_every_cli_exit_code_is_documented() -> None:
    table = README[README.index("| exit code | meaning |"):]
    for code in (0, 1, 2, 3, 4, 5, 70):
        assert f"\n| {code} |" in table, f"exit code {code}"
