"""Reverse mode: `Value` graphs and the topological backward pass.

An op applied to `Value`s records a node (its op, its inputs, its primal) and does no
derivative work. `backward` walks the nodes in reverse topological order and contracts each
op's partials (or its vjp) with the node's cotangent, adding one contribution per edge, so an
input used twice receives both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, final

from rulegrad.kernel import (
    ROOT_REVERSE,
    MissingRuleError,
    Op,
    RuleError,
    Scalar,
    Tag,
    Value,
    toposort,
)
from rulegrad.modes._contraction import add, scale

__all__ = ["REVERSE", "ReverseEngine", "backward", "make_value"]

_new = object.__new__


def make_value(data: float, inputs: tuple[Scalar, ...], op: Op | None, tag: Tag) -> Value:
    """A node of `tag`, without the checks `Value()` makes on user input."""
    node: Value = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._inputs = inputs
    node._op = op
    node._tag = tag
    return node


@final
class ReverseEngine:
    """Builds `Value` nodes; the derivative work happens later, in `backward`."""

    @property
    def name(self) -> str:
        return "reverse"

    def lift(self, op: Op, args: tuple[Scalar, ...], tag: Tag) -> Scalar:
        # This runs once per op applied to a Value, so it is written out flat: one call
        # (the forward function, through forward_at) and the node built in place.
        primals: list[float] = []
        plain = True
        for arg in args:
            if type(arg) is Value and arg._tag is tag:
                arg = arg.data
            if type(arg) is not float:
                plain = False  # a node of an enclosing transform
            primals.append(arg)  # type: ignore[arg-type]
        out = op.forward_at(primals) if plain else op(*primals)
        node: Value = _new(Value)
        node.data = out
        node.grad = 0.0
        node.label = ""
        node._inputs = args
        node._op = op
        node._tag = tag
        return node

    def backward(self, root: Value, seed: Scalar) -> None:
        backward([(root, seed)], accumulate=True)


REVERSE: Final = ReverseEngine()
ROOT_REVERSE.engine = REVERSE


def backward(seeds: Sequence[tuple[Value, Scalar]], *, accumulate: bool) -> list[Value]:
    """Propagate cotangents from `seeds` (root, cotangent) to every node of their tag.

    With `accumulate`, each reached node's `.grad` gains this pass's cotangent (micrograd
    and PyTorch semantics); otherwise it is overwritten (transforms, which own their
    graphs). Returns the nodes reached, inputs before the nodes that use them.
    """
    tag = seeds[0][0]._tag
    order = toposort([root for root, _ in seeds], tag)
    # This pass's cotangents start from zero; with `accumulate`, the grads already there
    # (usually none: zero_grad, or a fresh graph) are set aside and added back at the end.
    saved: list[tuple[Value, float]] = []
    for node in order:
        old = node.grad
        if type(old) is not float or old != 0.0:
            if accumulate:
                saved.append((node, old))
            node.grad = 0.0
    for root, seed in seeds:
        root.grad = add(root.grad, seed)  # type: ignore[arg-type]
    for node in reversed(order):
        op = node._op
        cotangent = node.grad
        if op is None:
            continue
        if type(cotangent) is float:
            if cotangent == 0.0:
                continue
            if op.vjp is None and op.partials is not None:
                _float_step(node, op, cotangent, tag)
                continue
        inputs = node._inputs
        primals: list[float] = [a.data if type(a) is Value and a._tag is tag else a for a in inputs]  # type: ignore[misc]
        lifted = [type(a) is Value and a._tag is tag for a in inputs]
        contributions = _input_cotangents(op, node.data, primals, lifted, cotangent)
        for arg, is_lifted, contribution in zip(inputs, lifted, contributions, strict=True):
            if is_lifted:
                arg.grad = add(arg.grad, contribution)  # type: ignore[union-attr]
    for node, old in saved:
        node.grad = old + node.grad
    return order


def _float_step(node: Value, op: Op, cotangent: float, tag: Tag) -> None:
    """One node's contributions when its cotangent is a plain float (first-order backward).

    The same arithmetic as the general path below, written out: this runs once per node.
    """
    inputs = node._inputs
    primals: list[float] = [a.data if type(a) is Value and a._tag is tag else a for a in inputs]  # type: ignore[misc]
    partials = op.evaluate_partials(node.data, primals)
    for arg, partial in zip(inputs, partials, strict=True):
        if type(arg) is Value and arg._tag is tag:
            if type(partial) is not float:  # Undefined, or a node of an enclosing transform
                checked = op.check_partial(partial, primals)
                arg.grad = add(arg.grad, scale(checked, cotangent))  # type: ignore[arg-type]
            else:
                grad = arg.grad
                term = partial * cotangent
                # As `add`: a plain 0.0 total takes the term as it is (keeps -0.0).
                arg.grad = term if type(grad) is float and grad == 0.0 else grad + term


def _input_cotangents(
    op: Op, out: float, primals: list[float], lifted: list[bool], cotangent: float
) -> Sequence[float]:
    """One cotangent per input (constants get 0.0), from the op's vjp or its partials."""
    if op.vjp is not None:
        result = op.vjp(out, tuple(primals), cotangent)
        if len(result) != len(primals):
            raise RuleError(
                op.name, f"vjp returned {len(result)} cotangents for {len(primals)} inputs"
            )
        return result
    if op.partials is None:
        raise MissingRuleError(op.name, "reverse")
    partials = op.evaluate_partials(out, primals)
    return [
        scale(op.check_partial(partial, primals), cotangent) if needed else 0.0  # type: ignore[arg-type]
        for partial, needed in zip(partials, lifted, strict=True)
    ]
