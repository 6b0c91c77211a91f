"""Helpers shared by the pytest modules (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from wsl_portproxy.fleet import FLEET, fleet_static_files
from wsl_portproxy.manifest import MANIFEST
from wsl_portproxy.render import static_files

from .conftest import REPO

# The write_inventory fixture: (YAML text or bytes, file name="inventory.yaml") -> its path.
Write = Callable[..., Path]
RUNTIME = REPO / "runtime"


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path (``a/b.ps1``), with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def static_of(folder: str, runtime: Path = RUNTIME) -> dict[str, bytes]:
    """What a bundle folder (a server's, or ``_fleet``) copies byte for byte from ``runtime``."""
    return fleet_static_files(runtime) if folder == FLEET else static_files(runtime)


def rendered_only(files: dict[str, bytes]) -> dict[str, bytes]:
    """``folder/name`` -> bytes of generate's output without the files copied from runtime/: what
    tests/golden holds (settings, task XML, README.txt, the fleet's inventory and servers, the
    manifests)."""
    static = {folder: static_of(folder) for folder in {name.split("/", 1)[0] for name in files}}
    return {name: data for name, data in files.items()
            if name.split("/", 1)[1] not in static[name.split("/", 1)[0]]}


def stale_copies(golden: dict[str, bytes]) -> list[str]:
    """Files in a golden tree that are copies of runtime/ files (tests/golden holds none)."""
    return sorted(set(golden) - set(rendered_only(golden)))


def full_output(golden: Path) -> dict[str, bytes]:
    """What ``generate`` writes for the inventory whose golden folder is ``golden``: its rendered
    files, plus each bundle folder's static files from runtime/ (checked against the manifests)."""
    files = tree(golden)
    stale = stale_copies(files)
    assert not stale, (f"{golden} holds copies of runtime/ files: {', '.join(stale)}; it holds only "
                       "rendered files (WSLPP_UPDATE_GOLDEN=1 removes them)")
    problems = manifest_problems(files)
    assert not problems, "\n".join(problems)
    for folder in sorted({name.split("/", 1)[0] for name in files}):
        files.update({f"{folder}/{name}": data for name, data in static_of(folder).items()})
    return dict(sorted(files.items()))


def manifest_problems(golden: dict[str, bytes], runtime: Path = RUNTIME) -> list[str]:
    """Each golden manifest.json against the files it lists: a static file's SHA-256 recomputed
    from ``runtime``, a rendered file's from its golden copy. Empty when all agree."""
    problems = []
    for folder in sorted({name.split("/", 1)[0] for name in golden}):
        if f"{folder}/{MANIFEST}" not in golden:
            problems.append(f"{folder} has no {MANIFEST}")
            continue
        listed = json.loads(golden[f"{folder}/{MANIFEST}"])["files"]
        actual = {**static_of(folder, runtime),
                  **{name.split("/", 1)[1]: data for name, data in golden.items()
                     if name.startswith(f"{folder}/") and name != f"{folder}/{MANIFEST}"}}
        if set(listed) != set(actual):
            problems.append(f"{folder}/{MANIFEST}: listed but absent, or present but not listed: "
                            f"{sorted(set(listed) ^ set(actual))}")
        problems += [f"{folder}/{MANIFEST}: {name} has SHA-256 {listed[name]}, the file has {digest}"
                     for name, data in sorted(actual.items())
                     if name in listed and listed[name] != (digest := hashlib.sha256(data).hexdigest())]
    return problems
