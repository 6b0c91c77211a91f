"""Step 4: render one server's bundle (file name -> exact bytes) from the model."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from . import __version__, manifest
from .errors import printable
from .model import Inventory, PortMapping, Server
from .templating import make_environment

FIREWALL_GROUP = "WSL Port Proxy"
TASK = {"name": "WslPortProxy", "path": "\\WslPortProxy\\"}
FILES = {
    "update_script": "Update-WslPortProxy.ps1",
    "task_xml": "WslPortProxy.xml",
    "install_script": "Install-WslPortProxy.ps1",
    "uninstall_script": "Uninstall-WslPortProxy.ps1",
    "readme": "README.txt",
}
# Bundle file -> (template, encoding). Windows PowerShell 5.1 reads BOM-less scripts as ANSI;
# schtasks /XML wants UTF-16 with a BOM. Everything uses CRLF.
OUTPUTS = {
    FILES["update_script"]: ("Update-WslPortProxy.ps1.j2", "utf-8-sig"),
    FILES["task_xml"]: ("WslPortProxy.xml.j2", "utf-16"),
    FILES["install_script"]: ("Install-WslPortProxy.ps1.j2", "utf-8-sig"),
    FILES["uninstall_script"]: ("Uninstall-WslPortProxy.ps1.j2", "utf-8-sig"),
    FILES["readme"]: ("README.txt.j2", "utf-8-sig"),
}


def _firewall_rule(port: PortMapping) -> dict[str, Any]:
    where = "" if port.listen_address == "0.0.0.0" else f" on {port.listen_address}"
    return {
        "name": port.firewall_rule_name,
        "display_name": f"WSL port proxy: TCP {port.listen_ports}{where} to WSL {port.connect_ports}",
        "local_port": port.listen_ports,
        "local_address": "Any" if port.listen_address == "0.0.0.0" else port.listen_address,
        "remote_address": list(port.allow_from),
    }


def server_context(server: Server, source: str) -> dict[str, Any]:
    rules = [
        {"listen_address": port.listen_address, "listen_port": listen, "connect_port": connect}
        for port in server.ports
        for listen, connect in port.pairs()
    ]
    return {
        "version": __version__,
        "source": printable(PurePath(source).name),
        "server": server,
        "install_dir": server.install_dir,
        "rules": rules,
        "firewall_rules": [_firewall_rule(p) for p in server.ports if p.allow_from],
        "firewall_group": FIREWALL_GROUP,
        "task": TASK,
        "files": FILES,
        "manifest_files": sorted(OUTPUTS),
    }


def encode(text: str, encoding: str) -> bytes:
    """CRLF line ends, then the file's encoding with its byte-order mark."""
    if text.count("\n") != text.count("\r\n"):  # templates render CRLF; values hold no breaks
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(encoding)


def render_server(server: Server, source: str) -> dict[str, bytes]:
    """The bundle's files, plus manifest.json with the SHA-256 of each."""
    env = make_environment()
    context = server_context(server, source)
    files = {
        name: encode(env.get_template(template).render(context), encoding)
        for name, (template, encoding) in OUTPUTS.items()
    }
    files[manifest.MANIFEST] = manifest.build(server.name, files)
    return files


def render_inventory(inventory: Inventory) -> dict[str, dict[str, bytes]]:
    """Server name -> its bundle."""
    return {s.name: render_server(s, inventory.source) for s in inventory.servers}
