"""Reverse mode: `Value` graphs and the topological backward pass.

An op applied to `Value`s records a node (its op, its inputs, its primal) and does no
derivative work. `backward` walks the nodes users-first and contracts each op's partials
(or its vjp) with the node's cotangent, adding one contribution per edge, so an input used
twice receives both. Nodes with a plain-float cotangent go through the op's generated step
(`kernels.py`); the rest (nested transforms, rules that cannot be traced) through
`_general_step`, which reads the same rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final, final

from rulegrad.kernel import (
    MATH_ERRORS,
    MissingRuleError,
    Node,
    Op,
    RangeError,
    RuleError,
    Scalar,
    Tag,
    Value,
    count_users,
    inputs_of,
    new_value,
    release,
    to_float,
    users_first,
)
from rulegrad.kernel.errors import format_point
from rulegrad.modes._contraction import accumulate, moving, scale

__all__ = ["REVERSE", "Pull", "ReverseEngine", "backward", "make_value"]


# An op's generated reverse step: (node, float cotangent, tag, users, ready) -> whether it
# handled the node; if so, it also released the node's inputs (one user fewer each, and
# `ready(input)` for those with none left), as `_sweep` does otherwise.
Pull = Callable[[Value, float, Tag, dict[Value, int], Callable[[Value], None]], bool]


# How the transforms make leaves of a tag, and this engine its nodes.
make_value = new_value


@final
class ReverseEngine:
    """Builds `Value` nodes; the derivative work happens later, in `backward`."""

    @property
    def name(self) -> str:
        return "reverse"

    def lift(self, op: Op, args: tuple[Scalar, ...], tag: Tag) -> Scalar:
        primals: list[Scalar] = []
        plain = True
        for arg in args:
            if type(arg) is Value and arg._tag is tag:
                arg = arg.data
            if type(arg) is not float:
                plain = False  # a node of an enclosing transform
            primals.append(arg)
        out = op.forward_at(primals) if plain else op(*primals)  # type: ignore[arg-type]
        return make_value(out, args, op, tag)

    def backward(self, root: Value, seed: Scalar) -> None:
        backward([(root, seed)], accumulate=True)


REVERSE: Final = ReverseEngine()


def backward(seeds: Sequence[tuple[Value, Scalar]], *, accumulate: bool) -> list[Value]:
    """Propagate cotangents from `seeds` (root, cotangent) to every node of their tag.

    With `accumulate`, each reached node's `.grad` gains this pass's cotangent (micrograd
    and PyTorch semantics); otherwise it is overwritten (transforms, which own their
    graphs). The pass is atomic: if it raises, every `.grad` is as it was. A gradient that
    comes out non-finite from finite inputs, of a finite value, raises `RangeError` naming
    the op where it became so. Returns the nodes reached.

    Nodes are visited users first, found by counting each node's users (Kahn's algorithm)
    in one walk and stepping through them in a second: nothing is allocated per node.
    """
    tag = seeds[0][0]._tag
    users, starts = count_users([root for root, _ in seeds], tag)
    # This pass's cotangents start from zero; the grads already there (usually none: a
    # fresh graph, or zero_grad) are set aside, and put back if the pass fails.
    saved: list[tuple[Value, float]] = []
    for node in users:
        old = node.grad
        if type(old) is not float or old != 0.0:
            saved.append((node, old))
            node.grad = 0.0
    try:
        leaves = _sweep(users, starts, seeds, tag)
        if not _finite_sum(leaves) and _finite_outputs(seeds):
            _locate_non_finite(users_first([root for root, _ in seeds], tag), seeds, tag)
    except BaseException:
        for node in users:
            node.grad = 0.0
        for node, old in saved:
            node.grad = old
        raise
    if accumulate:
        for node, old in saved:
            node.grad = old + node.grad
    return list(users)


def _sweep(
    users: dict[Value, int],
    starts: list[Value],
    seeds: Sequence[tuple[Value, Scalar]],
    tag: Tag,
) -> list[Value]:
    """One backward pass, each node once all its users are done; returns the leaves."""
    for root, seed in seeds:
        root.grad = accumulate(root.grad, seed)  # type: ignore[assignment]
    leaves: list[Value] = []
    ready = [root for root in starts if users[root] == 0]
    take = ready.append
    while ready:
        node = ready.pop()
        op = node._by
        if op is None:
            leaves.append(node)
            continue
        cotangent = node.grad
        if type(cotangent) is float:
            if cotangent != 0.0:
                pull: Pull | None = op._pull  # type: ignore[assignment]
                if pull is not None and pull(node, cotangent, tag, users, take):
                    continue  # stepped, and its inputs released
                _general_step(node, op, cotangent, tag)
        else:
            _general_step(node, op, cotangent, tag)
        release(node, tag, users, take)
    return leaves


def _general_step(node: Value, op: Op, cotangent: Scalar, tag: Tag) -> None:
    """Add node's contributions to the grads of its inputs of `tag`, from the op's rule.

    For a float cotangent and float partials (the reductions' first order) the products
    and sums are written out: this runs once per input of every such node.
    """
    inputs = inputs_of(node)
    lifted = [type(a) is Value and a._tag is tag for a in inputs]
    primals: list[Scalar] = [
        a.data if is_lifted else a  # type: ignore[union-attr]
        for a, is_lifted in zip(inputs, lifted, strict=True)
    ]
    if type(cotangent) is float and op.vjp is None and op.partials is not None:
        partials = op.partials_at(node.data, primals, lifted)
        for arg, is_lifted, partial in zip(inputs, lifted, partials, strict=True):
            if is_lifted:
                grad = arg.grad  # type: ignore[union-attr]
                if type(partial) is float and type(grad) is float:
                    term = partial * cotangent
                    arg.grad = term if grad == 0.0 else grad + term  # type: ignore[union-attr]
                else:
                    arg.grad = accumulate(grad, scale(partial, cotangent))  # type: ignore[union-attr]
        return
    for arg, is_lifted, contribution in zip(
        inputs, lifted, _input_cotangents(op, node.data, primals, lifted, cotangent), strict=True
    ):
        if is_lifted:
            arg.grad = accumulate(arg.grad, contribution)  # type: ignore[union-attr]


def _input_cotangents(
    op: Op, out: Scalar, primals: list[Scalar], lifted: list[bool], cotangent: Scalar
) -> Sequence[Scalar]:
    """One cotangent per input (0.0 for the constants), from the op's vjp or its partials."""
    if op.vjp is not None:
        try:
            result = op.vjp(out, tuple(primals), cotangent)  # type: ignore[arg-type]
        except MATH_ERRORS as exc:
            error = op.derivative_error(primals, exc)
            if error is exc:
                raise
            raise error from exc
        if len(result) != len(primals):
            raise RuleError(
                op.name, f"vjp returned {len(result)} cotangents for {len(primals)} inputs"
            )
        return result
    if op.partials is None:
        raise MissingRuleError(op.name, "reverse")
    partials = op.partials_at(out, primals, lifted)
    return [
        scale(partial, cotangent) if is_lifted else 0.0
        for partial, is_lifted in zip(partials, lifted, strict=True)
    ]


def _finite_sum(leaves: list[Value]) -> bool:
    """Whether the leaves' grads are all finite (for nodes of an enclosing transform, in
    their innermost number; a placeholder being recorded counts as finite)."""
    total = 0.0
    for leaf in leaves:
        grad = leaf.grad
        total += grad if type(grad) is float else _innermost(grad)
    return total - total == 0.0


def _finite_outputs(seeds: Sequence[tuple[Value, Scalar]]) -> bool:
    """Whether the values differentiated are finite (an overflowed one explains itself)."""
    return all(math.isfinite(_innermost(root.data)) for root, _ in seeds)


def _innermost(x: object) -> float:
    """The number inside nested nodes; 0.0 where there is none yet (a recorded placeholder)."""
    while isinstance(x, Node):
        x = x.data if type(x) is Value else x.primal  # type: ignore[attr-defined]
    return x if type(x) is float else 0.0


def _locate_non_finite(order: list[Value], seeds: Sequence[tuple[Value, Scalar]], tag: Tag) -> None:
    """Redo the pass, checking each contribution: RangeError at the first op whose
    contribution is not finite although its primals and cotangent are."""
    for node in order:
        node.grad = 0.0
    for root, seed in seeds:
        root.grad = accumulate(root.grad, seed)  # type: ignore[assignment]
    for node in order:
        op = node._by
        cotangent = node.grad
        if op is None or not moving(cotangent):
            continue
        inputs = inputs_of(node)
        lifted = [type(a) is Value and a._tag is tag for a in inputs]
        primals = [a.data if is_lifted else a for a, is_lifted in zip(inputs, lifted, strict=True)]  # type: ignore[union-attr]
        contributions = _input_cotangents(op, node.data, primals, lifted, cotangent)
        point = tuple(to_float(p) for p in primals)
        finite = all(map(math.isfinite, point)) and math.isfinite(to_float(cotangent))
        for arg, is_lifted, contribution in zip(inputs, lifted, contributions, strict=True):
            if not is_lifted:
                continue
            if finite and not math.isfinite(to_float(contribution)):
                raise RangeError(
                    op.name, point,
                    f"the derivative of {op.name} at {format_point(op.params, point)} is not "
                    f"finite ({to_float(contribution)!r}) although its inputs are",
                    in_derivative=True,
                )  # fmt: skip
            arg.grad = accumulate(arg.grad, contribution)  # type: ignore[union-attr]
