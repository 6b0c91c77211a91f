"""Every error and warning of the catalog, each with its exact text, place and exit code, with and
without --strict; docs/inventory.md's reference is the catalog's own table."""

from __future__ import annotations

import contextlib
import io
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from wsl_portproxy import constraints
from wsl_portproxy.cli import main
from wsl_portproxy.messages import CATALOG, WARNING, reference, severity

from .conftest import REPO
from .helpers import Write, tree


def server(body: str, ports: str = "[80]") -> str:
    return f"servers:\n  - name: WEB-01\n{body}    ports: {ports}\n"


def port(entry: str) -> str:
    return server("", f"[{entry}]")


BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8))
ADDRESSES = ", ".join(f"10.0.0.{i}" for i in range(constraints.MAX_ALLOW_FROM + 1))
# code -> (file name, content, the expected message after "<kind>: <file>: ")
CASES: dict[str, tuple[str, str | bytes, str]] = {
    "file-unreadable": ("folder.yaml", "", "(top level): cannot read the file: Is a directory"),
    "file-too-large": ("big.yaml", b"#" * (constraints.MAX_FILE_BYTES + 1),
                       "(top level): the file is 2,097,153 bytes; at most 2,097,152 are read (an "
                       "inventory of 10,000 servers is about 1 MB)"),
    "file-utf16": ("inv.yaml", "servers: []\n".encode("utf-16"),
                   "(top level): UTF-16 text: save it as UTF-8 (Windows PowerShell 5.1's '>' writes "
                   "UTF-16; use Set-Content -Encoding utf8)"),
    "file-not-utf8": ("inv.yaml", b"servers:\n  - name: caf\xe9\n",
                      "(top level): the file is not UTF-8 text (byte 0xe9 at offset 22)"),
    "file-empty": ("inv.yaml", "# nothing yet\n",
                   "(top level): the file is empty: expected a mapping with 'servers'"),
    "json-syntax": ("inv.json", '{"servers": [}\n',
                    "(top level) (line 1): JSON syntax error: Expecting value"),
    "yaml-character": ("inv.yaml", "servers: [\x07]\n", "(top level): YAML error: character "
                       "U+0007 at offset 10 is not allowed in YAML"),
    "yaml-tab": ("inv.yaml", "servers:\n\t- name: WEB-01\n",
                 "(top level) (line 2): tab character used for indentation: YAML needs spaces"),
    "yaml-syntax": ("inv.yaml", "servers: [80\n", "(top level) (line 2): YAML syntax error: did not "
                    "find expected ',' or ']'"),
    "yaml-too-many-values": ("inv.yaml", BOMB, "(top level): the document holds more than "
                             "400,000 values, counting every use of a YAML alias (10,000 servers "
                             "of 10 ports hold 170,000)"),
    "auto-ports-invalid": ("inv.yaml", server("    auto_ports: podman\n"),
                           "servers[0].auto_ports (line 3): 'podman' is not a mapping: write "
                           "{from: podman, allow: [\"80\", \"8000-8999\"]}"),
    "auto-ports-key": ("inv.yaml", server("    auto_ports: {from: podman, allow: [80], ports: [1]}\n"),
                       "servers[0].auto_ports (line 3): 'ports' is not a key of auto_ports (from, "
                       "allow)"),
    "auto-from-invalid": ("inv.yaml", server("    auto_ports: {from: containerd, allow: [80]}\n"),
                          "servers[0].auto_ports (line 3): from 'containerd' is not an engine: "
                          "write podman or docker"),
    "auto-allow-empty": ("inv.yaml", server("    auto_ports: {from: podman, allow: []}\n"),
                         "servers[0].auto_ports (line 3): allow must be a non-empty list of ports "
                         "and ranges: nothing outside it is ever forwarded"),
    "auto-allow-too-many": ("inv.yaml", server("    auto_ports: {from: podman, allow: ["
                                               + ", ".join(str(8000 + i) for i in range(21))
                                               + "]}\n"),
                            "servers[0].auto_ports (line 3): allow has 21 entries; at most 20 are "
                            "allowed (use ranges such as \"8000-8999\")"),
    "auto-allow-system-port": ("inv.yaml", server("    auto_ports: {from: podman, allow: "
                                                  "['3000-3999']}\n"),
                               "servers[0].auto_ports (line 3): allow '3000-3999' holds port "
                               "3389, RDP (Remote Desktop), which Windows itself needs: a "
                               "container publishing it must never be forwarded; leave that "
                               "port out of the range"),
    "auto-podman-needs-machine": ("inv.yaml", server("    distro: Ubuntu\n    auto_ports: {from: "
                                                     "podman, allow: [80]}\n"),
                                  "servers[0].auto_ports (line 4): auto_ports from podman needs "
                                  "podman_machine: true (podman is asked through the machine's "
                                  "connection)"),
    "auto-docker-in-machine": ("inv.yaml", server("    auto_ports: {from: docker, allow: [80]}\n"),
                               "servers[0].auto_ports (line 3): auto_ports from docker needs a "
                               "distribution that is not a podman machine (podman_machine: "
                               "false); for a podman machine write from: podman"),
    "too-deep": ("inv.yaml", "servers: " + "[" * 25 + "]" * 25 + "\n",
                 "(top level): values nested more than 20 levels deep; an inventory needs 6"),
    "yaml-escape-unknown": ("inv.yaml", server('    run_as: "CORP\\svc"\n'),
                            "servers[0].run_as (line 3): \"CORP\\svc\" is double-quoted, so YAML "
                            "reads its backslashes as escapes and cannot read them all: \\s (line "
                            "3, column 18) is not an escape; write 'CORP\\svc' (in single quotes "
                            "every backslash stays as typed)"),
    "yaml-double-quoted": ("inv.yaml", server('    install_dir: "D:\\tools\\new"\n'),
                           "servers[0].install_dir (line 3): \"D:\\tools\\new\" is double-quoted, "
                           "so YAML read its backslashes as escapes: \\t (line 3, column 21) is "
                           "read as '<tab>', \\n (line 3, column 27) is read as '<newline>'; write "
                           "'D:\\tools\\new' (in single quotes every backslash stays as typed)"),
    "duplicate-key": ("inv.yaml", "servers: []\nservers: []\n",
                      "(top level) (line 2): duplicate key 'servers'"),
    "not-a-mapping": ("inv.yaml", "- a\n- b\n", "(top level): must be a mapping of keys "
                      "(defaults, servers), got ['a', 'b']"),
    "unknown-key-close": ("inv.yaml", server("    distor: Ubuntu\n"), "servers[0].distor (line 3): "
                          "unknown key 'distor'; did you mean 'distro'?"),
    "unknown-key": ("inv.yaml", "servers: [{name: A, ports: [80]}]\ncolour: blue\n",
                    "colour (line 2): unknown key 'colour'; known keys: defaults, servers"),
    "missing-key": ("inv.yaml", "defaults: {}\n",
                    "(top level): missing required key 'servers'"),
    "servers-not-list": ("inv.yaml", "servers: WEB-01\n",
                         "servers (line 1): must be a non-empty list of servers"),
    "server-duplicate": ("inv.yaml", "servers:\n  - {name: WEB-01, ports: [80]}\n"
                         "  - {name: web-01, ports: [80]}\n", "servers[1].name (line 3): server "
                         "name 'web-01' is already used by servers[0] (names are compared "
                         "case-insensitively)"),
    "read-as-other": ("inv.yaml", "servers:\n  - name: 01\n    ports: [80]\n",
                      "servers[0].name (line 2): must be text, but YAML read 01 as the number 1: "
                      "quote it ('01')"),
    "not-text": ("inv.json", json.dumps({"servers": [{"name": 1, "ports": [80]}]}),
                 "servers[0].name: must be text, got 1"),
    "name-invalid": ("inv.yaml", "servers:\n  - name: WEB_01\n    ports: [80]\n",
                     "servers[0].name (line 2): 'WEB_01' is not a valid Windows computer name: use "
                     "1-15 letters, digits and hyphens (not only digits, no leading or trailing "
                     "hyphen, not a device name such as CON)"),
    "distro-invalid": ("inv.yaml", server("    distro: 'my distro'\n"), "servers[0].distro "
                       "(line 3): 'my distro' is not a WSL distribution name: use letters, "
                       "digits, '.', '_' and '-' (at most 64)"),
    "run-as-service": ("inv.yaml", server("    run_as: NT AUTHORITY\\Network Service\n"),
                       "servers[0].run_as (line 3): NETWORK SERVICE cannot own a WSL "
                       "distribution: distributions are registered per user, so the task must "
                       "run as the user account that owns the distro ('NT AUTHORITY\\Network "
                       "Service' is that built-in service account)"),
    "run-as-group": ("inv.yaml", server("    run_as: BUILTIN\\Administrators\n"),
                     "servers[0].run_as (line 3): 'BUILTIN\\Administrators' is a group: a task "
                     "runs as one user account; name the user that owns the distro"),
    "run-as-too-long": ("inv.yaml", server("    run_as: CORP\\svc-podman-container-host\n"),
                        "servers[0].run_as (line 3): 'CORP\\svc-podman-container-host': user part "
                        "longer than 20 characters (25); Windows account names have at most 20 "
                        "(write a longer one as user@domain.tld)"),
    "run-as-unqualified": ("inv.yaml", server("    run_as: svc-podman\n"),
                           "servers[0].run_as (line 3): 'svc-podman' has no domain: write "
                           "DOMAIN\\svc-podman for a domain account or .\\svc-podman for a local "
                           "one"),
    "run-as-form": ("inv.yaml", server("    run_as: 'CORP\\a:b'\n"), "servers[0].run_as (line 3): "
                    "'CORP\\a:b' is not a Windows account name: write DOMAIN\\user, .\\user or "
                    "user@domain.tld (no \" / [ ] : ; | = , + * ? < > and no control characters)"),
    "start-invalid": ("inv.yaml", server("    start: reboot\n"), "servers[0].start (line 3): "
                      "'reboot' must be 'boot' (before anyone logs on) or 'logon'"),
    "not-boolean": ("inv.yaml", server("    keep_alive: maybe\n"), "servers[0].keep_alive "
                    "(line 3): must be true or false, got 'maybe'"),
    "not-ip-address": ("inv.yaml", server("    listen_address: lan\n"), "servers[0].listen_address "
                       "(line 3): 'lan' is not an IP address: write 0.0.0.0 (every IPv4 address), "
                       ":: (every IPv6 address) or one of this server's, e.g. 192.168.0.12"),
    "listen-unreachable": ("inv.yaml", server("    listen_address: 224.0.0.1\n"),
                           "servers[0].listen_address (line 3): '224.0.0.1' is a multicast "
                           "address: LAN clients cannot reach it; use 0.0.0.0, :: or one of this "
                           "server's unicast addresses"),
    "duration-invalid": ("inv.yaml", server("    wait_for_wsl: forever\n"), "servers[0]."
                         "wait_for_wsl (line 3): 'forever' is not a duration: write e.g. 90s, 5m, "
                         "1h30m or a number of seconds"),
    "duration-range": ("inv.yaml", server("    recheck_every: 30s\n"), "servers[0].recheck_every "
                       "(line 3): '30s' must be between 1m and 24h (0 turns it off)"),
    "duration-bare-number": ("inv.yaml", server("    recheck_every: 5\n"), "servers[0]."
                             "recheck_every (line 3): 5 means 5 seconds (a bare number means "
                             "seconds); the minimum is 1m (0 turns it off)"),
    "keep-alive-needs-recheck": ("inv.yaml", server("    keep_alive: false\n    recheck_every: 0\n"),
                                 "servers[0] (line 2): keep_alive: false needs recheck_every "
                                 "above 0: without the keep-alive process, the periodic re-check "
                                 "is what notices a WSL restart"),
    "install-dir-invalid": ("inv.yaml", server("    install_dir: '%TEMP%\\x'\n"), "servers[0]."
                            "install_dir (line 3): '%TEMP%\\x' is not an absolute folder: start "
                            "with %ProgramData%, %ProgramFiles%, %SystemDrive% or a drive letter, "
                            "then folder names of letters, digits, spaces and . _ ( ) - (no '..', "
                            "no other variables)"),
    "install-dir-outside-protected-root": (
        "inv.yaml", server("    install_dir: '%SystemDrive%\\Tools\\WslPortProxy'\n"),
        "servers[0].install_dir (line 3): '%SystemDrive%\\Tools\\WslPortProxy' is outside "
        "%ProgramData% and %ProgramFiles%: the installer refuses it unless every folder above it "
        "can be renamed, deleted or re-permissioned by administrators only (a folder made under a "
        "drive's root lets every user change it)"),
    "metrics-file-invalid": ("inv.yaml", server("    metrics_file: 'C:\\metrics\\wsl.txt'\n"),
                             "servers[0].metrics_file (line 3): 'C:\\metrics\\wsl.txt' is not a "
                             ".prom file path: start with %ProgramData%, %ProgramFiles%, "
                             "%SystemDrive% or a drive letter, then folder names, and end with a "
                             "file name ending in .prom (windows_exporter reads only .prom files), "
                             "e.g. %ProgramFiles%\\windows_exporter\\textfile_inputs\\"
                             "wsl-portproxy.prom"),
    "profiles-invalid": ("inv.yaml", server("    firewall: {profiles: []}\n"), "servers[0]."
                         "firewall.profiles (line 3): must be a non-empty list of Domain, "
                         "Private, Public or Any"),
    "profile-invalid": ("inv.yaml", server("    firewall: {profiles: [Work]}\n"), "servers[0]."
                        "firewall.profiles (line 3): 'Work' is not a firewall profile: use "
                        "Domain, Private, Public or Any"),
    "profiles-any-alone": ("inv.yaml", server("    firewall: {profiles: [Any, Public]}\n"),
                           "servers[0].firewall.profiles (line 3): 'Any' already covers every "
                           "profile: list it alone"),
    "allow-from-not-list": ("inv.yaml", server("    firewall: {allow_from: LocalSubnet}\n"),
                            "servers[0].firewall.allow_from (line 3): must be a list of "
                            "addresses, CIDRs or keywords, got 'LocalSubnet'"),
    "allow-from-too-many": ("inv.yaml", server(f"    firewall: {{allow_from: [{ADDRESSES}]}}\n"),
                            "servers[0].firewall.allow_from (line 3): has 21 entries; at most 20 "
                            "are allowed (use CIDR networks or ranges to cover more addresses)"),
    "remote-invalid": ("inv.yaml", server("    firewall: {allow_from: [everyone]}\n"),
                       "servers[0].firewall.allow_from (line 3): 'everyone' is not an address, "
                       "CIDR network (10.0.0.0/8), range (10.0.0.1-10.0.0.9) or firewall keyword "
                       "(Any, DHCP, DNS, DefaultGateway, Internet, Intranet, "
                       "IntranetRemoteAccess, LocalSubnet, PlayToDevice, WINS)"),
    "allow-from-any-mixed": ("inv.yaml", port("{listen: 81, allow_from: [Any, 10.0.0.1]}"),
                             "servers[0].ports[0].allow_from (line 3): 'Any' already allows every "
                             "address: list it alone, or drop it"),
    "allow-from-duplicate": ("inv.yaml", server("    firewall:\n      allow_from:\n"
                                                "        - 10.0.0.0/8\n        - 10.1.2.3/8\n"),
                             "servers[0].firewall.allow_from[1] (line 6): '10.1.2.3/8' is listed "
                             "twice (as servers[0].firewall.allow_from[0]); the duplicate is "
                             "ignored"),
    "allow-from-ipv6": ("inv.yaml", port("{listen: 82, allow_from: ['2001:db8::/32']}"),
                        "servers[0].ports[0] (line 3): allow_from '2001:db8::/32' is IPv6 and can "
                        "never match on the IPv4 listener 0.0.0.0:82: IPv6 clients come in on an "
                        "IPv6 listener (listen_address: '::')"),
    "allow-from-ipv4": ("inv.yaml", port("{listen: 82, listen_address: '::', allow_from: "
                                         "[10.0.0.0/8]}"),
                        "servers[0].ports[0] (line 3): allow_from '10.0.0.0/8' is IPv4 and can "
                        "never match on the IPv6 listener [::]:82: IPv4 clients come in on an "
                        "IPv4 listener (listen_address: 0.0.0.0)"),
    "open-to-any-network": ("inv.yaml", server("    firewall: {allow_from: [Any], profiles: "
                                               "[Domain, Public]}\n"),
                            "servers[0].ports[0] (line 4): 0.0.0.0:80 is open to any address on "
                            "the Public profile: anyone on any network this server joins can "
                            "connect"),
    "ports-empty": ("inv.yaml", server("", "[]"), "servers[0].ports (line 3): must be a non-empty "
                    "list of ports: nothing to forward"),
    "ports-too-many-entries": ("inv.yaml", server("", str(list(range(10000, 10101)))),
                               "servers[0].ports (line 3): has 101 entries; at most 100 are "
                               "allowed per server (use ranges such as \"9000-9010\" for runs of "
                               "ports)"),
    "ports-too-many": ("inv.yaml", port('"10000-10999", "20000-20001"'), "servers[0].ports "
                       "(line 3): forwards 1,002 ports; at most 1,000 are allowed per server "
                       "(each is a portproxy rule that IP Helper listens on)"),
    "port-outside": ("inv.yaml", port("70000"), "servers[0].ports[0] (line 3): port 70000 is "
                     "outside 1-65535"),
    "port-outside-in": ("inv.yaml", port('"80:70000"'), "servers[0].ports[0] (line 3): port 70000 "
                        "in '80:70000' is outside 1-65535"),
    "port-invalid": ("inv.yaml", port("http"), "servers[0].ports[0] (line 3): 'http' is not a port "
                     "or range: write 80, \"8443:443\", \"9000-9010\" or {listen: 5432, connect: "
                     "5432}"),
    "port-protocol-first": ("inv.yaml", port('"tcp/80"'), "servers[0].ports[0] (line 3): 'tcp/80': "
                            "the protocol goes after the port: write 80/tcp"),
    "port-not-tcp": ("inv.yaml", port('"53/udp"'), "servers[0].ports[0] (line 3): '53/udp': "
                     "portproxy forwards TCP only, '/udp' cannot be forwarded"),
    "range-reversed": ("inv.yaml", port('"9010-9000"'), "servers[0].ports[0] (line 3): range "
                       "'9010-9000' is reversed: write 9000-9010"),
    "range-lengths-differ": ("inv.yaml", port('"9000-9010:100-101"'), "servers[0].ports[0] "
                             "(line 3): '9000-9010:100-101': listen and connect ranges differ in "
                             "length"),
    "mapping-needs-listen": ("inv.yaml", port("{connect: 80}"), "servers[0].ports[0] (line 3): a "
                             "port mapping needs 'listen'"),
    "port-overlap": ("inv.yaml", port('"9000-9010", 9005'), "servers[0].ports[1] (line 3): listen "
                     "0.0.0.0:9005 is already forwarded by servers[0].ports[0] "
                     "(0.0.0.0:9000-9010)"),
    "system-port": ("inv.yaml", port('"3000-3400"'), "servers[0].ports[0] (line 3): port 3389 is "
                    "RDP (Remote Desktop), which Windows itself needs on a server: a rule would "
                    "cut off remote administration or never bind; if you mean it, write {listen: "
                    "3389, allow_system_port: true}"),
}


