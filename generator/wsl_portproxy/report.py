"""What ``generate`` (and ``generate --check``) prints: one summary line, and with -v the
details (every file written or to write, every stale or removed folder)."""

from __future__ import annotations

from pathlib import Path

from .api import Result
from .fleet import FLEET


def summary(out: Path, result: Result, check: bool) -> str:
    """``dist: 2 server(s) written, 1 up to date, 1 stale: DB-01 (remove with --prune);
    fleet folder dist/_fleet written`` (with ``check``: "to write", "to remove")."""
    done = "to write" if check else "written"
    servers = [n for n in result.written if n != FLEET]
    current = [n for n in result.current if n != FLEET]
    text = f"{out}: {len(servers)} server(s) {done}, {len(current)} up to date"
    if result.removed:
        names = ", ".join(p.name for p in result.removed)
        text += f", {len(result.removed)} {'to remove' if check else 'removed'}: {names}"
    elif result.stale:
        names = ", ".join(p.name for p in result.stale)
        text += f", {len(result.stale)} stale: {names} (remove with --prune)"
    fleet = done if FLEET in result.written else "up to date"
    return f"{text}; fleet folder {out / FLEET} {fleet}"


def details(result: Result, check: bool) -> list[str]:
    """One line per file written (or, with ``check``, that would change) and per stale folder."""
    lines = [f"would change: {p}" if check else f"wrote {p}" for p in result.changed]
    for folder in result.stale:
        if folder in result.removed:
            lines.append(f"would remove: {folder}" if check else f"removed {folder}")
        else:
            lines.append(f"stale: {folder}: server {folder.name} is not in the inventory "
                         "(--prune removes the folder)")
    return lines
