"""Step 4b: the fleet folder (``_fleet``) beside the server bundles, for the whole inventory.

It holds what Ansible and PowerShell remoting run to push every bundle: an Ansible inventory
of the servers and the same servers as JSON for the remoting script (both rendered), the
playbooks and the installer snippets they call, the remoting script Deploy-WslPortProxy.ps1
with its own copy of the module (static, byte for byte), and a manifest.json like a bundle's.
The servers are JSON, not PowerShell data: Import-PowerShellDataFile refuses data past 5,000
syntax nodes (about 700 servers), and Windows PowerShell 5.1 has no -SkipLimitCheck. A server
name can never be ``_fleet`` (names are letters, digits and hyphens), so the folder never
clashes with a bundle.
"""

from __future__ import annotations

from pathlib import Path

from . import __version__, manifest
from .model import Inventory
from .render import MODULE, static_files
from .templating import make_environment, runtime_dir

FLEET = "_fleet"
# Static files, copied byte for byte (LF: Ansible and YAML do not care, PowerShell neither).
STATIC = ("site.yml", "uninstall.yml", "files/install-bundle.ps1", "files/uninstall-bundle.ps1",
          "Deploy-WslPortProxy.ps1")
# Rendered, UTF-8 without BOM and LF: the Ansible inventory (for yamllint) and the servers as
# JSON for Publish-WslPortProxy (JSON has no BOM; json_str writes ASCII only).
RENDERED = {"inventory.yml": "fleet/inventory.yml.j2",
            "WslPortProxy.Fleet.json": "fleet/WslPortProxy.Fleet.json.j2"}


def fleet_static_files(root: Path) -> dict[str, bytes]:
    """The fleet folder's static files under ``root`` (the runtime folder), and the module."""
    files = {name: (root / "fleet" / name).read_bytes() for name in STATIC}
    files.update({name: data for name, data in static_files(root).items()
                  if name.startswith(f"{MODULE}/")})
    return files


def render_fleet(inventory: Inventory) -> dict[str, bytes]:
    """The fleet folder's files (name -> bytes), plus its manifest.json; always every server.
    Like a bundle, never the inventory's file name or folder (renaming it changes nothing)."""
    env = make_environment()
    context = {
        "version": __version__,
        "servers": sorted(inventory.servers, key=lambda s: s.name.lower()),
    }
    files = fleet_static_files(runtime_dir())
    for name, template in RENDERED.items():
        files[name] = env.get_template(template).render(context).replace("\r\n", "\n").encode("utf-8")
    digests = {name: manifest.digest(data) for name, data in files.items()}
    files[manifest.MANIFEST] = manifest.build(FLEET, digests)
    return files
