"""Ops that steer differentiation instead of computing: `stop_gradient`.

`stop_gradient` is an `Op` like any other (both modes, every transform and `rg.compile`
read its rules), but it is not registered in the catalogue: its derivative is 0 by
decree, not the derivative of its forward function, so `check_op`'s comparison with finite
differences does not apply to it, and the command line has no use for it.
"""

from __future__ import annotations

from typing import overload

from rulegrad.kernel import BUILTIN, Dual, Scalar, UnaryOp, Value
from rulegrad.kernel.op import OpCode

__all__ = ["stop_gradient", "stop_gradient_op"]


def _identity(x: float) -> float:
    """The value of x, as a constant for every enclosing transform."""
    return x


stop_gradient_op = UnaryOp(
    "stop_gradient",
    forward=_identity,
    partials=lambda out, x: (0.0,),
    # Exact zeros in both modes, as JAX gives: no 0 * cotangent (NaN for an infinite one)
    # and no zero-valued node for an enclosing transform.
    jvp=lambda out, primals, tangents: 0.0,
    vjp=lambda out, primals, cotangent: (0.0,),
    source=BUILTIN,
    code=OpCode("{0}"),
    doc="""The value of `x`, held constant by every enclosing transform, in every mode.

    >>> import rulegrad as rg
    >>> rg.grad(lambda x: x * rg.stop_gradient(x))(3.0)
    3.0
    """,
)


@overload
def stop_gradient(x: float) -> float: ...
@overload
def stop_gradient(x: Value) -> Value: ...
@overload
def stop_gradient(x: Dual) -> Dual: ...
@overload
def stop_gradient(x: Scalar) -> Scalar: ...


def stop_gradient(x: Scalar) -> Scalar:
    """The value of `x`, held constant by every enclosing transform, in every mode
    (`rg.compile` included): its derivative is 0.

    >>> import rulegrad as rg
    >>> rg.grad(lambda x: x * rg.stop_gradient(x))(3.0)
    3.0
    """
    return stop_gradient_op(x)
