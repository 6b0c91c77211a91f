"""Step 2d: what a listener (listen address and ports) can never do: share its port with another
entry of the same address family, or admit firewall addresses of the other family."""

from __future__ import annotations

from .collect import Collector
from .load import Path_, format_path
from .messages import show, text
from .model import PortMapping, endpoint, is_ipv4, is_ipv6


def listener_checks(c: Collector, mapping: PortMapping, path: Path_,
                    profiles: tuple[str, ...]) -> None:
    """Firewall addresses that can never match (another address family than the listener's: an
    error), or that open the port to every network (a warning)."""
    listener = mapping.listener
    v6 = is_ipv6(mapping.listen_address)
    for address in mapping.allow_from:
        if is_ipv6(address) and not v6:
            c.add(path, text("allow-from-ipv6", value=show(address), listener=listener))
        elif is_ipv4(address) and v6:
            c.add(path, text("allow-from-ipv4", value=show(address), listener=listener))
    if "Any" in mapping.allow_from and {"Public", "Any"} & set(profiles):
        c.warn(path, text("open-to-any-network", listener=listener))


def check_overlap(c: Collector, new: PortMapping,
                  existing: list[tuple[int, PortMapping]], path: Path_) -> None:
    """A listen address and port forwarded twice (a family's wildcard overlaps its addresses)."""
    for other_index, other in existing:
        if is_ipv6(new.listen_address) != is_ipv6(other.listen_address):
            continue  # IPv4 and IPv6 listeners never share a socket
        same_address = {"0.0.0.0", "::"} & {new.listen_address, other.listen_address} or (
            new.listen_address == other.listen_address)
        if same_address and new.listen_first <= other.listen_last and (
                other.listen_first <= new.listen_last):
            port = max(new.listen_first, other.listen_first)
            c.add(path, text("port-overlap", listener=endpoint(new.listen_address, str(port)),
                             other=f"{format_path(path[:-1])}[{other_index}]",
                             other_listener=other.listener))
            return
