"""Every rejection of the inventory contract, with its exact message, path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from wsl_portproxy.api import load_inventory
from wsl_portproxy.errors import PortProxyError

from .helpers import Write


def errors_of(path: Path) -> list[str]:
    with pytest.raises(PortProxyError) as info:
        load_inventory(path)
    assert info.value.exit_code == 1
    prefix = f"error: {path}: "
    assert all(line.startswith(prefix) for line in info.value.lines())
    return [line[len(prefix):] for line in info.value.lines()]


def one_server(ports: str, extra: str = "") -> str:
    return f"servers:\n  - name: WEB-01\n{extra}    ports: {ports}\n"


@pytest.mark.parametrize(
    ("ports", "message"),
    [
        ("[70000]", "servers[0].ports[0] (line 3): port 70000 is outside 1-65535"),
        ("[0]", "servers[0].ports[0] (line 3): port 0 is outside 1-65535"),
        ('["80:70000"]', "servers[0].ports[0] (line 3): port 70000 in '80:70000' is outside 1-65535"),
        ('["9010-9000"]', "servers[0].ports[0] (line 3): range '9010-9000' is reversed: write 9000-9010"),
        ('["80-"]', "servers[0].ports[0] (line 3): '80-' is not a port or range: write 80, \"8443:443\", "
                    "\"9000-9010\" or {listen: 5432, connect: 5432}"),
        ('["http"]', "servers[0].ports[0] (line 3): 'http' is not a port or range: write 80, \"8443:443\", "
                     "\"9000-9010\" or {listen: 5432, connect: 5432}"),
        ('["53/udp"]', "servers[0].ports[0] (line 3): '53/udp': portproxy forwards TCP only, '/udp' "
                       "cannot be forwarded"),
        ('["udp/53"]', "servers[0].ports[0] (line 3): 'udp/53': portproxy forwards TCP only, '/udp' "
                       "cannot be forwarded"),
        ('["TCP/8080"]', "servers[0].ports[0] (line 3): 'TCP/8080': the protocol goes after the port: "
                         "write 8080/tcp"),
        ('["9000-9010:100-101"]', "servers[0].ports[0] (line 3): '9000-9010:100-101': listen and "
                                  "connect ranges differ in length"),
        ("[true]", "servers[0].ports[0] (line 3): true is not a port or range: write 80, \"8443:443\", "
                   "\"9000-9010\" or {listen: 5432, connect: 5432}"),
        ("[]", "servers[0].ports (line 3): must be a non-empty list of ports: nothing to forward"),
        ("80", "servers[0].ports (line 3): must be a non-empty list of ports: nothing to forward"),
        ("[80, 80]", "servers[0].ports[1] (line 3): listen 0.0.0.0:80 is already forwarded by "
                     "servers[0].ports[0] (0.0.0.0:80)"),
        ('["9000-9010", 9005]', "servers[0].ports[1] (line 3): listen 0.0.0.0:9005 is already "
                                "forwarded by servers[0].ports[0] (0.0.0.0:9000-9010)"),
        ("[{listen: 5432, listen_address: 10.0.0.1}, 5432]",
         "servers[0].ports[1] (line 3): listen 0.0.0.0:5432 is already forwarded by "
         "servers[0].ports[0] (10.0.0.1:5432)"),
        ("[{lisen: 80}]", "servers[0].ports[0] (line 3): a port mapping needs 'listen'"),
        ("[{listen: 80, listen_address: '::1'}]",
         "servers[0].ports[0].listen_address (line 3): '::1' is the loopback address: LAN clients "
         "cannot reach it; use 0.0.0.0, :: or one of this server's unicast addresses"),
        ("[80, {listen: 80, listen_address: '::'}, {listen: 80, listen_address: '2001:db8::12'}]",
         "servers[0].ports[2] (line 3): listen [2001:db8::12]:80 is already forwarded by "
         "servers[0].ports[1] ([::]:80)"),
        ("[{listen: 80, listen_address: '::', allow_from: [192.168.0.0/24, LocalSubnet]}]",
         "servers[0].ports[0] (line 3): allow_from '192.168.0.0/24' is IPv4 and can never match on "
         "the IPv6 listener [::]:80: IPv4 clients come in on an IPv4 listener (listen_address: "
         "0.0.0.0)"),
        ("[{listen: 80, allow_from: [everyone]}]",
         "servers[0].ports[0].allow_from (line 3): 'everyone' is not an address, CIDR network "
         "(10.0.0.0/8), range (10.0.0.1-10.0.0.9) or firewall keyword (Any, DHCP, DNS, "
         "DefaultGateway, Internet, Intranet, IntranetRemoteAccess, LocalSubnet, PlayToDevice, WINS)"),
    ],
)
def test_bad_port_is_rejected(write_inventory: Write, ports: str, message: str) -> None:
    messages = errors_of(write_inventory(one_server(ports)))
    assert message in messages


def test_unknown_key_suggests_the_closest(write_inventory: Write) -> None:
    path = write_inventory(one_server("[{lisen: 80}]"))
    assert errors_of(path) == [
        "servers[0].ports[0] (line 3): a port mapping needs 'listen'",
        "servers[0].ports[0].lisen (line 3): unknown key 'lisen'; did you mean 'listen'?",
    ]


def test_unknown_key_without_a_close_match_lists_the_known_ones(write_inventory: Write) -> None:
    path = write_inventory("servers: []\ncolour: blue\n")
    assert "colour (line 2): unknown key 'colour'; known keys: defaults, servers" in errors_of(path)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    run_as: SYSTEM\n", "servers[0].run_as (line 3): SYSTEM cannot own a WSL distribution: "
         "distributions are registered per user, so the task must run as the user account that "
         "owns the distro ('SYSTEM' is that built-in service account)"),
        ("    run_as: NT AUTHORITY\\LocalSystem\n", None),
        ("    run_as: S-1-5-18\n", None),
        ("    run_as: NT AUTHORITY\\LocalService\n", None),
        ("    run_as: NT AUTHORITY\\NetworkService\n", None),
        ("    run_as: 'CORP\\bad|name'\n", "servers[0].run_as (line 3): 'CORP\\bad|name' is not a "
         "Windows account name: write DOMAIN\\user, .\\user or user@domain.tld (no \" / [ ] : ; | "
         "= , + * ? < > and no control characters)"),
        ("    listen_address: 0.0.0.0.0\n", "servers[0].listen_address (line 3): '0.0.0.0.0' is not "
         "an IP address: write 0.0.0.0 (every IPv4 address), :: (every IPv6 address) or one of "
         "this server's, e.g. 192.168.0.12"),
        ("    listen_address: 'fe80::1%12'\n", "servers[0].listen_address (line 3): 'fe80::1%12' is "
         "an address with a zone index (a portproxy rule cannot hold one): LAN clients cannot "
         "reach it; use 0.0.0.0, :: or one of this server's unicast addresses"),
        ("    start: reboot\n", "servers[0].start (line 3): 'reboot' must be 'boot' (before anyone "
         "logs on) or 'logon'"),
        ("    wait_for_wsl: forever\n", "servers[0].wait_for_wsl (line 3): 'forever' is not a "
         "duration: write e.g. 90s, 5m, 1h30m or a number of seconds"),
        ("    wait_for_wsl: 2h\n", "servers[0].wait_for_wsl (line 3): '2h' must be between 1s and 1h"),
        ("    recheck_every: 30s\n", "servers[0].recheck_every (line 3): '30s' must be between 1m "
         "and 24h (0 turns it off)"),
        ("    podman_machine: maybe\n", "servers[0].podman_machine (line 3): must be true or false, "
         "got 'maybe'"),
        ("    distro: 'my distro'\n", "servers[0].distro (line 3): 'my distro' is not a WSL "
         "distribution name: use letters, digits, '.', '_' and '-' (at most 64)"),
        ("    install_dir: 'C:\\Tools\\..\\Windows'\n", "servers[0].install_dir (line 3): "
         "'C:\\Tools\\..\\Windows' is not an absolute folder: start with %ProgramData%, "
         "%ProgramFiles%, %SystemDrive% or a drive letter, then folder names of letters, digits, "
         "spaces and . _ ( ) - (no '..', no other variables)"),
        ("    install_dir: '%TEMP%\\x'\n", None),
        ("    firewall: {profiles: [Work]}\n", "servers[0].firewall.profiles (line 3): 'Work' is "
         "not a firewall profile: use Domain, Private, Public or Any"),
        ("    firewall: {profiles: []}\n", "servers[0].firewall.profiles (line 3): must be a "
         "non-empty list of Domain, Private, Public or Any"),
        ("    firewall: {allow_from: LocalSubnet}\n", "servers[0].firewall.allow_from (line 3): "
         "must be a list of addresses, CIDRs or keywords, got 'LocalSubnet'"),
        ("    firewall: {alow_from: []}\n", "servers[0].firewall.alow_from (line 3): unknown key "
         "'alow_from'; did you mean 'allow_from'?"),
    ],
)
def test_bad_setting_is_rejected(write_inventory: Write, extra: str, message: str | None) -> None:
    messages = errors_of(write_inventory(one_server("[80]", extra)))
    assert len(messages) == 1
    field = extra.split(":", maxsplit=1)[0].strip()
    assert messages[0].startswith(f"servers[0].{field}")
    if message is not None:
        assert messages == [message]


@pytest.mark.parametrize(
    ("name", "valid"),
    [("WEB-01", True), ("a", True), ("ABCDEFGHIJKLMNO", True), ("ABCDEFGHIJKLMNOP", False),
     ("WEB_01", False), ("web.corp", False), ("-WEB", False), ("WEB-", False), ("12345", False),
     ("CON", False), ("../etc", False), ("..", False), ("", False), ("WEB 01", False)],
)
def test_server_name_must_be_a_windows_computer_name(write_inventory: Write, name: str,
                                                     valid: bool) -> None:
    path = write_inventory(f"servers:\n  - name: '{name}'\n    ports: [80]\n")
    if valid:
        assert load_inventory(path).servers[0].name == name
    else:
        assert errors_of(path) == [
            f"servers[0].name (line 2): {name!r} is not a valid Windows computer name: use 1-15 "
            "letters, digits and hyphens (not only digits, no leading or trailing hyphen, not a "
            "device name such as CON)"]


def test_duplicate_server_names_are_compared_case_insensitively(write_inventory: Write) -> None:
    path = write_inventory("""\
        servers:
          - {name: WEB-01, ports: [80]}
          - {name: web-01, ports: [81]}
        """)
    assert errors_of(path) == ["servers[1].name (line 3): server name 'web-01' is already used "
                               "by servers[0] (names are compared case-insensitively)"]


def test_all_errors_are_reported_in_one_run(write_inventory: Write) -> None:
    path = write_inventory("""\
        defaults:
          start: never
        servers:
          - name: WEB_01
            ports: [70000]
          - name: DB-01
        """)
    assert errors_of(path) == [
        "defaults.start (line 2): 'never' must be 'boot' (before anyone logs on) or 'logon'",
        "servers[0].name (line 4): 'WEB_01' is not a valid Windows computer name: use 1-15 "
        "letters, digits and hyphens (not only digits, no leading or trailing hyphen, not a "
        "device name such as CON)",
        "servers[0].ports[0] (line 5): port 70000 is outside 1-65535",
        "servers[1] (line 6): missing required key 'ports'",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "(top level): the file is empty: expected a mapping with 'servers'"),
        ("# only a comment\n", "(top level): the file is empty: expected a mapping with 'servers'"),
        ("defaults: {}\n", "(top level): missing required key 'servers'"),
        ("servers: []\n", "servers (line 1): must be a non-empty list of servers"),
        ("- a\n- b\n", "(top level): must be a mapping of keys (defaults, servers), got ['a', 'b']"),
        ("servers:\n  - name: WEB-01\n    ports: [80\n",
         "(top level) (line 4): YAML syntax error: did not find expected ',' or ']'"),
        ("servers:\n  - name: A\n    name: B\n    ports: [80]\n",
         "servers[0] (line 3): duplicate key 'name'"),
    ],
)
def test_document_level_problems(write_inventory: Write, content: str, message: str) -> None:
    assert errors_of(write_inventory(content)) == [message]


def test_a_file_that_is_not_utf8_is_rejected(write_inventory: Write) -> None:
    path = write_inventory("servers:\n  - name: CAF\xc9\n".encode("latin-1"))
    assert errors_of(path) == ["(top level): the file is not UTF-8 text (byte 0xc9 at offset 22)"]


def test_json_inventories_are_accepted_and_checked(write_inventory: Write) -> None:
    good = write_inventory('{"servers": [{"name": "WEB-01", "ports": [80]}]}', "inv.json")
    assert load_inventory(good).servers[0].ports[0].listen_first == 80
    bad = write_inventory('{"servers": [{"name": "WEB-01", "ports": [80]}', "bad.json")
    assert errors_of(bad) == ["(top level) (line 1): JSON syntax error: Expecting ',' delimiter"]


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    assert errors_of(tmp_path / "nope.yaml") == [
        "(top level): cannot read the file: No such file or directory"]


@pytest.mark.parametrize(("account", "kind"), [
    ("SYSTEM", "SYSTEM"), ("system", "SYSTEM"), ("LocalSystem", "SYSTEM"), ("Local System", "SYSTEM"),
    ("NT AUTHORITY\\SYSTEM", "SYSTEM"), ("'NT-AUTORIT\u00c4T\\SYSTEM'", "SYSTEM"), (".\\SYSTEM", "SYSTEM"),
    ("S-1-5-18", "SYSTEM"), ("LOCAL SERVICE", "LOCAL SERVICE"),
    ("NT AUTHORITY\\LocalService", "LOCAL SERVICE"), ("S-1-5-19", "LOCAL SERVICE"),
    ("Network Service", "NETWORK SERVICE"),
    ("nt authority\\networkservice", "NETWORK SERVICE"), ("S-1-5-20", "NETWORK SERVICE"),
])
def test_every_spelling_of_a_service_account_gets_the_real_reason(write_inventory: Write, account: str,
                                                                 kind: str) -> None:
    [message] = errors_of(write_inventory(one_server("[80]", f"    run_as: {account}\n")))
    assert message.startswith(f"servers[0].run_as (line 3): {kind} cannot own a WSL distribution: ")


@pytest.mark.parametrize("group", ["BUILTIN\\Administrators", "Administrators", "Users", "Everyone",
                                   "CORP\\Domain Admins", "NT AUTHORITY\\Authenticated Users",
                                   "S-1-5-32-544", "S-1-1-0"])
def test_a_group_is_not_an_account_a_task_can_run_as(write_inventory: Write, group: str) -> None:
    [message] = errors_of(write_inventory(one_server("[80]", f"    run_as: {group}\n")))
    assert message == (f"servers[0].run_as (line 3): '{group}' is a group: a task runs as one user "
                       "account; name the user that owns the distro")


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "a loopback address (and WSL's own localhost relay uses it)"),
    ("127.8.9.10", "a loopback address (and WSL's own localhost relay uses it)"),
    ("239.1.2.3", "a multicast address"), ("255.255.255.255", "the broadcast address"),
    ("0.1.2.3", "in 0.0.0.0/8 ('this network'), which no host has"),
    ("240.0.0.1", "a reserved address (240.0.0.0/4)"),
    ("::1", "the loopback address"), ("ff02::1", "a multicast address"),
    ("fe80::12", "a link-local address (it needs a zone index, which a portproxy rule cannot "
                 "hold)"),
    ("::ffff:10.0.0.1", "an IPv4-mapped address (write 10.0.0.1: an IPv4 listener)"),
])
def test_a_listen_address_lan_clients_cannot_reach_is_refused(write_inventory: Write, address: str,
                                                              kind: str) -> None:
    path = write_inventory(one_server(f"[{{listen: 80, listen_address: '{address}'}}]"))
    assert errors_of(path) == [
        f"servers[0].ports[0].listen_address (line 3): '{address}' is {kind}: LAN clients cannot "
        "reach it; use 0.0.0.0, :: or one of this server's unicast addresses"]


@pytest.mark.parametrize(("address", "normalized"), [
    ("0.0.0.0", "0.0.0.0"), ("192.168.0.12", "192.168.0.12"), ("10.1.2.3", "10.1.2.3"),
    ("169.254.1.1", "169.254.1.1"), ("::", "::"), ("2001:DB8:0:0::12", "2001:db8::12"),
    ("fd00::1", "fd00::1"),
])
def test_every_address_and_unicast_addresses_are_accepted(write_inventory: Write, address: str,
                                                          normalized: str) -> None:
    path = write_inventory(one_server("[80]", f"    listen_address: '{address}'\n"))
    assert load_inventory(path).servers[0].ports[0].listen_address == normalized


@pytest.mark.parametrize("port", [135, 137, 138, 139, 445, 3389, 5985, 5986, 47001])
def test_each_system_port_is_refused_alone_and_in_a_range_unless_allowed(write_inventory: Write,
                                                                          port: int) -> None:
    for entry in (str(port), f'"{port}-{port + 1}"'):
        [message] = errors_of(write_inventory(one_server(f"[{entry}]")))
        assert message.startswith(f"servers[0].ports[0] (line 3): port {port} is ")
    allowed = write_inventory(one_server(f"[{{listen: {port}, allow_system_port: true}}]"))
    assert load_inventory(allowed).servers[0].ports[0].listen_first == port
    assert errors_of(write_inventory(one_server(f"[{{listen: {port}, allow_system_port: false}}]")))


def test_auto_ports_get_the_firewall_checks_of_a_static_port(write_inventory: Write) -> None:
    path = write_inventory("servers:\n  - name: WEB-01\n    listen_address: '::'\n"
                           "    firewall: {allow_from: [10.0.0.0/8]}\n"
                           "    auto_ports: {from: podman, allow: ['8000-8999']}\n")
    assert errors_of(path) == [
        "servers[0].auto_ports (line 5): allow_from '10.0.0.0/8' is IPv4 and can never match on the "
        "IPv6 listener [::]:8000-8999: IPv4 clients come in on an IPv4 listener (listen_address: "
        "0.0.0.0)"]
