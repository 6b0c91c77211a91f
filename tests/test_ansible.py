"""The fleet folder's Ansible files pass Ansible's own checks: syntax, ansible-lint's production
profile, and every module and argument as ansible-doc documents it. Each check is also shown
failing on a fixture. The playbooks are checked, not run: nothing here reaches a Windows host."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from wsl_portproxy.cli import main

from .ansible_check import argument_problems, pinned_specs, tasks
from .conftest import REPO

FIXTURES = REPO / "tests" / "ansible-fixtures"
PLAYBOOKS = ("site.yml", "uninstall.yml")
INVENTORY = """\
servers:
  - {name: WEB-01, run_as: 'CORP\\svc-podman', ports: [80, "8443:443"]}
  - {name: APP-7, start: logon, install_dir: 'D:\\Tools\\Wsl Proxy (x)', ports: [3000]}
  - {name: "NO", start: logon, ports: [8080]}
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert shutil.which(args[0]), f"{args[0]} is missing: .ci/install-tools installs it"
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=600,
                          check=False)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated fleet folder (a copy: the tools may leave caches behind)."""
    root = tmp_path_factory.mktemp("ansible")
    inventory = root / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    assert main(["generate", str(inventory), "-o", str(root / "dist")]) == 0
    shutil.copytree(root / "dist" / "_fleet", root / "fleet")
    return root / "fleet"


def test_the_inventory_holds_one_host_per_server_in_group_wsl_portproxy(fleet: Path) -> None:
    hosts = yaml.safe_load((fleet / "inventory.yml").read_text("utf-8"))["wsl_portproxy"]["hosts"]
    assert hosts == {
        "WEB-01": {"wsl_portproxy_server": "WEB-01", "wsl_portproxy_install_dir":
                   "%ProgramData%\\WslPortProxy", "wsl_portproxy_start": "boot"},
        "APP-7": {"wsl_portproxy_server": "APP-7", "wsl_portproxy_install_dir":
                  "D:\\Tools\\Wsl Proxy (x)", "wsl_portproxy_start": "logon"},
        "NO": {"wsl_portproxy_server": "NO", "wsl_portproxy_install_dir":   # a bare NO is false
               "%ProgramData%\\WslPortProxy", "wsl_portproxy_start": "logon"},
    }
    listed = run("ansible-inventory", "-i", "inventory.yml", "--graph", "wsl_portproxy", cwd=fleet)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["@wsl_portproxy:", "|--APP-7", "|--NO", "|--WEB-01"]


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_ansible_playbook_syntax_check_passes(fleet: Path, playbook: str) -> None:
    result = run("ansible-playbook", "-i", "inventory.yml", playbook, "--syntax-check", cwd=fleet)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_syntax_check_refuses_a_broken_playbook(fleet: Path) -> None:
    result = run("ansible-playbook", "-i", "inventory.yml", str(FIXTURES / "syntax-error.yml"),
                 "--syntax-check", cwd=fleet)
    assert result.returncode != 0
    assert "'hostz' is not a valid attribute for a Play" in result.stderr


def test_ansible_lint_production_profile_finds_nothing(fleet: Path) -> None:
    result = run("ansible-lint", "--offline", "--profile", "production", "--nocolor", *PLAYBOOKS,
                 "inventory.yml", cwd=fleet)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed with production profile: 0 failure(s), 0 warning(s) on 3 files." in result.stderr


def test_ansible_lint_refuses_the_lint_fixture(fleet: Path) -> None:
    shutil.copy(FIXTURES / "lint-finding.yml", fleet.parent / "lint-finding.yml")
    result = run("ansible-lint", "--offline", "--profile", "production", "--nocolor",
                 "lint-finding.yml", cwd=fleet.parent)
    assert result.returncode != 0
    assert "fqcn[action]" in result.stdout + result.stderr
    assert "name[missing]" in result.stdout + result.stderr


def test_every_module_and_argument_of_every_task_is_documented(fleet: Path) -> None:
    assert argument_problems([fleet / p for p in PLAYBOOKS]) == []


def test_the_argument_check_names_a_misspelled_argument_and_an_unknown_module() -> None:
    assert argument_problems([FIXTURES / "misspelled-argument.yml",
                              FIXTURES / "unknown-module.yml"]) == [
        "misspelled-argument.yml: task 'Copy the bundle': ansible.windows.win_copy has no "
        "argument 'destination'",
        "unknown-module.yml: task 'Copy the bundle': no module ansible.windows.win_cpy "
        "(ansible-doc knows none)",
    ]


def test_win_powershell_is_checked_against_ansible_windows_2_4_0_where_sensitive_parameters_began(
        tmp_path: Path) -> None:
    """site.yml needs ansible.windows >= 2.4.0; the installed collection may be older (Debian's 1.14.0,
    whose win_powershell has no sensitive_parameters), so its options come from the 2.4.0 spec."""
    assert pinned_specs()["ansible.windows.win_powershell"]["sensitive_parameters"] == [
        "name", "password", "username", "value"]
    playbook = tmp_path / "secret.yml"
    playbook.write_text(
        "- hosts: all\n  tasks:\n    - name: Run\n      ansible.windows.win_powershell:\n"
        "        script: x\n        sensitive_parameter: []\n        sensitive_parameters:\n"
        "          - {name: Credential, user: task, password: x}\n", "utf-8")
    assert argument_problems([playbook]) == [
        "secret.yml: task 'Run': ansible.windows.win_powershell has no argument 'sensitive_parameter'",
        "secret.yml: task 'Run': ansible.windows.win_powershell sensitive_parameters has no suboption 'user'",
    ]


def test_the_playbook_passes_the_task_password_as_a_pscredential_never_as_a_plain_parameter(
        fleet: Path) -> None:
    install = next(task for play in yaml.safe_load((fleet / "site.yml").read_text("utf-8"))
                   for task in tasks(play) if task.get("name") == "Run the installer")
    call = install["ansible.windows.win_powershell"]
    assert set(call["parameters"]) == {"BundlePath"}
    assert call["sensitive_parameters"] == [{
        "name": "Credential", "username": "task",
        "password": "{{ wsl_portproxy_task_password | default('') }}"}]


def test_the_playbooks_run_the_installer_snippets_of_the_fleet_folder(fleet: Path) -> None:
    """The snippet the playbook sends is the file the simulated-Windows tests run."""
    site = (fleet / "site.yml").read_text("utf-8")
    assert "lookup('ansible.builtin.file', 'files/install-bundle.ps1')" in site
    assert "lookup('ansible.builtin.file', 'files/uninstall-bundle.ps1')" in (
        fleet / "uninstall.yml").read_text("utf-8")
    assert (fleet / "files" / "install-bundle.ps1").read_bytes() == (
        REPO / "runtime" / "fleet" / "files" / "install-bundle.ps1").read_bytes()
