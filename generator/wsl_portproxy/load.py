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

from . import constraints as limits
from . import escapes
from .errors import PortProxyError, Problem
from .messages import text as message

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
    # YAML source of plain scalars that were read as something other than text (``01``, ``yes``)
    scalars: dict[Path_, str] = field(default_factory=dict)
    # the error for each double-quoted path or account whose backslashes were read as escapes
    escaped: dict[Path_, str] = field(default_factory=dict)

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
        size = path.stat().st_size
        if size > limits.MAX_FILE_BYTES:
            raise _error(name, "file-too-large", size=size, limit=limits.MAX_FILE_BYTES)
        raw = path.read_bytes()
    except OSError as exc:
        raise _error(name, "file-unreadable", reason=exc.strerror) from exc
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(raw) >= 4 and raw[1:4:2] == b"\0\0"):
        raise _error(name, "file-utf16")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(name, "file-not-utf8", byte=raw[exc.start], offset=exc.start) from exc
    doc = _load_json(name, text) if path.suffix.lower() == ".json" else _load_yaml(name, text)
    if doc.data is None:
        raise _error(name, "file-empty")
    return doc


def _error(name: str, code: str, line: int | None = None, **fields: Any) -> PortProxyError:
    return PortProxyError(name, [Problem("", message(code, **fields), line)])


def _load_json(name: str, text: str) -> Document:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        dup = next((k for k in keys if keys.count(k) > 1), None)
        if dup is not None:
            raise ValueError(message("duplicate-key", key=dup))
        return dict(pairs)

    if not text.strip():
        return Document(name, None)
    try:
        return Document(name, json.loads(text, object_pairs_hook=no_duplicates))
    except json.JSONDecodeError as exc:
        raise _error(name, "json-syntax", exc.lineno, detail=exc.msg) from exc
    except ValueError as exc:
        raise PortProxyError.single(name, "", str(exc)) from exc
    except RecursionError as exc:
        raise _error(name, "too-deep", limit=limits.MAX_DEPTH) from exc


def _load_yaml(name: str, text: str) -> Document:
    try:
        parsed, repaired = escapes.repair(text, lambda source: _count_values(name, source))
        loader = _InventoryLoader(parsed)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(name, text, exc) from exc
    except escapes.TooManyRepairs as exc:
        lines = escapes.LineIndex(text)
        raise PortProxyError(name, [_by_line(text, start, lines) for start in exc.starts]) from exc
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise _error(name, "yaml-character", char=f"U+{char:04X}", offset=exc.position) from exc
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(name, None)
        doc = Document(name, None)
        problems: list[Problem] = []
        indexer = _Indexer(doc, text, problems, repaired)
        indexer.visit(node, ())
        indexer.unvisited()
        if problems:
            raise PortProxyError(name, problems)
        doc.data = loader.construct_document(node)
        return doc
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(name, text, exc) from exc
    except yaml.YAMLError as exc:  # our own limits
        raise PortProxyError.single(name, "", str(exc)) from exc
    finally:
        loader.dispose()


def _count_values(name: str, text: str) -> None:
    """Refuse a document of more values than the limit before building any of them."""
    for count, _ in enumerate(yaml.parse(text, Loader=_InventoryLoader)):
        if count > limits.MAX_YAML_VALUES:
            raise _error(name, "yaml-too-many-values", limit=limits.MAX_YAML_VALUES)


def _syntax_error(name: str, text: str, exc: yaml.MarkedYAMLError) -> PortProxyError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    lines = text.splitlines()
    source = lines[mark.line] if mark and mark.line < len(lines) else ""
    indent = source[:len(source) - len(source.lstrip(" \t"))]
    if "\t" in indent:
        return _error(name, "yaml-tab", line)
    return _error(name, "yaml-syntax", line, detail=exc.problem or exc.context)


class _Indexer:
    """Records the line of every value, the YAML source of scalars that the field checks need,
    refuses duplicate keys, and stops aliases that expand past the value limit."""

    def __init__(self, doc: Document, text: str, problems: list[Problem], repaired: set[int]):
        self.doc, self.problems, self.visited = doc, problems, 0
        self.text, self.repaired = text, set(repaired)
        self._lines: escapes.LineIndex | None = None   # built at the first backslash

    def _position(self, index: int) -> tuple[int, int]:
        if self._lines is None:
            self._lines = escapes.LineIndex(self.text)
        return self._lines.position(index)

    def visit(self, node: yaml.Node, path: Path_) -> None:
        self.visited += 1
        if self.visited > limits.MAX_YAML_VALUES:
            raise yaml.YAMLError(message("yaml-too-many-values", limit=limits.MAX_YAML_VALUES))
        if len(path) > limits.MAX_DEPTH:
            raise yaml.YAMLError(message("too-deep", limit=limits.MAX_DEPTH))
        self.doc.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            self._scalar(node, path)
        elif isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    self.problems.append(Problem(format_path(path), message("duplicate-key", key=key),
                                                 key_node.start_mark.line + 1))
                seen.add(key)
                if isinstance(key_node, yaml.ScalarNode) and key_node.style == '"':
                    self._quoted(key_node, path, is_key=True)   # named by its mapping
                self.visit(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.visit(item, (*path, i))

    def _scalar(self, node: yaml.ScalarNode, path: Path_) -> None:
        if not node.style and node.tag != "tag:yaml.org,2002:str":  # plain: None, or "" from libyaml
            self.doc.scalars[path] = node.value
        elif node.style == '"':
            self._quoted(node, path)

    def _quoted(self, node: yaml.ScalarNode, path: Path_, is_key: bool = False) -> None:
        """An unknown escape is an error wherever it is (YAML could not read the file as typed);
        any other escape but ``\\`` is one in a path or an account (the collector reports it)."""
        start, end = node.start_mark, node.end_mark
        quote = self.text.find('"', start.index, end.index)   # after an anchor or a tag, if any
        if quote not in self.repaired and "\\" not in self.text[quote:end.index]:
            return
        line, column = self._position(quote)
        if quote in self.repaired:
            self.repaired.discard(quote)
            found = escapes.message(self.text, quote, line, column)
            self.problems.append(Problem(format_path(path), str(found), line + 1))
        elif (not is_key and path and path[-1] in escapes.BACKSLASH_KEYS
              and escapes.mangles(self.text, quote, line, column)):
            self.doc.escaped[path] = str(escapes.message(self.text, quote, line, column))

    def unvisited(self) -> None:
        """Report the repaired scalars that no value or key holds (a tag, say) by their line."""
        if self.repaired:
            lines = escapes.LineIndex(self.text)
            self.problems.extend(_by_line(self.text, q, lines) for q in sorted(self.repaired))


def _by_line(text: str, quote: int, lines: escapes.LineIndex) -> Problem:
    """The problem of the double-quoted scalar at ``quote``, located by its line alone."""
    line, column = lines.position(quote)
    return Problem("", str(escapes.message(text, quote, line, column)), line + 1)
