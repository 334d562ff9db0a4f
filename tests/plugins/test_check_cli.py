"""`rulegrad check [NAME ...]`: a table of `check_op` results and an exit status."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import rulegrad as rg
from rulegrad.cli import check as check_command
from rulegrad.cli import main
from rulegrad.kernel import BUILTIN

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count `load_plugins` calls instead of loading whatever the environment has."""
    calls: list[int] = []

    def load_installed_plugins() -> bool:
        calls.append(1)
        return True

    monkeypatch.setattr(check_command, "load_installed_plugins", load_installed_plugins)
    return calls


def _register(monkeypatch: pytest.MonkeyPatch, op: rg.Op) -> None:
    """Put `op` in the catalogue for this test only (the registry has no unregister)."""
    monkeypatch.setitem(rg.registry._ops, op.name, op)


def _rows(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split(maxsplit=4) for line in out.splitlines()[1:-1]}


def test_named_ops_pass(loaded: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "sin", "atan2", "sum"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ["op", "source", "points", "result", "message"]
    assert re.fullmatch(r"sin\s+built-in\s+3\s+ok", lines[1])
    assert _rows(out)["atan2"] == ["atan2", "built-in", "3", "ok"]
    assert _rows(out)["sum"] == ["sum", "built-in", "1", "ok"]
    assert lines[-1] == "3 ops checked: 3 passed"
    assert err == ""
    assert loaded == [1]  # plugins are loaded first, so their names resolve


def test_no_name_checks_the_whole_catalogue(
    loaded: list[int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only the built-ins: ops that other tests register must not change the outcome.
    builtins = {op.name: op for op in rg.registry if op.source == BUILTIN}
    monkeypatch.setattr(rg.registry, "_ops", builtins)
    assert main(["check"]) == 0
    out, _ = capsys.readouterr()
    rows = _rows(out)
    assert sorted(rows) == sorted(builtins)
    assert all(row[3] == "ok" for row in rows.values())
    assert list(rows) == sorted(rows)
    assert out.splitlines()[-1] == f"{len(builtins)} ops checked: {len(builtins)} passed"


def test_a_failing_op_fails_the_run(
    loaded: list[int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = rg.Op("bad_sin", forward=lambda x: math.sin(x), partials=lambda out, x: (rg.sin(x),))
    _register(monkeypatch, bad)
    assert main(["check", "sin", "bad_sin"]) == 1
    out, err = capsys.readouterr()
    row = _rows(out)["bad_sin"]
    assert row[:4] == ["bad_sin", "user", "-", "FAIL"]
    assert row[4].startswith("rule check failed for 'bad_sin' in forward mode at x=0.3:")
    assert _rows(out)["sin"][3] == "ok"
    assert out.splitlines()[-1] == "2 ops checked: 1 passed, 1 failed"
    assert err == ""


def test_an_op_that_cannot_be_checked_is_an_error_row(
    loaded: list[int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = rg.Op(
        "bad_samples",
        forward=lambda x: math.log(x),
        partials=lambda out, x: (1.0 / x,),
        samples=[(-1.0,)],
    )
    _register(monkeypatch, outside)
    assert main(["check", "bad_samples"]) == 1
    row = _rows(capsys.readouterr().out)["bad_samples"]
    assert row[3] == "ERROR"
    assert row[4].startswith("DomainError: check_op('bad_samples') cannot check at the sample")


def test_skipped_default_points_are_noted(
    loaded: list[int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shifted = rg.Op(
        "log_shifted", forward=lambda x: math.log(x - 1.0), partials=lambda out, x: (1 / (x - 1),)
    )
    _register(monkeypatch, shifted)
    assert main(["check", "log_shifted", "log_shifted"]) == 0  # a repeated name runs once
    out, _ = capsys.readouterr()
    assert _rows(out)["log_shifted"] == [
        "log_shifted",
        "user",
        "1",
        "ok",
        "3 default points outside the domain skipped",
    ]
    assert out.splitlines()[-1] == "1 op checked: 1 passed"


def test_an_unknown_name_is_one_line_and_runs_nothing(
    loaded: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "sin", "nope"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "rulegrad: error: no op named 'nope' in the catalogue\n"


def test_an_unknown_name_suggests_close_ones(
    loaded: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "sinn"]) == 2
    assert capsys.readouterr().err == (
        "rulegrad: error: no op named 'sinn' in the catalogue; "
        "did you mean 'sin', 'sinh', 'sign'?\n"
    )


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "rulegrad", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_python_dash_m() -> None:
    done = _run("check", "sin")
    assert done.returncode == 0, done.stderr
    assert re.search(r"^sin\s+built-in\s+3\s+ok$", done.stdout, re.MULTILINE)
    assert done.stdout.splitlines()[-1] == "1 op checked: 1 passed"


def test_python_dash_m_unknown_name() -> None:
    done = _run("check", "nope")
    assert done.returncode == 2
    assert done.stderr == "rulegrad: error: no op named 'nope' in the catalogue\n"
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("name", ["sinn", "Sin", "EXP", "atan3", "maximun", "lgo", "sqr", "tanhh"])
def test_check_suggests_what_grad_suggests(
    loaded: list[int], capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert main(["check", name]) == 2
    checked = capsys.readouterr().err
    assert main(["grad", f"{name}(x)", "--at", "x=1"]) == 2
    graded = capsys.readouterr().err
    prefix = f"rulegrad: error: no op named {name!r} in the catalogue; did you mean "
    assert checked.startswith(prefix)
    assert graded.endswith(f"; did you mean {checked[len(prefix) :]}")  # the same names


@pytest.mark.parametrize(
    ("name", "close"),
    [("Sin", "'sin'"), ("EXP", "'exp'"), ("LOG", "'log'"), ("Tanh", "'tanh'")],
)
def test_case_does_not_hide_a_close_name(
    loaded: list[int], capsys: pytest.CaptureFixture[str], name: str, close: str
) -> None:
    assert main(["check", name]) == 2
    assert f"did you mean {close}" in capsys.readouterr().err
