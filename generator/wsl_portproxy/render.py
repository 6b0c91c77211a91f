"""Step 4: one server's bundle (file name -> exact bytes) from the model.

A bundle is the static ``WslPortProxy`` module and entry scripts, copied byte for byte (the same
for every server, so a release can sign them once), plus three per-server files rendered from
templates: the settings (data, read with ``Import-PowerShellDataFile``), the task XML and
README.txt; and manifest.json with the SHA-256 of every file.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from . import __version__, manifest
from .model import Inventory, Server
from .templating import make_environment, runtime_dir

MODULE = "WslPortProxy"
ENTRY_SCRIPTS = ("Update-WslPortProxy.ps1", "Install-WslPortProxy.ps1", "Uninstall-WslPortProxy.ps1")
SETTINGS = "WslPortProxy.Settings.psd1"
SETTINGS_SCHEMA_VERSION = 4
# How long the module lets one call of a program run before it ends it (settings CommandTimeoutSeconds):
# wsl.exe can hang for good (microsoft/WSL#4144); podman machine start boots a VM.
COMMAND_TIMEOUT_SECONDS = {"Wsl": 120, "Podman": 300, "Netsh": 60}
TASK = {"name": "WslPortProxy", "path": "\\WslPortProxy\\"}
# Per-server file -> (template, encoding). Windows PowerShell 5.1 reads BOM-less text as ANSI;
# schtasks /XML wants UTF-16 with a BOM. Every rendered file uses CRLF.
RENDERED = {
    SETTINGS: ("WslPortProxy.Settings.psd1.j2", "utf-8-sig"),
    "WslPortProxy.xml": ("WslPortProxy.xml.j2", "utf-16"),
    "README.txt": ("README.txt.j2", "utf-8-sig"),
}


def static_files(root: Path) -> dict[str, bytes]:
    """The module's files and the entry scripts under ``root``, named as in the bundle."""
    files = {name: (root / name).read_bytes() for name in ENTRY_SCRIPTS}
    module = root / MODULE
    for path in sorted(module.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


@functools.lru_cache(maxsize=1)
def _static() -> tuple[dict[str, bytes], dict[str, str]]:
    """Read and hashed once per process: every bundle gets the same bytes."""
    files = static_files(runtime_dir())
    return files, {name: manifest.digest(data) for name, data in files.items()}


def server_context(server: Server) -> dict[str, Any]:
    """What the per-server templates see. Never the inventory's file name or folder: a bundle
    (and so its manifest) must not change when only the inventory file is renamed or moved."""
    return {
        "version": __version__,
        "schema_version": SETTINGS_SCHEMA_VERSION,
        "command_timeouts": COMMAND_TIMEOUT_SECONDS,
        "server": server,
        "install_dir": server.install_dir,
        "task": TASK,
    }


def encode(text: str, encoding: str) -> bytes:
    """CRLF line ends, then the file's encoding with its byte-order mark."""
    if text.count("\n") != text.count("\r\n"):  # templates render CRLF; values hold no breaks
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(encoding)


def render_server(server: Server) -> dict[str, bytes]:
    """The bundle's files, plus manifest.json with the SHA-256 of each."""
    env = make_environment()
    context = server_context(server)
    static, digests = _static()
    files = dict(static)
    digests = dict(digests)
    for name, (template, encoding) in RENDERED.items():
        files[name] = encode(env.get_template(template).render(context), encoding)
        digests[name] = manifest.digest(files[name])
    files[manifest.MANIFEST] = manifest.build(server.name, digests)
    return files


def render_inventory(inventory: Inventory) -> dict[str, dict[str, bytes]]:
    """Server name -> its bundle."""
    return {s.name: render_server(s) for s in inventory.servers}
