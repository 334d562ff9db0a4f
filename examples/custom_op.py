"""A custom op end to end: define it once, use it in both modes and at any order.

`logcosh(x) = log(cosh(x))` is a smooth absolute value (a robust loss). Written naively
it overflows: `math.cosh(800.0)` is too large for a float. As an op it gets a stable
forward function and one partials rule, `tanh(x)`, written with rulegrad ops so that
it differentiates again: its second derivative, 1 - tanh(x)^2, comes for free.

Run it with `python examples/custom_op.py`.
"""

from __future__ import annotations

import math

import rulegrad as rg
from rulegrad.pictures import to_text


def logcosh_forward(x: float) -> float:
    """log(cosh(x)) without overflow: cosh(x) = e^|x| (1 + e^-2|x|) / 2."""
    a = abs(x)
    return a + math.log1p(math.exp(-2.0 * a)) - math.log(2.0)


logcosh = rg.define_op(
    "logcosh",
    forward=logcosh_forward,
    partials=lambda out, x: (rg.tanh(x),),  # d out / d x; smooth everywhere
    domain="all real x",
    samples=[(-2.0,), (0.0,), (0.5,), (3.0,)],
)


def main() -> None:
    print(f"logcosh(0.5) = {logcosh(0.5):.6f}  (log cosh 0.5 = {math.log(math.cosh(0.5)):.6f})")
    print(f"logcosh(800) = {logcosh(800.0):.6f}  (math.cosh(800) overflows)")

    # Reverse mode: the op records one node, and backward applies its partials rule.
    x = rg.Value(0.5, label="x")
    y = logcosh(2.0 * x) + x
    y.label = "y"
    y.backward()
    print(f"reverse: d/dx [logcosh(2x) + x] at 0.5 = {x.grad:.6f}  "
          f"(2 tanh 1 + 1 = {2.0 * math.tanh(1.0) + 1.0:.6f})")  # fmt: skip

    # Forward mode: the same rule, contracted with the tangent.
    d = logcosh(2.0 * rg.Dual(0.5, 1.0)) + rg.Dual(0.5, 1.0)
    print(f"forward: d/dx [logcosh(2x) + x] at 0.5 = {d.tangent:.6f}")

    # Transforms, in both modes, and a second derivative through the rule itself.
    reverse = rg.grad(logcosh)(0.5)
    forward = rg.grad(logcosh, mode="forward")(0.5)
    print(f"grad logcosh(0.5): reverse {reverse:.6f}, forward {forward:.6f}  "
          f"(tanh 0.5 = {math.tanh(0.5):.6f})")  # fmt: skip
    second = rg.derivative(logcosh, order=2)(0.5)
    mixed = rg.grad(rg.grad(logcosh), mode="forward")(0.5)
    print(f"second derivative at 0.5: {second:.6f}, forward over reverse {mixed:.6f}  "
          f"(1 - tanh^2 0.5 = {1.0 - math.tanh(0.5) ** 2:.6f})")  # fmt: skip

    # Forward, reverse and finite differences agree, to second order.
    print(f"check_op: {rg.check_op(logcosh)}")

    # The graph of y, inputs first: backward visits these rows bottom up, and the
    # logcosh row is one node, whatever its forward function does inside.
    # rg.draw(y, "y.svg") draws the same graph with Graphviz.
    print("the graph of y:")
    print(to_text(y), end="")


if __name__ == "__main__":
    main()
