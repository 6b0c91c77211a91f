"""A JSON Schema of the inventory, for editors (``wsl-portproxy schema``).

It states the structure: keys, types, ranges and patterns. The checks that need the whole
document (duplicate names and ports, reversed ranges, service accounts) stay in validate.py;
tests/test_json_schema.py proves the two agree on what they both can judge.
"""

from __future__ import annotations

from typing import Any

from . import constraints as limits

SCHEMA_FILE = "wsl-portproxy.schema.json"
_DURATION = rf"^\s*{limits.DURATION}\s*$"
_TCP = r"(/[Tt][Cc][Pp])?"
_PORT_TEXT = rf"^\s*{limits.PORT_RANGE}(:{limits.PORT_RANGE})?{_TCP}\s*$"
_RANGE_TEXT = rf"^\s*{limits.PORT_RANGE}{_TCP}\s*$"
# JSON Schema cannot call ipaddress: this is the dotted-quad form IPv4Address accepts, and the
# characters of an IPv6 address (at least one colon; no zone index); ipaddress judges the rest.
_IPV4 = r"^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$"
_LISTEN = {"type": "string", "anyOf": [{"pattern": _IPV4},
                                       {"pattern": r"^[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*$"}]}
_PORT_NUMBER = {"type": "integer", "minimum": limits.PORT_MIN, "maximum": limits.PORT_MAX}
_ALLOW_FROM = {"type": "array", "maxItems": limits.MAX_ALLOW_FROM,
               "items": {"type": "string", "minLength": 1}}


def _any_case_words(*words: str) -> str:
    """Alternatives matching the words in any letter case (ECMA regexes have no (?i))."""
    return "|".join("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in w)
                    for w in words)


def _any_case(*words: str) -> str:
    return "^(" + _any_case_words(*words) + ")$"


def _duration(description: str, maximum: int) -> dict[str, Any]:
    return {"description": description, "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": maximum},
        {"type": "string", "pattern": _DURATION, "minLength": 1}]}


def _port_value() -> dict[str, Any]:
    return {"anyOf": [_PORT_NUMBER, {"type": "string", "pattern": _RANGE_TEXT}]}


def _install_dir() -> str:
    roots = _any_case_words(*(f"%{root}%" for root in limits.INSTALL_ROOTS))
    return rf"^({roots}|{limits.DRIVE})(\\{limits.FOLDER_NAME})+\\?$"


def _metrics_file() -> str:
    folder = _install_dir().removesuffix(r"\\?$")
    return folder.replace(r"(\\" + limits.FOLDER_NAME + ")+", r"(\\" + limits.FOLDER_NAME + ")*") \
        + r"\\" + limits.PROM_FILE_NAME + "$"


def _port() -> dict[str, Any]:
    mapping = {
        "type": "object", "additionalProperties": False, "required": ["listen"],
        "properties": {
            "listen": _port_value(), "connect": _port_value(),
            "listen_address": _LISTEN,
            "allow_from": _ALLOW_FROM,
            "allow_system_port": {"type": "boolean", "description": "forward a port Windows "
                                  "itself needs (RDP, SMB, WinRM, ...) anyway"},
        },
    }
    return {"description": "80, \"8443:443\", \"9000-9010\" or {listen, connect, listen_address, "
                           "allow_from}; TCP only",
            "anyOf": [_PORT_NUMBER, {"type": "string", "pattern": _PORT_TEXT}, mapping]}


def _settings() -> dict[str, Any]:
    return {
        "distro": {"type": "string", "pattern": f"^{limits.DISTRO_NAME}$",
                   "description": "WSL distribution to forward to (default podman-machine-default)"},
        "run_as": {"type": "string", "minLength": 1,
                   "description": "owner of the distro: DOMAIN\\user, .\\user or user@domain.tld; "
                                  "never SYSTEM or a group (default: the admin who runs the "
                                  "installer)"},
        "start": {"type": "string", "pattern": _any_case(*limits.START_WORDS),
                  "description": "boot (before anyone logs on) or logon (default boot)"},
        "listen_address": {**_LISTEN,
                           "description": "address Windows listens on: 0.0.0.0 (every IPv4), :: "
                                          "(every IPv6) or one of the server's (default 0.0.0.0)"},
        "podman_machine": {"type": "boolean",
                           "description": "start the podman machine first (default: true for "
                                          "podman-machine-* distros)"},
        "keep_alive": {"type": "boolean", "description": "keep WSL up with one keep-alive process "
                                                         "(default true)"},
        "wait_for_wsl": _duration("how long to wait for an IPv4 on eth0: 90, 90s, 5m (1s-1h)",
                                  limits.WAIT_FOR_WSL[1]),
        "recheck_every": _duration("re-check period, 0 = off (1m-24h, default 5m)",
                                   limits.RECHECK_EVERY[1]),
        "install_dir": {"type": "string", "pattern": _install_dir(),
                        "description": "default %ProgramData%\\WslPortProxy"},
        "metrics_file": {"anyOf": [{"type": "null"},
                                   {"type": "string", "pattern": _metrics_file()}],
                         "description": "Prometheus textfile for windows_exporter, written after "
                                        "every reconcile (default null = off)"},
        "firewall": {"type": "object", "additionalProperties": False, "properties": {
            "allow_from": {**_ALLOW_FROM,
                           "description": "addresses, CIDRs, ranges or keywords; [] = no rule"},
            "profiles": {"type": "array", "minItems": 1, "items": {
                "type": "string", "pattern": _any_case(*limits.PROFILES)}},
        }},
        "ports": {"type": "array", "minItems": 1, "maxItems": limits.MAX_PORT_ENTRIES,
                  "items": _port()},
        "auto_ports": {"anyOf": [{"type": "null"}, _auto_ports()],
                       "description": "forward what containers publish, inside the allow-list "
                                      "(default null = off)"},
    }


def _auto_ports() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": list(limits.AUTO_KEYS),
            "properties": {
                "from": {"enum": list(limits.AUTO_ENGINES)},
                "allow": {"type": "array", "minItems": 1, "maxItems": limits.MAX_AUTO_ALLOW,
                          "items": _port_value()}}}


def inventory_schema() -> dict[str, Any]:
    settings = _settings()
    server = {"type": "object", "additionalProperties": False, "required": ["name"],
              "properties": {"name": {"type": "string", "pattern": f"^{limits.COMPUTER_NAME}$",
                                      "description": "Windows computer name; output folder"},
                             **settings}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "wsl-portproxy inventory",
        "type": "object", "additionalProperties": False, "required": ["servers"],
        "properties": {
            "defaults": {"type": "object", "additionalProperties": False,
                         "properties": settings},
            "servers": {"type": "array", "minItems": 1, "items": server},
        },
    }
