"""Tracing for `rg.compile`: run `f` once on placeholders and record every op it applies.

The arguments become `Value`s of a fresh tag whose engine records instead of computing:
each op applied to them appends one node to the tape. A traced node's primal is `TRACED`,
a placeholder that refuses to become a number, so anything in `f` that needs the value of
an argument (a comparison, `bool()`, `float()`, ...) raises `TracingError`, naming the
operation and the line, instead of quietly freezing one branch into the compiled code.
"""

from __future__ import annotations

import linecache
import numbers
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Final, NoReturn, final

from rulegrad.kernel import (
    Node,
    Op,
    Placeholder,
    Program,
    Recorder,
    RulegradError,
    Scalar,
    Tag,
    Value,
    new_tag,
    users_first,
)
from rulegrad.kernel.errors import TraceSizeError, TracingError
from rulegrad.transforms._tracing import outputs_of

__all__ = ["MAX_OPS", "TRACED", "Trace", "new_recorder", "trace"]

_PACKAGE: Final = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_NODES: Final = os.path.join(_PACKAGE, "kernel", "nodes.py")
# Node.__float__ is hidden from type checkers (see nodes.py), hence getattr.
_NODE_FLOAT: Final[CodeType] = getattr(Node, "__float__").__code__  # noqa: B009

_COMPARISON: Final = "a comparison (<, <=, >, >=)"
_READERS: Final = {
    "__lt__": _COMPARISON,
    "__le__": _COMPARISON,
    "__gt__": _COMPARISON,
    "__ge__": _COMPARISON,
    "__bool__": "bool() (an if, while, and, or, not on a traced value)",
    "__eq__": "a comparison (==, !=)",
    "__ne__": "a comparison (==, !=)",
}


MAX_OPS: Final = 100_000
"""rg.compile's default limit on traced ops: Python's `compile()` of the generated code
takes about 0.1 ms and 13 KB of memory per op, so 100,000 ops already cost seconds and
more than a gigabyte while the code is built."""


@final
@dataclass(frozen=True)
class Trace:
    """What one call of `f` on placeholders did, as a program over its arguments.

    `program` has one input per positional argument and one output, `f`'s result (a step,
    an argument, or a constant). `backward` lists the steps the result depends on in the
    order the dynamic backward pass visits the matching nodes (users first), so that
    compiled gradients add their terms in the dynamic order and get its numbers.
    """

    program: Program
    backward: tuple[int, ...]


def new_recorder(max_ops: int) -> Recorder:
    """A recorder for a whole traced function, as `rg.compile` and `rg.vmap` trace one: it
    refuses more than `max_ops` ops, a number from outside the trace, and `backward()`."""
    return Recorder(
        TRACED,
        max_steps=max_ops,
        on_outside=_outside,
        too_many=TraceSizeError,
        on_backward=_backward_called,
    )


def trace(f: Callable[..., object], n_args: int, max_ops: int = MAX_OPS) -> Trace:
    """Call `f` on `n_args` placeholder arguments and record what it computes.

    Raises `TraceSizeError` as soon as `f` has applied more than `max_ops` ops.
    """
    recorder = new_recorder(max_ops)
    try:
        with new_tag(recorder, "rg.compile") as tag:
            leaves = [recorder.leaf(tag) for _ in range(n_args)]
            try:
                out = f(*leaves)
            except RulegradError:
                raise
            except TypeError as exc:
                raise _from_type_error(exc) from exc
            result = _result(out, tag)
            program = recorder.program(leaves, [result], tag)
            index = {node: k for k, node in enumerate(recorder.tape)}
            order = users_first([result], tag) if type(result) is Value else []
            backward = tuple(index[node] for node in order if node._by is not None)
    finally:
        recorder.tape.clear()  # the nodes refer to the tag, which refers to the recorder
    return Trace(program, backward)


def _result(out: object, tag: Tag) -> Value | float:
    if type(out) is Value and out._tag is tag:
        return out
    if isinstance(out, Node):
        raise TracingError(
            f"f returned a {type(out).__name__} that was not computed from its arguments",
            "the result",
            "",
            "",
        )
    if out is TRACED:
        raise TracingError("f returned the .data of a traced value", "the result", "", "")
    outputs_of(out, "rg.compile", allow_sequence=False)  # NonScalarOutputError for the rest
    return float(out)  # type: ignore[arg-type]  # a real number, checked just above


