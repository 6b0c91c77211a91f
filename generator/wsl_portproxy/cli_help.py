"""The CLI's --help texts: each command's examples and the exit codes it can return (the
meanings come from ``errors.EXIT_MEANINGS``, the one full table, except where a command's own
wording in ``COMMAND_MEANINGS`` says exactly what that code means for it)."""

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
)

# The exit codes each command can return (2 for usage errors: every command parses arguments).
COMMAND_EXIT_CODES: dict[str, tuple[int, ...]] = {
    "init": (EXIT_OK, EXIT_USAGE, EXIT_WRITE, EXIT_INTERNAL),
    "schema": (EXIT_OK, EXIT_USAGE, EXIT_INTERNAL),
    "validate": (EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL),
    "generate": (EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_CHANGES, EXIT_WRITE, EXIT_NOT_OURS,
                 EXIT_INTERNAL),
}

# Per command: the meanings that differ from the full table's (which names every command's cases).
COMMAND_MEANINGS: dict[str, dict[int, str]] = {
    "init": {EXIT_OK: "success (also when both files already hold exactly what init writes)",
             EXIT_USAGE: "usage error (bad arguments), or init onto a different existing file "
                         "(--force overwrites it)",
             EXIT_WRITE: "a file could not be written"},
    "schema": {EXIT_OK: "success (the schema is on standard output)",
               EXIT_USAGE: "usage error (bad arguments)"},
    "validate": {EXIT_OK: "valid (--strict: and no warning)",
                 EXIT_INVALID: "invalid inventory or unreadable file (--strict: or a warning)",
                 EXIT_USAGE: "usage error (bad arguments)"},
    "generate": {EXIT_USAGE: "usage error (bad arguments, -v with -q, unknown --server)"},
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


def meaning(command: str | None, code: int) -> str:
    """What ``code`` means for ``command`` (None: the top-level help's full table)."""
    return COMMAND_MEANINGS.get(command or "", {}).get(code, EXIT_MEANINGS[code])


def command_exit_codes(command: str | None) -> str:
    """``exit codes:`` and one line per code ``command`` can return, as its --help prints them."""
    codes = sorted(EXIT_MEANINGS) if command is None else COMMAND_EXIT_CODES[command]
    return "exit codes:\n" + "".join(f"  {code:<3} {meaning(command, code)}\n" for code in codes)


def epilog(command: str | None = None) -> str:
    """The text after a --help's options: examples, then the exit codes."""
    if command is None:
        return TOP + "\n" + command_exit_codes(None)
    return EXAMPLES[command] + "\n" + command_exit_codes(command)
