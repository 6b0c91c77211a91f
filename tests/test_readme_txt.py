"""README.txt, what the Windows admin gets: it tells how to pause the watcher around wsl --shutdown
and wsl --update, installs unattended without a prompt, and names only parameters the scripts have."""

from __future__ import annotations

import re

import pytest

from wsl_portproxy.api import load_inventory
from wsl_portproxy.render import render_server

from .conftest import REPO
from .helpers import Write

BOOT = """\
servers:
  - {name: WEB-01, run_as: 'CORP\\svc-podman', start: boot, ports: [80]}
"""
LOGON = "servers:\n  - {name: WEB-01, start: logon, ports: [80]}\n"
COMMON = {"WhatIf", "Confirm", "Verbose", "Debug", "ErrorAction", "InformationAction", "WarningAction"}


def readme(write_inventory: Write, text: str) -> list[str]:
    server = load_inventory(write_inventory(text)).servers[0]
    return render_server(server)["README.txt"].decode("utf-8-sig").split("\r\n")


def parameters(script: str) -> set[str]:
    """The parameter names of an entry script's param() block."""
    text = (REPO / "runtime" / script).read_text("utf-8")
    block = text[text.index("\nparam(") + 1:text.index("\n)\n")]
    return set(re.findall(r"\$([A-Za-z]+)\s*(?:=[^,\n]*)?,?\s*(?:\n|\[|$)", block)) | COMMON


@pytest.mark.parametrize("inventory", [BOOT, LOGON], ids=["boot", "logon"])
def test_readme_txt_tells_how_to_pause_around_a_wsl_shutdown_or_update(write_inventory: Write,
                                                                        inventory: str) -> None:
    lines = readme(write_inventory, inventory)
    text = "\n".join(lines)
    missing = [word for word in ("-Pause", "-Resume", "wsl --shutdown", "wsl --update") if word not in text]
    assert not missing, f"README.txt never mentions {', '.join(missing)}"
    script = '"$env:ProgramData\\WslPortProxy\\Update-WslPortProxy.ps1"'   # the default install_dir
    pause = [n for n, line in enumerate(lines) if line.strip().startswith(f"& {script} -Pause")]
    resume = [n for n, line in enumerate(lines) if line.strip().startswith(f"& {script} -Resume")]
    shutdown = [n for n, line in enumerate(lines) if line.strip().startswith("wsl --shutdown")]
    assert pause and resume and shutdown, "README.txt shows -Pause, wsl --shutdown, -Resume in that order"
    assert pause[0] < shutdown[0] < resume[0]


@pytest.mark.parametrize("inventory", [BOOT, LOGON], ids=["boot", "logon"])
def test_readme_txt_names_only_parameters_the_entry_scripts_have(write_inventory: Write,
                                                                 inventory: str) -> None:
    lines = readme(write_inventory, inventory)
    for script in ("Install-WslPortProxy.ps1", "Update-WslPortProxy.ps1", "Uninstall-WslPortProxy.ps1"):
        known = parameters(script)
        for line in lines:
            if script in line and not line.strip().startswith("Get-Help"):
                after = re.sub(r"\([^()]*\)", "", line.split(script, 1)[1])   # not (Import-Clixml ...)
                for name in re.findall(r"(?:^|\s)-([A-Za-z]+)", after):
                    assert name in known, f"{script} has no -{name}: {line.strip()}"


def test_the_unattended_install_does_not_prompt(write_inventory: Write) -> None:
    lines = readme(write_inventory, BOOT)
    text = "\n".join(lines)
    assert "Get-Credential" not in text, "Get-Credential prompts: no unattended example may use it"
    start = next(n for n, line in enumerate(lines) if line.strip().startswith("Unattended"))
    block = lines[start:lines.index("", start)]
    installs = [line.strip() for line in block if line.strip().startswith(".\\Install-WslPortProxy.ps1")]
    assert installs, "the unattended paragraph shows the installer's command line"
    for line in installs:
        assert "-Password (" in line or "-Credential (" in line, line
        assert not re.search(r"Get-Credential|Read-Host", line), f"prompts: {line}"


@pytest.mark.parametrize("inventory", [BOOT, LOGON], ids=["boot", "logon"])
def test_readme_txt_unblocks_the_files_before_the_install(write_inventory: Write, inventory: str) -> None:
    lines = readme(write_inventory, inventory)
    unblock = next(n for n, line in enumerate(lines) if "Get-ChildItem -Recurse | Unblock-File" in line)
    install = next(n for n, line in enumerate(lines) if line.startswith("Install ("))
    assert unblock < install
