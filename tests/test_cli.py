"""The command line: exit codes, messages, --check, atomic writes, init."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from wsl_portproxy import __version__
from wsl_portproxy.cli import build_parser, main
from wsl_portproxy.errors import (
    EXIT_CHANGES,
    EXIT_INTERNAL,
    EXIT_INVALID,
    EXIT_MEANINGS,
    EXIT_NOT_OURS,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_WRITE,
    exit_code_reference,
    exit_code_table,
)
from wsl_portproxy.fleet import fleet_static_files
from wsl_portproxy.render import static_files

from .conftest import EXAMPLES, REPO
from .helpers import Write, tree

GOOD = "servers:\n  - {name: WEB-01, ports: [80]}\n  - {name: DB-01, ports: [5432]}\n"


BUNDLE = sorted(["Install-WslPortProxy.ps1", "README.txt", "Uninstall-WslPortProxy.ps1",
                 "Update-WslPortProxy.ps1", "WslPortProxy.Settings.psd1", "WslPortProxy.xml",
                 "manifest.json", *static_files(REPO / "runtime")])
FLEET = sorted(["inventory.yml", "WslPortProxy.Fleet.json", "manifest.json",
                *fleet_static_files(REPO / "runtime")])


def test_generate_writes_one_bundle_per_server(write_inventory: Write, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["generate", str(write_inventory(GOOD)), "-o", str(out)]) == 0
    assert sorted(tree(out)) == sorted([*(f"{server}/{name}" for server in ("DB-01", "WEB-01")
                                          for name in set(BUNDLE)),
                                        *(f"_fleet/{name}" for name in FLEET)])
    assert "WslPortProxy/Private/Wsl.ps1" in BUNDLE
    assert {"site.yml", "uninstall.yml", "files/install-bundle.ps1", "Deploy-WslPortProxy.ps1",
            "WslPortProxy/Public/Publish-WslPortProxy.ps1"} < set(FLEET)
    assert capsys.readouterr().out == (f"{out}: 2 server(s) written, 0 up to date; fleet folder "
                                       f"{out / '_fleet'} written\n")


def test_same_inventory_gives_the_same_bytes(write_inventory: Write, tmp_path: Path) -> None:
    inventory = str(write_inventory(GOOD))
    assert main(["generate", inventory, "-o", str(tmp_path / "a")]) == 0
    assert main(["generate", inventory, "-o", str(tmp_path / "b")]) == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_server_selects_bundles_and_unknown_names_are_a_usage_error(
        write_inventory: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = write_inventory(GOOD)
    out = tmp_path / "out"
    assert main(["generate", str(inventory), "-o", str(out), "--server", "web-01"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["WEB-01", "_fleet"]
    hosts = (out / "_fleet" / "inventory.yml").read_text(encoding="utf-8")
    assert "    'WEB-01':\n" in hosts and "    'DB-01':\n" in hosts   # the fleet: the whole inventory
    assert main(["generate", str(inventory), "-o", str(out), "--server", "MAIL"]) == 2
    assert capsys.readouterr().err == (
        f"error: {inventory}: --server: no server named 'MAIL' (the inventory has: WEB-01, DB-01)\n")


def test_invalid_inventory_exits_1_and_writes_nothing(write_inventory: Write, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    inventory = write_inventory("servers:\n  - {name: WEB-01, ports: [80]}\n"
                                "  - {name: DB-01, ports: [99999]}\n")
    assert main(["generate", str(inventory), "-o", str(out)]) == 1
    assert not out.exists()
    assert capsys.readouterr().err == (
        f"error: {inventory}: servers[1].ports[0] (line 3): port 99999 is outside 1-65535\n")


def test_an_existing_bundle_is_untouched_when_the_new_inventory_is_invalid(
        write_inventory: Write, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["generate", str(write_inventory(GOOD)), "-o", str(out)]) == 0
    before = tree(out)
    bad = write_inventory("servers:\n  - {name: WEB-01, ports: [81, 81]}\n", "bad.yaml")
    assert main(["generate", str(bad), "-o", str(out)]) == 1
    assert tree(out) == before


def test_check_lists_changes_and_exits_3_without_writing(
        write_inventory: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    inventory = str(write_inventory(GOOD))
    assert main(["generate", inventory, "-o", str(out), "--check"]) == 3
    assert not out.exists()
    assert capsys.readouterr().out == (f"{out}: 2 server(s) to write, 0 up to date; fleet folder "
                                       f"{out / '_fleet'} to write\n")
    assert main(["generate", inventory, "-o", str(out), "--check", "-v"]) == 3
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 * len(set(BUNDLE)) + len(FLEET) + 1
    assert f"would change: {out / 'DB-01' / 'Install-WslPortProxy.ps1'}" in lines
    assert main(["generate", inventory, "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["generate", inventory, "-o", str(out), "--check"]) == 0
    assert capsys.readouterr().out == (f"{out}: 0 server(s) to write, 2 up to date; fleet folder "
                                       f"{out / '_fleet'} up to date\n")
    (out / "WEB-01" / "README.txt").write_text("edited")   # with --force: what would change
    (out / "WEB-01" / "notes.txt").write_text("extra")
    assert main(["generate", inventory, "-o", str(out), "--check", "--force", "-v"]) == 3
    assert capsys.readouterr().out == (f"would change: {out / 'WEB-01' / 'README.txt'}\n"
                                       f"would change: {out / 'WEB-01' / 'notes.txt'}\n"
                                       f"{out}: 1 server(s) to write, 1 up to date; fleet folder "
                                       f"{out / '_fleet'} up to date\n")


def test_regenerating_replaces_our_folders_and_leaves_others(write_inventory: Write,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "OTHER").mkdir(parents=True)
    (out / "OTHER" / "keep.txt").write_text("mine")
    inventory = str(write_inventory(GOOD))
    assert main(["generate", inventory, "-o", str(out)]) == 0
    changed = write_inventory(GOOD.replace("[80]", "[81]"), "changed.yaml")
    assert main(["generate", str(changed), "-o", str(out)]) == 0
    assert b"ListenPort = 81;" in (out / "WEB-01" / "WslPortProxy.Settings.psd1").read_bytes()
    assert (out / "OTHER" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda f: (f / "manifest.json").unlink(),
         "it holds no manifest.json from wsl-portproxy, so it was not generated by this tool"),
        (lambda f: (f / "notes.txt").write_text("mine"),
         "it holds files this tool did not write: notes.txt"),
        (lambda f: (f / "Update-WslPortProxy.ps1").write_text("# hand-edited"),
         "Update-WslPortProxy.ps1 was changed or removed after it was generated"),
        (lambda f: (f / "WslPortProxy" / "Private" / "Wsl.ps1").write_text("# hand-edited"),
         "WslPortProxy/Private/Wsl.ps1 was changed or removed after it was generated"),
        (lambda f: (f / "WslPortProxy" / "Public" / "Extra.ps1").write_text("# planted"),
         "it holds files this tool did not write: WslPortProxy/Public/Extra.ps1"),
    ],
    ids=["no-manifest", "extra-file", "edited", "edited-module-file", "extra-module-file"],
)
def test_a_folder_we_did_not_generate_is_refused_unless_force(
        write_inventory: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        tamper: Callable[[Path], object], reason: str) -> None:
    out = tmp_path / "out"
    inventory = str(write_inventory(GOOD))
    assert main(["generate", inventory, "-o", str(out)]) == 0
    tamper(out / "WEB-01")
    before = tree(out)
    capsys.readouterr()
    assert main(["generate", inventory, "-o", str(out)]) == 5
    assert capsys.readouterr().err == (
        f"error: {out}: output: will not replace {out / 'WEB-01'}: {reason}; "
        "use --force to replace it anyway\n")
    assert tree(out) == before
    assert main(["generate", inventory, "-o", str(out), "--force"]) == 0
    assert main(["generate", inventory, "-o", str(out), "--check"]) == 0


def test_validate_reports_a_summary(write_inventory: Write,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    inventory = write_inventory(GOOD)
    assert main(["validate", str(inventory)]) == 0
    assert capsys.readouterr().out == (
        f"{inventory}: valid (2 server(s), 2 portproxy rule(s), 0 warning(s))\n")


def test_init_writes_the_example_and_refuses_to_overwrite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "inventory.yaml"
    assert main(["init", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == (EXAMPLES / "inventory.yaml").read_text("utf-8")
    assert target.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=./wsl-portproxy.schema.json\n")
    assert (tmp_path / "wsl-portproxy.schema.json").read_text("utf-8") == (
        EXAMPLES / "wsl-portproxy.schema.json").read_text("utf-8")
    assert main(["validate", str(target)]) == 0
    # A second inventory beside the first: the schema file is already there, byte for byte.
    assert main(["init", str(tmp_path / "other.yaml")]) == 0
    capsys.readouterr()
    target.write_text("servers: []\n", encoding="utf-8")
    assert main(["init", str(target)]) == 2
    assert capsys.readouterr().err == (
        f"error: {target}: init: the file exists; use --force to overwrite it\n")
    assert target.read_text(encoding="utf-8") == "servers: []\n"
    (tmp_path / "wsl-portproxy.schema.json").write_text("{}", encoding="utf-8")
    assert main(["init", str(tmp_path / "third.yaml")]) == 2
    assert not (tmp_path / "third.yaml").exists()
    assert main(["init", str(target), "--force"]) == 0


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["generate"])
    assert info.value.code == 2
    assert capsys.readouterr().err.endswith(
        "error: the following arguments are required: file\n")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"wsl-portproxy {__version__}\n"


def test_no_traceback_without_debug_and_one_with_it(write_inventory: Write) -> None:
    inventory = str(write_inventory("servers: []\n"))
    env = {**os.environ, "PYTHONPATH": ""}
    plain = subprocess.run([sys.executable, "-m", "wsl_portproxy", "validate", inventory],
                           capture_output=True, text=True, env=env, check=False)
    assert plain.returncode == 1
    assert plain.stderr == f"error: {inventory}: servers (line 1): must be a non-empty list of servers\n"
    debug = subprocess.run([sys.executable, "-m", "wsl_portproxy", "--debug", "validate", inventory],
                           capture_output=True, text=True, env=env, check=False)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr


def test_an_unwritable_output_folder_exits_4_and_writes_nothing(
        write_inventory: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["generate", str(write_inventory(GOOD)), "-o", str(blocker / "out")]) == 4
    assert capsys.readouterr().err.startswith(f"error: {blocker / 'out'}: output: cannot create: ")
    assert blocker.read_text() == "not a folder"


def test_a_server_dropped_from_the_inventory_is_reported_and_pruned_only_on_request(
        write_inventory: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["generate", str(write_inventory(GOOD)), "-o", str(out)]) == 0
    (out / "NOTES").mkdir()
    (out / "NOTES" / "keep.txt").write_text("mine")
    smaller = str(write_inventory("servers:\n  - {name: WEB-01, ports: [80]}\n"))  # same file
    stale = f"stale: {out / 'DB-01'}: server DB-01 is not in the inventory (--prune removes the folder)"
    fleet = [out / "_fleet" / name for name in ("WslPortProxy.Fleet.json", "inventory.yml",
                                                "manifest.json")]   # DB-01 leaves the fleet
    head = f"{out}: 0 server(s) "
    capsys.readouterr()
    assert main(["generate", smaller, "-o", str(out), "--check"]) == 3
    assert capsys.readouterr().out == (f"{head}to write, 1 up to date, 1 stale: DB-01 (remove with "
                                       f"--prune); fleet folder {out / '_fleet'} to write\n")
    assert main(["generate", smaller, "-o", str(out), "--check", "-v"]) == 3
    assert capsys.readouterr().out.startswith("".join(f"would change: {p}\n" for p in fleet)
                                              + stale + "\n")
    assert main(["generate", smaller, "-o", str(out), "--check", "--prune", "-v"]) == 3
    assert capsys.readouterr().out == (
        "".join(f"would change: {p}\n" for p in fleet) + f"would remove: {out / 'DB-01'}\n"
        f"{head}to write, 1 up to date, 1 to remove: DB-01; fleet folder {out / '_fleet'} to write\n")
    assert main(["generate", smaller, "-o", str(out), "-v"]) == 0
    assert capsys.readouterr().out == ("".join(f"wrote {p}\n" for p in fleet) + stale + "\n"
                                       f"{head}written, 1 up to date, 1 stale: DB-01 (remove with "
                                       f"--prune); fleet folder {out / '_fleet'} written\n")
    assert main(["generate", smaller, "-o", str(out)]) == 0
    assert capsys.readouterr().out == (f"{head}written, 1 up to date, 1 stale: DB-01 (remove with "
                                       f"--prune); fleet folder {out / '_fleet'} up to date\n")
    assert (out / "DB-01").is_dir()
    (out / "DB-01" / "README.txt").write_text("edited")
    assert main(["generate", smaller, "-o", str(out), "--prune"]) == 5
    assert capsys.readouterr().err == (
        f"error: {out}: output: will not remove {out / 'DB-01'}: README.txt was changed or removed "
        "after it was generated; use --force to remove it anyway\n")
    assert main(["generate", smaller, "-o", str(out), "--prune", "--force"]) == 0
    assert capsys.readouterr().out == (f"{head}written, 1 up to date, 1 removed: DB-01; fleet folder "
                                       f"{out / '_fleet'} up to date\n")
    assert sorted(p.name for p in out.iterdir()) == ["NOTES", "WEB-01", "_fleet"]
    assert main(["generate", smaller, "-o", str(out), "--check"]) == 0


def test_generate_names_only_the_files_it_changed(write_inventory: Write, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    inventory = str(write_inventory(GOOD))
    assert main(["generate", inventory, "-o", str(out)]) == 0
    capsys.readouterr()
    changed = str(write_inventory(GOOD.replace("[80]", "[81]")))   # ports are not in the fleet files
    assert main(["generate", changed, "-o", str(out), "--server", "WEB-01", "--verbose"]) == 0
    assert capsys.readouterr().out == "".join(
        f"wrote {out / 'WEB-01' / name}\n" for name in
        ("README.txt", "WslPortProxy.Settings.psd1", "manifest.json")) + (
        f"{out}: 1 server(s) written, 0 up to date; fleet folder {out / '_fleet'} up to date\n")
    assert main(["generate", changed, "-o", str(out), "--server", "WEB-01", "-v"]) == 0
    assert capsys.readouterr().out == (f"{out}: 0 server(s) written, 1 up to date; fleet folder "
                                       f"{out / '_fleet'} up to date\n")


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_is_accepted_before_and_after_the_command(
        write_inventory: Write, capsys: pytest.CaptureFixture[str], where: str) -> None:
    inventory = str(write_inventory("servers: [{name: WEB-01, ports: [99999]}]\n"))
    args = ["--debug", "validate", inventory] if where == "before" else ["validate", inventory, "--debug"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.endswith(f"error: {inventory}: servers[0].ports[0] (line 1): port 99999 is outside "
                        "1-65535\n")


TAMPERS = {
    "edited": lambda f: (f / "README.txt").write_text("edited"),
    "no-manifest": lambda f: (f / "manifest.json").unlink(),
    "extra-file": lambda f: (f / "notes.txt").write_text("mine"),
}


@pytest.mark.parametrize("tamper", TAMPERS, ids=list(TAMPERS))
def test_check_predicts_what_generate_does_to_a_folder_it_would_refuse(
        write_inventory: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        tamper: str) -> None:
    out = tmp_path / "out"
    inventory = str(write_inventory(GOOD))
    assert main(["generate", inventory, "-o", str(out)]) == 0
    TAMPERS[tamper](out / "WEB-01")
    capsys.readouterr()
    assert main(["generate", inventory, "-o", str(out), "--check"]) == 5
    check = capsys.readouterr()
    assert main(["generate", inventory, "-o", str(out)]) == 5
    generate = capsys.readouterr()
    assert check.err == generate.err and check.err.startswith(
        f"error: {out}: output: will not replace {out / 'WEB-01'}: ")
    assert (check.out, generate.out) == ("", "")
    # With --force, check reports the change (3) and generate replaces the folder.
    assert main(["generate", inventory, "-o", str(out), "--check", "--force"]) == 3
    assert main(["generate", inventory, "-o", str(out), "--force"]) == 0
    assert main(["generate", inventory, "-o", str(out), "--check"]) == 0


def test_check_predicts_the_refusal_to_prune_an_edited_stale_folder(
        write_inventory: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["generate", str(write_inventory(GOOD)), "-o", str(out)]) == 0
    (out / "DB-01" / "README.txt").write_text("edited")
    smaller = str(write_inventory("servers:\n  - {name: WEB-01, ports: [80]}\n"))
    capsys.readouterr()
    assert main(["generate", smaller, "-o", str(out), "--check", "--prune"]) == 5
    check = capsys.readouterr()
    assert main(["generate", smaller, "-o", str(out), "--prune"]) == 5
    assert check == capsys.readouterr()
    assert check.err == (f"error: {out}: output: will not remove {out / 'DB-01'}: README.txt was "
                         "changed or removed after it was generated; use --force to remove it "
                         "anyway\n")
    assert main(["generate", smaller, "-o", str(out), "--check", "--prune", "--force"]) == 3
    assert main(["generate", smaller, "-o", str(out), "--prune", "--force"]) == 0
    assert not (out / "DB-01").exists()


@pytest.mark.parametrize(("target", "reason"), [("out", "File exists"), ("out/sub", "Not a directory")])
def test_check_predicts_an_output_folder_that_cannot_be_created(
        write_inventory: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        target: str, reason: str) -> None:
    (tmp_path / "out").write_text("a file, not a folder")
    out, inventory = tmp_path / target, str(write_inventory(GOOD))
    assert main(["generate", inventory, "-o", str(out), "--check"]) == 4
    check = capsys.readouterr()
    assert main(["generate", inventory, "-o", str(out)]) == 4
    assert check == capsys.readouterr()
    assert check.err == f"error: {out}: output: cannot create: {reason}\n"
    assert (tmp_path / "out").read_text() == "a file, not a folder"


def test_an_unknown_server_still_shows_the_inventorys_warnings(
        write_inventory: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warned = str(write_inventory("servers:\n  - name: WEB-01\n    ports: [80]\n    firewall: "
                                 "{allow_from: [Any], profiles: [Public]}\n"))
    assert main(["generate", warned, "-o", str(tmp_path / "out"), "--server", "MAIL"]) == 2
    assert capsys.readouterr().err == (
        f"warning: {warned}: servers[0].ports[0] (line 3): 0.0.0.0:80 is open to any address on the "
        "Public profile: anyone on any network this server joins can connect\n"
        f"error: {warned}: --server: no server named 'MAIL' (the inventory has: WEB-01)\n")


def test_quiet_prints_only_errors_and_warnings(write_inventory: Write, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    warned = str(write_inventory("servers:\n  - name: WEB-01\n    ports: [80]\n    firewall: "
                                 "{allow_from: [Any], profiles: [Public]}\n"))
    warning = (f"warning: {warned}: servers[0].ports[0] (line 3): 0.0.0.0:80 is open to any "
               "address on the Public profile: anyone on any network this server joins can "
               "connect\n")
    for check, code in ((True, 3), (False, 0), (True, 0)):
        assert main(["generate", warned, "-o", str(out), "-q", *(["--check"] * check)]) == code
        assert capsys.readouterr() == ("", warning)
    (out / "WEB-01" / "README.txt").write_text("edited")
    assert main(["generate", warned, "-o", str(out), "--quiet"]) == 5
    assert capsys.readouterr().err == warning + (
        f"error: {out}: output: will not replace {out / 'WEB-01'}: README.txt was changed or "
        "removed after it was generated; use --force to replace it anyway\n")


def test_verbose_and_quiet_together_are_a_usage_error(
        write_inventory: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["generate", str(write_inventory(GOOD)), "-o", str(tmp_path / "out"), "-v", "-q"])
    assert info.value.code == 2
    assert capsys.readouterr().err.endswith(
        "error: argument -q/--quiet: not allowed with argument -v/--verbose\n")
    assert not (tmp_path / "out").exists()


# The exit codes each command can return, stated here apart from the code that prints them.
RETURNS = {"init": {EXIT_OK, EXIT_USAGE, EXIT_WRITE, EXIT_INTERNAL},
           "schema": {EXIT_OK, EXIT_USAGE, EXIT_INTERNAL},
           "validate": {EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL},
           "generate": {EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_CHANGES, EXIT_WRITE,
                        EXIT_NOT_OURS, EXIT_INTERNAL}}


# Where a command's --help words a code its own way (the full table names every command's cases).
OWN_MEANINGS = {
    ("init", EXIT_OK): "success (also when both files already hold exactly what init writes)",
    ("init", EXIT_USAGE): "usage error (bad arguments), or init onto a different existing file "
                          "(--force overwrites it)",
    ("init", EXIT_WRITE): "a file could not be written",
    ("schema", EXIT_OK): "success (the schema is on standard output)",
    ("schema", EXIT_USAGE): "usage error (bad arguments)",
    ("validate", EXIT_OK): "valid (--strict: and no warning)",
    ("validate", EXIT_INVALID): "invalid inventory or unreadable file (--strict: or a warning)",
    ("validate", EXIT_USAGE): "usage error (bad arguments)",
    ("generate", EXIT_USAGE): "usage error (bad arguments, -v with -q, unknown --server)"}


@pytest.mark.parametrize(("command", "foreign"), [
    ("init", "--check"), ("init", "-v with -q"), ("init", "unknown --server"), ("schema", "--check"),
    ("schema", "init onto"), ("validate", "--check"), ("validate", "nothing written"),
    ("validate", "--server"), ("generate", "init onto")])
def test_a_commands_exit_codes_name_only_its_own_cases(
        capsys: pytest.CaptureFixture[str], command: str, foreign: str) -> None:
    text = _help(capsys, command)
    assert foreign not in text[text.index("exit codes:\n"):]


def test_the_full_table_says_init_refuses_only_a_different_existing_file() -> None:
    assert "init onto a different existing file" in EXIT_MEANINGS[EXIT_USAGE]


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as info:
        main([*args, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", sorted(RETURNS))
def test_each_commands_help_has_an_example_and_every_exit_code_it_returns(
        capsys: pytest.CaptureFixture[str], command: str) -> None:
    text = _help(capsys, command)
    assert "\nexample" in text and f"  wsl-portproxy {command}" in text.split("\nexample")[1]
    codes = text[text.index("exit codes:\n"):]
    shown = {int(line.split()[0]) for line in codes.splitlines()[1:] if line.strip()}
    assert shown == RETURNS[command]
    for code in RETURNS[command]:
        assert f"  {code:<3} {OWN_MEANINGS.get((command, code), EXIT_MEANINGS[code])}\n" in codes
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert all(a.help for a in sub.choices[command]._actions)   # every argument says what it is


def test_the_top_level_help_lists_each_command_in_one_line_and_every_exit_code(
        capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys)
    for command in RETURNS:
        assert re.search(rf"\n    {command} +\S.*\n", text)
    assert text.endswith(exit_code_table(sorted(EXIT_MEANINGS)))
    assert set(EXIT_MEANINGS) == set().union(*RETURNS.values())


def test_the_docs_exit_code_table_comes_from_the_same_meanings() -> None:
    assert not any("|" in meaning for meaning in EXIT_MEANINGS.values())
    assert exit_code_reference().splitlines() == [
        "| exit code | meaning |", "| --- | --- |",
        *(f"| {code} | {meaning} |" for code, meaning in sorted(EXIT_MEANINGS.items()))]
