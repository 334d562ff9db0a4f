"""Newton's method for minimisation, with the gradient and Hessian from rulegrad.

Each step solves H(x) dx = -grad f(x) and moves to x + dx. Near a minimum Newton's method
converges quadratically: the number of correct digits roughly doubles per step. Here it
finds the minimum of Rosenbrock's banana function, (1, 1), from the classic start
(-1.2, 1), then that of a function of three arguments. The n x n linear system is solved
by hand (Gaussian elimination), no numpy.

Run it with `python examples/newton.py`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import rulegrad as rg


def rosenbrock(x: float, y: float) -> float:
    """A curved valley whose floor leads slowly to the minimum f(1, 1) = 0."""
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def bowl(x: float, y: float, z: float) -> float:
    """A convex function of three arguments with its minimum at (1, 2, 2)."""
    return rg.exp(x - 1.0) - x + (y - 2.0 * x) ** 2 + rg.cosh(z - y)


def solve(matrix: Sequence[Sequence[float]], rhs: Sequence[float]) -> list[float]:
    """x with matrix @ x = rhs, by Gaussian elimination with partial pivoting."""
    n = len(rhs)
    # The augmented matrix [A | b], copied so the caller's lists stay as they were.
    rows = [[*row, b] for row, b in zip(matrix, rhs, strict=True)]
    for col in range(n):
        # The largest pivot keeps the rounding errors of the elimination small.
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        if rows[pivot][col] == 0.0:
            raise ZeroDivisionError("the Hessian is singular: no Newton step")
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, n):
            factor = rows[r][col] / rows[col][col]
            for c in range(col, n + 1):
                rows[r][c] -= factor * rows[col][c]
    solution = [0.0] * n
    for r in reversed(range(n)):
        known = sum(rows[r][c] * solution[c] for c in range(r + 1, n))
        solution[r] = (rows[r][n] - known) / rows[r][r]
    return solution


def newton(
    f: Callable[..., float], start: Sequence[float], tol: float = 1e-12, max_steps: int = 50
) -> list[float]:
    """Minimise `f` of n arguments from `start`; prints each step, returns the minimiser."""
    gradient = rg.grad(f, argnums=tuple(range(len(start))))
    hessian = rg.hessian(f)
    point = list(start)
    for step in range(max_steps + 1):
        slope = gradient(*point)
        size = math.hypot(*slope)
        where = ", ".join(f"{p:+.9f}" for p in point)
        print(f"step {step:2d}  x = ({where})  f = {f(*point):.3e}  |grad| = {size:.3e}")
        if size < tol:
            return point
        step_dx = solve(hessian(*point), [-g for g in slope])
        point = [p + d for p, d in zip(point, step_dx, strict=True)]
    raise RuntimeError(f"no convergence in {max_steps} steps")


def main() -> None:
    print("Newton's method on Rosenbrock's function, from (-1.2, 1):")
    x, y = newton(rosenbrock, (-1.2, 1.0))
    print(f"minimum at ({x:.6f}, {y:.6f}), f = {rosenbrock(x, y):.1e}")
    print("Hessian there:", [[round(v, 6) for v in row] for row in rg.hessian(rosenbrock)(x, y)])
    print("Newton's method on a convex function of three arguments, from (0, 0, 0):")
    x, y, z = newton(bowl, (0.0, 0.0, 0.0))
    print(f"minimum at ({x:.6f}, {y:.6f}, {z:.6f})")


if __name__ == "__main__":
    main()
