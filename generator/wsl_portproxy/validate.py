"""Step 2: check a loaded document against the inventory contract and build the model.

Every problem is collected (not just the first), each with its path and YAML line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import constraints as limits
from . import fields
from .auto_ports import engine_problem, parse_auto_ports
from .collect import Collector
from .errors import PortProxyError, Problem
from .fields import FieldError
from .listeners import check_overlap, listener_checks
from .load import Document, Path_, format_path
from .messages import show, text
from .model import AutoPorts, Inventory, PortMapping, Server
from .ports import (
    PORT_KEYS,
    PortDefaults,
    check_remote_addresses,
    parse_port,
    parse_port_mapping,
    system_port,
)

TOP_KEYS = ("defaults", "servers")
FIREWALL_KEYS = ("allow_from", "profiles")
SETTINGS: dict[str, Callable[[Any], Any]] = {
    "distro": fields.schema_check(fields.DISTRO),
    "run_as": fields.schema_check(fields.RUN_AS),
    "start": fields.schema_check(fields.START),
    "listen_address": fields.listen_address,
    "podman_machine": fields.schema_check(fields.BOOLEAN),
    "keep_alive": fields.schema_check(fields.BOOLEAN),
    "wait_for_wsl": fields.bounded_duration(*limits.WAIT_FOR_WSL),
    "recheck_every": fields.bounded_duration(*limits.RECHECK_EVERY, zero_ok=True),
    "install_dir": fields.install_dir,
    "metrics_file": fields.metrics_file,
    "auto_ports": parse_auto_ports,
}
SETTING_KEYS = (*SETTINGS, "firewall", "ports")
TEXT_KEYS = ("name", "distro", "run_as", "start", "listen_address", "install_dir",
             "metrics_file")
NULLABLE_KEYS = ("metrics_file",)
SERVER_KEYS = ("name", *SETTING_KEYS)
BUILTIN: dict[str, Any] = {
    "distro": "podman-machine-default",
    "run_as": None,
    "start": "boot",
    "listen_address": "0.0.0.0",
    "wait_for_wsl": 120,
    "recheck_every": 300,
    "keep_alive": True,
    "install_dir": fields.install_dir("%ProgramData%\\WslPortProxy"),
    "metrics_file": None,
    "auto_ports": None,
    "allow_from": ("LocalSubnet",),
    "profiles": ("Domain", "Private"),
}


def validate(doc: Document, strict: bool = False) -> Inventory:
    """Raise PortProxyError listing every problem, or return the model with its warnings.

    With ``strict``, warnings count as errors."""
    c = Collector(doc)
    top = c.mapping(doc.data, (), TOP_KEYS) or {}
    if doc.data is not None and isinstance(doc.data, dict) and "servers" not in top:
        c.add((), text("missing-key", key="servers"))
    raw_defaults = top.get("defaults", {})
    defaults = c.mapping(raw_defaults, ("defaults",), SETTING_KEYS) or {}
    base = _settings(c, defaults, ("defaults",), dict(BUILTIN))
    servers = _servers(c, top.get("servers"), base, defaults)
    if strict:
        c.problems |= c.warnings
    if c.problems:
        raise PortProxyError(doc.file, sorted(c.problems, key=_problem_order))
    return Inventory(doc.file, tuple(servers), tuple(sorted(c.warnings, key=_problem_order)))


def _problem_order(p: Problem) -> tuple[int, str, str]:
    return (p.line or 0, p.where, p.what)


def _settings(c: Collector, raw: dict[str, Any], path: Path_, base: dict[str, Any]
              ) -> dict[str, Any]:
    """Validate the setting keys present in ``raw`` and overlay them on ``base``."""
    result = dict(base)
    for key, check in SETTINGS.items():
        typed_ok = key not in TEXT_KEYS or (key in NULLABLE_KEYS and raw.get(key) is None)
        if key in raw and (typed_ok or c.typed_as_text((*path, key), raw[key])):
            try:
                result[key] = check(raw[key])
            except FieldError as exc:
                c.add((*path, key), str(exc))
            else:
                _warn_install_dir(c, (*path, key), key, result[key])
    if "firewall" in raw:
        firewall = c.mapping(raw["firewall"], (*path, "firewall"), FIREWALL_KEYS) or {}
        _firewall(c, firewall, (*path, "firewall"), result)
    return result


def _warn_install_dir(c: Collector, path: Path_, key: str, value: Any) -> None:
    """An install folder outside the two roots only administrators manage gets a warning."""
    protected = ("ProgramData", "ProgramFiles")
    if key == "install_dir" and value.root_variable not in protected:
        c.warn(path, text("install-dir-outside-protected-root", value=show(value.windows_path)))


def _firewall(c: Collector, raw: dict[str, Any], path: Path_, result: dict[str, Any]) -> None:
    if "allow_from" in raw:
        try:
            result["allow_from"] = _allow_from(c, raw["allow_from"], (*path, "allow_from"))
        except FieldError as exc:
            c.add((*path, "allow_from"), str(exc))
    if "profiles" in raw:
        value = raw["profiles"]
        try:
            if not isinstance(value, list) or not value:
                raise FieldError(text("profiles-invalid"))
            profiles = tuple(dict.fromkeys(fields.profile(p) for p in value))
            if "Any" in profiles and len(profiles) > 1:
                raise FieldError(text("profiles-any-alone"))
            result["profiles"] = profiles
        except FieldError as exc:
            c.add((*path, "profiles"), str(exc))


def _allow_from(c: Collector, raw: Any, path: Path_) -> tuple[str, ...]:
    """The addresses, normalized (FieldError when one is wrong); a repeated one is a warning
    (it is dropped)."""
    addresses = check_remote_addresses(raw)
    first: dict[str, int] = {}
    for index, address in enumerate(addresses):
        seen = first.setdefault(address, index)
        if seen != index:
            c.warn((*path, index), text("allow-from-duplicate", value=show(raw[index]),
                                        first=f"{format_path(path)}[{seen}]"))
    return tuple(first)


def _servers(c: Collector, raw: Any, base: dict[str, Any], defaults: dict[str, Any]
             ) -> list[Server]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not raw:
        c.add(("servers",), text("servers-not-list"))
        return []
    servers: list[Server] = []
    names: dict[str, int] = {}
    for index, entry in enumerate(raw):
        path: Path_ = ("servers", index)
        name, server = _server(c, entry, path, base, defaults)
        first = names.setdefault(name.lower(), index) if name else index
        if first != index:
            c.add((*path, "name"), text("server-duplicate", value=show(name), first=first))
        if server is not None:
            servers.append(server)
    return servers


def _server(c: Collector, raw: Any, path: Path_, base: dict[str, Any],
            defaults: dict[str, Any]) -> tuple[str | None, Server | None]:
    entry = c.mapping(raw, path, SERVER_KEYS)
    if entry is None:
        return None, None
    before = len(c.problems)
    name = _name(c, entry, path)
    settings = _settings(c, entry, path, base)
    if "podman_machine" not in settings:
        settings["podman_machine"] = str(settings["distro"]).startswith("podman-machine")
    if not settings["keep_alive"] and not settings["recheck_every"]:
        c.add(path, text("keep-alive-needs-recheck"))
    from_defaults = "ports" not in entry and "ports" in defaults
    ports_path = ("defaults", "ports") if from_defaults else (*path, "ports")
    optional = entry.get("auto_ports", defaults.get("auto_ports")) is not None
    ports = _ports(c, entry.get("ports", defaults.get("ports")), ports_path, settings, optional)
    auto = _auto_ports(c, settings, path, sum(m.port_count for m in ports))
    if len(c.problems) != before or name is None:
        return name, None
    return name, Server(
        name=name, distro=settings["distro"], run_as=settings["run_as"],
        start=settings["start"], podman_machine=settings["podman_machine"],
        wait_for_wsl=settings["wait_for_wsl"], recheck_every=settings["recheck_every"],
        keep_alive=settings["keep_alive"], install_dir=settings["install_dir"],
        metrics_file=settings["metrics_file"], firewall_profiles=settings["profiles"],
        ports=tuple(ports), auto_ports=auto,
    )


def _auto_ports(c: Collector, settings: dict[str, Any], path: Path_, static: int
                ) -> AutoPorts | None:
    """The server's auto_ports, with the listen address and allow_from of its static ports."""
    spec = settings["auto_ports"]
    if spec is None:
        return None
    problem = engine_problem(spec[0], settings["podman_machine"])
    if problem:
        c.add((*path, "auto_ports"), problem)
    first, last = spec[1][0]  # the firewall checks of a static port, once for the allow-list
    listener_checks(c, PortMapping(settings["listen_address"], first, last, first, settings["allow_from"]),
                    (*path, "auto_ports"), settings["profiles"])
    return AutoPorts(spec[0], spec[1], settings["listen_address"], settings["allow_from"],
                     max(0, limits.MAX_FORWARDED_PORTS - static))


