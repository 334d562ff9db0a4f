"""Tracing a per-point function once, as `rg.compile` does, but with all its outputs.

The per-point function takes the leaves of one point's arguments and returns the leaves of
its result. It runs once on placeholders of `rg.compile`'s recorder, so the same things stop
it (a comparison or `float()` of an argument: `TracingError`), and leaves one `Program`
computing every output, with, per output, the order in which the dynamic backward pass
visits its steps (the array code's reverse sweep follows it).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import final

from rulegrad.compiler._recorder import TRACED, _from_type_error, new_recorder
from rulegrad.kernel import (
    Node,
    NonScalarOutputError,
    Program,
    RulegradError,
    Value,
    new_tag,
    users_first,
)
from rulegrad.kernel.errors import TracingError
from rulegrad.transforms._custom_call import EXAMPLES

__all__ = ["MAX_OPS", "Traced", "trace"]

MAX_OPS = 100_000  # as rg.compile: beyond this, building the code costs more than it saves


@final
@dataclass(frozen=True)
class Traced:
    """A per-point function as a program: one input per leaf, one output per result leaf
    (a step, an input, or a constant), and for each output the steps it depends on in the
    dynamic backward pass's order."""

    program: Program
    backward: tuple[tuple[int, ...], ...]


def trace(
    fn: Callable[..., Sequence[object]],
    n_inputs: int,
    example: Sequence[float] | None,
    max_ops: int = MAX_OPS,
) -> Traced:
    """Run `fn` on `n_inputs` placeholders; `example` (one point's numbers) is told to
    custom functions, which run once on real numbers to learn what they return."""
    recorder = new_recorder(max_ops)
    token = EXAMPLES.set({} if example is not None else None)
    try:
        with new_tag(recorder, "rg.vmap") as tag:
            leaves = [recorder.leaf(tag) for _ in range(n_inputs)]
            known = EXAMPLES.get()
            if known is not None and example is not None:
                known.update(zip(leaves, example, strict=True))
            try:
                outs = fn(*leaves)
            except RulegradError:
                raise
            except TypeError as exc:
                raise _from_type_error(exc) from exc
            results: list[Value | float] = []
            for out in outs:
                if type(out) is Value and out._tag is tag:
                    results.append(out)
                elif isinstance(out, Node) or out is TRACED:
                    raise TracingError(
                        "f returned a number that was not computed from its arguments",
                        "the result",
                        "",
                        "",
                    )
                elif isinstance(out, numbers.Real):
                    results.append(float(out))
                else:
                    raise NonScalarOutputError(
                        f"rg.vmap: f returned a {type(out).__name__}, not a number"
                    )
            program = recorder.program(leaves, results, tag)
            index = {node: k for k, node in enumerate(recorder.tape)}
            orders = tuple(
                tuple(index[node] for node in users_first([r], tag) if node._by is not None)
                if type(r) is Value
                else ()
                for r in results
            )
    finally:
        recorder.tape.clear()
        EXAMPLES.reset(token)
    return Traced(program, orders)
