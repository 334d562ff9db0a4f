"""Forward mode: dual numbers.

An op applied to `Dual`s computes its primal and, at once, its tangent: the op's partials
contracted with the input tangents (or its jvp). Nothing is recorded, so memory stays flat
however long the computation runs.
"""

from __future__ import annotations

from typing import Final, final

from rulegrad.kernel import (
    ROOT_FORWARD,
    Dual,
    MissingRuleError,
    Op,
    RulegradError,
    Scalar,
    Tag,
    Value,
)
from rulegrad.modes._contraction import add, scale

__all__ = ["FORWARD", "ForwardEngine", "make_dual"]

_new = object.__new__


def make_dual(primal: float, tangent: float, tag: Tag) -> Dual:
    """A dual number of `tag`, without the checks `Dual()` makes on user input."""
    node: Dual = _new(Dual)
    node.primal = primal
    node.tangent = tangent
    node._tag = tag
    return node


@final
class ForwardEngine:
    """Computes primal and tangent together."""

    @property
    def name(self) -> str:
        return "forward"

    def lift(self, op: Op, args: tuple[Scalar, ...], tag: Tag) -> Scalar:
        # This runs once per op applied to a Dual, so it is written out flat.
        primals: list[float] = []
        tangents: list[float] = []
        plain = True  # every primal a float: no enclosing transform's node among them
        moving = False  # some tangent is not a plain zero
        for arg in args:
            if type(arg) is Dual and arg._tag is tag:
                primal = arg.primal
                tangent = arg.tangent
                if not moving and (type(tangent) is not float or tangent != 0.0):
                    moving = True
            else:
                primal = arg  # type: ignore[assignment]
                tangent = 0.0
            if type(primal) is not float:
                plain = False
            primals.append(primal)
            tangents.append(tangent)
        out = op.forward_at(primals) if plain else op(*primals)
        node: Dual = _new(Dual)
        node.primal = out
        node.tangent = tangent_out(op, out, primals, tangents) if moving else 0.0
        node._tag = tag
        return node

    def backward(self, root: Value, seed: Scalar) -> None:
        raise RulegradError("forward mode has no backward pass")


FORWARD: Final = ForwardEngine()
ROOT_FORWARD.engine = FORWARD


def tangent_out(op: Op, out: float, primals: list[float], tangents: list[float]) -> float:
    """d out along `tangents`: sum of partial_i * tangent_i over the non-zero tangents.

    The caller has checked that some tangent is not a plain zero.
    """
    if op.jvp is not None:
        return op.jvp(out, tuple(primals), tuple(tangents))
    if op.partials is None:
        raise MissingRuleError(op.name, "forward")
    partials = op.evaluate_partials(out, primals)
    total = 0.0
    for partial, tangent in zip(partials, tangents, strict=True):
        if type(tangent) is float:
            if tangent == 0.0:
                continue
            if type(partial) is float:  # the first-order case, written out
                term = partial * tangent
                total = term if type(total) is float and total == 0.0 else total + term
                continue
        total = add(total, scale(op.check_partial(partial, primals), tangent))  # type: ignore[arg-type]
    return total
