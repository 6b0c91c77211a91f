"""The CLI's --help texts: each command's examples and the exit codes it can return (the
meanings come from ``errors.EXIT_MEANINGS``, the one table)."""

from __future__ import annotations

from .errors import (
    EXIT_CHANGES,
    EXIT_INTERNAL,
    EXIT_INVALID,
    EXIT_MEANINGS,
    EXIT_NOT_OURS,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_WRITE,
    exit_code_table,
)

# The exit codes each command can return (2 for usage errors: every command parses arguments).
COMMAND_EXIT_CODES: dict[str, tuple[int, ...]] = {
    "init": (EXIT_OK, EXIT_USAGE, EXIT_WRITE, EXIT_INTERNAL),
    "schema": (EXIT_OK, EXIT_USAGE, EXIT_INTERNAL),
    "validate": (EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL),
    "generate": (EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_CHANGES, EXIT_WRITE, EXIT_NOT_OURS,
                 EXIT_INTERNAL),
}

EXAMPLES: dict[str, str] = {
    "init": "examples:\n"
            "  wsl-portproxy init                  # inventory.yaml and wsl-portproxy.schema.json\n"
            "  wsl-portproxy init site-b.yaml      # a second inventory beside the first\n",
    "schema": "example:\n"
              "  wsl-portproxy schema > wsl-portproxy.schema.json\n",
    "validate": "examples:\n"
                "  wsl-portproxy validate inventory.yaml\n"
                "  wsl-portproxy validate --strict inventory.yaml   # in CI: a warning fails\n"
                "prints: inventory.yaml: valid (N server(s), M portproxy rule(s), K warning(s))\n",
    "generate": "examples:\n"
                "  wsl-portproxy generate inventory.yaml            # one bundle per server in dist/\n"
                "  wsl-portproxy generate inventory.yaml --check    # in CI: exit 3 if dist/ is behind\n"
                "  wsl-portproxy generate inventory.yaml -o out --server WEB-01 -v\n"
                "prints one line (-v: also every file; -q: nothing but errors and warnings):\n"
                "  dist: 1 server(s) written, 1 up to date; fleet folder dist/_fleet written\n"
                "--check answers what generate would do, with the same refusals (exit 5) and\n"
                "the same error line; exit 3 when it would write or finds stale folders.\n",
}

TOP = ("wsl-portproxy COMMAND --help shows a command's options, examples and exit codes.\n\n"
       "example:\n"
       "  wsl-portproxy init && wsl-portproxy generate inventory.yaml\n")


def epilog(command: str | None = None) -> str:
    """The text after a --help's options: examples, then the exit codes."""
    if command is None:
        return TOP + "\n" + exit_code_table(sorted(EXIT_MEANINGS))
    return EXAMPLES[command] + "\n" + exit_code_table(COMMAND_EXIT_CODES[command])
