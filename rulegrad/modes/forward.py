"""Forward mode: dual numbers.

An op applied to `Dual`s computes its primal and, at once, its tangent: the op's partials
contracted with the input tangents (or its jvp). Nothing is recorded, so memory stays flat
however long the computation runs. The first-order float case runs code generated per op
from its rule (`kernels.py`); this engine handles everything else: nested transforms,
ints, errors, ops whose rules cannot be traced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, final

from rulegrad.kernel import (
    MATH_ERRORS,
    Dual,
    MissingRuleError,
    Op,
    RangeError,
    RulegradError,
    Scalar,
    Tag,
    Value,
    to_float,
)
from rulegrad.kernel.errors import format_point
from rulegrad.modes._contraction import contract, moving

__all__ = ["CHECKING_FORWARD", "FORWARD", "ForwardEngine", "make_dual", "tangent_out"]

_new = object.__new__


def make_dual(primal: Scalar, tangent: Scalar, tag: Tag) -> Dual:
    """A dual number of `tag`, without the checks `Dual()` makes on user input."""
    node: Dual = _new(Dual)
    node.primal = primal  # type: ignore[assignment]
    node.tangent = tangent  # type: ignore[assignment]
    node._tag = tag
    return node


@final
class ForwardEngine:
    """Computes primal and tangent together.

    The checking engine (`CHECKING_FORWARD`) also raises `RangeError` at the first op whose
    tangent is not finite although its inputs are: the transforms rerun `f` with it when a
    result comes out non-finite, to say where.
    """

    __slots__ = ("checking",)

    def __init__(self, *, checking: bool = False) -> None:
        self.checking = checking

    @property
    def name(self) -> str:
        return "forward"

    def lift(self, op: Op, args: tuple[Scalar, ...], tag: Tag) -> Scalar:
        primals: list[Scalar] = []
        tangents: list[Scalar] = []
        plain = True  # every primal a float: no enclosing transform's node among them
        for arg in args:
            primal: Scalar
            tangent: Scalar
            if type(arg) is Dual and arg._tag is tag:
                primal, tangent = arg.primal, arg.tangent
            else:
                primal, tangent = arg, 0.0
            if type(primal) is not float:
                plain = False
            primals.append(primal)
            tangents.append(tangent)
        out = op.forward_at(primals) if plain else op(*primals)  # type: ignore[arg-type]
        out_tangent = tangent_out(op, out, primals, tangents) if any(map(moving, tangents)) else 0.0
        if self.checking:
            _check_finite(op, out, primals, tangents, out_tangent)
        return make_dual(out, out_tangent, tag)

    def backward(self, root: Value, seed: Scalar) -> None:
        raise RulegradError("forward mode has no backward pass")


def tangent_out(
    op: Op, out: Scalar, primals: Sequence[Scalar], tangents: Sequence[Scalar]
) -> Scalar:
    """d out along `tangents`: the op's jvp, or its partials contracted with the tangents.

    Only the partials of inputs with a tangent that is not a plain zero are computed.
    """
    if op.jvp is not None:
        try:
            return op.jvp(out, tuple(primals), tuple(tangents))  # type: ignore[arg-type]
        except MATH_ERRORS as exc:
            error = op.derivative_error(primals, exc)
            if error is exc:
                raise
            raise error from exc
    if op.partials is None:
        raise MissingRuleError(op.name, "forward")
    partials = op.partials_at(out, primals, [moving(t) for t in tangents])
    return contract(partials, tangents)


def _check_finite(
    op: Op,
    out: Scalar,
    primals: Sequence[Scalar],
    tangents: Sequence[Scalar],
    tangent: Scalar,
) -> None:
    """RangeError if `tangent` is not finite though the op's inputs and tangents are."""
    values = [to_float(p) for p in primals] + [to_float(t) for t in tangents]
    if math.isfinite(to_float(tangent)) or not all(map(math.isfinite, values)):
        return
    point = tuple(to_float(p) for p in primals)
    raise RangeError(
        op.name, point,
        f"the derivative of {op.name} at {format_point(op.params, point)} is not finite "
        f"({to_float(tangent)!r}) although its inputs are",
        in_derivative=True,
    )  # fmt: skip


FORWARD: Final = ForwardEngine()
CHECKING_FORWARD: Final = ForwardEngine(checking=True)
