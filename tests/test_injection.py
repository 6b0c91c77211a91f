"""No inventory value becomes code: each field either refuses a hostile value or carries it inertly.

Decision per field (docs/inventory.md, "How values reach the generated files"): run_as accepts what Windows
account names may contain (so quotes, $, backticks, % and Unicode quotes) and is escaped in
every context; it reaches PowerShell only in the settings data file, as a single-quoted literal.
Every other string field is constrained so strictly that none of these values is accepted. The
Pester suite (e2e/Injection.Tests.ps1) runs the bundles of the accepted values.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from wsl_portproxy.api import load_inventory
from wsl_portproxy.errors import PortProxyError
from wsl_portproxy.render import render_server

from .conftest import REPO
from .helpers import Write

HOSTILE = {v["id"]: v["value"] for v in
           json.loads((REPO / "tests" / "hostile-values.json").read_text("utf-8"))["values"]}
RUN_AS_ACCEPTED = {"single-quote", "quote-breakout", "subexpression", "braced-variable",
                   "backtick", "percent-var", "unicode-quotes", "unicode-dash", "ampersand"}
NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def _server(field: str, value: str) -> dict[str, object]:
    server: dict[str, object] = {"name": "WEB-01", "ports": [80]}
    if field == "install_dir":
        server[field] = "%ProgramData%\\" + value
    elif field == "allow_from":
        server["firewall"] = {"allow_from": [value]}
    elif field == "run_as":
        server[field] = "CORP\\" + value
    else:
        server[field] = value
    return server


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
@pytest.mark.parametrize("field", ["name", "distro", "install_dir", "listen_address",
                                   "allow_from", "run_as"])
def test_hostile_values_are_refused_or_carried_inertly(write_inventory: Write, field: str,
                                                       hostile: str) -> None:
    # JSON, so that every character arrives in the inventory exactly as written.
    path = write_inventory(json.dumps({"servers": [_server(field, HOSTILE[hostile])]}), "inv.json")
    accepted = field == "run_as" and hostile in RUN_AS_ACCEPTED
    if not accepted:
        with pytest.raises(PortProxyError) as info:
            load_inventory(path)
        where = "firewall.allow_from" if field == "allow_from" else field
        assert any(f"servers[0].{where}" in line for line in info.value.lines())
        return
    inventory = load_inventory(path)
    value = "CORP\\" + HOSTILE[hostile]
    assert inventory.servers[0].run_as == value
    files = render_server(inventory.servers[0])
    xml = files["WslPortProxy.xml"].decode("utf-16")
    root = ET.fromstring(xml.split("\r\n", 1)[1])
    assert root.findtext("t:Principals/t:Principal/t:UserId", namespaces=NS) == value
    assert root.findtext("t:Triggers/t:LogonTrigger/t:UserId", namespaces=NS) == value
    assert value in files["README.txt"].decode("utf-8-sig")
    literal = "'" + re.sub("(['\u2018\u2019\u201a\u201b])", r"\1\1", value) + "'"
    settings = files["WslPortProxy.Settings.psd1"].decode("utf-8-sig")
    assert f"\r\n    RunAs             = {literal}\r\n" in settings
    # Everything else a server runs is static: the value reaches the module only as data.
    assert all(value not in data.decode("ascii") for name, data in files.items() if name.endswith(".ps1"))
