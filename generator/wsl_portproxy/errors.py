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
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem; control characters from the input are shown escaped."""
        return problem_lines("error", self.file, self.problems)

    @classmethod
    def single(cls, file: str, where: str, what: str, exit_code: int = EXIT_INVALID) -> PortProxyError:
        return cls(file, [Problem(where, what)], exit_code)
