"""The docs stay true: README.md and docs/*.md link to files and headings that exist, every page
is reachable from README, each page defines its glossary terms where it first uses them, every
shell block marked ``sh runnable`` runs, and each reference page documents every item of its
source (CLI commands, options and exit codes; inventory keys and limits; exported commands and
entry-script exit codes): one test case per item, so that a missing one never hides the next."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from wsl_portproxy import constraints
from wsl_portproxy.api import load_inventory
from wsl_portproxy.cli import build_parser
from wsl_portproxy.errors import EXIT_MEANINGS, PortProxyError, exit_code_reference
from wsl_portproxy.json_schema import inventory_schema

from .conftest import REPO
from .helpers import Write

DOCS = REPO / "docs"
PAGES = [p for p in (REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))) if p.exists()]
# The pages written for one reader each (security.md and windows-facts.md keep their own form).
READER_PAGES = ["admin-guide", "inventory", "cli", "fleet", "module", "performance", "development",
                "glossary"]
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\n", re.M | re.S)
LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^()\s]*)\)")


def _text(name: str) -> str:
    path = DOCS / f"{name}.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def _prose(text: str) -> str:
    """The text with fenced blocks, link targets, headings and the contents line blanked (offsets kept)."""
    text = re.sub(r"\]\([^()\s]*\)", _blank, FENCE.sub(_blank, text))
    return re.sub(r"^(#.*|Contents: .*)$", _blank, text, flags=re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped except - and _, spaces -."""
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    for line in _prose_headings(path.read_text(encoding="utf-8")):
        base = slug(line.lstrip("#"))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def _prose_headings(text: str) -> list[str]:
    return [line for line in FENCE.sub(_blank, text).splitlines() if re.match(r"#{1,6} ", line)]


def _links() -> list[tuple[Path, str]]:
    return [(page, m.group(2)) for page in PAGES
            for m in LINK.finditer(FENCE.sub(_blank, page.read_text(encoding="utf-8")))
            if not re.match(r"[a-z]+:", m.group(2))]


def test_slug_follows_githubs_rules() -> None:
    assert slug("What containers publish: -Discover and drift") == (
        "what-containers-publish--discover-and-drift")
    assert slug("Automatic forwarding (auto_ports)") == "automatic-forwarding-auto_ports"
    assert slug("The `-Status` [object](x.md) & co.") == "the--status-object--co"


