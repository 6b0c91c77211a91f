"""A JSON Schema of the inventory, for editors (``wsl-portproxy schema``).

It states the structure: keys, types, ranges and patterns. The checks that need the whole
document (duplicate names and ports, reversed ranges, service accounts) stay in validate.py;
tests/test_json_schema.py proves the two agree on what they both can judge.
"""

from __future__ import annotations

from typing import Any

SCHEMA_FILE = "wsl-portproxy.schema.json"
_DURATION = r"^\s*(\d+h)?(\d+m)?(\d+s)?\s*$"
_PORT_TEXT = r"^\s*\d{1,5}(-\d{1,5})?(:\d{1,5}(-\d{1,5})?)?(/[Tt][Cc][Pp])?\s*$"
_RANGE_TEXT = r"^\s*\d{1,5}(-\d{1,5})?(/[Tt][Cc][Pp])?\s*$"
_IPV4 = r"^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$"


def _any_case(*words: str) -> str:
    """A pattern matching any of the words in any letter case (ECMA regexes have no (?i))."""
    alternatives = ("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in w)
                    for w in words)
    return "^(" + "|".join(alternatives) + ")$"


def _duration(description: str, maximum: int) -> dict[str, Any]:
    return {"description": description, "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": maximum},
        {"type": "string", "pattern": _DURATION, "minLength": 1}]}


def _port_value() -> dict[str, Any]:
    return {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535},
                      {"type": "string", "pattern": _RANGE_TEXT}]}


def _port() -> dict[str, Any]:
    mapping = {
        "type": "object", "additionalProperties": False, "required": ["listen"],
        "properties": {
            "listen": _port_value(), "connect": _port_value(),
            "listen_address": {"type": "string", "pattern": _IPV4},
            "allow_from": {"type": "array", "items": {"type": "string", "minLength": 1}},
        },
    }
    return {"description": "80, \"8443:443\", \"9000-9010\" or {listen, connect, listen_address, "
                           "allow_from}; TCP only",
            "anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535},
                      {"type": "string", "pattern": _PORT_TEXT}, mapping]}


def _settings() -> dict[str, Any]:
    return {
        "distro": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
                   "description": "WSL distribution to forward to (default podman-machine-default)"},
        "run_as": {"type": "string", "minLength": 1,
                   "description": "owner of the distro: DOMAIN\\user, .\\user or user@domain; "
                                  "never SYSTEM (default: the admin who runs the installer)"},
        "start": {"type": "string", "pattern": _any_case("boot", "logon"),
                  "description": "boot (before anyone logs on) or logon (default boot)"},
        "listen_address": {"type": "string", "pattern": _IPV4,
                           "description": "IPv4 address Windows listens on (default 0.0.0.0)"},
        "podman_machine": {"type": "boolean",
                           "description": "start the podman machine first (default: true for "
                                          "podman-machine-* distros)"},
        "keep_alive": {"type": "boolean", "description": "keep WSL up with one keep-alive process "
                                                         "(default true)"},
        "wait_for_wsl": _duration("how long to wait for an IPv4 on eth0: 90, 90s, 5m (1s-1h)", 3600),
        "recheck_every": _duration("re-check period, 0 = off (1m-24h, default 5m)", 86400),
        "install_dir": {"type": "string",
                        "pattern": r"^(%[Pp][Rr][Oo][Gg][Rr][Aa][Mm][Dd][Aa][Tt][Aa]%|"
                                   r"%[Pp][Rr][Oo][Gg][Rr][Aa][Mm][Ff][Ii][Ll][Ee][Ss]%|"
                                   r"%[Ss][Yy][Ss][Tt][Ee][Mm][Dd][Rr][Ii][Vv][Ee]%|[A-Za-z]:)"
                                   r"(\\[A-Za-z0-9 ._()-]{1,64})+\\?$",
                        "description": "default %ProgramData%\\WslPortProxy"},
        "firewall": {"type": "object", "additionalProperties": False, "properties": {
            "allow_from": {"type": "array", "items": {"type": "string", "minLength": 1},
                           "description": "addresses, CIDRs, ranges or keywords; [] = no rule"},
            "profiles": {"type": "array", "minItems": 1, "items": {
                "type": "string", "pattern": _any_case("Domain", "Private", "Public", "Any")}},
        }},
        "ports": {"type": "array", "minItems": 1, "items": _port()},
    }


def inventory_schema() -> dict[str, Any]:
    settings = _settings()
    server = {"type": "object", "additionalProperties": False, "required": ["name"],
              "properties": {"name": {"type": "string", "pattern": r"^[A-Za-z0-9-]{1,15}$",
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
