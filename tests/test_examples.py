"""The examples run as a user runs them, and say what they should."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_runs_and_fits() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "dz/dx = 2.583853" in out
    assert "grad f(1, 2), reverse: (0.909297, 3.583853)" in out
    assert "grad f(1, 2), forward: (0.909297, 3.583853)" in out
    assert "d3/dx3 x^5 at 2 = 240.0" in out
    final = re.search(r"final loss (\S+)", out)
    assert final is not None
    assert float(final.group(1)) < 0.01  # noise variance 0.05**2 = 0.0025


def _run_example(name: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_newton_converges_quadratically() -> None:
    out = _run_example("newton.py")
    assert "minimum at (1.000000, 1.000000), f = 0.0e+00" in out
    assert "Hessian there: [[802.0, -400.0], [-400.0, 200.0]]" in out
    assert "minimum at (1.000000, 2.000000, 2.000000)" in out
    rosenbrock, bowl = out.split("three arguments")
    for run, most in ((rosenbrock, 12), (bowl, 10)):
        sizes = [float(s) for s in re.findall(r"\|grad\| = (\S+)", run)]
        assert 3 <= len(sizes) <= most and sizes[-1] < 1e-12
        # Quadratic convergence: once small, each gradient is far below the last one.
        assert sizes[-2] < 1e-6 and (sizes[-1] == 0.0 or sizes[-1] < sizes[-2] ** 1.5)


def test_custom_op_runs_in_both_modes_and_shows_its_graph() -> None:
    out = _run_example("custom_op.py")
    assert "logcosh(800) = 799.306853" in out
    assert "reverse: d/dx [logcosh(2x) + x] at 0.5 = 2.523188  (2 tanh 1 + 1 = 2.523188)" in out
    assert "forward: d/dx [logcosh(2x) + x] at 0.5 = 2.523188" in out
    assert "grad logcosh(0.5): reverse 0.462117, forward 0.462117" in out
    assert "second derivative at 0.5: 0.786448, forward over reverse 0.786448" in out
    assert "check_op: logcosh" in out
    table = out[out.index("the graph of y:") :].splitlines()[1:]
    assert [line.split() for line in table] == [
        ["#", "label", "op", "inputs", "data", "grad"],
        ["#0", "x", "0.5", "2.523"],
        ["#1", "mul", "2,", "#0", "1", "0.7616"],
        ["#2", "logcosh", "#1", "0.4338", "1"],
        ["#3", "y", "add", "#2,", "#0", "0.9338", "1"],
    ]
    assert "digraph" not in out


def test_taylor_ode_steps_to_the_closed_form() -> None:
    out = _run_example("taylor_ode.py")
    found = re.findall(r"order\s+(\d+): largest error (\S+)", out)
    errors = {int(order): float(error) for order, error in found}
    assert sorted(errors) == [4, 8, 12, 16, 20]
    # The error of a fixed step falls geometrically with the order, to rounding at 20.
    assert all(errors[k] > 100 * errors[k + 4] for k in (4, 8, 12, 16)), errors
    assert errors[20] < 1e-12
    oscillator = re.search(r"stepped to t = 6\.5 with h = 0\.5 at order 20: error (\S+)", out)
    assert oscillator is not None and float(oscillator.group(1)) < 1e-12


def test_implicit_root_matches_the_closed_form() -> None:
    out = _run_example("implicit_root.py")
    assert re.search(r"root 0\.8507810593582\d+ after \d Newton steps; closed form 0\.85078", out)
    gaps = [float(g) for g in re.findall(r"gap(?: to the closed form)? (\S+?)[;\n]", out + "\n")]
    assert len(gaps) == 4 and all(gap < 1e-12 for gap in gaps)  # 2 gradients, Hessian, compile
    assert "gradient (reverse): dp -0.265739357167, dq 0.312347523777" in out
    assert "gradient (forward): dp -0.265739357167, dq 0.312347523777" in out
    compiled = re.search(r"rg.compile at p=0.5, q=3: root 1.500000000000, gradient gap (\S+)", out)
    assert compiled is not None and float(compiled.group(1)) < 1e-12
    assert "check_grads: both modes agree with finite differences to second order" in out


def test_functional_nn_trains_over_a_dict_of_parameters() -> None:
    out = _run_example("functional_nn.py")
    assert "105 parameters" in out
    assert "same loss as backward(): True, largest gradient gap 0.0e+00" in out
    losses = [float(x) for x in re.findall(r"step \d+ loss (\S+)", out)]
    final = re.search(r"final loss (\S+), accuracy (\d+)%", out)
    assert final is not None and len(losses) == 3
    assert float(final.group(1)) < losses[0] / 2 and int(final.group(2)) >= 85


def test_decay_fit_finds_the_curve_through_vmap() -> None:
    out = _run_example("decay_fit.py")
    assert "1,000,000 points of 1.5 exp(-0.3 x) + noise 0.05" in out
    fitted = re.search(r"fitted a = (\S+), k = (\S+) ", out)
    assert fitted is not None
    assert abs(float(fitted.group(1)) - 1.5) < 0.01 and abs(float(fitted.group(2)) - 0.3) < 0.01
    final = re.search(r"final mse (\S+)", out)
    assert final is not None and float(final.group(1)) < 0.0026  # the noise variance is 0.0025
    faster = re.search(r"rg\.compile would take \S+ s per step: (\d+)x longer", out)
    assert faster is not None and int(faster.group(1)) > 1
    assert "per-example d/da" in out
