"""The Taylor series method for ODEs, with `rg.jet`.

To step y' = f(t, y) from t to t + h, take the Taylor polynomial of the solution at t: its
derivatives are y' = f(t, y), y'' = d/dt f(t, y(t)), ..., and `rg.jet` pushes the
derivatives of y known so far through f to give the next one. At order 20 a step of 0.25
is exact to rounding where the solution is smooth, and no step-size control is needed.

Run: python examples/taylor_ode.py
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import rulegrad as rg


def riccati(t: float, y: float) -> float:
    """y' = -2 t y^2 with y(0) = 1, solved by y = 1 / (1 + t^2)."""
    return -2.0 * t * y * y


def taylor_step(
    f: Callable[[float, float], float], t: float, y: float, h: float, order: int
) -> float:
    """y(t + h) from the degree-`order` Taylor polynomial of the solution through (t, y)."""
    derivatives = [f(t, y)]  # y', then y'', y''', ... at t
    for k in range(1, order):
        # Along t(s) = t + s, y(s) with the k derivatives known: f's k-th derivative is y^(k+1).
        _, terms = rg.jet(f, (t, y), ([1.0] + [0.0] * (k - 1), derivatives))
        derivatives.append(terms[-1])
    increment = 0.0
    for k in range(order, 0, -1):  # Horner: sum of y^(k) h^k / k!
        increment = (increment + derivatives[k - 1]) * h / k
    return y + increment


def solve(order: int, h: float = 0.25, end: float = 4.0) -> float:
    """Step the Riccati equation from 0 to `end`; the largest error against the closed form."""
    t, y, worst = 0.0, 1.0, 0.0
    for _ in range(round(end / h)):
        y = taylor_step(riccati, t, y, h, order)
        t += h
        worst = max(worst, abs(y - 1.0 / (1.0 + t * t)))
    return worst


def oscillator(t: float, u: float, v: float) -> list[float]:
    """The harmonic oscillator u'' = -u as a system: (u, v)' = (v, -u)."""
    return [v, -u]


def system_step(state: Sequence[float], h: float, order: int) -> list[float]:
    """One Taylor step of the oscillator; with several outputs, jet gives a series per output."""
    derivatives = [oscillator(0.0, *state)]  # (u', v'), then (u'', v''), ...
    for k in range(1, order):
        series = ([1.0] + [0.0] * (k - 1), *([d[i] for d in derivatives] for i in range(2)))
        _, terms = rg.jet(oscillator, (0.0, *state), series)
        derivatives.append([terms[0][-1], terms[1][-1]])
    return [
        x + sum(d[i] * h ** (k + 1) / math.factorial(k + 1) for k, d in enumerate(derivatives))
        for i, x in enumerate(state)
    ]


def main() -> None:
    print("y' = -2 t y^2, y(0) = 1, stepped to t = 4 with h = 0.25 (closed form 1 / (1 + t^2))")
    for order in (4, 8, 12, 16, 20):
        print(f"  order {order:2d}: largest error {solve(order):.1e}")

    state, h = [1.0, 0.0], 0.5
    for _ in range(round(2.0 * math.pi / h)):  # a little past one period
        state = system_step(state, h, 20)
    t = h * round(2.0 * math.pi / h)
    error = max(abs(state[0] - math.cos(t)), abs(state[1] + math.sin(t)))
    print(f"u'' = -u, u(0) = 1, stepped to t = {t} with h = {h} at order 20: error {error:.1e}")


if __name__ == "__main__":
    main()
