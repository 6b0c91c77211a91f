"""The command line: a thin layer over ``wsl_portproxy.api``.

Exit codes: 0 ok, 1 invalid inventory, 2 usage, 3 ``--check`` found changes, 4 cannot write,
5 the output folder holds a bundle that wsl-portproxy did not generate (``--force``),
70 internal error (a bug).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__, api
from .errors import (
    EXIT_CHANGES,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_WRITE,
    PortProxyError,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wsl-portproxy", description="Generate per-server bundles that "
                     "forward Windows LAN ports to WSL 2 (portproxy, firewall, scheduled task).")
    parser.add_argument("--version", action="version", version=f"wsl-portproxy {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=_Parser)
    init = commands.add_parser("init", help="write a commented example inventory")
    init.add_argument("file", nargs="?", default="inventory.yaml", type=Path,
                      help="where to write it (default: inventory.yaml)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    check = commands.add_parser("validate", help="check an inventory; write nothing")
    check.add_argument("file", type=Path)
    gen = commands.add_parser("generate", help="write one bundle per server")
    gen.add_argument("file", type=Path)
    gen.add_argument("-o", "--output", type=Path, default=Path("dist"),
                     help="output folder (default: dist)")
    gen.add_argument("--server", action="append", default=[], metavar="NAME",
                     help="only this server (repeatable)")
    gen.add_argument("--check", action="store_true",
                     help="write nothing; list the files that would change; exit 3 if any")
    return parser


def _init(args: argparse.Namespace) -> int:
    path: Path = args.file
    if path.exists() and not args.force:
        raise PortProxyError.single(str(path), "init", "the file exists; use --force to "
                                    "overwrite it", EXIT_USAGE)
    try:
        path.write_text(api.example_inventory(), encoding="utf-8")
    except OSError as exc:
        raise PortProxyError.single(str(path), "init", f"cannot write: {exc.strerror}",
                                    EXIT_WRITE) from exc
    print(f"wrote {path}; edit it, then run: wsl-portproxy generate {path}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    inventory = api.load_inventory(args.file)
    rules = sum(s.rule_count for s in inventory.servers)
    print(f"{args.file}: valid ({len(inventory.servers)} server(s), {rules} portproxy rule(s))")
    return EXIT_OK


def _generate(args: argparse.Namespace) -> int:
    result = api.generate(args.file, args.output, args.server, args.check)
    if args.check:
        for path in result.changed:
            print(f"would change: {path}")
        if result.changed:
            return EXIT_CHANGES
        print(f"up to date: {len(result.files)} file(s) in {args.output}")
        return EXIT_OK
    if not result.changed:
        print(f"up to date: nothing to write in {args.output}")
    for path in result.files:
        print(f"wrote {path}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"init": _init, "validate": _validate, "generate": _generate}
    try:
        return handlers[args.command](args)
    except PortProxyError as exc:
        if args.debug:
            traceback.print_exc()
        for line in exc.lines():
            print(line, file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a bug: say so plainly, details only with --debug
        if args.debug:
            traceback.print_exc()
        print(f"error: internal error ({type(exc).__name__}: {exc}); please report it, "
              "with the output of --debug", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
