"""What a bundle holds: golden files for examples/, encodings, and the task XML."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from wsl_portproxy import __version__
from wsl_portproxy.api import load_inventory
from wsl_portproxy.fleet import FLEET, render_fleet
from wsl_portproxy.render import render_inventory, render_server, static_files

from .conftest import EXAMPLES, GOLDEN, REPO
from .helpers import Write, full_output, manifest_problems, rendered_only, stale_copies, tree

NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
SCHEMA = xmlschema.XMLSchema(str(REPO / "tests" / "schemas" / "task-subset.xsd"))
UPDATE = os.environ.get("WSLPP_UPDATE_GOLDEN") == "1"


def example_inventories() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


def rewrite(golden: Path, actual: dict[str, bytes], expected: dict[str, bytes]) -> None:
    """WSLPP_UPDATE_GOLDEN=1: write the rendered files (never the static ones), then fail."""
    shutil.rmtree(golden, ignore_errors=True)
    for name, data in actual.items():
        (golden / name).parent.mkdir(parents=True, exist_ok=True)
        (golden / name).write_bytes(data)
    changed = sorted(n for n in actual.keys() | expected.keys() if actual.get(n) != expected.get(n))
    pytest.fail(f"rewrote the golden files of {golden.name} ({len(changed)} changed: "
                f"{', '.join(changed)}); review the diff, then run again without WSLPP_UPDATE_GOLDEN")


@pytest.mark.parametrize("inventory", example_inventories(), ids=lambda p: p.stem)
def test_examples_match_the_golden_files(inventory: Path) -> None:
    """tests/golden holds what is rendered per server and per fleet; the static files are the
    repository's (test below), and each golden manifest.json lists their SHA-256 as recomputed
    from runtime/."""
    model = load_inventory(inventory)
    bundles = {**render_inventory(model), FLEET: render_fleet(model)}
    golden = GOLDEN / inventory.stem
    output = {f"{server}/{name}": data for server, files in bundles.items() for name, data in files.items()}
    actual = rendered_only(output)
    expected = tree(golden) if golden.is_dir() else {}
    if UPDATE and actual != expected:
        rewrite(golden, actual, expected)
    whole = full_output(golden)   # refuses a stale static copy and a manifest that disagrees
    assert sorted(actual) == sorted(expected), "run with WSLPP_UPDATE_GOLDEN=1 to accept new output"
    for name, data in actual.items():
        assert data == expected[name], f"{name} differs"
    assert whole == dict(sorted(output.items()))


def test_a_golden_manifest_with_a_wrong_static_hash_fails(tmp_path: Path) -> None:
    """The static files are not in tests/golden; their hashes in the golden manifests are checked
    against runtime/ (and a stale copy of a static file in tests/golden is refused)."""
    golden = tree(GOLDEN / "inventory")
    assert manifest_problems(golden) == []
    manifest = json.loads(golden["WEB-01/manifest.json"])
    name = "WslPortProxy/Private/Watch.ps1"
    manifest["files"][name] = hashlib.sha256(b"an older Watch.ps1").hexdigest()
    planted = {**golden, "WEB-01/manifest.json": json.dumps(manifest).encode()}
    assert manifest_problems(planted) == [
        f"WEB-01/manifest.json: {name} has SHA-256 {manifest['files'][name]}, the file has "
        f"{hashlib.sha256((REPO / 'runtime' / name).read_bytes()).hexdigest()}"]
    runtime = tmp_path / "runtime"  # a module file changed, the golden manifests not updated
    shutil.copytree(REPO / "runtime", runtime, ignore=shutil.ignore_patterns("__pycache__"))
    (runtime / name).write_bytes((runtime / name).read_bytes() + b"# one more line\n")
    assert [problem.split(":")[0] for problem in manifest_problems(golden, runtime)] == [
        "WEB-01/manifest.json", "_fleet/manifest.json"]
    assert stale_copies({**golden, f"_fleet/{name}": b"old"}) == [f"_fleet/{name}"]


OTHER = """\
defaults: {start: logon, install_dir: 'D:\\Tools\\Wsl Port Proxy', recheck_every: 0, podman_machine: false}
servers:
  - {name: APP-7, distro: Ubuntu-22.04, run_as: '.\\O''Brien',
     ports: ["3000-3002", {listen: 8080, connect: 80}]}
  - {name: APP-8, ports: [22]}
