"""Step 2c: ``auto_ports``, the allow-list of ports to forward when a container publishes them."""

from __future__ import annotations

from typing import Any

from . import constraints as limits
from .fields import FieldError
from .messages import SYSTEM_PORTS, show, text
from .ports import parse_range

AutoSpec = tuple[str, tuple[tuple[int, int], ...]]


def _allow_entry(value: Any) -> tuple[int, int]:
    """``80``, ``"443"`` or ``"8000-8999"``; never a range that holds a port Windows needs."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise FieldError(text("port-invalid", value=show(value)))
    first, last = parse_range(value, value)
    for port, service in SYSTEM_PORTS.items():
        if first <= port <= last:
            raise FieldError(text("auto-allow-system-port", value=show(value), port=port,
                                  service=service))
    return first, last


def parse_auto_ports(value: Any) -> AutoSpec | None:
    """``{from: podman, allow: ["80", "8000-8999"]}`` -> ("podman", ((80, 80), (8000, 8999)));
    ``null`` (a server turning off what defaults set) -> None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise FieldError(text("auto-ports-invalid", value=show(value)))
    unknown = sorted(str(key) for key in value if key not in limits.AUTO_KEYS)
    if unknown:
        raise FieldError(text("auto-ports-key", key=show(unknown[0])))
    engine = value.get("from")
    if engine not in limits.AUTO_ENGINES:
        raise FieldError(text("auto-from-invalid", value=show(engine)))
    allow = value.get("allow")
    if not isinstance(allow, list) or not allow:
        raise FieldError(text("auto-allow-empty"))
    if len(allow) > limits.MAX_AUTO_ALLOW:
        raise FieldError(text("auto-allow-too-many", count=len(allow), limit=limits.MAX_AUTO_ALLOW))
    return str(engine), tuple(sorted(_allow_entry(item) for item in allow))


def engine_problem(engine: str, podman_machine: bool) -> str | None:
    """podman is asked through the machine's connection; Docker only outside a podman machine."""
    if engine == "podman" and not podman_machine:
        return text("auto-podman-needs-machine")
    if engine == "docker" and podman_machine:
        return text("auto-docker-in-machine")
    return None
