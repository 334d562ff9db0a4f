"""`rulegrad grad`: values, gradients and Hessians, and one clean line for every mistake."""

from __future__ import annotations

import ast
import builtins
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import rulegrad as rg
from rulegrad.cli import main

ROOT = Path(__file__).resolve().parents[2]
MODES = ("reverse", "forward")
S2, C2 = math.sin(2.0), math.cos(2.0)
E = math.e

# expression, point (in --at order), value, gradient, Hessian: all by hand.
CASES: list[tuple[str, dict[str, float], float, list[float], list[list[float]]]] = [
    ("x*sin(y) + y**2", {"x": 1.0, "y": 2.0}, S2 + 4.0, [S2, C2 + 4.0],
     [[0.0, C2], [C2, 2.0 - S2]]),
    ("exp(x*y)", {"x": 0.5, "y": 2.0}, E, [2.0 * E, 0.5 * E], [[4.0 * E, 2.0 * E],
                                                                 [2.0 * E, 0.25 * E]]),
    ("x**3 - 2*x*y + log(y)", {"x": 2.0, "y": 3.0}, -4.0 + math.log(3.0),
     [6.0, -4.0 + 1.0 / 3.0], [[12.0, -2.0], [-2.0, -1.0 / 9.0]]),
    ("-x / (1 + x**2)", {"x": 1.0}, -0.5, [0.0], [[0.5]]),
    ("sqrt(x*x + y*y + z*z)", {"x": 1.0, "y": 2.0, "z": 2.0}, 3.0, [1 / 3, 2 / 3, 2 / 3],
     [[8 / 27, -2 / 27, -2 / 27], [-2 / 27, 5 / 27, -4 / 27], [-2 / 27, -4 / 27, 5 / 27]]),
    ("atan2(y, x) + pi", {"x": 1.0, "y": 1.0}, 1.25 * math.pi, [-0.5, 0.5],
     [[0.5, 0.0], [0.0, -0.5]]),
    ("y * x", {"y": 3.0, "x": 2.0}, 6.0, [2.0, 3.0], [[0.0, 1.0], [1.0, 0.0]]),  # --at order
]  # fmt: skip


def grad_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["grad", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def at(point: dict[str, float]) -> list[str]:
    return ["--at", *(f"{name}={value!r}" for name, value in point.items())]


def approx(expected: Any) -> Any:
    return pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("text", "point", "value", "gradient", "hessian"), CASES)
def test_json_matches_hand_computation(
    capsys: pytest.CaptureFixture[str],
    mode: str,
    text: str,
    point: dict[str, float],
    value: float,
    gradient: list[float],
    hessian: list[list[float]],
) -> None:
    code, out, err = grad_cli(capsys, text, *at(point), "--mode", mode, "--hessian", "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["expression"] == text and result["mode"] == mode
    assert result["at"] == point
    assert list(result["gradient"]) == list(point)
    assert result["value"] == approx(value)
    assert list(result["gradient"].values()) == approx(gradient)
    for row, expected in zip(result["hessian"], hessian, strict=True):
        assert row == approx(expected)


@pytest.mark.parametrize("mode", MODES)
def test_text_output_for_people(capsys: pytest.CaptureFixture[str], mode: str) -> None:
    code, out, err = grad_cli(capsys, "x*x*y", "--at", "x=1", "--at", "y=2", "--mode", mode,
                              "--hessian")  # fmt: skip
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "f = 2.0",
        "df/dx = 4.0",
        "df/dy = 1.0",
        "hessian:",
        "     x    y",
        "  x  4.0  2.0",
        "  y  2.0  0.0",
    ]


