"""The fake Windows programs (tests/powershell/sim/fakewin.py) keep their state race-free."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FAKEWIN = Path(__file__).resolve().parent / "powershell" / "sim" / "fakewin.py"

# Two fake processes that write the same state file at once, as the watcher's netsh and a test's
# restart-wsl can: each must land whole, and neither may lose its write file to the other.
WRITER = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("fakewin", sys.argv[1])
fakewin = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fakewin)
sim = fakewin.Sim(__import__("pathlib").Path(sys.argv[2]))
for n in range(300):
    sim.write("wsl.json", {"writer": sys.argv[3], "n": n, "pad": "x" * 20000})
"""


def test_two_fakes_writing_one_state_file_at_once_both_succeed_and_leave_it_whole(tmp_path: Path) -> None:
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(FAKEWIN), str(tmp_path), name],
                                stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    errors = [writer.communicate(timeout=120)[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], errors
    assert '"n": 299' in (tmp_path / "wsl.json").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wsl.json"]
