"""Step 3: the validated, normalized inventory that templates render from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .errors import Problem


def is_ipv6(address: str) -> bool:
    """A listen address or allow_from entry written in IPv6 (keywords are neither)."""
    return ":" in address


def is_ipv4(address: str) -> bool:
    return "." in address and ":" not in address


def endpoint(address: str, ports: str) -> str:
    """``0.0.0.0:80``, ``[::]:80``."""
    return f"[{address}]:{ports}" if is_ipv6(address) else f"{address}:{ports}"


@dataclass(frozen=True)
class PortMapping:
    """One inventory port entry: a listen port or range forwarded to WSL."""

    listen_address: str
    listen_first: int
    listen_last: int
    connect_first: int
    allow_from: tuple[str, ...]

    @property
    def connect_last(self) -> int:
        return self.connect_first + (self.listen_last - self.listen_first)

    @property
    def port_count(self) -> int:
        """How many ports (portproxy rules) the entry forwards: a range counts port by port."""
        return self.listen_last - self.listen_first + 1

    def pairs(self) -> Iterator[tuple[int, int]]:
        """Each (listen port, connect port); portproxy has no ranges, so one rule each."""
        for offset in range(self.port_count):
            yield self.listen_first + offset, self.connect_first + offset

    @property
    def listen_ports(self) -> str:
        """As the firewall wants it: ``80`` or ``9000-9010``."""
        if self.listen_first == self.listen_last:
            return str(self.listen_first)
        return f"{self.listen_first}-{self.listen_last}"

    @property
    def listener(self) -> str:
        """``0.0.0.0:9000-9010``, ``[::]:80``."""
        return endpoint(self.listen_address, self.listen_ports)

    @property
    def connect_ports(self) -> str:
        if self.listen_first == self.listen_last:
            return str(self.connect_first)
        return f"{self.connect_first}-{self.connect_last}"


@dataclass(frozen=True)
class AutoPorts:
    """``auto_ports``: forward what the engine publishes, if it lies in ``allow``."""

    engine: str
    allow: tuple[tuple[int, int], ...]
    listen_address: str
    allow_from: tuple[str, ...]
    limit: int  # how many automatic rules fit beside the static ones

    @property
    def allow_text(self) -> str:
        """``80, 443, 8000-8999``."""
        return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in self.allow)


@dataclass(frozen=True)
class InstallDir:
    """``%ProgramData%\\WslPortProxy`` as a root (environment variable or drive) and parts."""

    root_variable: str | None
    drive: str | None
    parts: tuple[str, ...]

    @property
    def windows_path(self) -> str:
        """As Task Scheduler and cmd.exe write it: ``%ProgramData%\\WslPortProxy``."""
        root = f"%{self.root_variable}%" if self.root_variable else f"{self.drive}"
        return "\\".join((root, *self.parts))

    @property
    def powershell_path(self) -> str:
        """For a double-quoted PowerShell string: ``$env:ProgramData\\WslPortProxy``."""
        root = f"$env:{self.root_variable}" if self.root_variable else f"{self.drive}"
        return "\\".join((root, *self.parts))


@dataclass(frozen=True)
class Server:
    name: str
    distro: str
    run_as: str | None
    start: str
    podman_machine: bool
    wait_for_wsl: int
    recheck_every: int
    keep_alive: bool
    install_dir: InstallDir
    metrics_file: InstallDir | None
    firewall_profiles: tuple[str, ...]
    ports: tuple[PortMapping, ...]
    auto_ports: AutoPorts | None = None

    @property
    def rule_count(self) -> int:
        return sum(port.port_count for port in self.ports)


@dataclass(frozen=True)
class Inventory:
    source: str
    servers: tuple[Server, ...]
    warnings: tuple[Problem, ...] = ()
