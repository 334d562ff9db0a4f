"""Differentiating a root finder by the implicit function theorem, not through its loop.

`find_root(g, theta)` solves g(x, theta) = 0 for x by Newton's method, on plain floats:
the loop, its tolerance test and its iteration count are ordinary Python. Differentiating
the loop step by step would be slow and only as accurate as the last iterate's
derivative; instead `rg.custom_jvp` attaches the exact rule. At a root x*(theta),
g(x*(theta), theta) = 0 for every theta, so

    dg/dx * dx* + dg/dtheta . dtheta = 0   =>   dx* = -(dg/dtheta . dtheta) / (dg/dx).

The rule is written with rulegrad transforms of g itself, so it differentiates again:
gradients, Hessians and Hessian-vector products of anything computed from the root all
work, in both modes, and under `rg.compile`. Here g(x, theta) = x**2 + p*x - q, whose
positive root has the closed form (-p + sqrt(p**2 + 4q)) / 2 to check against.

Run it with `python examples/implicit_root.py`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import rulegrad as rg

Params = dict[str, float]
Residual = Callable[[float, Params], float]


def newton(g: Residual, theta: Params, start: float = 1.0) -> tuple[float, int]:
    """(x, iterations) with g(x, theta) = 0, by Newton's method from `start`."""
    x = start
    for iterations in range(1, 100):
        slope = rg.grad(g)(x, theta)  # plain floats in, a plain float out
        step = g(x, theta) / slope
        x -= step
        if abs(step) <= 1e-15 * max(1.0, abs(x)):
            return x, iterations
    raise ArithmeticError(f"Newton's method did not converge for theta={theta}")


# The rule replaces differentiating the loop. g is a function, not a number: it goes in
# nondiff_argnums, and the rule receives it first.
find_root = rg.custom_jvp(newton, nondiff_argnums=(0,))


@find_root.defjvp
def find_root_jvp(
    g: Residual, primals: tuple[Params, float], tangents: tuple[Params, float]
) -> tuple[tuple[float, int], tuple[float, float]]:
    (theta, start), (dtheta, _) = primals, tangents
    x, iterations = find_root(g, theta, start)
    dg_dx = rg.grad(g)(x, theta)
    _, dg = rg.jvp(lambda th: g(x, th), (theta,), (dtheta,))  # dg/dtheta . dtheta
    return (x, iterations), (-dg / dg_dx, 0.0)


def residual(x: float, theta: Params) -> float:
    return x * x + theta["p"] * x - theta["q"]


def root(theta: Params) -> float:
    return find_root(residual, theta)[0]


def closed_form(theta: Params) -> float:
    p, q = theta["p"], theta["q"]
    return (-p + rg.sqrt(p * p + 4.0 * q)) / 2.0


def largest_gap(a: object, b: object) -> float:
    """The largest difference between the leaves of two structures."""
    gaps: list[float] = [
        abs(x - y) for x, y in zip(rg.tree_leaves(a), rg.tree_leaves(b), strict=True)
    ]
    return max(gaps)


def main() -> None:
    theta = {"p": 1.5, "q": 2.0}
    x, iterations = find_root(residual, theta)
    print(f"root {x:.15f} after {iterations} Newton steps; closed form {closed_form(theta):.15f}")

    for mode in ("reverse", "forward"):
        gradient = rg.grad(root, mode=mode)(theta)
        exact = rg.grad(closed_form, mode=mode)(theta)
        print(f"gradient ({mode}): dp {gradient['p']:.12f}, dq {gradient['q']:.12f}; "
              f"gap to the closed form {largest_gap(gradient, exact):.1e}")  # fmt: skip

    hessian = rg.hessian(root)(theta)
    exact_hessian = rg.hessian(closed_form)(theta)
    print(f"Hessian d2x/dp2 {hessian['p']['p']:.12f}, d2x/dp dq {hessian['p']['q']:.12f}; "
          f"gap {largest_gap(hessian, exact_hessian):.1e}")  # fmt: skip
    _, product = rg.hvp(root, (theta,), ({"p": 1.0, "q": -1.0},))
    print(f"Hessian times (1, -1): {product[0]['p']:.12f}, {product[0]['q']:.12f}")

    fast = rg.compile(root)
    value, (compiled_gradient,) = fast.value_and_grad({"p": 0.5, "q": 3.0})
    exact = rg.grad(closed_form)({"p": 0.5, "q": 3.0})
    print(f"rg.compile at p=0.5, q=3: root {value:.12f}, "
          f"gradient gap {largest_gap(compiled_gradient, exact):.1e}")  # fmt: skip

    rg.check_grads(root, (theta,), order=2)
    print("check_grads: both modes agree with finite differences to second order")
    assert math.isclose(x, closed_form(theta), rel_tol=1e-14)


if __name__ == "__main__":
    main()
