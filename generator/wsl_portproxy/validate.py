"""Step 2: check a loaded document against the inventory contract and build the model.

Every problem is collected (not just the first), each with its path and YAML line.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from . import constraints as limits
from . import fields
from .errors import PortProxyError, Problem
from .fields import FieldError, describe
from .load import Document, Path_, format_path
from .model import Inventory, PortMapping, Server
from .ports import PORT_KEYS, PortDefaults, check_remote_addresses, parse_port, parse_port_mapping

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
}
SETTING_KEYS = (*SETTINGS, "firewall", "ports")
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
    "allow_from": ("LocalSubnet",),
    "profiles": ("Domain", "Private"),
}


class _Collector:
    def __init__(self, doc: Document):
        self.doc = doc
        self.problems: set[Problem] = set()

    def add(self, path: Path_, what: str) -> None:
        self.problems.add(Problem(format_path(path), what, self.doc.line_of(path)))

    def mapping(self, value: Any, path: Path_, known: tuple[str, ...]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping of keys ({', '.join(known)}), "
                           f"got {describe(value)}")
            return None
        for key in value:
            if key not in known:
                self.add((*path, str(key)), _unknown_key(str(key), known))
        return value


def _unknown_key(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key '{key}'; did you mean '{close[0]}'?"
    return f"unknown key '{key}'; known keys: {', '.join(known)}"


def validate(doc: Document) -> Inventory:
    """Raise PortProxyError listing every problem, or return the model."""
    c = _Collector(doc)
    top = c.mapping(doc.data, (), TOP_KEYS) or {}
    if doc.data is not None and isinstance(doc.data, dict) and "servers" not in top:
        c.add((), "missing required key 'servers'")
    raw_defaults = top.get("defaults", {})
    defaults = c.mapping(raw_defaults, ("defaults",), SETTING_KEYS) or {}
    base = _settings(c, defaults, ("defaults",), dict(BUILTIN))
    servers = _servers(c, top.get("servers"), base, defaults)
    if c.problems:
        raise PortProxyError(doc.file, sorted(c.problems, key=_problem_order))
    return Inventory(doc.file, tuple(servers))


def _problem_order(p: Problem) -> tuple[int, str, str]:
    return (p.line or 0, p.where, p.what)


def _settings(c: _Collector, raw: dict[str, Any], path: Path_, base: dict[str, Any]
              ) -> dict[str, Any]:
    """Validate the setting keys present in ``raw`` and overlay them on ``base``."""
    result = dict(base)
    for key, check in SETTINGS.items():
        if key in raw:
            try:
                result[key] = check(raw[key])
            except FieldError as exc:
                c.add((*path, key), str(exc))
    if "firewall" in raw:
        firewall = c.mapping(raw["firewall"], (*path, "firewall"), FIREWALL_KEYS) or {}
        _firewall(c, firewall, (*path, "firewall"), result)
    return result


def _firewall(c: _Collector, raw: dict[str, Any], path: Path_, result: dict[str, Any]) -> None:
    if "allow_from" in raw:
        try:
            result["allow_from"] = tuple(dict.fromkeys(check_remote_addresses(raw["allow_from"])))
        except FieldError as exc:
            c.add((*path, "allow_from"), str(exc))
    if "profiles" in raw:
        value = raw["profiles"]
        try:
            if not isinstance(value, list) or not value:
                raise FieldError("must be a non-empty list of Domain, Private, Public or Any")
            profiles = tuple(dict.fromkeys(fields.profile(p) for p in value))
            if "Any" in profiles and len(profiles) > 1:
                raise FieldError("'Any' already covers every profile: list it alone")
            result["profiles"] = profiles
        except FieldError as exc:
            c.add((*path, "profiles"), str(exc))


def _servers(c: _Collector, raw: Any, base: dict[str, Any], defaults: dict[str, Any]
             ) -> list[Server]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not raw:
        c.add(("servers",), "must be a non-empty list of servers")
        return []
    servers: list[Server] = []
    names: dict[str, int] = {}
    for index, entry in enumerate(raw):
        path: Path_ = ("servers", index)
        name, server = _server(c, entry, path, base, defaults)
        first = names.setdefault(name.lower(), index) if name else index
        if first != index:
            c.add((*path, "name"), f"server name {name!r} is already used by "
                                   f"servers[{first}] (names are compared case-insensitively)")
        if server is not None:
            servers.append(server)
    return servers


def _server(c: _Collector, raw: Any, path: Path_, base: dict[str, Any],
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
        c.add(path, "keep_alive: false needs recheck_every above 0: without the keep-alive "
                    "process, the periodic re-check is what notices a WSL restart")
    from_defaults = "ports" not in entry and "ports" in defaults
    ports_path = ("defaults", "ports") if from_defaults else (*path, "ports")
    ports = _ports(c, entry.get("ports", defaults.get("ports")), ports_path, settings)
    if len(c.problems) != before or name is None:
        return name, None
    return name, Server(
        name=name, distro=settings["distro"], run_as=settings["run_as"],
        start=settings["start"], podman_machine=settings["podman_machine"],
        wait_for_wsl=settings["wait_for_wsl"], recheck_every=settings["recheck_every"],
        keep_alive=settings["keep_alive"], install_dir=settings["install_dir"],
        firewall_profiles=settings["profiles"],
        ports=tuple(ports),
    )


def _name(c: _Collector, entry: dict[str, Any], path: Path_) -> str | None:
    if "name" not in entry:
        c.add(path, "missing required key 'name'")
        return None
    try:
        name: str = fields.schema_check(fields.NAME)(entry["name"])
        return name
    except FieldError as exc:
        c.add((*path, "name"), str(exc))
        return None


def _ports(c: _Collector, raw: Any, path: Path_, settings: dict[str, Any]) -> list[PortMapping]:
    if raw is None:
        c.add(path[:-1], "missing required key 'ports'")
        return []
    if not isinstance(raw, list) or not raw:
        c.add(path, "must be a non-empty list of ports: nothing to forward")
        return []
    if len(raw) > limits.MAX_PORT_ENTRIES:
        c.add(path, f"has {len(raw)} entries; at most {limits.MAX_PORT_ENTRIES} are allowed per "
                    "server (use ranges such as \"9000-9010\" for runs of ports)")
        return []
    defaults = PortDefaults(settings["listen_address"], settings["allow_from"])
    mappings: list[tuple[int, PortMapping]] = []
    for index, value in enumerate(raw):
        item_path = (*path, index)
        mapping = _port(c, value, item_path, defaults)
        if mapping is not None:
            _check_overlap(c, mapping, mappings, item_path)
            mappings.append((index, mapping))
    return [m for _, m in mappings]


def _port(c: _Collector, value: Any, path: Path_, defaults: PortDefaults) -> PortMapping | None:
    if isinstance(value, dict):
        known = c.mapping(value, path, PORT_KEYS)
        if known is None:
            return None

        def report(key: str, what: str) -> None:
            c.add((*path, key) if key else path, what)

        def allow_from(v: Any) -> tuple[str, ...]:
            return tuple(dict.fromkeys(check_remote_addresses(v)))

        return parse_port_mapping(known, defaults, report, allow_from)
    try:
        return parse_port(value, defaults)
    except FieldError as exc:
        c.add(path, str(exc))
        return None


def _check_overlap(c: _Collector, new: PortMapping,
                   existing: list[tuple[int, PortMapping]], path: Path_) -> None:
    for other_index, other in existing:
        same_address = "0.0.0.0" in (new.listen_address, other.listen_address) or (
            new.listen_address == other.listen_address)
        if same_address and new.listen_first <= other.listen_last and (
                other.listen_first <= new.listen_last):
            port = max(new.listen_first, other.listen_first)
            c.add(path, f"listen {new.listen_address}:{port} is already forwarded by "
                        f"{format_path(path[:-1])}[{other_index}] "
                        f"({other.listen_address}:{other.listen_ports})")
            return
