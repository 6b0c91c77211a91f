"""Every error and warning an inventory can get: one table, used by the validators and printed
as the reference in docs/inventory.md (tests/test_messages.py checks both, and tests each message exactly).

A template's ``{value}`` is the offending value as ``show`` prints it; other fields are named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import constraints as limits

ERROR, WARNING = "error", "warning"
_PORTS = f"{limits.PORT_MIN}-{limits.PORT_MAX}"
_FIELD = re.compile(r"\{(\w+)[^}]*\}")
_VISIBLE = {"\t": "<tab>", "\n": "<newline>", "\r": "<CR>"}


def visible(text: str) -> str:
    """``text`` with control and other non-printable characters as ``<tab>``, ``<U+0085>``...

    Never as backslash escapes: a value that holds a real tab must not look like one where the
    user typed a backslash and a ``t``, and a typed backslash is shown once, as typed.
    """
    return "".join(ch if ch.isprintable() else _VISIBLE.get(ch, f"<U+{ord(ch):04X}>")
                   for ch in text)


def show(value: Any) -> str:
    """A value as a message shows it: text quoted (long text shortened), YAML words for the rest."""
    if isinstance(value, str):
        text = visible(value)
        return f"'{text}'" if len(text) <= 60 else f"'{text[:57]}...'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    shown = visible(repr(value))
    return shown if len(shown) <= 60 else shown[:57] + "..."


@dataclass(frozen=True)
class Message:
    severity: str
    template: str


def _e(template: str) -> Message:
    return Message(ERROR, template)


def _w(template: str) -> Message:
    return Message(WARNING, template)


CATALOG: dict[str, Message] = {
    # --- the file -------------------------------------------------------------------------
    "file-unreadable": _e("cannot read the file: {reason}"),
    "file-too-large": _e("the file is {size:,} bytes; at most {limit:,} are read (an inventory "
                         "of 10,000 servers is about 1 MB)"),
    "file-utf16": _e("UTF-16 text: save it as UTF-8 (Windows PowerShell 5.1's '>' writes UTF-16; "
                     "use Set-Content -Encoding utf8)"),
    "file-not-utf8": _e("the file is not UTF-8 text (byte 0x{byte:02x} at offset {offset})"),
    "file-empty": _e("the file is empty: expected a mapping with 'servers'"),
    "json-syntax": _e("JSON syntax error: {detail}"),
    "yaml-character": _e("YAML error: character {char} at offset {offset} is not allowed in YAML"),
    "yaml-tab": _e("tab character used for indentation: YAML needs spaces"),
    "yaml-syntax": _e("YAML syntax error: {detail}"),
    "yaml-too-many-values": _e("the document holds more than {limit:,} values, counting every "
                               "use of a YAML alias (10,000 servers of 10 ports hold 170,000)"),
    "too-deep": _e("values nested more than {limit} levels deep; an inventory needs 6"),
    "yaml-escape-unknown": _e("{typed} is double-quoted, so YAML reads its backslashes as "
                              "escapes and cannot read them all: {escapes}; write {fixed} (in "
                              "single quotes every backslash stays as typed)"),
    "yaml-double-quoted": _e("{typed} is double-quoted, so YAML read its backslashes as escapes: "
                             "{escapes}; write {fixed} (in single quotes every backslash stays as "
                             "typed)"),
    "duplicate-key": _e("duplicate key '{key}'"),
    # --- structure ------------------------------------------------------------------------
    "not-a-mapping": _e("must be a mapping of keys ({keys}), got {value}"),
    "unknown-key-close": _e("unknown key '{key}'; did you mean '{close}'?"),
    "unknown-key": _e("unknown key '{key}'; known keys: {keys}"),
    "missing-key": _e("missing required key '{key}'"),
    "servers-not-list": _e("must be a non-empty list of servers"),
    "server-duplicate": _e("server name {value} is already used by servers[{first}] (names are "
                           "compared case-insensitively)"),
    "read-as-other": _e("must be text, but YAML read {typed} as {kind}: quote it ('{typed}')"),
    "not-text": _e("must be text, got {value}"),
    # --- server settings ------------------------------------------------------------------
    "name-invalid": _e("{value} is not a valid Windows computer name: use 1-15 letters, digits "
                       "and hyphens (not only digits, no leading or trailing hyphen, not a device "
                       "name such as CON)"),
    "distro-invalid": _e("{value} is not a WSL distribution name: use letters, digits, '.', '_' "
                         "and '-' (at most 64)"),
    "run-as-service": _e("{account} cannot own a WSL distribution: distributions are registered "
                         "per user, so the task must run as the user account that owns the "
                         "distro ({value} is that built-in service account)"),
    "run-as-group": _e("{value} is a group: a task runs as one user account; name the user that "
                       "owns the distro"),
    "run-as-too-long": _e("{value}: user part longer than 20 characters ({length}); Windows "
                          "account names have at most 20 (write a longer one as user@domain.tld)"),
    "run-as-unqualified": _e("{value} has no domain: write DOMAIN\\{user} for a domain account or "
                             ".\\{user} for a local one"),
    "run-as-form": _e("{value} is not a Windows account name: write DOMAIN\\user, .\\user or "
                      "user@domain.tld (no \" / [ ] : ; | = , + * ? < > and no control "
                      "characters)"),
    "start-invalid": _e("{value} must be 'boot' (before anyone logs on) or 'logon'"),
    "not-boolean": _e("must be true or false, got {value}"),
    "not-ip-address": _e("{value} is not an IP address: write 0.0.0.0 (every IPv4 address), :: "
                         "(every IPv6 address) or one of this server's, e.g. 192.168.0.12"),
    "listen-unreachable": _e("{value} is {kind}: LAN clients cannot reach it; use 0.0.0.0, :: or "
                             "one of this server's unicast addresses"),
    "duration-invalid": _e("{value} is not a duration: write e.g. 90s, 5m, 1h30m or a number of "
                           "seconds"),
    "duration-range": _e("{value} must be between {low} and {high}{extra}"),
    "duration-bare-number": _e("{value} means {value} seconds (a bare number means seconds); "
                               "the minimum is {low}{extra}"),
    "keep-alive-needs-recheck": _e("keep_alive: false needs recheck_every above 0: without the "
                                   "keep-alive process, the periodic re-check is what notices a "
                                   "WSL restart"),
    "install-dir-invalid": _e("{value} is not an absolute folder: start with %ProgramData%, "
                              "%ProgramFiles%, %SystemDrive% or a drive letter, then folder names "
                              "of letters, digits, spaces and . _ ( ) - (no '..', no other "
                              "variables)"),
    "install-dir-outside-protected-root": _w("{value} is outside %ProgramData% and %ProgramFiles%: "
                                             "the installer refuses it unless every folder above "
                                             "it can be renamed, deleted or re-permissioned by "
                                             "administrators only (a folder made under a drive's "
                                             "root lets every user change it)"),
    "metrics-file-invalid": _e("{value} is not a .prom file path: start with %ProgramData%, "
                               "%ProgramFiles%, %SystemDrive% or a drive letter, then folder "
                               "names, and end with a file name ending in .prom (windows_exporter "
                               "reads only .prom files), e.g. %ProgramFiles%\\windows_exporter\\"
                               "textfile_inputs\\wsl-portproxy.prom"),
    # --- firewall -------------------------------------------------------------------------
    "profiles-invalid": _e("must be a non-empty list of Domain, Private, Public or Any"),
    "profile-invalid": _e("{value} is not a firewall profile: use Domain, Private, Public or Any"),
    "profiles-any-alone": _e("'Any' already covers every profile: list it alone"),
    "allow-from-not-list": _e("must be a list of addresses, CIDRs or keywords, got {value}"),
    "allow-from-too-many": _e("has {count} entries; at most {limit} are allowed (use CIDR "
                              "networks or ranges to cover more addresses)"),
    "remote-invalid": _e("{value} is not an address, CIDR network (10.0.0.0/8), range "
                         "(10.0.0.1-10.0.0.9) or firewall keyword ({keywords})"),
    "allow-from-any-mixed": _e("'Any' already allows every address: list it alone, or drop it"),
    "allow-from-duplicate": _w("{value} is listed twice (as {first}); the duplicate is ignored"),
    "allow-from-ipv6": _e("allow_from {value} is IPv6 and can never match on the IPv4 listener "
                          "{listener}: IPv6 clients come in on an IPv6 listener (listen_address: "
                          "'::')"),
    "allow-from-ipv4": _e("allow_from {value} is IPv4 and can never match on the IPv6 listener "
                          "{listener}: IPv4 clients come in on an IPv4 listener (listen_address: "
                          "0.0.0.0)"),
    "open-to-any-network": _w("{listener} is open to any address on the Public profile: anyone "
                              "on any network this server joins can connect"),
    # --- ports ----------------------------------------------------------------------------
    "ports-empty": _e("must be a non-empty list of ports: nothing to forward"),
    "ports-too-many-entries": _e("has {count} entries; at most {limit} are allowed per server "
                                 "(use ranges such as \"9000-9010\" for runs of ports)"),
    "ports-too-many": _e("forwards {count:,} ports; at most {limit:,} are allowed per server "
                         "(each is a portproxy rule that IP Helper listens on)"),
    "port-outside": _e(f"port {{port}} is outside {_PORTS}"),
    "port-outside-in": _e(f"port {{port}} in {{value}} is outside {_PORTS}"),
    "port-invalid": _e("{value} is not a port or range: write 80, \"8443:443\", \"9000-9010\" or "
                       "{{listen: 5432, connect: 5432}}"),
    "port-protocol-first": _e("{value}: the protocol goes after the port: write {fixed}"),
    "port-not-tcp": _e("{value}: portproxy forwards TCP only, '/{protocol}' cannot be forwarded"),
    "range-reversed": _e("range {value} is reversed: write {last}-{first}"),
    "range-lengths-differ": _e("{value}: listen and connect ranges differ in length"),
    "mapping-needs-listen": _e("a port mapping needs 'listen'"),
    "port-overlap": _e("listen {listener} is already forwarded by {other} ({other_listener})"),
    # --- auto_ports -----------------------------------------------------------------------
    "auto-ports-invalid": _e("{value} is not a mapping: write {{from: podman, allow: [\"80\", "
                             "\"8000-8999\"]}}"),
    "auto-ports-key": _e("{key} is not a key of auto_ports (from, allow)"),
    "auto-from-invalid": _e("from {value} is not an engine: write podman or docker"),
    "auto-allow-empty": _e("allow must be a non-empty list of ports and ranges: nothing outside "
                           "it is ever forwarded"),
    "auto-allow-too-many": _e("allow has {count} entries; at most {limit} are allowed "
                              "(use ranges such as \"8000-8999\")"),
    "auto-allow-system-port": _e("allow {value} holds port {port}, {service}, which Windows "
                                 "itself needs: a container publishing it must never be "
                                 "forwarded; leave that port out of the range"),
    "auto-podman-needs-machine": _e("auto_ports from podman needs podman_machine: true (podman "
                                    "is asked through the machine's connection)"),
    "auto-docker-in-machine": _e("auto_ports from docker needs a distribution that is not a "
                                 "podman machine (podman_machine: false); for a podman machine "
                                 "write from: podman"),
    "system-port": _e("port {port} is {service}, which Windows itself needs on a server: a rule "
                      "would cut off remote administration or never bind; if you mean it, write "
                      "{{listen: {port}, allow_system_port: true}}"),
}

# Ports Windows itself listens on (Microsoft Docs, "Service overview and network port
# requirements for Windows"): forwarding one breaks the service or never binds.
SYSTEM_PORTS: dict[int, str] = {
    135: "RPC (endpoint mapper)", 137: "NetBIOS name service", 138: "NetBIOS datagram service",
    139: "NetBIOS session service", 445: "SMB (file sharing)", 3389: "RDP (Remote Desktop)",
    5985: "WinRM (HTTP)", 5986: "WinRM (HTTPS)", 47001: "WinRM (listener of the WinRM service)",
}


def text(code: str, **fields: Any) -> str:
    """The message ``code`` with its fields filled in."""
    return CATALOG[code].template.format(**fields)


def severity(code: str) -> str:
    return CATALOG[code].severity


def reference() -> str:
    """docs/inventory.md's table of every error and warning (between its markers)."""
    rows = ["| code | kind | message |", "| --- | --- | --- |"]
    for code, message in CATALOG.items():
        shown = message.template.replace("{{", "\0").replace("}}", "\1")
        shown = _FIELD.sub(lambda m: f"<{m.group(1)}>", shown)
        cell = shown.replace("\0", "{").replace("\1", "}").replace("|", "\\|")
        rows.append(f"| `{code}` | {message.severity} | `{cell}` |")
    return "\n".join(rows) + "\n"
