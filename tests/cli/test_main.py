"""The command-line dispatcher: every mistake is one short line on stderr."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import rulegrad
from rulegrad.cli import CliError, main


def test_unknown_command_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("rulegrad: error: argument COMMAND: invalid choice: 'frobnicate'")


def test_no_command_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "required: COMMAND" in capsys.readouterr().err


def test_a_huge_argument_is_not_echoed_whole(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ops", "-" * 5000]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert len(err) < 400
    assert err.rstrip().endswith("...")


def test_warnings_print_as_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rulegrad.cli import ops

    def run(args: object, out: object) -> int:
        warnings.warn("plugin 'broken' was skipped:\nit raised", UserWarning, stacklevel=1)
        raise CliError("stop here")

    monkeypatch.setattr(ops, "run", run)
    assert main(["ops"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "rulegrad: warning: plugin 'broken' was skipped: it raised",
        "rulegrad: error: stop here",
    ]


@pytest.mark.parametrize(("setting", "loads"), [(None, True), ("1", False)])
def test_commands_load_plugins_unless_disabled(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, loads: bool
) -> None:
    from rulegrad.cli import _common

    calls: list[int] = []

    def load_plugins() -> list[str]:
        calls.append(1)
        return []

    monkeypatch.setattr(_common, "load_plugins", load_plugins)
    if setting is None:
        monkeypatch.delenv("RULEGRAD_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    else:
        monkeypatch.setenv("RULEGRAD_DISABLE_PLUGIN_AUTOLOAD", setting)
    assert _common.load_installed_plugins() is loads
    assert calls == ([1] if loads else [])


def test_version_prints_the_installed_version() -> None:
    # The console script, as a user runs it, next to the interpreter of this environment.
    script = Path(sys.executable).with_name("rulegrad")
    done = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"rulegrad {rulegrad.__version__}\n"
    # hatchling reads the version from rulegrad/__init__.py: the metadata agrees.
    assert importlib.metadata.version("rulegrad") == rulegrad.__version__


def test_help_returns_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "--version" in capsys.readouterr().out
