"""The plain Python API behind the CLI: load -> validate -> model -> render -> write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import EXIT_USAGE, PortProxyError
from .load import load
from .model import Inventory
from .render import render_inventory
from .templating import templates_dir
from .validate import validate
from .write import bundle_paths, changed_files, write_bundles


@dataclass(frozen=True)
class Result:
    """What generate did (or, with check, would do)."""

    files: tuple[Path, ...]
    changed: tuple[Path, ...]


def load_inventory(path: Path) -> Inventory:
    return validate(load(path))


def select_servers(inventory: Inventory, names: Sequence[str]) -> Inventory:
    """Keep only the named servers (case-insensitive); unknown names are a usage error."""
    if not names:
        return inventory
    by_name = {s.name.lower(): s for s in inventory.servers}
    unknown = [n for n in names if n.lower() not in by_name]
    if unknown:
        known = ", ".join(s.name for s in inventory.servers)
        raise PortProxyError.single(inventory.source, "--server",
                                    f"no server named {', '.join(map(repr, unknown))} "
                                    f"(the inventory has: {known})", EXIT_USAGE)
    wanted = {n.lower() for n in names}
    return replace(inventory, servers=tuple(s for s in inventory.servers
                                            if s.name.lower() in wanted))


def generate(path: Path, out: Path, servers: Sequence[str] = (), check: bool = False,
             force: bool = False) -> Result:
    """Render every (or each named) server's bundle into ``out/<name>/``.

    With ``check`` nothing is written; ``Result.changed`` lists what would change. Without
    ``force``, a server folder that is not an unchanged bundle of ours is refused.
    """
    inventory = select_servers(load_inventory(path), servers)
    bundles = render_inventory(inventory)
    changed = tuple(changed_files(bundles, out))
    if check:
        return Result(tuple(bundle_paths(bundles, out)), changed)
    written = tuple(write_bundles(bundles, out, force)) if changed else ()
    return Result(written, changed)


def example_inventory() -> str:
    return (templates_dir() / "inventory.example.yaml").read_text(encoding="utf-8")
