"""Step 5: write bundles all-or-nothing, or compare them with what is on disk (--check)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import EXIT_NOT_OURS, EXIT_WRITE, PortProxyError, Problem
from .manifest import bundle_files, foreign_reason, generated_by_us

Bundles = dict[str, dict[str, bytes]]


def bundle_paths(bundles: Bundles, out: Path) -> list[Path]:
    """Every file of the bundles, as it lands in ``out``, in a stable order."""
    return [out / name / f for name in sorted(bundles) for f in sorted(bundles[name])]


def changed_files(bundles: Bundles, out: Path) -> list[Path]:
    """Files that generating would create, change or remove, in a stable order."""
    changed: list[Path] = []
    for name in sorted(bundles):
        folder = out / name
        for file_name, data in sorted(bundles[name].items()):
            path = folder / file_name
            if not path.is_file() or path.read_bytes() != data:
                changed.append(path)
        if folder.is_dir():
            extra = bundle_files(folder) - set(bundles[name])
            changed.extend(folder / e for e in sorted(extra))
    return changed


def stale_folders(out: Path, servers: Iterable[str]) -> list[Path]:
    """Folders in ``out`` that this tool generated for servers no longer in the inventory."""
    if not out.is_dir():
        return []
    wanted = {s.lower() for s in servers}
    return [p for p in sorted(out.iterdir()) if p.name.lower() not in wanted
            and p.is_dir() and not p.is_symlink() and generated_by_us(p)]


@dataclass(frozen=True)
class Plan:
    """What generating does to ``out``: ``--check`` reports it, ``generate`` carries it out."""

    changed: tuple[Path, ...]    # files that would be created, changed or removed
    written: tuple[str, ...]     # bundle folders with changes (replaced as a whole)
    current: tuple[str, ...]     # bundle folders already up to date
    stale: tuple[Path, ...]      # folders of ours for servers no longer in the inventory
    removed: tuple[Path, ...]    # of those, the ones --prune removes


def plan(bundles: Bundles, out: Path, keep: Iterable[str], force: bool = False,
         prune: bool = False) -> Plan:
    """The one decision behind both ``generate`` and ``--check``: what changes, and whether it
    is refused (PortProxyError, exit 5 or 4, exactly as writing would raise it; a write that
    fails on the way, such as a full disk, is not foreseen).

    ``keep`` names every server of the inventory (folders of others are stale).
    """
    changed = tuple(changed_files(bundles, out))
    stale = tuple(stale_folders(out, keep))
    removed = stale if prune else ()
    touched = {p.relative_to(out).parts[0] for p in changed}
    if changed or removed:
        refuse(bundles, out, force, [p.name for p in removed])
    return Plan(changed, tuple(n for n in sorted(bundles) if n in touched),
                tuple(n for n in sorted(bundles) if n not in touched), stale, removed)


def refuse(bundles: Bundles, out: Path, force: bool, prune: Sequence[str]) -> None:
    """Raise what writing ``bundles`` (and removing ``prune``) into ``out`` would be refused for."""
    refuse_escapes(bundles, out)
    refuse_uncreatable(out)
    if not force:
        refuse_foreign_folders(bundles, out)
        refuse_foreign_folders(prune, out, "remove")


def refuse_uncreatable(out: Path) -> None:
    """Exit 4 when ``out`` cannot be a folder: it, or the nearest existing folder above it, is
    something else, or cannot be written to (what creating it would fail with)."""
    reason = None
    for path in (out, *out.parents):
        if path.exists():
            if not path.is_dir():
                reason = "File exists" if path == out else "Not a directory"
            elif not os.access(path, os.W_OK | os.X_OK):
                reason = "Permission denied"
            break
    if reason:
        raise PortProxyError.single(str(out), "output", f"cannot create: {reason}", EXIT_WRITE)


def refuse_escapes(bundles: Bundles, out: Path) -> None:
    """Every server folder must be a direct child of ``out`` (names are validated; this is
    the last line of defence, and --force does not lift it)."""
    escapes = [Problem("output", f"{out / name} is not inside {out}") for name in sorted(bundles)
               if (out / name).resolve().parent != out.resolve()]
    if escapes:
        raise PortProxyError(str(out), escapes, EXIT_WRITE)


def refuse_foreign_folders(names: Iterable[str], out: Path, verb: str = "replace") -> None:
    """Refuse to replace (or remove) a server folder that is not an unchanged bundle of ours."""
    problems = []
    for name in sorted(names):
        folder = out / name
        if folder.exists() or folder.is_symlink():
            reason = foreign_reason(folder) if folder.is_dir() else "it is not a folder"
            if reason:
                problems.append(Problem("output", f"will not {verb} {folder}: {reason}; "
                                                  f"use --force to {verb} it anyway"))
    if problems:
        raise PortProxyError(str(out), problems, EXIT_NOT_OURS)


def write_bundles(bundles: Bundles, out: Path, force: bool = False,
                  prune: Sequence[str] = ()) -> list[Path]:
    """Replace ``out/<server>/`` for every bundle and remove the ``prune`` folders, all or
    nothing; other folders stay.

    Without ``force``, a folder that wsl-portproxy did not generate, or that was changed
    since, is refused (PortProxyError, exit 5) and nothing is written.
    """
    refuse(bundles, out, force, prune)
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".wsl-portproxy-", dir=out))
    except OSError as exc:
        raise PortProxyError.single(str(out), "output", f"cannot create: {exc.strerror}",
                                    EXIT_WRITE) from exc
    try:
        for name, files in bundles.items():
            _stage(staging / "new" / name, files)
        _swap_in(staging, out, sorted(bundles), sorted(prune))
    except OSError as exc:
        where = exc.filename or out
        stranded = sorted(p.name for p in (staging / "old").glob("*"))
        if stranded:  # never delete an old bundle we could not put back
            raise PortProxyError.single(str(where), "output", f"cannot write: {exc.strerror}; "
                                        f"the previous {', '.join(stranded)} could not be put "
                                        f"back and are kept in {staging / 'old'}",
                                        EXIT_WRITE) from exc
        shutil.rmtree(staging, ignore_errors=True)
        raise PortProxyError.single(str(where), "output", f"cannot write: {exc.strerror}; "
                                    "nothing was changed", EXIT_WRITE) from exc
    shutil.rmtree(staging, ignore_errors=True)
    return bundle_paths(bundles, out)


def _stage(folder: Path, files: dict[str, bytes]) -> None:
    """Write a bundle aside. No fsync: the guarantee is all-or-nothing on errors; after a
    power cut, generating again restores the output (it is derived data)."""
    folder.mkdir(parents=True)
    for file_name, data in files.items():
        path = folder / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _swap_in(staging: Path, out: Path, names: list[str], remove: list[str]) -> None:
    """Move old folders aside, new ones in; on any failure, put every old one back."""
    (staging / "old").mkdir()
    aside: list[str] = []
    moved_in: list[str] = []
    try:
        for name in remove:
            (out / name).rename(staging / "old" / name)
            aside.append(name)
        for name in names:
            target = out / name
            if target.exists() or target.is_symlink():
                target.rename(staging / "old" / name)
                aside.append(name)
            (staging / "new" / name).rename(target)
            moved_in.append(name)
    except OSError:
        for name in reversed(moved_in):
            shutil.rmtree(out / name, ignore_errors=True)
        for name in reversed(aside):
            with contextlib.suppress(OSError):  # restore every folder we can
                (staging / "old" / name).rename(out / name)
        raise