"""


def test_static_files_are_the_repository_files_byte_for_byte(write_inventory: Write) -> None:
    """The module and entry scripts are copied, never rendered: the same bytes for every server of
    every inventory, so a release can sign them once."""
    repo = static_files(REPO / "runtime")
    assert set(repo) >= {"WslPortProxy/WslPortProxy.psd1", "WslPortProxy/WslPortProxy.psm1",
                         "Update-WslPortProxy.ps1", "Install-WslPortProxy.ps1", "Uninstall-WslPortProxy.ps1"}
    first = render_inventory(load_inventory(EXAMPLES / "inventory.yaml"))
    second = render_inventory(load_inventory(write_inventory(OTHER)))
    for files in (*first.values(), *second.values()):
        assert {name: files[name] for name in repo} == repo
        assert set(files) - set(repo) == {"WslPortProxy.Settings.psd1", "WslPortProxy.xml", "README.txt",
                                          "manifest.json"}


def test_a_signature_block_is_copied_byte_for_byte(tmp_path: Path) -> None:
    """Signing only runs on Windows; here a synthetic Authenticode block must survive the copy."""
    root = tmp_path / "runtime"
    shutil.copytree(REPO / "runtime", root, ignore=shutil.ignore_patterns("__pycache__"))
    signed = root / "WslPortProxy" / "Private" / "Wsl.ps1"
    block = (b"\r\n# SIG # Begin signature block\r\n# MIIFuwYJKoZIhvcNAQcCoIIFrDCC\r\n"
             b"# SIG # End signature block\r\n")
    signed.write_bytes(signed.read_bytes() + block)
    assert static_files(root)["WslPortProxy/Private/Wsl.ps1"] == signed.read_bytes()


def test_static_files_are_ascii_with_lf_line_ends() -> None:
    """Windows PowerShell 5.1 reads BOM-less files as ANSI: pure ASCII reads the same in every code
    page. .gitattributes keeps git from converting them, so a signed file stays signed."""
    for name, data in static_files(REPO / "runtime").items():
        assert data.isascii(), name
        assert b"\r" not in data, name
        assert data.endswith(b"\n"), name


def test_the_module_manifest_matches_the_package_and_its_folder() -> None:
    text = (REPO / "runtime" / "WslPortProxy" / "WslPortProxy.psd1").read_text("ascii")
    def listed(key: str) -> list[str]:
        match = re.search(rf"{key}\s*=\s*@\((.*?)\)", text, re.S)
        assert match, key
        return re.findall(r"'([^']+)'", match.group(1))

    version = re.search(r"ModuleVersion\s*=\s*'([^']+)'", text)
    assert version and version.group(1) == __version__
    module = REPO / "runtime" / "WslPortProxy"
    files = {p.relative_to(module).as_posix() for p in module.rglob("*") if p.is_file()}
    assert {name.replace("\\", "/") for name in listed("FileList")} == files
    assert sorted(listed("FunctionsToExport")) == sorted(p.stem for p in (module / "Public").glob("*.ps1"))


def bundle(write_inventory: Write, text: str) -> dict[str, bytes]:
    inventory = load_inventory(write_inventory(text))
    files: dict[str, bytes] = render_server(inventory.servers[0])
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


def test_the_action_runs_the_installed_script_hidden_with_file_last(write_inventory: Write) -> None:
    # -WindowStyle Hidden: a logon task runs in the account's session, where closing a visible console
    # window would end the watcher; -File must be last (about_PowerShell_exe), so it comes before.
    for text in (BOOT, LOGON):
        exec_ = task_xml(bundle(write_inventory, text)).find("t:Actions/t:Exec", NS)
        assert exec_ is not None
        assert exec_.findtext("t:Command", namespaces=NS) == (
            "%SystemRoot%\\System32\\WindowsPowerShell\\v1.0\\powershell.exe")
    exec_ = task_xml(bundle(write_inventory, BOOT)).find("t:Actions/t:Exec", NS)
    assert exec_ is not None
    assert exec_.findtext("t:Arguments", namespaces=NS) == (
        '-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass '
        '-File "%ProgramFiles%\\Wsl Proxy\\Update-WslPortProxy.ps1" -Watch')
    logon = task_xml(bundle(write_inventory, LOGON)).findtext("t:Actions/t:Exec/t:Arguments", namespaces=NS)
    assert logon is not None
    assert logon.startswith("-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File ")
    assert logon.endswith('\\Update-WslPortProxy.ps1" -Watch')


def test_no_principal_is_ever_system(write_inventory: Write) -> None:
    for text in (BOOT, LOGON):
        xml = bundle(write_inventory, text)["WslPortProxy.xml"].decode("utf-16")
        assert "S-1-5-18" not in xml
        assert not re.search(r"<UserId>(NT AUTHORITY\\)?SYSTEM</UserId>", xml, re.I)
        assert "Password</" not in xml.replace("<LogonType>Password</LogonType>", "")


def test_rendered_text_files_are_utf8_with_bom_and_crlf(write_inventory: Write) -> None:
    for name in ("WslPortProxy.Settings.psd1", "README.txt"):
        data = bundle(write_inventory, BOOT)[name]
        assert data.startswith(b"\xef\xbb\xbf"), name
        text = data[3:].decode("utf-8")
        assert "\n" not in text.replace("\r\n", ""), name


def test_json_and_yaml_inventories_render_the_same(write_inventory: Write) -> None:
    yaml_bundle = bundle(write_inventory, LOGON)
    json_path = write_inventory('{"servers": [{"name": "WEB-01", "start": "logon", '
                                '"recheck_every": 0, "ports": [80]}]}', "inventory.json")
    inventory = load_inventory(json_path)
    json_bundle = render_server(inventory.servers[0])
    assert json_bundle == yaml_bundle


def test_the_fleet_lists_its_servers_as_json(write_inventory: Write) -> None:
    """Publish-WslPortProxy reads the servers with ConvertFrom-Json (Import-PowerShellDataFile
    refuses data past 5,000 syntax nodes, about 700 servers): ASCII, LF, no BOM, sorted by name."""
    model = load_inventory(write_inventory(OTHER, name="fl\u00f6t 'x'.yaml"))
    data = render_fleet(model)["WslPortProxy.Fleet.json"]
    assert data.isascii() and b"\r" not in data and data.startswith(b"{\n")
    fleet = json.loads(data)
    assert fleet.pop("Comment").startswith("The servers for Publish-WslPortProxy")
    assert fleet == {
        "SchemaVersion": 1, "Generator": f"wsl-portproxy {__version__}",
        "Servers": [{"Name": name, "InstallDirectory": "D:\\Tools\\Wsl Port Proxy", "Start": "logon"}
                    for name in ("APP-7", "APP-8")]}


def test_the_manifest_lists_the_sha256_of_every_other_file(write_inventory: Write) -> None:
    files = bundle(write_inventory, BOOT)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["generator"] == "wsl-portproxy"
    assert manifest["server"] == "WEB-01"
    assert manifest["files"] == {name: hashlib.sha256(data).hexdigest()
                                 for name, data in files.items()}