def _backward_called() -> TracingError:
    return TracingError(
        "f calls .backward() on a traced value; return the value and use the compiled "
        "function's grad or value_and_grad instead",
        ".backward()",
        _location(sys._getframe(1)),
        "",
    )


def _outside(op: Op, arg: Scalar) -> TracingError:
    kind, origin = type(arg).__name__, arg._tag.origin  # type: ignore[union-attr]
    made = f"by {origin}" if origin.startswith("rg.") else "by hand, a parameter?"
    return TracingError(
        f"f uses a {kind} made outside it ({made}); compiled code can only depend "
        "on its arguments, so pass it as one",
        f"{op.name} of an outside {kind}",
        _location(sys._getframe(1)),
        "",
    )


@final
class _Traced(Placeholder):
    """The primal of every traced node: it has no number until the compiled code runs."""

    __slots__ = ()

    def unusable(self, use: str) -> Exception:
        return _needs_value(use)

    def __repr__(self) -> str:
        return "<traced>"

    def __float__(self) -> NoReturn:
        raise _needs_value("float()")

    def __int__(self) -> NoReturn:
        raise _needs_value("int()")

    def __index__(self) -> NoReturn:
        raise _needs_value("an index")

    def __bool__(self) -> NoReturn:
        raise _needs_value("bool()")

    def __round__(self, ndigits: int | None = None) -> NoReturn:
        raise _needs_value("round()")

    def __lt__(self, other: object) -> NoReturn:
        raise _needs_value(_COMPARISON)

    __le__ = __gt__ = __ge__ = __lt__


# Registered as a real number so that every path that wants a number from a node (to_float,
# as_real, an op given `.data`) calls float() on it, which names the culprit.
numbers.Real.register(_Traced)
TRACED: Final = _Traced()


def _inside(frame: FrameType) -> bool:
    """Whether `frame` runs rulegrad's code: its modules, or code it generated."""
    filename = frame.f_code.co_filename
    return filename.startswith(_PACKAGE) or filename.startswith("<rulegrad")


def _needs_value(use: str) -> TracingError:
    """The error for the placeholder asked for a number by the code two frames up."""
    frame: FrameType | None = sys._getframe(2)
    via_to_float = False
    # Step out of the plumbing that reads a node's number to whatever asked for it.
    while frame is not None and frame.f_code.co_filename == _NODES:
        name = frame.f_code.co_name
        if name in _READERS:
            use = _READERS[name]
            break
        via_to_float = via_to_float or name == "to_float"
        frame = frame.f_back
    else:
        if frame is not None and _inside(frame):
            name = frame.f_code.co_name
            module = os.path.relpath(frame.f_code.co_filename, os.path.dirname(_PACKAGE[:-1]))
            use = f"rulegrad's {name}() ({module})"
        elif via_to_float:
            use = "rg.to_float()"
    return TracingError(f"{use} needs the value of a traced argument", use, _location(frame))


def _location(frame: FrameType | None) -> str:
    """Where the first frame outside rulegrad, from `frame` outwards, is running."""
    while frame is not None and _inside(frame):
        frame = frame.f_back
    if frame is None:
        return ""
    filename, line = frame.f_code.co_filename, frame.f_lineno
    code = linecache.getline(filename, line).strip()
    return f"{filename}, line {line}" + (f": {code}" if code else "")


def _from_type_error(exc: TypeError) -> TracingError:
    """A TypeError from f while tracing, which usually means a node was used as a number."""
    frames = [frame for frame, _ in traceback.walk_tb(exc.__traceback__)]
    innermost = frames[-1] if frames else None
    if innermost is not None and innermost.f_code is _NODE_FLOAT:
        use = "float(), int() or a math function"
        where = _location(innermost)
        return TracingError(f"{use} needs the value of a traced argument", use, where)
    return TracingError(
        f"tracing it raised TypeError ({exc}); Python raises that where it needs a number "
        "and gets a traced value (round(), an index, range(), ...)",
        f"TypeError: {exc}",
        _location(innermost),
    )