def _run(tmp_path: Path, name: str, content: str | bytes, *args: str
         ) -> tuple[int, Path, list[str], list[str]]:
    path = tmp_path / name
    if name == "folder.yaml":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    capture = tmp_path / "capture"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, str(path), "-o", str(capture)] if args[0] == "generate"
                    else [*args, str(path)])
    return code, path, out.getvalue().splitlines(), err.getvalue().splitlines()


def test_every_message_has_a_case() -> None:
    assert sorted(CASES) == sorted(CATALOG)


@pytest.mark.parametrize("strict", [False, True], ids=["plain", "strict"])
@pytest.mark.parametrize("code", CATALOG)
def test_each_message_exactly(tmp_path: Path, code: str, strict: bool) -> None:
    name, content, expected = CASES[code]
    status, path, _, err = _run(tmp_path, name, content, "validate", *(["--strict"] if strict else []))
    kind = "error" if strict else severity(code)
    assert f"{kind}: {path}: {expected}" in err
    assert status == (0 if kind == WARNING else 1)


@pytest.mark.parametrize("code", [c for c in CATALOG if severity(c) == WARNING])
def test_strict_turns_each_warning_into_an_error_and_writes_nothing(tmp_path: Path,
                                                                  code: str) -> None:
    name, content, expected = CASES[code]
    status, path, out, err = _run(tmp_path, name, content, "generate", "--strict")
    assert (status, out, err) == (1, [], [f"error: {path}: {expected}"])
    assert not (tmp_path / "capture").exists()
    status, _, out, err = _run(tmp_path, name, content, "generate")
    assert status == 0 and err == [f"warning: {path}: {expected}"]
    assert tree(tmp_path / "capture")


