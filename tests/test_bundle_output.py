"""What a bundle holds: golden files for examples/, encodings, and the task XML."""

from __future__ import annotations

import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import xmlschema

from wsl_portproxy.api import load_inventory
from wsl_portproxy.render import render_inventory, render_server

from .conftest import EXAMPLES, GOLDEN, REPO

Write = Callable[..., Path]
NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
SCHEMA = xmlschema.XMLSchema(str(REPO / "tests" / "schemas" / "task-subset.xsd"))
UPDATE = os.environ.get("WSLPP_UPDATE_GOLDEN") == "1"


def example_inventories() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


@pytest.mark.parametrize("inventory", example_inventories(), ids=lambda p: p.stem)
def test_examples_match_the_golden_files(inventory: Path) -> None:
    bundles = render_inventory(load_inventory(inventory))
    golden = GOLDEN / inventory.stem
    expected_files = sorted(str(p.relative_to(golden)) for p in golden.rglob("*") if p.is_file())
    actual_files = sorted(f"{server}/{name}" for server, files in bundles.items() for name in files)
    if UPDATE:
        for server, files in bundles.items():
            (golden / server).mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                (golden / server / name).write_bytes(data)
        return
    assert actual_files == expected_files, "run with WSLPP_UPDATE_GOLDEN=1 to accept new output"
    for server, files in bundles.items():
        for name, data in files.items():
            assert data == (golden / server / name).read_bytes(), f"{server}/{name} differs"


def bundle(write_inventory: Write, text: str) -> dict[str, bytes]:
    inventory = load_inventory(write_inventory(text))
    files: dict[str, bytes] = render_server(inventory.servers[0], inventory.source)
    return files


BOOT = """\
servers:
  - name: WEB-01
    run_as: CORP\\svc-podman
    start: boot
    recheck_every: 10m
    install_dir: '%ProgramFiles%\\Wsl Proxy'
    ports: [80]
"""
LOGON = "servers:\n  - {name: WEB-01, start: logon, recheck_every: 0, ports: [80]}\n"


def task_xml(files: dict[str, bytes]) -> ET.Element:
    data = files["WslPortProxy.xml"]
    assert data.startswith(b"\xff\xfe<\x00?\x00x\x00m\x00l\x00")
    text = data[2:].decode("utf-16-le")
    assert text.startswith('<?xml version="1.0" encoding="UTF-16"?>\r\n')
    assert "\n" not in text.replace("\r\n", "")
    SCHEMA.validate(text)
    return ET.fromstring(text.split("\r\n", 1)[1])


def test_boot_task_starts_before_logon_as_the_distro_owner(write_inventory: Write) -> None:
    root = task_xml(bundle(write_inventory, BOOT))
    assert root.get("version") == "1.2"
    assert root.find("t:Triggers/t:BootTrigger/t:Delay", NS).text == "PT30S"  # type: ignore[union-attr]
    assert root.findtext("t:Triggers/t:LogonTrigger/t:UserId", namespaces=NS) == "CORP\\svc-podman"
    assert root.findtext("t:Triggers/t:TimeTrigger/t:Repetition/t:Interval", namespaces=NS) == "PT10M"
    principal = root.find("t:Principals/t:Principal", NS)
    assert principal is not None
    assert principal.findtext("t:UserId", namespaces=NS) == "CORP\\svc-podman"
    assert principal.findtext("t:LogonType", namespaces=NS) == "Password"
    assert principal.findtext("t:RunLevel", namespaces=NS) == "HighestAvailable"
    assert root.find("t:Actions", NS).get("Context") == principal.get("id")  # type: ignore[union-attr]


def test_logon_task_uses_the_interactive_token_and_no_repetition(write_inventory: Write) -> None:
    root = task_xml(bundle(write_inventory, LOGON))
    triggers = [child.tag.split("}")[1] for child in root.find("t:Triggers", NS)]  # type: ignore[union-attr]
    assert triggers == ["LogonTrigger"]
    assert root.findtext("t:Principals/t:Principal/t:LogonType", namespaces=NS) == "InteractiveToken"
    assert root.find("t:Principals/t:Principal/t:UserId", NS) is None  # filled in at install


def test_settings_suit_a_server(write_inventory: Write) -> None:
    settings = task_xml(bundle(write_inventory, BOOT)).find("t:Settings", NS)
    assert settings is not None
    values = {child.tag.split("}")[1]: child.text for child in settings}
    assert values["MultipleInstancesPolicy"] == "IgnoreNew"
    assert values["DisallowStartIfOnBatteries"] == "false"
    assert values["StopIfGoingOnBatteries"] == "false"
    assert values["StartWhenAvailable"] == "true"
    assert values["ExecutionTimeLimit"] == "PT0S"  # the watcher runs until the task is stopped
    assert settings.findtext("t:RestartOnFailure/t:Count", namespaces=NS) == "3"


def test_the_action_runs_the_installed_script_with_file_last(write_inventory: Write) -> None:
    exec_ = task_xml(bundle(write_inventory, BOOT)).find("t:Actions/t:Exec", NS)
    assert exec_ is not None
    assert exec_.findtext("t:Command", namespaces=NS) == (
        "%SystemRoot%\\System32\\WindowsPowerShell\\v1.0\\powershell.exe")
    assert exec_.findtext("t:Arguments", namespaces=NS) == (
        '-NoProfile -NonInteractive -ExecutionPolicy Bypass '
        '-File "%ProgramFiles%\\Wsl Proxy\\Update-WslPortProxy.ps1" -Watch')


def test_no_principal_is_ever_system(write_inventory: Write) -> None:
    for text in (BOOT, LOGON):
        xml = bundle(write_inventory, text)["WslPortProxy.xml"].decode("utf-16")
        assert "S-1-5-18" not in xml
        assert not re.search(r"<UserId>(NT AUTHORITY\\)?SYSTEM</UserId>", xml, re.I)
        assert "Password</" not in xml.replace("<LogonType>Password</LogonType>", "")


def test_text_files_are_utf8_with_bom_and_crlf(write_inventory: Write) -> None:
    for name, data in bundle(write_inventory, BOOT).items():
        if name.endswith((".xml", ".json")):
            continue
        assert data.startswith(b"\xef\xbb\xbf"), name
        text = data[3:].decode("utf-8")
        assert "\n" not in text.replace("\r\n", ""), name


def test_json_and_yaml_inventories_render_the_same(write_inventory: Write) -> None:
    yaml_bundle = bundle(write_inventory, LOGON)
    json_path = write_inventory('{"servers": [{"name": "WEB-01", "start": "logon", '
                                '"recheck_every": 0, "ports": [80]}]}', "inventory.json")
    inventory = load_inventory(json_path)
    json_bundle = render_server(inventory.servers[0], "inventory.yaml")
    assert json_bundle == yaml_bundle


def test_the_manifest_lists_the_sha256_of_every_other_file(write_inventory: Write) -> None:
    files = bundle(write_inventory, BOOT)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["generator"] == "wsl-portproxy"
    assert manifest["server"] == "WEB-01"
    assert manifest["files"] == {name: hashlib.sha256(data).hexdigest()
                                 for name, data in files.items()}
