"""A short worked example of rulegrad: both modes, nested transforms, a small fit.

Run it with `python examples/quickstart.py`.
"""

from __future__ import annotations

import math
import random

import rulegrad as rg


def backprop_by_hand() -> None:
    """Reverse mode on a hand-built graph, micrograd style."""
    x = rg.Value(2.0, label="x")
    y = rg.Value(3.0, label="y")
    z = x * y + rg.sin(x)
    z.backward()
    print(f"z = x*y + sin(x) at x=2, y=3:  z = {z.data:.6f}")
    print(f"  dz/dx = {x.grad:.6f}  (y + cos x = {3 + math.cos(2.0):.6f})")
    print(f"  dz/dy = {y.grad:.6f}  (x = 2)")


def dual_numbers() -> None:
    """Forward mode: a Dual carries a derivative along with its value."""
    d = rg.Dual(2.0, 1.0)
    e = d * d + rg.sin(d)
    print(f"e = d*d + sin(d) at d=2:  e = {e.primal:.6f}, de/dd = {e.tangent:.6f}")


def transforms() -> None:
    """Functions over floats, differentiated by the transforms, nested in any mode."""

    def f(x: float, y: float) -> float:
        return x * rg.sin(y) + y**2

    reverse = rg.grad(f, argnums=(0, 1))(1.0, 2.0)
    forward = rg.grad(f, argnums=(0, 1), mode="forward")(1.0, 2.0)
    print(f"grad f(1, 2), reverse: ({reverse[0]:.6f}, {reverse[1]:.6f})")
    print(f"grad f(1, 2), forward: ({forward[0]:.6f}, {forward[1]:.6f})")
    hessian = rg.hessian(f)(1.0, 2.0)
    print("hessian f(1, 2):", [[round(v, 6) for v in row] for row in hessian])
    third = rg.derivative(lambda x: x**5, order=3)(2.0)
    print(f"d3/dx3 x^5 at 2 = {third}  (60 x^2 = 240)")


def fit_a_line(steps: int = 200, seed: int = 0) -> float:
    """Gradient descent on Values: fit y = w x + b to noisy points. Returns the final loss."""
    rng = random.Random(seed)
    xs = [rng.uniform(-1.0, 1.0) for _ in range(30)]
    ys = [2.5 * x - 0.7 + rng.gauss(0.0, 0.05) for x in xs]
    w, b = rg.Value(0.0, label="w"), rg.Value(0.0, label="b")
    loss = rg.Value(0.0)
    for step in range(steps):
        loss = rg.sum([(w * x + b - y) ** 2 for x, y in zip(xs, ys, strict=True)]) / len(xs)
        w.grad = b.grad = 0.0
        loss.backward()
        w.data -= 0.5 * w.grad
        b.data -= 0.5 * b.grad
        if step % 50 == 0 or step == steps - 1:
            print(f"  step {step:3d}  loss {loss.data:.6f}  w {w.data:+.4f}  b {b.data:+.4f}")
    return loss.data


def main() -> None:
    backprop_by_hand()
    dual_numbers()
    transforms()
    print("fitting y = 2.5 x - 0.7 by gradient descent:")
    final = fit_a_line()
    print(f"final loss {final:.6f}")


if __name__ == "__main__":
    main()
