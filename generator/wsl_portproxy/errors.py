"""The one error type that reaches the user, and the CLI's exit codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .messages import visible

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_CHANGES = 3
EXIT_WRITE = 4
EXIT_NOT_OURS = 5
EXIT_INTERNAL = 70

# What each exit code means: the one source of the CLI's --help tables (and of docs tests).
EXIT_MEANINGS: dict[int, str] = {
    EXIT_OK: "success (--check: everything is up to date)",
    EXIT_INVALID: "invalid inventory or unreadable file (--strict: or a warning); nothing written",
    EXIT_USAGE: "usage error (bad arguments, -v with -q, unknown --server, init onto a "
                "different existing file)",
    EXIT_CHANGES: "--check: files would be written, or stale folders were found",
    EXIT_WRITE: "the output could not be written (the message says what, if anything, was kept)",
    EXIT_NOT_OURS: "a folder to replace or remove is not a bundle of ours, or was edited since; "
                   "nothing written (--force)",
    EXIT_INTERNAL: "internal error (a bug): run again with --debug and report it",
}


def exit_code_reference() -> str:
    """The docs' table of the CLI's exit codes (markdown), for a page to hold between markers."""
    rows = ["| exit code | meaning |", "| --- | --- |"]
    rows += [f"| {code} | {meaning} |" for code, meaning in EXIT_MEANINGS.items()]   # no '|' in them
    return "\n".join(rows) + "\n"


def exit_code_table(codes: Sequence[int]) -> str:
    """``exit codes:`` and one line per code, as the CLI's --help prints them."""
    return "exit codes:\n" + "".join(f"  {code:<3} {EXIT_MEANINGS[code]}\n" for code in codes)


def printable(text: str) -> str:
    """``text`` on one line: every non-printable character (line breaks, NEL, ...) shown."""
    return visible(text)


def problem_lines(kind: str, file: str, problems: Sequence[Problem]) -> list[str]:
    """``<kind>: <file>: <where>: <what>``, one line per problem."""
    return [printable(f"{kind}: {file}: {p.location()}: {p.what}") for p in problems]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    where: str
    what: str
    line: int | None = None

    def location(self) -> str:
        where = self.where or "(top level)"
        return where if self.line is None else f"{where} (line {self.line})"


class PortProxyError(Exception):
    """Raised for every expected failure; the CLI prints it as ``error: file: where: what``."""

    def __init__(self, file: str, problems: Sequence[Problem], exit_code: int = EXIT_INVALID):
        self.file = file
        self.problems = tuple(problems)
        self.exit_code = exit_code
        self.warnings: list[str] = []   # warning lines to print before the error (generate's)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem; control characters from the input are shown escaped."""
        return problem_lines("error", self.file, self.problems)

    @classmethod
    def single(cls, file: str, where: str, what: str, exit_code: int = EXIT_INVALID) -> PortProxyError:
        return cls(file, [Problem(where, what)], exit_code)
