"""The `rulegrad` command line: `demo`, `grad`, `ops` and `check`, and `--version`.

Each command lives in its own module with `add_parser(commands)` and `run(args) -> int`.
Every mistake a user can make on the command line ends as one line on stderr and a
non-zero exit, never a traceback.

>>> main(["no-such-command"])
2
>>> main(["--version"])  # doctest: +ELLIPSIS
rulegrad 0...
0
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import NoReturn, Protocol, cast

from rulegrad import __version__
from rulegrad.cli._common import CliError, Commands

__all__ = ["CliError", "main"]

COMMANDS = ("demo", "grad", "ops", "check")  # module names under rulegrad.cli


class _Command(Protocol):
    def add_parser(self, commands: Commands) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so errors stay one line."""

    def error(self, message: str) -> NoReturn:
        raise CliError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rulegrad", description="Scalar automatic differentiation.")
    parser.add_argument("--version", action="version", version=f"rulegrad {__version__}")
    # Sub-parsers are `_Parser`s too (argparse reuses the parent's class).
    commands = cast(Commands, parser.add_subparsers(dest="command", metavar="COMMAND"))
    commands.required = True
    for name in COMMANDS:
        _module(name).add_parser(commands)
    return parser


def _module(name: str) -> _Command:
    return cast(_Command, importlib.import_module(f"rulegrad.cli.{name}"))


def _one_line(text: str, limit: int = 300) -> str:
    """`text` on one line and at most `limit` characters: a user's input can be huge."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 3]}..."


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    # Python's default format adds the source line: two lines per warning on stderr.
    print(f"rulegrad: warning: {_one_line(str(message))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 on success)."""
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            try:
                args = _parser().parse_args(argv)
            except SystemExit as done:  # --help and --version print, then argparse exits
                return done.code if isinstance(done.code, int) else 0
            return _module(args.command).run(args)
        except CliError as error:
            print(f"rulegrad: error: {_one_line(str(error))}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("rulegrad: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            # The reader went away (`rulegrad ops | head`): stop quietly, as Unix tools do.
            # Point stdout at devnull so the interpreter's final flush does not fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 141
