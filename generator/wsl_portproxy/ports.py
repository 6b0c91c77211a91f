"""Step 2b: the port entries of an inventory (``80``, ``"8443:443"``, ``"9000-9010"``, mappings)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import constraints as limits
from .fields import FieldError, describe, listen_address, remote_address
from .model import PortMapping

PORT_KEYS = ("listen", "connect", "listen_address", "allow_from")
_RANGE = re.compile(limits.PORT_RANGE)
_PORTS = f"{limits.PORT_MIN}-{limits.PORT_MAX}"


@dataclass(frozen=True)
class PortDefaults:
    listen_address: str
    allow_from: tuple[str, ...]


def _port_number(text: str, value: Any) -> int:
    number = int(text)
    if not limits.PORT_MIN <= number <= limits.PORT_MAX:
        raise FieldError(f"port {number} in {describe(value)} is outside {_PORTS}")
    return number


def parse_range(text: str, value: Any) -> tuple[int, int]:
    """``"80"`` -> (80, 80); ``"9000-9010"`` -> (9000, 9010)."""
    match = _RANGE.fullmatch(text.strip())
    if match is None:
        raise FieldError(f"{describe(value)} is not a port or range: write 80, \"8443:443\", "
                         "\"9000-9010\" or {listen: 5432, connect: 5432}")
    first = _port_number(match.group(1), value)
    last = _port_number(match.group(2), value) if match.group(2) else first
    if last < first:
        raise FieldError(f"range {describe(value)} is reversed: write {last}-{first}")
    return first, last


def _strip_protocol(text: str, value: Any) -> str:
    body, _, proto = text.partition("/")
    if proto and proto.strip().lower() != "tcp":
        raise FieldError(f"{describe(value)}: portproxy forwards TCP only, "
                         f"'/{proto.strip()}' cannot be forwarded")
    return body


def _as_range(value: Any) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        if not limits.PORT_MIN <= value <= limits.PORT_MAX:
            raise FieldError(f"port {value} is outside {_PORTS}")
        return value, value
    if isinstance(value, str):
        return parse_range(_strip_protocol(value, value), value)
    raise FieldError(f"{describe(value)} is not a port or range")


def _build(listen: tuple[int, int], connect: tuple[int, int] | None, address: str,
           allow_from: tuple[str, ...], value: Any) -> PortMapping:
    if connect is None:
        connect = listen
    if connect[1] - connect[0] != listen[1] - listen[0]:
        raise FieldError(f"{describe(value)}: listen and connect ranges differ in length")
    return PortMapping(address, listen[0], listen[1], connect[0], allow_from)


def parse_port(value: Any, defaults: PortDefaults) -> PortMapping:
    """One entry of ``ports`` -> a PortMapping, or FieldError for the entry as a whole."""
    if isinstance(value, dict):
        raise TypeError("use parse_port_mapping for mappings")
    if isinstance(value, str) and ":" in value:
        listen_text, _, connect_text = _strip_protocol(value, value).partition(":")
        listen = parse_range(listen_text, value)
        connect = parse_range(connect_text, value)
        return _build(listen, connect, defaults.listen_address, defaults.allow_from, value)
    return _build(_as_range(value), None, defaults.listen_address, defaults.allow_from, value)


def parse_port_mapping(
    value: dict[str, Any],
    defaults: PortDefaults,
    report: Callable[[str, str], None],
    allow_from: Callable[[Any], tuple[str, ...]],
) -> PortMapping | None:
    """``{listen, connect, listen_address, allow_from}``; each bad key is reported by name."""
    results: dict[str, Any] = {}
    checks: dict[str, Callable[[Any], Any]] = {
        "listen": _as_range, "connect": _as_range,
        "listen_address": listen_address, "allow_from": allow_from,
    }
    for key, check in checks.items():
        if key in value:
            try:
                results[key] = check(value[key])
            except FieldError as exc:
                report(key, str(exc))
    if "listen" not in value:
        report("", "a port mapping needs 'listen'")
    if len(results) != sum(1 for k in checks if k in value) or "listen" not in results:
        return None
    try:
        return _build(results["listen"], results.get("connect"),
                      results.get("listen_address", defaults.listen_address),
                      results.get("allow_from", defaults.allow_from), value)
    except FieldError as exc:
        report("", str(exc))
        return None


def check_remote_addresses(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise FieldError(f"must be a list of addresses, CIDRs or keywords, got {describe(value)}")
    if len(value) > limits.MAX_ALLOW_FROM:
        raise FieldError(f"has {len(value)} entries; at most {limits.MAX_ALLOW_FROM} are allowed "
                         "(use CIDR networks or ranges to cover more addresses)")
    return tuple(remote_address(item) for item in value)
