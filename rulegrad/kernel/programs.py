"""Programs: a function of scalars traced into straight-line steps, each one op.

A partials rule written with rulegrad ops, run on symbols instead of numbers, leaves behind
the ops it applied: that is its `Program`. The engines run a rule's program to evaluate only
the partials a mode needs, and the code generators (the engines' fast paths, `rg.compile`)
turn it into Python source. So every derivative is stated once, in the rule, and everything
else is derived from it.

Recording happens at a tag of its own whose engine records instead of computing; a symbol's
`.data` is a placeholder that refuses to become a number, so a rule that branches on the
value of an input cannot be traced (it is then called as it is, which is always correct).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Final, TypeAlias, final

from rulegrad.kernel.nodes import Node, Placeholder, Scalar, Value, inputs_of, new_value
from rulegrad.kernel.tags import Tag, new_tag

if TYPE_CHECKING:
    from rulegrad.kernel.op import Op

__all__ = ["RECORDING", "Arg", "NotTraceableError", "Program", "Recorder", "Step", "record"]

# A step's argument: an int refers to an earlier value (the inputs are 0 .. n_inputs - 1, then
# one per step), a float is a constant.
Arg: TypeAlias = "int | float"
Step: TypeAlias = "tuple[Op, tuple[Arg, ...]]"


class NotTraceableError(Exception):
    """A function needed the value of a symbol while it was being recorded."""


@final
class Program:
    """Straight-line steps computing `outputs` from `n_inputs` inputs.

    >>> import rulegrad as rg
    >>> program = record(lambda x, y: (rg.mul(x, rg.sin(y)),), 2)
    >>> [op.name for op, _ in program.steps], program.outputs
    (['sin', 'mul'], (3,))
    >>> program.run((2.0, 0.0), (True,))
    [0.0]
    """

    __slots__ = ("__weakref__", "_cones", "n_inputs", "outputs", "steps")

    def __init__(self, n_inputs: int, steps: Sequence[Step], outputs: Sequence[Arg]) -> None:
        self.n_inputs = n_inputs
        self.steps: tuple[Step, ...] = tuple(steps)
        self.outputs: tuple[Arg, ...] = tuple(outputs)
        self._cones: dict[tuple[bool, ...], tuple[int, ...]] = {}

    def cone(self, wanted: Sequence[bool]) -> tuple[int, ...]:
        """The steps the wanted outputs depend on, in order."""
        key = tuple(wanted)
        found = self._cones.get(key)
        if found is None:
            n = self.n_inputs
            needed = [False] * len(self.steps)
            pending = [
                a - n for a, w in zip(self.outputs, key, strict=True) if w and type(a) is int
            ]
            while pending:
                k = pending.pop()
                if k < 0 or needed[k]:
                    continue
                needed[k] = True
                pending.extend(a - n for a in self.steps[k][1] if type(a) is int)
            found = self._cones[key] = tuple(k for k, need in enumerate(needed) if need)
        return found

    def run(self, inputs: Sequence[Scalar], wanted: Sequence[bool]) -> list[Scalar]:
        """The wanted outputs at `inputs` (0.0 for the others), applying only the steps needed.

        The steps are applied as ops, so inputs may be nodes of any transform.
        """
        values: list[Scalar] = list(inputs)
        values.extend([0.0] * len(self.steps))
        n = self.n_inputs
        steps = self.steps
        for k in self.cone(wanted):
            op, args = steps[k]
            values[n + k] = op(*[values[a] if type(a) is int else a for a in args])
        return [
            (values[a] if type(a) is int else a) if w else 0.0
            for a, w in zip(self.outputs, wanted, strict=True)
        ]


@final
class _Symbol(Placeholder):
    """The `.data` of a symbol being recorded: it has no number."""

    __slots__ = ()

    def unusable(self, use: str) -> Exception:
        return NotTraceableError()

    def __repr__(self) -> str:
        return "<symbol>"

    def __float__(self) -> float:
        raise NotTraceableError

    def __bool__(self) -> bool:
        raise NotTraceableError

    def __lt__(self, other: object) -> bool:
        raise NotTraceableError

    __le__ = __gt__ = __ge__ = __lt__


# A real number to `as_real`, so that `to_float` of a symbol calls float() and stops the trace.
numbers.Real.register(_Symbol)
SYMBOL: Final = _Symbol()

# Called with the op and its arguments when a node of another tag reaches a recorded op.
OnOutside: TypeAlias = Callable[["Op", Scalar], Exception]


def _not_traceable(op: Op, arg: Scalar) -> Exception:
    return NotTraceableError()


@final
class Recorder:
    """The engine behind a recording tag: each op applied makes a node and is remembered."""

    __slots__ = ("max_steps", "on_backward", "on_outside", "placeholder", "tape", "too_many")

    def __init__(
        self,
        placeholder: object = SYMBOL,
        *,
        max_steps: int | None = None,
        on_outside: OnOutside = _not_traceable,
        too_many: Callable[[int], Exception] | None = None,
        on_backward: Callable[[], Exception] = NotTraceableError,
    ) -> None:
        self.tape: list[Value] = []
        self.placeholder = placeholder
        self.max_steps = max_steps
        self.on_outside = on_outside  # the error for a node of another tag
        self.too_many = too_many  # the error for more than max_steps steps
        self.on_backward = on_backward  # the error for .backward() on a recorded node

    @property
    def name(self) -> str:
        return "recording"

    def leaf(self, tag: Tag) -> Value:
        """A symbol: a node of `tag` with no op and no number."""
        return new_value(self.placeholder, (), None, tag)  # type: ignore[arg-type]

    def lift(self, op: Op, args: tuple[Scalar, ...], tag: Tag) -> Scalar:
        for arg in args:
            if isinstance(arg, Node) and arg._tag is not tag:  # Node: Taylor's Series too
                raise self.on_outside(op, arg)
        if self.max_steps is not None and len(self.tape) >= self.max_steps:
            raise (self.too_many or NotTraceableError)(self.max_steps)
        node = new_value(self.placeholder, args, op, tag)  # type: ignore[arg-type]
        self.tape.append(node)
        return node

    def backward(self, root: Value, seed: Scalar) -> None:
        raise self.on_backward()

    def program(self, leaves: Sequence[Value], outputs: Sequence[Scalar], tag: Tag) -> Program:
        """The recorded steps as a `Program` over `leaves`, computing `outputs`."""
        index: dict[Value, int] = {leaf: i for i, leaf in enumerate(leaves)}
        for k, node in enumerate(self.tape, start=len(leaves)):
            index[node] = k

        def arg(x: Scalar) -> Arg:
            if type(x) is Value and x._tag is tag:
                return index[x]
            if type(x) is float:
                return x
            if type(x) is int:
                return float(x)
            raise NotTraceableError  # an outside node, or a number of another kind

        steps = []
        for node in self.tape:
            op = node._by
            assert op is not None  # every tape node was made by lift
            steps.append((op, tuple(arg(x) for x in inputs_of(node))))
        return Program(len(leaves), steps, [arg(x) for x in outputs])


# True while a rule is being recorded: ops first called then do not make their fast paths yet
# (making one records that op's own rule, which may call an op made on the fly, and so on).
RECORDING: ContextVar[bool] = ContextVar("rulegrad_recording", default=False)


def record(fn: Callable[..., Sequence[Scalar]], n_inputs: int) -> Program:
    """Run `fn` on `n_inputs` symbols and return the program of ops it applied.

    `fn` returns a sequence of results, each a symbol-derived node or a constant. Raises
    `NotTraceableError` if `fn` needs the value of a symbol (a branch on it, float(), ...) or
    returns something that is neither.
    """
    recorder = Recorder()
    token = RECORDING.set(True)
    try:
        with new_tag(recorder, "recording") as tag:
            leaves = [recorder.leaf(tag) for _ in range(n_inputs)]
            outputs = fn(*leaves)
            if isinstance(outputs, (str, bytes)) or not isinstance(outputs, Sequence):
                raise NotTraceableError
            program = recorder.program(leaves, list(outputs), tag)
    finally:
        RECORDING.reset(token)
        recorder.tape.clear()  # its nodes refer to the tag, which refers to the recorder
    return program
