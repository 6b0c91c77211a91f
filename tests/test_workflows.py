"""The automation around the tests: the GitHub workflows and the pre-commit hooks.

- test.yml (pull requests, pushes to main) only reads; release.yml (v* tags) is the only workflow
  whose jobs may write; every repository path a workflow names exists.
- .pre-commit-config.yaml runs, with local hooks only, the commands the tests run.
Each check is also shown failing on a planted case.
"""

from __future__ import annotations

import copy
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO
from .test_static import MYPY, RUFF

WORKFLOWS = REPO / ".github" / "workflows"
TEST, RELEASE = "test.yml", "release.yml"
PRE_COMMIT = REPO / ".pre-commit-config.yaml"
VENV_PYTHON = ".venv/bin/python"
SOURCE_FOLDERS = {"generator", "templates", "runtime", "examples", "tests", "bench", "docs", ".ci", ".github"}


def load(path: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """The ``on:`` events as a mapping (YAML 1.1 reads the bare key ``on`` as True)."""
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    assert isinstance(on, dict), on
    return {event: config or {} for event, config in on.items()}


def writes(workflow: dict[Any, Any]) -> list[str]:
    """Where the workflow or one of its jobs asks for write permission (or sets none: the
    repository's default token may then write)."""
    found = []
    scopes = {"workflow": workflow, **{f"job {n}": j for n, j in workflow.get("jobs", {}).items()}}
    for scope, holder in scopes.items():
        permissions = holder.get("permissions")
        if scope == "workflow" and permissions is None:
            found.append("workflow: no permissions (the default token may write)")
        elif isinstance(permissions, str) and permissions != "read-all":
            found.append(f"{scope}: {permissions}")
        elif isinstance(permissions, dict):
            found += [f"{scope}: {key}: write" for key, value in permissions.items() if value == "write"]
    return found


def tag_triggers(workflow: dict[Any, Any]) -> list[str]:
    """The events by which a tag starts the workflow (a push without a branch filter does too)."""
    on = triggers(workflow)
    found: list[str] = [event for event in ("create", "release", "registry_package") if event in on]
    if "push" in on:
        push = on["push"] or {}
        if "tags" in push or "tags-ignore" in push:
            found.append("push: tags")
        elif "branches" not in push and "branches-ignore" not in push:
            found.append("push without a branch filter")
    return found


def repository_paths(text: str, tops: set[str]) -> list[str]:
    """The repository paths a workflow names: words that start with a tracked top-level name (or
    one of the source folders, even when it is gone) and go on with a / or are a file name, and the
    source folders' bare names; \\ is read as /."""
    words = re.findall(r"[\w.\\/-]+", text.replace("./", " "))
    paths = {word.replace("\\", "/").rstrip(".") for word in words}
    return sorted(p for p in paths if p in SOURCE_FOLDERS
                  or (p.split("/", 1)[0] in tops | SOURCE_FOLDERS and ("/" in p or "." in p)))


def tracked_tops() -> set[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    return {line.split("/", 1)[0] for line in listed.stdout.splitlines()}


def test_the_workflows_are_the_test_and_the_release_workflow() -> None:
    assert sorted(p.name for p in WORKFLOWS.iterdir()) == [RELEASE, TEST]


def test_only_the_release_workflow_writes_and_only_its_release_job() -> None:
    assert writes(load(WORKFLOWS / TEST)) == []
    assert writes(load(WORKFLOWS / RELEASE)) == ["job release: contents: write"]


def test_the_test_workflow_runs_on_pull_requests_and_pushes_but_never_on_tags() -> None:
    test = load(WORKFLOWS / TEST)
    assert {"pull_request", "push"} <= set(triggers(test))
    assert tag_triggers(test) == []


def test_the_release_workflow_runs_on_v_tags_only_and_tests_first() -> None:
    release = load(WORKFLOWS / RELEASE)
    assert triggers(release) == {"push": {"tags": ["v*"]}}
    assert release["jobs"]["test"]["uses"] == f"./.github/workflows/{TEST}"
    assert release["jobs"]["release"]["needs"] == "test"


def test_the_planted_cases_fail() -> None:
    test = load(WORKFLOWS / TEST)
    planted = copy.deepcopy(test)
    planted["permissions"] = {"contents": "write"}
    assert writes(planted) == ["workflow: contents: write"]
    planted["permissions"] = "write-all"
    assert writes(planted) == ["workflow: write-all"]
    del planted["permissions"]
    assert writes(planted) == ["workflow: no permissions (the default token may write)"]
    planted = copy.deepcopy(test)
    planted["jobs"]["test"]["permissions"] = {"contents": "read", "packages": "write"}
    assert writes(planted) == ["job test: packages: write"]
    planted = copy.deepcopy(test)
    planted[True]["push"]["tags"] = ["v*"]
    assert tag_triggers(planted) == ["push: tags"]
    planted[True]["push"] = None
    assert tag_triggers(planted) == ["push without a branch filter"]
    planted[True] = ["push", "release"]
    assert tag_triggers(planted) == ["release", "push without a branch filter"]
    text = (WORKFLOWS / TEST).read_text(encoding="utf-8") + "\n# tests\\powershell\\Gone.Tests.ps1\n"
    assert "tests/powershell/Gone.Tests.ps1" in repository_paths(text, tracked_tops())
    release = (WORKFLOWS / RELEASE).read_text(encoding="utf-8")  # as if runtime/ were renamed:
    assert {"runtime", "runtime/WslPortProxy"} <= set(repository_paths(release, tracked_tops() - {"runtime"}))


@pytest.mark.parametrize("workflow", [TEST, RELEASE])
def test_every_repository_path_a_workflow_names_exists(workflow: str) -> None:
    paths = repository_paths((WORKFLOWS / workflow).read_text(encoding="utf-8"), tracked_tops())
    assert paths  # e.g. wsl-portproxy.spec, examples/inventory.yaml
    missing = [path for path in paths if not (REPO / path).exists()]
    assert not missing, f"{workflow} names paths that do not exist: {missing}"


def hooks() -> dict[str, list[str]]:
    """Hook id -> its command line; every hook local and run on the whole tree (no file names)."""
    config = load(PRE_COMMIT)
    found = {}
    for repo in config["repos"]:
        assert repo["repo"] == "local", "pre-commit hooks are local: pre-commit fetches nothing"
        for hook in repo["hooks"]:
            assert hook["language"] == "system" and hook["pass_filenames"] is False, hook["id"]
            found[hook["id"]] = shlex.split(hook["entry"])
    return found


def hook_problems(found: dict[str, list[str]]) -> list[str]:
    """Where the hooks differ from what the tests run: ruff and mypy as tests/test_static.py runs
    them, the gate as tests/test_powershell.py selects Gate.Tests.ps1."""
    expected = {"ruff": [VENV_PYTHON, "-m", *RUFF], "mypy": [VENV_PYTHON, "-m", *MYPY]}
    problems = [f"{name}: {found.get(name)} is not {command}" for name, command in expected.items()
                if found.get(name) != command]
    gate = found.get("gate", [])
    if gate[:5] != [VENV_PYTHON, "-m", "pytest", "-q", "tests/test_powershell.py"]:
        return [*problems, f"gate: {gate} does not run tests/test_powershell.py"]
    collect = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                              "no:cacheprovider", *gate[4:]],
                             cwd=REPO, capture_output=True, text=True, check=False)
    selected = [line for line in collect.stdout.splitlines() if "::" in line]
    if not selected or any("Gate.Tests.ps1" not in line for line in selected):
        problems.append(f"gate: {shlex.join(gate[3:])} selects {selected}, not the gate alone")
    return problems


