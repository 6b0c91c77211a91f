"""The plain Python API behind the CLI: load -> validate -> model -> render -> write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import EXIT_USAGE, PortProxyError, Problem, problem_lines
from .fleet import FLEET, render_fleet
from .load import load
from .model import Inventory
from .render import render_inventory
from .templating import package_folder
from .validate import validate
from .write import Plan, bundle_paths, plan, write_bundles


@dataclass(frozen=True)
class Result:
    """What generate did (or, with check, would do)."""

    files: tuple[Path, ...]
    changed: tuple[Path, ...]
    warnings: tuple[Problem, ...] = ()
    stale: tuple[Path, ...] = ()       # folders of servers no longer in the inventory
    removed: tuple[Path, ...] = ()     # of those, the ones --prune removed (or would remove)
    written: tuple[str, ...] = ()      # bundle folders (servers, _fleet) written (or to write)
    current: tuple[str, ...] = ()      # bundle folders that were already up to date


def load_inventory(path: Path, strict: bool = False) -> Inventory:
    """The validated inventory, with its warnings; ``strict`` makes every warning an error."""
    return validate(load(path), strict)


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


@dataclass(frozen=True)
class Options:
    """How generate runs (the CLI's flags of the same names)."""

    servers: Sequence[str] = ()  # only these servers (case-insensitive); all when empty
    check: bool = False          # write nothing; report what would change
    force: bool = False          # replace or remove folders that are not unchanged bundles of ours
    strict: bool = False         # every warning is an error
    prune: bool = False          # remove the folders of servers no longer in the inventory


def generate(path: Path, out: Path, options: Options = Options()) -> Result:
    """Render every (or each selected) server's bundle into ``out/<name>/``, and the fleet
    folder ``out/_fleet/`` (Ansible and remoting files for the whole inventory).

    With ``check`` nothing is written; the Result says what would change. Without ``force``,
    a server folder that is not an unchanged bundle of ours is refused. Folders this tool
    generated for servers no longer in the inventory are listed in ``stale``; ``prune``
    removes them (in the same all-or-nothing write). ``check`` and writing share one
    decision (``write.plan``): check raises the very error that writing would.
    """
    everything = load_inventory(path, options.strict)
    keep = [FLEET, *(s.name for s in everything.servers)]
    try:
        bundles = render_inventory(select_servers(everything, options.servers))
        bundles[FLEET] = render_fleet(everything)   # always the whole inventory, also --server
        decided: Plan = plan(bundles, out, keep, options.force, options.prune)
        if not options.check and (decided.changed or decided.removed):
            write_bundles(bundles, out, options.force, [p.name for p in decided.removed])
    except PortProxyError as exc:   # the inventory's warnings still reach the user
        exc.warnings = problem_lines("warning", str(path), everything.warnings)
        raise
    return Result(tuple(bundle_paths(bundles, out)), decided.changed, everything.warnings,
                  decided.stale, decided.removed, decided.written, decided.current)


def example_inventory() -> str:
    return (package_folder("examples") / "inventory.yaml").read_text(encoding="utf-8")