def _name(c: Collector, entry: dict[str, Any], path: Path_) -> str | None:
    if "name" not in entry:
        c.add(path, text("missing-key", key="name"))
        return None
    if not c.typed_as_text((*path, "name"), entry["name"]):
        return None
    try:
        name: str = fields.schema_check(fields.NAME)(entry["name"])
        return name
    except FieldError as exc:
        c.add((*path, "name"), str(exc))
        return None


def _ports(c: Collector, raw: Any, path: Path_, settings: dict[str, Any],
           optional: bool = False) -> list[PortMapping]:
    """The static ports; ``optional`` (the server has auto_ports): they may be left out."""
    if raw is None:
        if not optional:
            c.add(path[:-1], text("missing-key", key="ports"))
        return []
    if not isinstance(raw, list) or not raw:
        c.add(path, text("ports-empty"))
        return []
    if len(raw) > limits.MAX_PORT_ENTRIES:
        c.add(path, text("ports-too-many-entries", count=len(raw), limit=limits.MAX_PORT_ENTRIES))
        return []
    defaults = PortDefaults(settings["listen_address"], settings["allow_from"])
    mappings: list[tuple[int, PortMapping]] = []
    for index, value in enumerate(raw):
        item_path = (*path, index)
        mapping = _port(c, value, item_path, defaults)
        if mapping is not None:
            check_overlap(c, mapping, mappings, item_path)
            listener_checks(c, mapping, item_path, settings["profiles"])
            mappings.append((index, mapping))
    count = sum(m.port_count for _, m in mappings)
    if count > limits.MAX_FORWARDED_PORTS:
        c.add(path, text("ports-too-many", count=count, limit=limits.MAX_FORWARDED_PORTS))
    return [m for _, m in mappings]


def _port(c: Collector, value: Any, path: Path_, defaults: PortDefaults) -> PortMapping | None:
    if isinstance(value, dict):
        known = c.mapping(value, path, PORT_KEYS)
        if known is None:
            return None

        def report(key: str, what: str) -> None:
            c.add((*path, key) if key else path, what)

        def allow_from(v: Any) -> tuple[str, ...]:
            return _allow_from(c, v, (*path, "allow_from"))

        mapping = parse_port_mapping(known, defaults, report, allow_from)
        allowed = known.get("allow_system_port") is True
    else:
        try:
            mapping = parse_port(value, defaults)
        except FieldError as exc:
            c.add(path, str(exc))
            return None
        allowed = False
    problem = system_port(mapping) if mapping is not None and not allowed else None
    if problem:
        c.add(path, problem)  # still counted below, so that "1-65535" also hears of the limit
    return mapping
