"""Backslashes inside double-quoted YAML scalars: where each is, what YAML makes of it, and
the single-quoted spelling that keeps it as typed.

In a double-quoted scalar a backslash starts an escape: ``"CORP\\admin"`` reads as ``CORP``,
a bell character and ``dmin``; ``"CORP\\svc"`` cannot be read at all (``\\s`` is not an escape).
Windows accounts and paths are full of backslashes, so ``load`` names every one of them, with
line and column, and suggests single quotes. The escapes are libyaml's (YAML 1.1 and 1.2's);
tests/test_yaml_escapes.py checks this table against the loader for every printable ASCII
character, tab and the line breaks. Lines are counted as YAML counts them (``\r\n``, ``\r``,
``\n``, U+0085, U+2028, U+2029).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from .messages import show, text

# Fields that hold Windows paths or accounts: a backslash in them must arrive as typed.
BACKSLASH_KEYS = ("run_as", "install_dir", "metrics_file")
# The one-character escapes, and the hexadecimal ones with their number of digits.
BREAKS = frozenset("\r\n\x85\u2028\u2029")   # an escaped line break joins two lines
SIMPLE = frozenset(' "/0LNP\\_abefnrtv\t') | BREAKS
HEX = {"x": 2, "u": 4, "U": 8}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
MAX_REPAIRS = 100   # double-quoted scalars with an unknown escape located per run
REPAIR_BUDGET = 4_000_000   # characters parsed while locating them (about 0.4 CPU s)
MAX_DESCRIBED = 10   # backslashes named per scalar; the rest are counted
MAX_SHOWN = 120      # characters of a scalar shown in a message; longer ones are shortened
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class LineIndex:
    """0-based line and column of any index of a text, with lines broken as YAML breaks them;
    built once per text, each lookup a binary search."""

    def __init__(self, text: str):
        self.starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]

    def position(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, index) - 1
        return line, index - self.starts[line]


@dataclass(frozen=True)
class Escape:
    """One backslash in a double-quoted scalar: its index in the text, what was typed (``\\s``,
    ``\\x41``), whether YAML knows it, and its 1-based line and column."""

    index: int
    typed: str
    known: bool
    line: int
    column: int

    def describe(self) -> str:
        where = f"{self.typed} (line {self.line}, column {self.column})"
        if not self.known:
            return f"{where} is not an escape"
        read = yaml.safe_load(f'"{self.typed}"') if self.typed[1] not in BREAKS else ""
        return f"{where} is read as {show(read)}"


def _typed(source: str, at: int) -> tuple[str, bool]:
    """The escape that starts with the backslash at ``at``, and whether YAML knows it."""
    after = source[at + 1:at + 2]
    if after in HEX:
        sequence = source[at:at + 2 + HEX[after]]
        if len(sequence) == 2 + HEX[after] and set(sequence[2:]) <= _HEX_DIGITS:
            code = int(sequence[2:], 16)   # no surrogate halves, nothing past U+10FFFF (libyaml)
            return sequence, code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
        return source[at:at + 2], False
    return source[at:at + 2], after in SIMPLE and after != ""


def scan(source: str, start: int, line: int, column: int) -> tuple[list[Escape], int]:
    """Every backslash of the double-quoted scalar whose opening quote is ``source[start]``
    (at 0-based ``line`` and ``column``), and the index just after its closing quote."""
    found: list[Escape] = []
    at, last_break = start + 1, start - column - 1
    while at < len(source) and source[at] != '"':
        if source[at] in BREAKS and source[at:at + 2] != "\r\n":
            line, last_break = line + 1, at
        if source[at] != "\\":
            at += 1
            continue
        typed, known = _typed(source, at)
        found.append(Escape(at, typed, known, line + 1, at - last_break))
        at += len(typed) if typed[1:] not in BREAKS | {""} else 1
    return found, at + 1


def message(source: str, start: int, line: int, column: int) -> str | None:
    """The error for the double-quoted scalar at ``start`` if it holds an unknown escape, or
    (code ``yaml-double-quoted``) for a path or account; None when it holds no backslash."""
    escapes, end = scan(source, start, line, column)
    if not escapes:
        return None
    code = "yaml-double-quoted" if all(e.known for e in escapes) else "yaml-escape-unknown"
    named = [e.describe() for e in escapes[:MAX_DESCRIBED]]
    if len(escapes) > MAX_DESCRIBED:
        named.append(f"and {len(escapes) - MAX_DESCRIBED} more")
    return text(code, typed=_shown(source[start:end]), escapes=", ".join(named),
                fixed=_shown(single_quoted(source[start + 1:end - 1])))


def _shown(value: str) -> str:
    """``value``, or for a long one its start, the number of characters left out, and its end."""
    if len(value) <= MAX_SHOWN:
        return value
    half = MAX_SHOWN // 2
    return f"{value[:half]}…({len(value) - 2 * half} more characters)…{value[-half:]}"


def mangles(source: str, start: int, line: int, column: int) -> bool:
    """True when a backslash in the scalar at ``start`` is anything but ``\\\\`` (one backslash,
    as meant): a path or an account written so would not arrive as typed."""
    return any(e.typed != "\\\\" for e in scan(source, start, line, column)[0])


def single_quoted(inner: str) -> str:
    """The scalar's text in single quotes, as the user meant it: every backslash kept as typed
    (``\\\\`` and ``\\"`` were meant as one backslash and a quote)."""
    meant = inner.replace("\\\\", "\0").replace('\\"', '"').replace("\0", "\\")
    return "'" + meant.replace("'", "''") + "'"


class TooManyRepairs(Exception):
    """Repairing stopped at a limit: ``starts`` are the scalars found so far (each reported)."""

    def __init__(self, starts: list[int]):
        super().__init__(starts)
        self.starts = starts


def repair(source: str, parse: Callable[[str], object]) -> tuple[str, set[int]]:
    """``source`` with the backslash of every unknown escape made harmless (``_``, so lines and
    columns stay), found by parsing (``parse`` raises the loader's error) until it passes, and
    the 0-based indexes of the opening quotes of the scalars repaired.

    Each parse stops at the next unknown escape; past ``MAX_REPAIRS`` scalars, or once the
    parses have read ``REPAIR_BUDGET`` characters, TooManyRepairs names the ones found.
    """
    repaired: set[int] = set()
    spent = 0
    while True:
        try:
            parse(source)
            return source, repaired
        except yaml.MarkedYAMLError as exc:
            start = quoted_start(source, exc)
            if start is None or exc.context_mark is None:
                raise
            if repaired and (len(repaired) >= MAX_REPAIRS or spent > REPAIR_BUDGET):
                raise TooManyRepairs(sorted(repaired)) from exc
            mark = exc.context_mark
            bad = [e.index for e in scan(source, start, mark.line, mark.column)[0] if not e.known]
            if not bad:
                raise
            cuts = [-1, *bad, len(source)]   # one pass: every bad backslash becomes "_"
            source = "_".join(source[a + 1:b] for a, b in itertools.pairwise(cuts))
            repaired.add(start)
            spent += start


def quoted_start(source: str, exc: yaml.MarkedYAMLError) -> int | None:
    """The index of the opening quote of the double-quoted scalar whose escape ``exc`` is about,
    or None when ``exc`` is about something else."""
    mark = exc.context_mark
    if mark is None or ("escape" not in str(exc.problem) and "hex" not in str(exc.problem)):
        return None
    return mark.index if source[mark.index:mark.index + 1] == '"' else None
