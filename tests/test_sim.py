"""The fake Windows programs (tests/powershell/sim/fakewin.py) keep their state race-free."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(FAKEWIN), str(tmp_path), name],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    errors = [writer.communicate(timeout=120)[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], errors
    assert '"n": 299' in (tmp_path / "wsl.json").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wsl.json"]


Run = subprocess.CompletedProcess[str]


def run_podman(state: Path, args: list[str], path: list[Path], **env: str) -> Run:
    """The fake podman.exe (fakewin.py STATE podman ARGS) started with PATH and the given variables."""
    environment = {
        "PATH": os.pathsep.join(str(p) for p in path),
        "SystemRoot": str(state.parent / "Windows"),
        "ProgramFiles": str(state.parent / "Program Files"),
        **env,
    }
    return subprocess.run(
        [sys.executable, str(FAKEWIN), str(state), "podman", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def windows(tmp_path: Path, version: str | None, *, session0: bool) -> tuple[Path, Path, Path]:
    """A state folder with a stopped podman machine, System32\\wsl.exe and %ProgramFiles%\\WSL\\wsl.exe."""
    state = tmp_path / "state"
    system32, package = tmp_path / "Windows" / "System32", tmp_path / "Program Files" / "WSL"
    for folder in (state, system32, package):
        folder.mkdir(parents=True)
        (folder / "wsl.exe").write_text("")
    config: dict[str, object] = {"machines": {"podman-machine-default": "stopped"}}
    if version:
        config["version"] = version
    (state / "podman.json").write_text(json.dumps(config), encoding="utf-8")
    (state / "session.json").write_text(json.dumps({"session0": session0}), encoding="utf-8")
    return state, system32, package


@pytest.mark.parametrize(("version", "said"), [(None, "5.5.2"), ("5.8.2", "5.8.2")])
def test_podman_version_prints_the_release_5_5_2_by_default(
    tmp_path: Path, version: str | None, said: str
) -> None:
    state, _, _ = windows(tmp_path, version, session0=False)
    assert run_podman(state, ["--version"], []).stdout == f"podman version {said}\n"


def test_podman_5_6_runs_the_first_wsl_exe_on_path_so_system32_first_fails_in_session0(
    tmp_path: Path,
) -> None:
    state, system32, package = windows(tmp_path, "5.6.0", session0=True)
    failed = run_podman(state, ["machine", "start", "podman-machine-default"], [system32, package])
    assert failed.returncode == 125
    assert f"{system32 / 'wsl.exe'}: The file cannot be accessed by the system." in failed.stderr
    inspect = run_podman(state, ["machine", "inspect", "podman-machine-default"], [system32, package])
    assert inspect.returncode == 125
    started = run_podman(state, ["machine", "start", "podman-machine-default"], [package, system32])
    assert started.returncode == 0, started.stderr
    calls = (state / "calls.log").read_text(encoding="utf-8")
    assert f"podman started podman-machine-default with {package / 'wsl.exe'}" in calls


def test_podman_5_6_ignores_localappdata_and_says_when_path_has_no_wsl(tmp_path: Path) -> None:
    state, system32, _ = windows(tmp_path, "5.8.2", session0=False)
    apps = tmp_path / "podman-wsl" / "Microsoft" / "WindowsApps"
    apps.mkdir(parents=True)
    (apps / "wsl.exe").write_text("")
    run = run_podman(
        state,
        ["machine", "start", "podman-machine-default"],
        [tmp_path],
        LOCALAPPDATA=str(tmp_path / "podman-wsl"),
    )
    assert (run.returncode, run.stderr) == (125, 'Error: exec: "wsl": executable file not found in %PATH%\n')
    assert run_podman(state, ["machine", "start", "podman-machine-default"], [system32]).returncode == 0


def test_podman_5_5_takes_localappdata_then_system32_and_never_path_first(tmp_path: Path) -> None:
    state, system32, package = windows(tmp_path, "5.5.2", session0=True)
    failed = run_podman(state, ["machine", "start", "podman-machine-default"], [package])
    assert f"{system32 / 'wsl.exe'}: The file cannot be accessed" in failed.stderr
    apps = tmp_path / "podman-wsl" / "Microsoft" / "WindowsApps"
    apps.mkdir(parents=True)
    (apps / "wsl.exe").symlink_to(package / "wsl.exe")
    run = run_podman(
        state, ["machine", "start", "podman-machine-default"], [], LOCALAPPDATA=str(tmp_path / "podman-wsl")
    )
    assert run.returncode == 0, run.stderr


RUNNING_SAID = [
    ("5.3.2", "machine podman-machine-default: VM already running or starting"),
    ("5.4.0", "already running"),
]


@pytest.mark.parametrize(("version", "said"), RUNNING_SAID)
def test_podman_start_of_a_running_machine_says_so_per_release(
    tmp_path: Path, version: str, said: str
) -> None:
    state, system32, _ = windows(tmp_path, version, session0=False)
    (state / "podman.json").write_text(
        json.dumps({"version": version, "machines": {"podman-machine-default": "running"}})
    )
    run = run_podman(state, ["machine", "start", "podman-machine-default"], [system32])
    assert (run.returncode, run.stderr) == (125, f'Error: unable to start "podman-machine-default": {said}\n')


def test_podman_ps_and_events_run_no_wsl_exe(tmp_path: Path) -> None:
    state, _, _ = windows(tmp_path, "5.8.2", session0=True)
    (state / "podman.json").write_text(
        json.dumps({"version": "5.8.2", "machines": {"podman-machine-default": "running"}})
    )
    run = run_podman(state, ["ps", "--format", "json"], [])
    assert (run.returncode, json.loads(run.stdout)) == (0, [])
