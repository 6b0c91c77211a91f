"""Generation at scale: 1, 100, 1,000 and 10,000 servers x 10 ports, against the plain-write floor.

For each size, three rounds alternate `generate` (through the Python API: load, validate, render,
write) and the floor (the very same bytes written to the same layout with nothing but
mkdir/open/write), each into a fresh folder; the best of three of each is reported, with the
ratio (target: at most 2x at 10,000 servers, linear growth). Both run under --root, by default a
RAM-backed tmpfs (/dev/shm), because on this machine's disk the floor swings about tenfold with
writeback, which hides the generator's own cost; --root /tmp gives the disk figure.

It also prints the bytes of one bundle (10 ports), how many of them are the static module and
entry scripts (the same for every server), and the 0.1.0 bundle of examples/inventory.yaml (the
upgrade fixture) beside today's bundle of the same inventory.

Run: .venv/bin/python bench/generate_scale.py [--root DIR] [SIZES...]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import yaml

from wsl_portproxy.api import generate
from wsl_portproxy.render import static_files
from wsl_portproxy.templating import runtime_dir

REPO = Path(__file__).resolve().parent.parent
ROUNDS = 3


def inventory(servers: int) -> str:
    return yaml.safe_dump({"defaults": {"run_as": "CORP\\svc-podman"}, "servers": [
        {"name": f"S{i:05d}", "ports": list(range(10000, 10010))} for i in range(servers)]})


def floor(files: list[tuple[Path, bytes]], target: Path) -> float:
    """Write the same files, same bytes, same folders, with nothing but mkdir/open/write."""
    start = time.perf_counter()
    for relative, data in files:
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    return time.perf_counter() - start


def measure(size: int, root: Path) -> tuple[float, float, int]:
    """Best-of-three seconds of generate and of the floor, and the files per run."""
    work = Path(tempfile.mkdtemp(prefix="wsl-portproxy-scale-", dir=root))
    try:
        source = work / "inventory.yaml"
        source.write_text(inventory(size), encoding="utf-8")
        generated: list[float] = []
        floors: list[float] = []
        files: list[tuple[Path, bytes]] = []
        for round_ in range(ROUNDS):
            out = work / f"out{round_}"
            start = time.perf_counter()
            generate(source, out)
            generated.append(time.perf_counter() - start)
            if not files:
                files = [(p.relative_to(out), p.read_bytes()) for p in out.rglob("*") if p.is_file()]
            floors.append(floor(files, work / f"floor{round_}"))
            shutil.rmtree(out)
            shutil.rmtree(work / f"floor{round_}")
        return min(generated), min(floors), len(files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def folder_bytes(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def sizes_report() -> None:
    static = sum(len(data) for data in static_files(runtime_dir()).values())
    work = Path(tempfile.mkdtemp(prefix="wsl-portproxy-size-"))
    try:
        (work / "one.yaml").write_text(inventory(1), encoding="utf-8")
        generate(work / "one.yaml", work / "out")
        bundle = sum(p.stat().st_size for p in (work / "out" / "S00000").rglob("*") if p.is_file())
        # today's bundle of the example (tests/golden holds only its rendered files)
        generate(REPO / "examples" / "inventory.yaml", work / "example")
        new_files, new_bytes = folder_bytes(work / "example" / "WEB-01")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    old_bundle = REPO / "tests" / "powershell" / "e2e" / "fixtures" / "wsl-portproxy-0.1.0"
    old_files, old_bytes = folder_bytes(old_bundle)
    print(f"one bundle, 10 ports: {bundle} bytes, of which {static} static (module and entry "
          f"scripts, identical for every server) and {bundle - static} rendered for the server")
    print(f"examples/inventory.yaml: 0.1.0 bundle {old_files} files, {old_bytes} bytes; "
          f"now {new_files} files, {new_bytes} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/dev/shm"),
                        help="where to write (default /dev/shm, RAM-backed)")
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 100, 1000, 10000])
    args = parser.parse_args()
    sizes_report()
    print(f"under {args.root}, best of {ROUNDS}, generate and floor alternating:")
    print(f"{'servers':>8} {'files':>8} {'generate s':>11} {'ms/server':>10} {'floor s':>9} {'ratio':>6}")
    for size in args.sizes:
        seconds, plain, files = measure(size, args.root)
        print(f"{size:>8} {files:>8} {seconds:>11.2f} {1000 * seconds / size:>10.2f} {plain:>9.2f} "
              f"{seconds / plain:>6.2f}")


if __name__ == "__main__":
    main()
