"""Step 1 of load -> validate -> model -> render -> write: read an inventory file.

Returns the plain data plus a map from each value's path to its YAML line, so that
later steps can say *where* something is wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import PortProxyError, Problem

Path_ = tuple[str | int, ...]


class _InventoryLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (libyaml's when present) without YAML 1.1 base-60 integers (``80:22`` stays text)."""


_InventoryLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$""", re.X
)
_InventoryLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))


@dataclass
class Document:
    """A parsed inventory: its data and, for YAML, the line of every path."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def format_path(path: Path_) -> str:
    """``('servers', 1, 'ports', 2)`` -> ``servers[1].ports[2]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def load(path: Path) -> Document:
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PortProxyError.single(name, "", f"cannot read the file: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PortProxyError.single(
            name, "", f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from exc
    doc = _load_json(name, text) if path.suffix.lower() == ".json" else _load_yaml(name, text)
    if doc.data is None:
        raise PortProxyError.single(name, "", "the file is empty: expected a mapping with 'servers'")
    return doc


def _load_json(name: str, text: str) -> Document:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        dup = next((k for k in keys if keys.count(k) > 1), None)
        if dup is not None:
            raise ValueError(f"duplicate key '{dup}'")
        return dict(pairs)

    if not text.strip():
        return Document(name, None)
    try:
        return Document(name, json.loads(text, object_pairs_hook=no_duplicates))
    except json.JSONDecodeError as exc:
        raise PortProxyError(name, [Problem("", f"JSON syntax error: {exc.msg}", exc.lineno)]) from exc
    except ValueError as exc:
        raise PortProxyError.single(name, "", str(exc)) from exc


def _load_yaml(name: str, text: str) -> Document:
    try:
        loader = _InventoryLoader(text)
    except yaml.reader.ReaderError as exc:
        raise PortProxyError.single(name, "", f"YAML error: character {exc.character!r} at "
                                    f"offset {exc.position} is not allowed in YAML") from exc
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(name, None)
        lines: dict[Path_, int] = {}
        problems: list[Problem] = []
        _index(node, (), lines, problems)
        if problems:
            raise PortProxyError(name, problems)
        return Document(name, loader.construct_document(node), lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = f"YAML syntax error: {exc.problem or exc.context}"
        raise PortProxyError(name, [Problem("", what, line)]) from exc
    except yaml.reader.ReaderError as exc:
        raise PortProxyError.single(name, "", f"YAML error: character {exc.character!r} at "
                                    f"offset {exc.position} is not allowed in YAML") from exc
    except yaml.YAMLError as exc:
        raise PortProxyError.single(name, "", f"YAML error: {exc}") from exc
    finally:
        loader.dispose()


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem]) -> None:
    """Record the line of every value and refuse duplicate mapping keys."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                where = format_path(path)
                line = key_node.start_mark.line + 1
                problems.append(Problem(where, f"duplicate key '{key}'", line))
            seen.add(key)
            _index(value_node, (*path, key), lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), lines, problems)
