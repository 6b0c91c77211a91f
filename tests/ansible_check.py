"""The argument check for the fleet folder's playbooks: every task's module exists, and every
argument it is given is one of that module's options (or an alias), as ``ansible-doc --json``
documents them. Nothing here reaches a host."""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

BLOCK_KEYS = ("block", "rescue", "always")
PLAY_TASK_KEYS = ("pre_tasks", "tasks", "post_tasks", "handlers")


def ansible_doc(*args: str) -> Any:
    result = subprocess.run(["ansible-doc", *args], capture_output=True, text=True, timeout=300,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"ansible-doc {' '.join(args)} failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


@functools.lru_cache(maxsize=1)
def task_keywords() -> frozenset[str]:
    """Every playbook keyword (name, when, register, block, ...), from Ansible itself."""
    return frozenset(ansible_doc("-t", "keyword", "--list", "--json"))


def tasks(play: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every task of a play, blocks opened."""
    pending = [t for key in PLAY_TASK_KEYS for t in play.get(key) or []]
    while pending:
        task = pending.pop(0)
        if any(key in task for key in BLOCK_KEYS):
            pending[:0] = [t for key in BLOCK_KEYS for t in task.get(key) or []]
        else:
            yield task


def module_call(task: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(module name, its arguments) of a task: the one key that is not a keyword."""
    keywords = task_keywords()
    modules = [k for k in task if k not in keywords and not k.startswith("with_")]
    if len(modules) != 1:
        raise ValueError(f"task {task.get('name')!r} has {len(modules)} module keys: {modules}")
    arguments = task[modules[0]]
    return modules[0], arguments if isinstance(arguments, dict) else {}


SPECS = Path(__file__).parent / "ansible-fixtures" / "specs"


@functools.lru_cache(maxsize=1)
def pinned_specs() -> dict[str, dict[str, list[str]]]:
    """Modules whose options are checked against the collection version the playbooks require
    (ansible-fixtures/specs/<module>-<version>.json, copied from that tag's DOCUMENTATION), not
    against the older collection ansible-doc may know: option -> its suboptions."""
    specs = {}
    for path in sorted(SPECS.glob("*.json")):
        spec = json.loads(path.read_text("utf-8"))
        specs[spec["module"]] = spec["options"]
    return specs


def pinned_problems(where: str, module: str, arguments: dict[str, Any]) -> list[str]:
    """The arguments (and list-of-dict suboptions) a pinned module's spec does not know."""
    spec = pinned_specs()[module]
    problems = [f"{where}: {module} has no argument {name!r}" for name in sorted(set(arguments) - set(spec))]
    for name, value in arguments.items():
        if spec.get(name) and isinstance(value, list):
            keys = {key for item in value if isinstance(item, dict) for key in item}
            problems += [f"{where}: {module} {name} has no suboption {key!r}"
                         for key in sorted(keys - set(spec[name]))]
    return problems


def argument_problems(playbooks: list[Path]) -> list[str]:
    """What is wrong, one sentence each; empty when every module and argument is documented."""
    calls = [(path.name, task.get("name"), *module_call(task))
             for path in playbooks for play in yaml.safe_load(path.read_text("utf-8")) or []
             for task in tasks(play)]
    names = sorted({module for _, _, module, _ in calls})
    docs: dict[str, Any] = ansible_doc("--json", *names) if names else {}
    problems = []
    for file, task, module, arguments in calls:
        doc = (docs.get(module) or {}).get("doc")
        if not doc:
            problems.append(f"{file}: task {task!r}: no module {module} (ansible-doc knows none)")
            continue
        if module in pinned_specs():
            problems += pinned_problems(f"{file}: task {task!r}", module, arguments)
            continue
        options = doc.get("options") or {}
        if "key_value" in options:   # set_fact and its kind take any key
            continue
        known = set(options) | {alias for o in options.values() for alias in o.get("aliases", [])}
        problems += [f"{file}: task {task!r}: {module} has no argument {name!r}"
                     for name in sorted(set(arguments) - known)]
    return problems
