"""What every command shares: its errors, where its result goes, and plugin loading."""

from __future__ import annotations

import argparse
import errno
import os
from typing import IO, Final, TypeAlias, final

from rulegrad.plugins._loader import autoload_disabled, load_plugins

__all__ = [
    "EX_IOERR",
    "CliError",
    "Commands",
    "Output",
    "OutputError",
    "load_installed_plugins",
    "silence",
]

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The `add_subparsers()` object each command adds its parser to."""

EX_IOERR: Final = 74  # sysexits.h: the result could not be written
EX_PIPE: Final = 141  # 128 + SIGPIPE, what a shell reports for `... | head` readers that left


class CliError(Exception):
    """A user mistake on the command line: printed as one line, exit status `status` (2)."""

    status: int = 2


class OutputError(CliError):
    """The result could not be written to stdout: full, closed, or unable to encode it.

    `broken` says the stream itself failed (full, closed pipe), so what it still holds in
    its buffer can never be written either.
    """

    def __init__(self, message: str, *, status: int = EX_IOERR, broken: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.broken = broken


@final
class Output:
    """Where a command writes its result: stdout, every failure of which is an `OutputError`.

    Commands print their result with `print(..., file=out)`. Everything else that prints
    while a command runs (a plugin at import, say) goes to stderr, so that stdout carries the
    result alone: `--json` output stays exactly one JSON document.

    >>> import io
    >>> out = Output(io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    >>> print("df/dx = 1.0", file=out)
    >>> print("df/d\\u03b1 = 1.0", file=out)
    Traceback (most recent call last):
      ...
    rulegrad.cli._common.OutputError: stdout's encoding (ascii) cannot represent ... (U+03B1); ...
    """

    __slots__ = ("_stream",)

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except UnicodeEncodeError as error:
            encoding = getattr(self._stream, "encoding", None) or error.encoding
            raise _unencodable(error, encoding) from None
        except OSError as error:
            raise _failed(error) from None
        except ValueError as error:  # "I/O operation on closed file"
            raise OutputError(f"cannot write to stdout: {error}", broken=True) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise _failed(error) from None
        except ValueError as error:
            raise OutputError(f"cannot write to stdout: {error}", broken=True) from None


def _unencodable(error: UnicodeEncodeError, encoding: str) -> OutputError:
    char = error.object[error.start : error.end][:1] or "?"
    return OutputError(
        f"stdout's encoding ({encoding}) cannot represent {char!r} (U+{ord(char):04X}); "
        "set PYTHONIOENCODING=utf-8, or use --json where the command has it"
    )


def _failed(error: OSError) -> OutputError:
    if isinstance(error, BrokenPipeError) or error.errno == errno.EPIPE:
        return OutputError(
            "cannot write to stdout: the reader closed the pipe", status=EX_PIPE, broken=True
        )
    reason = error.strerror or str(error) or type(error).__name__
    return OutputError(f"cannot write to stdout: {reason}", broken=True)


def silence(stream: IO[str]) -> None:
    """Point a failed stdout at the null device, so the interpreter's final flush of what
    it still buffers cannot fail again (and print a traceback) after the one-line error."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return  # not a file descriptor (a test's capture): nothing flushes it at exit
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, fd)
    except OSError:
        pass
    finally:
        os.close(devnull)


def load_installed_plugins() -> bool:
    """Load the installed plugins, as the catalogue would on a miss; False if disabled.

    The commands that show or check the whole catalogue need plugin ops loaded up front;
    `RULEGRAD_DISABLE_PLUGIN_AUTOLOAD` turns that off for them as it does for the lazy load.
    A skipped plugin's `PluginWarning` reaches stderr as one line (see `rulegrad.cli.main`).
    """
    if autoload_disabled():
        return False
    load_plugins()
    return True