def test_the_pre_commit_hooks_run_what_the_tests_run() -> None:
    found = hooks()
    assert sorted(found) == ["gate", "mypy", "ruff"]
    assert hook_problems(found) == []


def test_a_drifted_hook_fails() -> None:
    found = hooks()
    assert hook_problems({**found, "ruff": [*found["ruff"][:-1]]}) == [
        f"ruff: {found['ruff'][:-1]} is not {[VENV_PYTHON, '-m', *RUFF]}"]
    assert hook_problems({**found, "mypy": [*found["mypy"], "--no-strict-optional"]})[0].startswith("mypy: ")
    drifted = [*found["gate"][:-1], "Watch"]
    assert hook_problems({**found, "gate": drifted})[0].startswith("gate: ")


# What Authenticode can sign among our files (PowerShell's subject interface package): not help text.
SIGNABLE = {".ps1", ".psm1", ".psd1"}
LISTING = re.compile(r"Get-ChildItem -Path (\S+)((?: -\w+(?: [^-\s)][^)]*?)?)*)\)")


def signed_files(step: str) -> set[Path]:
    """The files a signing step's Get-ChildItem calls select, as Windows would list them."""
    selected: set[Path] = set()
    for folder, options in LISTING.findall(step):
        root = REPO / folder
        recurse = "-Recurse" in options
        include = re.search(r"-Include ((?:\*\.\w+(?:, )?)+)", options)
        pattern = re.search(r"-Filter (\*\.\w+)", options)
        files = [p for p in (root.rglob("*") if recurse else root.iterdir()) if p.is_file()]
        if include:
            files = [p for p in files if f"*{p.suffix}" in include.group(1).split(", ")]
        if pattern:
            files = [p for p in files if p.match(pattern.group(1))]
        selected.update(files)
    return selected


def signing_problems(step: str) -> list[str]:
    module = REPO / "runtime" / "WslPortProxy"
    wanted = {p for p in module.rglob("*") if p.suffix in SIGNABLE}
    wanted |= set((REPO / "runtime").glob("*.ps1"))
    chosen = signed_files(step)
    problems = [f"cannot sign {p.relative_to(REPO)}" for p in sorted(chosen - wanted)]
    problems += [f"does not sign {p.relative_to(REPO)}" for p in sorted(wanted - chosen)]
    return problems


def _signing_step() -> str:
    steps = load(WORKFLOWS / RELEASE)["jobs"]["release"]["steps"]
    (step,) = [s["run"] for s in steps if "Set-AuthenticodeSignature" in s.get("run", "")]
    return str(step)


def test_the_release_signs_every_module_and_entry_script_and_nothing_authenticode_cannot_sign() -> None:
    assert signing_problems(_signing_step()) == []


def test_a_signing_step_that_takes_the_help_text_too_fails() -> None:
    planted = _signing_step().replace(" -Include *.ps1, *.psm1, *.psd1", "")
    assert "cannot sign runtime/WslPortProxy/en-US/about_WslPortProxy.help.txt" in signing_problems(planted)
