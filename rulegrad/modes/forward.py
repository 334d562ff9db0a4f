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
from rulegrad.modes._contraction import add, is_zero, scale

__all__ = ["FORWARD", "ForwardEngine", "make_dual", "tangent_out"]

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
        primals: list[float] = []
        tangents: list[float] = []
        for arg in args:
            if type(arg) is Dual and arg._tag is tag:
                primals.append(arg.primal)
                tangents.append(arg.tangent)
            else:
                primals.append(arg)  # type: ignore[arg-type]
                tangents.append(0.0)
        out = op(*primals)
        return make_dual(out, tangent_out(op, out, primals, tangents), tag)

    def backward(self, root: Value, seed: Scalar) -> None:
        raise RulegradError("forward mode has no backward pass")


FORWARD: Final = ForwardEngine()
ROOT_FORWARD.engine = FORWARD


def tangent_out(op: Op, out: float, primals: list[float], tangents: list[float]) -> float:
    """d out along `tangents`: sum of partial_i * tangent_i over the non-zero tangents."""
    if all(is_zero(t) for t in tangents):
        return 0.0
    if op.jvp is not None:
        return op.jvp(out, tuple(primals), tuple(tangents))
    if op.partials is None:
        raise MissingRuleError(op.name, "forward")
    partials = op.evaluate_partials(out, primals)
    total = 0.0
    for partial, tangent in zip(partials, tangents, strict=True):
        if not is_zero(tangent):
            total = add(total, scale(op.check_partial(partial, primals), tangent))  # type: ignore[arg-type]
    return total
