"""The `rulegrad` command line: `demo`, `grad`, `ops` and `check`, and `--version`.

Each command lives in its own module with `add_parser(commands)` and `run(args, out) -> int`,
and prints its result to `out` (stdout) only. Every mistake a user can make on the command
line, and every way stdout can fail (full, a closed pipe, an encoding that cannot show the
result), ends as one line on stderr and a non-zero exit, never a traceback:

- 2: a mistake on the command line (an unknown op, a bad expression, ...);
- 74: the result could not be written (`> /dev/full`, an ASCII-only terminal, ...);
- 141: the reader of stdout went away (`| head -c0`);
- 1: a warning made an error by `-W error`; 130: interrupted;
- 70: a bug (in rulegrad or a plugin), named in one line.

>>> main(["no-such-command"])
2
>>> main(["--version"])  # doctest: +ELLIPSIS
rulegrad 0...
0
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import warnings
from collections.abc import Sequence
from typing import Final, NoReturn, Protocol, cast

from rulegrad import __version__
from rulegrad.cli._common import EX_IOERR, CliError, Commands, Output, OutputError, silence

__all__ = ["CliError", "main"]

COMMANDS = ("demo", "grad", "ops", "check")  # module names under rulegrad.cli
EX_SOFTWARE: Final = 70  # sysexits.h: an internal error


class _Command(Protocol):
    def add_parser(self, commands: Commands) -> None: ...

    def run(self, args: argparse.Namespace, out: Output) -> int: ...


class _Writable(Protocol):
    def write(self, text: str, /) -> object: ...


class _Exit(Exception):  # noqa: N818 (not an error: --help asked to stop)
    """argparse is done (`--help` printed): exit with `status` once the output is flushed."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so errors stay one line."""

    def error(self, message: str) -> NoReturn:
        raise CliError(message)

    def print_help(self, file: _Writable | None = None) -> None:
        # argparse's own ignores a failed write: `--help > /dev/full` would exit 0, silently.
        (Output(sys.stdout) if file is None else file).write(self.format_help())

    def _print_message(self, message: str, file: object = None) -> None:
        # --version, and usage messages: through `Output` too, for the same reason.
        if message:
            (Output(sys.stdout) if file is None or file is sys.stdout else file).write(message)  # type: ignore[attr-defined]

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            _say(message.rstrip())
        raise _Exit(status)


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
    _say(f"rulegrad: warning: {_one_line(str(message))}")


def _say(line: str) -> None:
    """One line on stderr, whatever stderr's encoding; nothing if stderr is gone too."""
    stream = sys.stderr
    if stream is None:
        return
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text = line.encode(encoding, "backslashreplace").decode(encoding)
    except (LookupError, UnicodeError):
        text = line.encode("ascii", "backslashreplace").decode("ascii")
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass  # the exit status still tells


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 on success)."""
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        stdout = sys.stdout
        if stdout is None:  # started with stdout closed (`rulegrad ops >&-`)
            _say("rulegrad: error: stdout is closed, so there is nowhere to write the result")
            return EX_IOERR
        out = Output(stdout)
        try:
            status = _run(argv, out)
            out.flush()  # here, not at exit: a full disk is found while we can still say so
            return status
        except OutputError as error:
            _say(f"rulegrad: error: {_one_line(str(error))}")
            if error.broken:
                silence(stdout)
            return error.status
        except KeyboardInterrupt:
            _say("rulegrad: interrupted")
            return 130


def _run(argv: Sequence[str] | None, out: Output) -> int:
    """Parse and run one command; every failure but `OutputError` becomes its status."""
    try:
        args = _parser().parse_args(argv)  # --help prints to stdout; main flushes it
        # stdout is for the result alone: whatever else prints while the command runs
        # (a plugin, at import or in register) goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            return _module(args.command).run(args, out)
    except _Exit as done:
        return done.status
    except OutputError:
        raise
    except CliError as error:
        _say(f"rulegrad: error: {_one_line(str(error))}")
        return error.status
    except Warning as warning:  # `-W error` made a warning (a skipped plugin, say) an error
        _say(f"rulegrad: error: {_one_line(str(warning))}")
        return 1
    except Exception as error:  # a bug, here or in a plugin's op: one line all the same
        kind = type(error).__name__
        _say(
            f"rulegrad: error: unexpected {kind} (a bug, please report it): {_one_line(str(error))}"
        )
        return EX_SOFTWARE