def test_the_inventory_reference_lists_the_catalog() -> None:
    page = (REPO / "docs" / "inventory.md").read_text(encoding="utf-8")
    start = page.index("<!-- messages: start -->\n") + len("<!-- messages: start -->\n")
    assert page[start:page.index("<!-- messages: end -->")] == reference(), (
        "docs/inventory.md's error and warning reference differs from the catalog: paste "
        "wsl_portproxy.messages.reference() between the markers")


def test_an_accepted_system_port_and_valid_inventory_pass(write_inventory: Write) -> None:
    path = write_inventory(port("{listen: 3389, allow_system_port: true}, 8080"))
    assert main(["validate", "--strict", str(path)]) == 0


TEN_PORTS = ", ".join(map(str, range(10000, 10010)))
LARGEST = "servers:\n" + "".join(f"  - {{name: S{i:05d}, ports: [{TEN_PORTS}]}}\n" for i in range(10000))


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.parametrize(("content", "code"), [
    (BOMB, "yaml-too-many-values"), ("servers: [" + "1," * 1_040_000 + "]\n", "yaml-too-many-values"),
    ("#" * (constraints.MAX_FILE_BYTES + 1), "file-too-large"), (LARGEST, None)],
    ids=["alias-bomb", "dense-file-under-the-size-limit", "file-over-the-size-limit", "10000-servers"])
def test_a_bomb_or_a_huge_file_costs_under_2_cpu_s_and_200_mb(tmp_path: Path, content: str,
                                                               code: str | None) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(content, encoding="utf-8")

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (200 * 2**20, 200 * 2**20))

    # CPU seconds the generator spent, not wall-clock: what a bomb costs is work, and a loaded CI
    # machine stretches the wall clock (the timeout still catches a hang).
    before = _children_cpu_seconds()
    run = subprocess.run([sys.executable, "-m", "wsl_portproxy", "validate", str(path)],
                         capture_output=True, text=True, preexec_fn=limit_memory, timeout=60,
                         check=False)
    spent = _children_cpu_seconds() - before
    assert run.returncode == (1 if code else 0), run.stderr
    if code:
        assert run.stderr == f"error: {path}: {CASES[code][2]}\n"
        assert spent < 2
