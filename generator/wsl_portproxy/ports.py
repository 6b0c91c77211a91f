"""Step 2b: the port entries of an inventory (``80``, ``"8443:443"``, ``"9000-9010"``, mappings)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import constraints as limits
from .fields import BOOLEAN, FieldError, listen_address, remote_address, schema_check
from .messages import SYSTEM_PORTS, show, text
from .model import PortMapping

PORT_KEYS = ("listen", "connect", "listen_address", "allow_from", "allow_system_port")
_RANGE = re.compile(limits.PORT_RANGE)


@dataclass(frozen=True)
class PortDefaults:
    listen_address: str
    allow_from: tuple[str, ...]


def _port_number(digits: str, value: Any) -> int:
    number = int(digits)
    if not limits.PORT_MIN <= number <= limits.PORT_MAX:
        raise FieldError(text("port-outside-in", port=number, value=show(value)))
    return number


def parse_range(entry: str, value: Any) -> tuple[int, int]:
    """``"80"`` -> (80, 80); ``"9000-9010"`` -> (9000, 9010)."""
    match = _RANGE.fullmatch(entry.strip())
    if match is None:
        raise FieldError(text("port-invalid", value=show(value)))
    first = _port_number(match.group(1), value)
    last = _port_number(match.group(2), value) if match.group(2) else first
    if last < first:
        raise FieldError(text("range-reversed", value=show(value), first=first, last=last))
    return first, last


def _strip_protocol(entry: str, value: Any) -> str:
    body, _, proto = entry.partition("/")
    if proto and body.strip().isalpha():  # "tcp/80", "udp/53": the protocol came first
        body, proto = proto, body
        if proto.strip().lower() == "tcp":
            fixed = f"{body.strip()}/tcp"
            raise FieldError(text("port-protocol-first", value=show(value), fixed=fixed))
    if proto and proto.strip().lower() != "tcp":
        raise FieldError(text("port-not-tcp", value=show(value), protocol=proto.strip()))
    return body


def _as_range(value: Any) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        if not limits.PORT_MIN <= value <= limits.PORT_MAX:
            raise FieldError(text("port-outside", port=value))
        return value, value
    if isinstance(value, str):
        return parse_range(_strip_protocol(value, value), value)
    raise FieldError(text("port-invalid", value=show(value)))


def _build(listen: tuple[int, int], connect: tuple[int, int] | None, address: str,
           allow_from: tuple[str, ...], value: Any) -> PortMapping:
    if connect is None:
        connect = listen
    if connect[1] - connect[0] != listen[1] - listen[0]:
        raise FieldError(text("range-lengths-differ", value=show(value)))
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
        "allow_system_port": schema_check(BOOLEAN),
    }
    for key, check in checks.items():
        if key in value:
            try:
                results[key] = check(value[key])
            except FieldError as exc:
                report(key, str(exc))
    if "listen" not in value:
        report("", text("mapping-needs-listen"))
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
        raise FieldError(text("allow-from-not-list", value=show(value)))
    if len(value) > limits.MAX_ALLOW_FROM:
        raise FieldError(text("allow-from-too-many", count=len(value), limit=limits.MAX_ALLOW_FROM))
    addresses = tuple(remote_address(item) for item in value)
    if "Any" in addresses and len(addresses) > 1:
        raise FieldError(text("allow-from-any-mixed"))
    return addresses


def system_port(mapping: PortMapping) -> str | None:
    """The first port of ``mapping`` that Windows itself listens on, as a message, if any."""
    for port, service in SYSTEM_PORTS.items():
        if mapping.listen_first <= port <= mapping.listen_last:
            return text("system-port", port=port, service=service)
    return None
