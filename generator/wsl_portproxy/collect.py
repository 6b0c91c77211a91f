"""Step 2 helper: collects the problems and warnings of one document, with path and YAML line."""

from __future__ import annotations

import difflib
from typing import Any

from .errors import Problem
from .load import Document, Path_, format_path
from .messages import show, text


class Collector:
    """Gathers every problem and warning of a document, each with its path and line."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.problems: set[Problem] = set()
        self.warnings: set[Problem] = set()

    def add(self, path: Path_, what: str) -> None:
        self.problems.add(Problem(format_path(path), what, self.doc.line_of(path)))

    def warn(self, path: Path_, what: str) -> None:
        self.warnings.add(Problem(format_path(path), what, self.doc.line_of(path)))

    def mapping(self, value: Any, path: Path_, known: tuple[str, ...]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(path, text("not-a-mapping", keys=", ".join(known), value=show(value)))
            return None
        for key in value:
            if key not in known:
                self.add((*path, str(key)), _unknown_key(str(key), known))
        return value

    def typed_as_text(self, path: Path_, value: Any) -> bool:
        """False (and why) when YAML read a text field as another type or mangled its escapes."""
        typed = self.doc.scalars.get(path)
        if typed is not None and not isinstance(value, (str, list, dict)):
            self.add(path, text("read-as-other", typed=typed, kind=_kind(value)))
            return False
        escaped = self.doc.escaped.get(path)
        if escaped is not None:   # a path or account whose backslashes YAML read as escapes
            self.add(path, escaped)
            return False
        return True


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {show(value)}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return "no value (null)" if value is None else f"a {type(value).__name__}"


def _unknown_key(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return text("unknown-key-close", key=key, close=close[0])
    return text("unknown-key", key=key, keys=", ".join(known))