def test_duplicate_headings_get_numbered(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("# A\n## Notes\n```\n# not a heading\n```\n## Notes\n", encoding="utf-8")
    assert anchors(page) == {"a", "notes", "notes-1"}


@pytest.mark.parametrize(("page", "target"), _links(), ids=lambda v: str(v).replace(str(REPO), ""))
def test_every_relative_link_and_anchor_resolves(page: Path, target: str) -> None:
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    assert resolved.exists(), f"{page.name}: {target}: no such file"
    if anchor:
        assert resolved.suffix == ".md" and anchor in anchors(resolved), f"{page.name}: no heading #{anchor}"


@pytest.mark.parametrize("name", [p.name for p in DOCS.glob("*.md")])
def test_every_docs_page_is_linked_from_readme(name: str) -> None:
    assert f"](docs/{name})" in (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [*READER_PAGES, "security"])
def test_every_reader_page_exists_and_readme_links_contributing(name: str) -> None:
    assert (DOCS / f"{name}.md").exists()
    assert "](CONTRIBUTING.md)" in (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", READER_PAGES)
def test_each_reader_page_starts_by_saying_who_it_is_for(name: str) -> None:
    first = _text(name).split("\n\n")[1]
    assert first.startswith("For "), first


GLOSSARY = {  # anchor: what counts as a use of the term in a page's prose
    "reconcile": r"(?i)\breconcil(?:e|es|ed|ing)\b", "portproxy-v4tov4": r"(?<![\w-])portproxy(?![\w-])",
    "ip-helper-iphlpsvc": r"\bIP\s+Helper\b", "session-0": r"(?i)\bsession\s+0\b",
    "wsl-localhost-relay": r"(?i)localhost\s+relay", "drift": r"(?i)\bdrift\b",
    "once": r"\bone-time\s+run\b|\bone\s+reconcile\b", "auto_ports": r"\bauto_ports\b",
    "bundle": r"(?i)\bbundles?\b", "fleet-folder": r"(?i)\bfleet\s+folder\b",
    "stale-folder": r"(?i)\bstale\s+(?:server\s+)?folders?\b", "watcher": r"(?i)\bwatchers?\b",
    "keep-alive": r"(?i)(?<![\w-])keep-alive(?![\w-])"}
GLOSSED = [(page, anchor) for page in PAGES[:1] + [DOCS / f"{n}.md" for n in READER_PAGES[:-1]]
           for anchor in GLOSSARY]


@pytest.mark.parametrize(("page", "anchor"), GLOSSED, ids=lambda v: getattr(v, "name", v))
def test_each_glossary_term_is_linked_where_a_page_first_uses_it(page: Path, anchor: str) -> None:
    text = page.read_text(encoding="utf-8")
    assert anchor in anchors(DOCS / "glossary.md")
    use = re.search(GLOSSARY[anchor], _prose(text))
    if use is None:
        return
    covering = [m for m in LINK.finditer(text) if m.start() <= use.start() < m.end()]
    assert any(m.group(2).endswith(f"glossary.md#{anchor}") for m in covering), (
        f"{page.name}: first use of {anchor!r} is not linked to the glossary: "
        f"{text[max(0, use.start() - 60):use.end() + 20]!r}")


def _blocks() -> list[tuple[Path, str, str, int]]:
    return [(page, m.group(1).strip(), m.group(2), m.start()) for page in PAGES
            for m in FENCE.finditer(page.read_text(encoding="utf-8"))]


RUNNABLE = [(page, code) for page, info, code, _ in _blocks() if info == "sh runnable"]


def test_runnable_blocks_exist_and_include_readmes_generate_and_demo() -> None:
    readme = [code for page, code in RUNNABLE if page.name == "README.md"]
    assert any("wsl-portproxy generate" in code for code in readme)
    assert any("Demo.ps1" in code for code in readme)


@pytest.mark.parametrize(("page", "code"), RUNNABLE, ids=lambda v: getattr(v, "name", str(v)[:40]))
def test_a_runnable_shell_block_runs_from_a_fresh_copy(tmp_path: Path, page: Path, code: str) -> None:
    copy = tmp_path / "repo"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    for tool in (".venv", ".tools"):
        if (REPO / tool).exists():
            (copy / tool).symlink_to((REPO / tool).resolve())
    env = {**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(["bash", "-e", "-c", code], cwd=copy, env=env, capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, f"{page.name}:\n{code}\n{run.stdout[-3000:]}{run.stderr[-3000:]}"


@pytest.mark.parametrize(("page", "start"), [(p, s) for p, info, _, s in _blocks() if info == "sh"],
                         ids=lambda v: getattr(v, "name", str(v)))
def test_an_unmarked_shell_block_says_why_it_is_not_run(page: Path, start: int) -> None:
    text = page.read_text(encoding="utf-8")
    before = text[:start].rstrip().rsplit("\n\n", 1)[-1]
    after = text[text.index("```\n", start + 3) + 4:].lstrip().split("\n\n", 1)[0]
    assert re.search(r"(?i)not run", before + after), f"{page.name}: {before[-200:]!r}"


TEST_PATHS = sorted({(page.name, m.group(0)) for page in PAGES for m in re.finditer(
    r"(?<![\w/.])(?:tests|bench)/[\w/.-]+\.(?:ps1|py|json)\b", page.read_text(encoding="utf-8"))})


@pytest.mark.parametrize(("page", "path"), TEST_PATHS)
def test_every_test_or_bench_file_a_page_names_exists(page: str, path: str) -> None:
    """A command naming a missing file can pass (Invoke-Pester runs nothing and exits 0)."""
    assert (REPO / path).is_file(), f"{page}: {path} does not exist"


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


CLI_ITEMS = [f"wsl-portproxy {name}" for name in _commands()] + sorted(
    {option for command in _commands().values() for action in command._actions
     for option in action.option_strings if option not in ("-h", "--help")}
    | {"--version", "--debug"})
EXPORTED = re.findall(r"'([A-Za-z]+-WslPortProxy\w*)'",
                      (REPO / "runtime" / "WslPortProxy" / "WslPortProxy.psd1").read_text("ascii"))


@pytest.mark.parametrize("item", CLI_ITEMS)
def test_every_cli_command_and_option_is_in_the_cli_page(item: str) -> None:
    assert item in _text("cli")


def test_the_cli_pages_exit_code_table_is_the_one_the_cli_prints() -> None:
    text = _text("cli")
    start = text.index("<!-- exit codes: start -->\n") + len("<!-- exit codes: start -->\n")
    assert text[start:text.index("<!-- exit codes: end -->")] == exit_code_reference(), (
        "docs/cli.md's exit-code table differs from wsl_portproxy.errors.exit_code_reference(): "
        "paste it between the markers")


@pytest.mark.parametrize("code", sorted(EXIT_MEANINGS))
def test_every_cli_exit_code_is_in_the_cli_page(code: int) -> None:
    assert f"\n| {code} |" in _text("cli")[_text("cli").index("| exit code | meaning |"):]


def _schema_keys() -> tuple[set[str], set[str]]:
    """The server keys (with firewall.*) and the nested keys of a port mapping and auto_ports."""
    server = inventory_schema()["properties"]["servers"]["items"]["properties"]
    keys = {k for k in server if k != "firewall"} | {
        f"firewall.{k}" for k in server["firewall"]["properties"]} | {"firewall"}
    mapping = next(a for a in server["ports"]["items"]["anyOf"] if a.get("type") == "object")
    auto: dict[str, Any] = next(a for a in server["auto_ports"]["anyOf"] if a.get("type") == "object")
    return keys, set(mapping["properties"]) | set(auto["properties"])


def _reference_rows() -> set[str]:
    section = _text("inventory").partition("## Format and keys")[2].split("\n## ")[0]
    return {m.group(1) for m in re.finditer(r"^\| `([a-z_.]+)`", section, re.M)} - {"code"}


@pytest.mark.parametrize("key", sorted(_schema_keys()[0]))
def test_every_schema_key_has_a_row_in_the_inventory_reference(key: str) -> None:
    assert key in _reference_rows()


@pytest.mark.parametrize("key", sorted(_reference_rows()))
def test_every_documented_key_exists_in_the_schema(key: str) -> None:
    assert key in _schema_keys()[0]


@pytest.mark.parametrize("key", sorted(_schema_keys()[1]))
def test_every_nested_key_is_in_the_inventory_reference(key: str) -> None:
    assert f"`{key}`" in _text("inventory").split("## Errors and warnings")[0]


@pytest.mark.parametrize("limit", [constraints.MAX_PORT_ENTRIES, constraints.MAX_ALLOW_FROM,
                                   constraints.MAX_AUTO_ALLOW, constraints.MAX_FORWARDED_PORTS,
                                   constraints.MAX_FILE_BYTES, constraints.MAX_YAML_VALUES,
                                   constraints.MAX_DEPTH])
def test_every_size_limit_is_in_the_inventory_reference(limit: int) -> None:
    reference = _text("inventory").split("## Errors and warnings")[0]
    assert re.search(rf"(?<![\d,]){limit:,}(?![\d,])|(?<![\d,]){limit}(?![\d,])", reference)


@pytest.mark.parametrize("command", EXPORTED)
def test_every_exported_command_is_in_the_module_reference(command: str) -> None:
    assert re.search(rf"^\| `{command}\b", _text("module"), re.M)


def _exit_column(table_head: str, text: str, column: int) -> set[int]:
    rows = text[text.index(table_head):].split("\n\n", maxsplit=1)[0].splitlines()[2:]
    cells = [row.split("|")[column].strip() for row in rows]
    return {int(n) for cell in cells for n in re.findall(r"\b\d+\b", cell)}


UPDATE_CODES = [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
INSTALL_CODES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14]


@pytest.mark.parametrize("code", UPDATE_CODES)
def test_every_update_script_exit_code_is_in_the_module_reference(code: int) -> None:
    assert code in _exit_column("| ErrorId | command |", _text("module"), 3)


@pytest.mark.parametrize("code", INSTALL_CODES)
def test_every_install_script_exit_code_is_in_the_module_reference(code: int) -> None:
    assert code in _exit_column("| ErrorId | command |", _text("module"), 4)


UNINSTALL_CODES = [0, 1, 2, 5, 8, 9, 10, 14]
ADMIN_TABLES = {"update": ("| exit code (task", UPDATE_CODES),
                "install": ("| `Install-WslPortProxy.ps1` exit code", INSTALL_CODES),
                "uninstall": ("| `Uninstall-WslPortProxy.ps1` exit code", UNINSTALL_CODES)}


def _script_codes(script: str) -> set[int]:
    """The exit codes an entry script's help lists (``Exit codes: 0 …; 1 …; 2 …``)."""
    text = (REPO / "runtime" / f"{script}-WslPortProxy.ps1").read_text("utf-8")
    notes = re.sub(r"\s+", " ", text.split(".NOTES")[1].split("#>")[0])
    return {int(n) for n in re.findall(r"(?:: |; )(\d+) ", notes)}


@pytest.mark.parametrize("script", ["Update", "Install", "Uninstall"])
def test_the_exit_code_lists_here_are_the_ones_each_entry_script_documents(script: str) -> None:
    assert _script_codes(script) == set(ADMIN_TABLES[script.lower()][1])


@pytest.mark.parametrize(("table", "code"),
                         [(t, c) for t, (_, codes) in ADMIN_TABLES.items() for c in codes])
def test_every_entry_script_exit_code_is_in_its_admin_guide_troubleshooting_table(
        table: str, code: int) -> None:
    troubleshooting = _text("admin-guide").split("## Troubleshooting")[1]
    head = ADMIN_TABLES[table][0]
    assert head in troubleshooting, f"admin-guide.md: no table starting {head!r} under Troubleshooting"
    assert code in _exit_column(head, troubleshooting, 1)


def test_the_update_table_says_what_else_exits_8_and_that_only_status_exits_9() -> None:
    troubleshooting = _text("admin-guide").split("## Troubleshooting")[1]
    rows = troubleshooting[troubleshooting.index("| exit code (task"):].split("\n\n")[0]
    row8 = next(r for r in rows.splitlines() if r.startswith("| 8 |"))
    assert all(i in row8 for i in ("LockTimeout", "LockDenied", "LockFolderUnsafe")), row8
    row9 = next(r for r in rows.splitlines() if r.startswith("| 9 |"))
    assert "-Status" in row9 and "never" in row9, row9


def test_the_item_lists_are_not_empty() -> None:
    assert len(CLI_ITEMS) > 8 and len(EXPORTED) == 7 and len(_links()) > 30 and len(RUNNABLE) >= 3
    assert len(_schema_keys()[0]) > 12 and len(_schema_keys()[1]) >= 7 and len(GLOSSED) > 50


RUN_AS_FORMS = {"DOMAIN\\user": "CORP\\svc-podman", ".\\user": ".\\svc-podman",
                "user@domain.tld": "svc-podman@corp.example"}


def test_the_reference_lists_exactly_the_run_as_forms_the_validator_accepts(write_inventory: Write) -> None:
    row = next(line for line in _text("inventory").splitlines() if line.startswith("| `run_as` |"))
    listed = row.split("in exactly one of three forms:")[1].split("; a bare")[0]
    assert re.findall(r"`([^`]+)`", listed) == list(RUN_AS_FORMS)
    for example in RUN_AS_FORMS.values():
        path = write_inventory(f"servers:\n  - {{name: A, ports: [80], run_as: '{example}'}}\n")
        assert load_inventory(path).servers[0].run_as == example
    bare = write_inventory("servers:\n  - {name: A, ports: [80], run_as: svc-podman}\n")
    with pytest.raises(PortProxyError, match="has no domain"):
        load_inventory(bare)


def test_readme_names_the_test_command_that_ci_runs() -> None:
    run = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert run[-1] == ".venv/bin/python -m pytest", run[-1]
    setup = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"runs the test command: {run[-1]}" in setup


def test_readmes_layout_names_every_tracked_top_level_folder() -> None:
    """A newcomer finds the runtime from the folder names alone: README's layout section names
    each top-level folder git tracks, and nothing else."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Layout\n"):]
    section = section[:section.index("\n## ", 1)]
    named = set(re.findall(r"^- `([^`/]+)/`", section, re.M))
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    tracked = {name.split("/", 1)[0] for name in listed.stdout.decode().split("\0") if "/" in name}
    assert named == tracked