def test_without_hessian_json_has_no_hessian(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = grad_cli(capsys, "x**2", "--at", "x=3", "--json")
    assert code == 0
    assert json.loads(out) == {"expression": "x**2", "mode": "reverse", "at": {"x": 3.0},
                               "value": 9.0, "gradient": {"x": 6.0}}  # fmt: skip


def test_values_may_be_constant_expressions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = grad_cli(capsys, "sin(x)", "--at", "x=pi/2", "--json")
    assert code == 0
    assert json.loads(out)["gradient"]["x"] == approx(0.0)
    code, out, _ = grad_cli(capsys, "x", "--at", "x=-sqrt(4)", "--json")
    assert json.loads(out)["value"] == -2.0


def test_a_variable_named_like_a_constant_is_a_variable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = grad_cli(capsys, "e * x", "--at", "x=2", "e=3", "--json")
    assert code == 0
    assert json.loads(out)["gradient"] == {"x": 3.0, "e": 2.0}
    code, out, _ = grad_cli(capsys, "e * x", "--at", "x=2", "--json")
    assert json.loads(out)["gradient"] == {"x": approx(E)}


def test_an_expression_without_variables_just_has_a_value(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = grad_cli(capsys, "2 ** 10 - 24", "--hessian")
    assert (code, out) == (0, "f = 1000.0\n")
    code, out, _ = grad_cli(capsys, "sin(pi / 2)", "--hessian", "--json")
    assert json.loads(out)["value"] == 1.0 and json.loads(out)["hessian"] == []


def test_an_expression_starting_with_minus_needs_a_space(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = grad_cli(capsys, " -x**2", "--at", "x=3")
    assert (code, out) == (0, "f = -9.0\ndf/dx = -6.0\n")


def test_a_catalogue_op_added_at_run_time_is_callable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import rulegrad.cli._expr as expr_module

    ops = rg.OpRegistry()
    for op in rg.registry:
        ops.register(op)
    rg.define_op("cli_square", forward=lambda x: x * x, partials=lambda out, x: (2.0 * x,),
                 registry=ops)  # fmt: skip
    monkeypatch.setattr(expr_module, "registry", ops)
    code, out, _ = grad_cli(capsys, "cli_square(x) + x", "--at", "x=3")
    assert (code, out) == (0, "f = 12.0\ndf/dx = 7.0\n")


MISTAKES: list[tuple[list[str], str]] = [
    (["sinn(x)", "--at", "x=1"], "no op named 'sinn' in the catalogue; did you mean 'sin'"),
    (["x*y", "--at", "x=1"], "no value for 'y' (column 3); add --at y=VALUE"),
    (["x*y"], "give a value to each variable with --at x=VALUE y=VALUE"),
    (["x", "--at", "x=1", "y=2"], "--at gives 'y', which the expression does not use"),
    (["x", "--at", "x"], "--at 'x': expected NAME=VALUE"),
    (["x", "--at", "1x=2"], "'1x' is not a valid variable name"),
    (["x", "--at", "lambda=2"], "'lambda' is not a valid variable name"),
    (["x", "--at", "x=abc"], "--at 'x=abc': 'abc' is not a number"),
    (["x", "--at", "x=nan"], "--at 'x=nan': the value must be a finite number"),
    (["x", "--at", "x=-inf"], "the value must be a finite number"),
    (["x", "--at", "x=1e400"], "the value must be a finite number"),
    (["x", "--at", "x="], "--at 'x=': the value is missing"),
    (["x", "--at", "x=1+"], "--at 'x=1+': the value is not a number (syntax error"),
    (["x", "--at", "x=log(0)"], "--at 'x=log(0)': log(x=0.0) is undefined"),
    (["x", "--at", "x=1", "x=2"], "--at gives 'x' twice"),
    (["sin(x)", "--at", "sin=1"], "'sin' is an op in the catalogue"),
    (["x", "--at"], "argument --at: expected at least one argument"),
    (["--at", "x=1", "x*x"], "EXPR is missing (--at took 'x*x'; put EXPR before --at)"),
    ([], "EXPR is missing"),
    (["x", "--at", "x=1", "--mode", "sideways"], "invalid choice: 'sideways'"),
    (["x +* y", "--at", "x=1", "y=1"], "syntax error at column 4: invalid syntax"),
    (["x.real", "--at", "x=1"], "column 1: attribute access 'x.real' is not allowed"),
    (["x[0]", "--at", "x=1"], "subscript"),
    (["open('f', 'w')"], "no op named 'open'"),
    (["[x for x in y]"], "comprehension"),
    (["lambda: x"], "lambda"),
    (["x < y"], "comparison"),
    (["x or y"], "boolean operator"),
    (["sin(x, y)", "--at", "x=1", "y=2"], "sin takes 1 argument, got 2"),
    (["sin", "--at", "x=1"], "'sin' is an op; call it as sin(...)"),
    (["log(x)", "--at", "x=-1"], "log(x=-1.0) is undefined (math domain error)"),
    (["1 / x", "--at", "x=0"], "div(x=1.0, y=0.0): division by zero"),
    (["sqrt(x)", "--at", "x=0"], "the derivative of sqrt is undefined at x=0.0"),
    (["2**10**10"], "pow(x=2.0, y=10000000000.0): result too large"),
    (["9**9**9**9"], "result too large"),
    (["x ** 1e10", "--at", "x=2"], "result too large"),
    (["1" + "0" * 400], "too large for a float"),
    (["x * 1e308 * 10", "--at", "x=1"], "f is inf: a float overflowed"),
    (["1e308 * x * x", "--at", "x=0.5", "--hessian"], "d2f/dx2 is inf"),
    (["x" + "+x" * 5000, "--at", "x=1"], "10,001 characters long; the limit is 10,000"),
    (["(" * 250 + "x" + ")" * 250, "--at", "x=1"], "too many nested parentheses"),
    ([" " + "-" * 5000 + "x", "--at", "x=1"], "nested too deeply"),
    (["x" + "+x" * 1500, "--at", "x=1"], "nested too deeply (more than 1,000 levels)"),
    (["x\x00"], "is not allowed"),
]


@pytest.mark.parametrize(("argv", "message"), MISTAKES)
def test_every_mistake_is_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = grad_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("rulegrad: error: "), err
    assert "Traceback" not in err
    assert message in err


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch {dir}/imported')",
        "sin(__import__('os').system('touch {dir}/called'))",
        "open('{dir}/opened', 'w')",
        "exec(\"open('{dir}/executed', 'w')\")",
        "[open('{dir}/listed', 'w') for _ in [1]]",
        "(lambda: open('{dir}/lambda', 'w'))()",
    ],
)
def test_a_rejected_expression_does_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    text: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    code, _, err = grad_cli(capsys, text.format(dir=tmp_path))
    assert code == 2 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_expressions_are_never_run_as_python(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_compile = builtins.compile

    def forbidden(*args: object, **kwargs: object) -> object:
        raise AssertionError("Python code was run")

    def ast_only(source: Any, filename: Any, mode: Any, flags: int = 0, *args: Any,
                 **kwargs: Any) -> Any:  # fmt: skip
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError("compiled to code, not to a syntax tree")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    # A first run imports every command module and loads plugins, which compiles them.
    assert grad_cli(capsys, "x", "--at", "x=1")[0] == 0
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", ast_only)
    code, out, _ = grad_cli(capsys, "x*sin(y) + y**2", "--at", "x=1", "y=2", "--hessian")
    assert code == 0 and out.startswith("f = 4.909297426825682\n")


def run_module(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rulegrad", "grad", *argv],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip


def test_python_dash_m_prints_the_gradient() -> None:
    done = run_module("x*sin(y) + y**2", "--at", "x=1", "y=2", "--mode", "forward")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "f = 4.909297426825682"
    assert [float(line.split(" = ")[1]) for line in lines[1:]] == approx([S2, C2 + 4.0])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["__import__('os').getcwd()"], "cannot be called"),
        ([" " + "-" * 9000 + "x", "--at", "x=1"], "nested too deeply"),
        (["log(x)", "--at", "x=-1"], "log(x=-1.0) is undefined"),
    ],
)
def test_python_dash_m_fails_in_one_line(argv: list[str], message: str) -> None:
    done = run_module(*argv)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert message in done.stderr and "Traceback" not in done.stderr
