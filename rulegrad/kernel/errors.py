"""Every public error class, in one module.

Every error rulegrad raises derives from `RulegradError`. Errors caused by a user's
input also derive from the builtin a Python user would reach for first, so
`except KeyError` or `except ValueError` keeps working around rulegrad code.
Each class carries the data its message is built from (`.op_name`, `.mode`, `.point`).
All of them are exported by `rulegrad` and name that public path in tracebacks
(`rulegrad.DomainError`, not this module's).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Final

__all__ = [
    "ArgumentError",
    "ArityError",
    "AxisError",
    "BatchingWarning",
    "BuiltinOpError",
    "DivisionByZeroError",
    "DomainError",
    "DuplicateOpError",
    "EscapedValueError",
    "GraphvizError",
    "GraphvizNotFoundError",
    "MissingRuleError",
    "ModeError",
    "NonScalarOutputError",
    "OperandTypeError",
    "PictureOptionError",
    "PluginWarning",
    "RangeError",
    "RuleCheckError",
    "RuleError",
    "RulegradError",
    "SettingError",
    "ShapeError",
    "TraceSizeError",
    "TracingError",
    "UnknownOpError",
    "close_names",
    "format_point",
]


def close_names(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Up to `n` names in `known` that `name` may be a misspelling of, closest first.

    Case is ignored (`Sin` finds `sin`), so the suggestions of every command agree.

    >>> close_names("Sinn", ["sin", "sinh", "asin", "cos"])
    ['sin', 'sinh', 'asin']
    """
    by_folded: dict[str, list[str]] = {}
    for candidate in known:
        by_folded.setdefault(candidate.casefold(), []).append(candidate)
    close: list[str] = []
    for folded in difflib.get_close_matches(name.casefold(), list(by_folded), n=n):
        close += sorted(by_folded[folded])
    return close[:n]


def format_point(params: Sequence[str], point: Sequence[float]) -> str:
    """Render a point as `x=1.0, y=2.0`, naming each argument by its parameter name."""
    names = list(params) if len(params) == len(point) else [f"x{i}" for i in range(len(point))]
    return ", ".join(f"{name}={value!r}" for name, value in zip(names, point, strict=True))


class RulegradError(Exception):
    """Base class of every error rulegrad raises."""


class UnknownOpError(RulegradError, KeyError):
    """No op of that name is in the catalogue."""

    def __init__(self, op_name: str, known: Iterable[str] = ()) -> None:
        self.op_name = op_name
        close = close_names(op_name, known)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(f"no op named {op_name!r} in the catalogue{hint}")

    def __str__(self) -> str:
        # KeyError would print the repr of the message, quotes and all.
        return str(self.args[0])


class DuplicateOpError(RulegradError, ValueError):
    """An op of that name is already registered and `replace=True` was not given."""

    def __init__(self, op_name: str, message: str = "") -> None:
        self.op_name = op_name
        super().__init__(
            message
            or f"an op named {op_name!r} is already registered; pass replace=True to replace it"
        )

    def __reduce__(self) -> tuple[type[DuplicateOpError], tuple[str, str]]:
        return type(self), (self.op_name, str(self))  # copies and pickles keep `.op_name`


class BuiltinOpError(DuplicateOpError):
    """A built-in op cannot be replaced, by any path: `define_op`, `register`, a plugin.

    It is a `DuplicateOpError`, so `except DuplicateOpError` still catches it.

    >>> print(BuiltinOpError("cos"))  # doctest: +NORMALIZE_WHITESPACE
    'cos' is a built-in op and built-in ops are never replaced, not even with
    replace=True; give your op another name
    """

    def __init__(self, op_name: str, message: str = "") -> None:
        super().__init__(
            op_name,
            message
            or f"{op_name!r} is a built-in op and built-in ops are never replaced, not even "
            "with replace=True; give your op another name",
        )


class ArityError(RulegradError, ValueError):
    """An op was called with the wrong number of arguments."""

    def __init__(self, op_name: str, expected: str, got: int | str) -> None:
        self.op_name = op_name
        self.expected = expected
        self.got = got
        super().__init__(f"{op_name} takes {expected}, got {got}")


class OperandTypeError(RulegradError, TypeError):
    """An op was given something that is not a real number, `Value` or `Dual`."""

    def __init__(self, op_name: str, position: int, operand: object) -> None:
        self.op_name = op_name
        self.position = position
        super().__init__(
            f"{op_name}: argument {position} must be a real number, Value or Dual, "
            f"not {type(operand).__name__}"
        )


class _PointError(RulegradError):
    """An error of one op at one point: `.op_name` and `.point` say which.

    `.in_derivative` is True when it is the op's derivative, not its value, that fails there.
    """

    def __init__(
        self, op_name: str, point: Sequence[float], message: str, *, in_derivative: bool = False
    ) -> None:
        self.op_name = op_name
        self.point = tuple(point)
        self.in_derivative = in_derivative
        super().__init__(message)


class DomainError(_PointError, ValueError):
    """A value or a derivative is undefined at the given point."""


class DivisionByZeroError(DomainError, ZeroDivisionError):
    """Division by zero, as Python's `1.0 / 0.0` raises it."""


class RangeError(_PointError, OverflowError):
    """The result is too large to represent, as `math.exp(1000.0)` reports it."""


class MissingRuleError(RulegradError, NotImplementedError):
    """An op without a derivative rule for this mode (or this order) was used under a transform.

    `.order` is the Taylor coefficient that could not be computed, or None when the op has
    no rule for the mode at all.
    """

    def __init__(
        self, op_name: str, mode: str, *, order: int | None = None, reason: str = ""
    ) -> None:
        self.op_name = op_name
        self.mode = mode
        self.order = order
        if order is None:
            reason = reason or (
                f"it was registered without partials{' or vjp' if mode == 'reverse' else ' or jvp'}"
                ", so it cannot be differentiated"
            )
            super().__init__(f"no {mode} rule for {op_name!r}: {reason}")
        else:
            super().__init__(f"no {mode} rule for {op_name!r} at order {order}: {reason}")


class RuleError(RulegradError, TypeError):
    """A derivative rule is malformed (wrong number of partials, not callable, ...)."""

    def __init__(self, op_name: str, message: str) -> None:
        self.op_name = op_name
        super().__init__(f"{op_name}: {message}")


class NonScalarOutputError(RulegradError, TypeError):
    """A transform that needs a scalar output got something else."""


class ArgumentError(RulegradError, TypeError):
    """A transform was called with arguments it cannot differentiate."""


class ModeError(RulegradError, ValueError):
    """An unknown differentiation mode was asked for."""

    def __init__(self, mode: object) -> None:
        self.mode = mode
        super().__init__(f"mode must be 'forward' or 'reverse', got {mode!r}")


class AxisError(RulegradError, ValueError):
    """`rg.vmap`'s `in_axes` or `out_axes` does not fit the arguments or the results: an axis
    out of range, a structure that differs, mapped arguments of different lengths."""


class EscapedValueError(RulegradError, RuntimeError):
    """A `Value` or `Dual` made inside a transform was used after that transform returned."""


_ADVICE: Final = (
    "rg.compile traces f once, with placeholders for its arguments, and replays the recorded "
    "ops for every input, so nothing f does may depend on the values of its arguments. "
    "Write branches with ops (rg.relu, rg.abs, rg.maximum, rg.minimum), or use rg.grad or "
    "rg.value_and_grad, which run f afresh at every call"
)


class TracingError(RulegradError, TypeError):
    """`rg.compile` cannot trace `f`: what `f` does depends on the values of its arguments.

    `.operation` names what needed a value ("a comparison (<, <=, >, >=)", "float()", ...)
    and `.location` the line of `f` where it happened ("file.py, line 3: if x > 0:").
    """

    def __init__(self, problem: str, operation: str, location: str, advice: str = _ADVICE) -> None:
        self.operation = operation
        self.location = location
        at = f", at {location}" if location else ""
        super().__init__(f"rg.compile cannot compile f: {problem}{at}. {advice}".rstrip())


class TraceSizeError(RulegradError, ValueError):
    """`rg.compile` stopped tracing `f`: it applies more ops than `max_ops` allows."""

    def __init__(self, max_ops: int) -> None:
        self.max_ops = max_ops
        super().__init__(
            f"rg.compile cannot compile f: it applies more than {max_ops:,} ops, and the "
            "generated code would take longer to build, and more memory, than it saves. "
            "Use rg.grad or rg.value_and_grad (no size limit), or pass a larger max_ops "
            "to rg.compile"
        )


class RuleCheckError(RulegradError):
    """An op's rules disagree with finite differences of its forward, or with each other.

    `.op_name`, `.mode`, `.point`, `.expected` and `.got` say where. `.mode` is `"forward"`
    or `"reverse"` for values and first derivatives, and `"outer/inner"` for second
    derivatives: `"reverse/forward"` is reverse mode over forward mode. `.got` is None
    when the mode raised instead of giving a number; the exception is the `__cause__`.
    From `rg.check_grads`, `.op_name` is the function's name, `.order` the order of the
    derivative and `.path` the argument it is taken with respect to (`params['w'][0]`).

    >>> error = RuleCheckError("mysin", "reverse/forward", (0.5,), -0.479426, 0.0,
    ...                        what="d/dx (dmysin/dx)", reference="finite differences",
    ...                        params=("x",))
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    rule check failed for 'mysin' in reverse/forward mode (reverse over forward) at x=0.5:
    d/dx (dmysin/dx) is 0.0, expected -0.479426 from finite differences
    """

    def __init__(
        self,
        op_name: str,
        mode: str,
        point: tuple[float, ...],
        expected: float,
        got: float | None,
        *,
        what: str,
        reference: str,
        params: Sequence[str] = (),
        raised: BaseException | None = None,
        order: int | None = None,
        path: str = "",
    ) -> None:
        self.op_name = op_name
        self.mode = mode
        self.point = point
        self.expected = expected
        self.got = got
        self.order = order
        self.path = path
        *outers, inner = mode.split("/")
        over = " over ".join([*outers, inner])
        modes = f"{mode} mode ({over})" if outers else f"{mode} mode"
        if order is not None:
            modes = f"{modes[:-1]}, order {order})" if outers else f"{modes} (order {order})"
        outcome = f"is {got!r}" if got is not None else f"raised {type(raised).__name__}: {raised}"
        super().__init__(
            f"rule check failed for {op_name!r} in {modes} at {format_point(params, point)}: "
            f"{what} {outcome}, expected {expected!r} from {reference}"
        )


class PluginWarning(UserWarning):
    """A plugin was skipped. `.plugin`, `.origin` and `.cause` say which, from where, and why.

    >>> str(PluginWarning("special", "rulegrad-special 0.1.0", "register() raised KeyError: 'x'"))
    "rulegrad plugin 'special' (rulegrad-special 0.1.0) skipped: register() raised KeyError: 'x'"
    """

    def __init__(self, plugin: str, origin: str, cause: str) -> None:
        self.plugin = plugin  # the entry point's name
        self.origin = origin  # the distribution and its version
        self.cause = cause
        super().__init__(plugin, origin, cause)  # so that it copies and pickles

    def __str__(self) -> str:
        return f"rulegrad plugin {self.plugin!r} ({self.origin}) skipped: {self.cause}"


class BatchingWarning(UserWarning):
    """`rg.vmap` runs a function point by point because it cannot be traced into array code
    (it branches on the value of an argument, say): the same results, only slower."""


class GraphvizError(RulegradError, RuntimeError):
    """Graphviz's `dot` could not render a picture."""


class GraphvizNotFoundError(GraphvizError, FileNotFoundError):
    """Graphviz's `dot` program is not installed (not on PATH)."""


class PictureOptionError(RulegradError, ValueError):
    """A picture was asked for in a format or layout direction that is not supported."""


class ShapeError(RulegradError, ValueError):
    """Inputs of the wrong length: a neuron given 3 numbers for 2 weights, a loss given
    more scores than targets."""


class SettingError(RulegradError, ValueError):
    """An invalid value given to a module, optimiser, loss or data generator: a layer of
    width 0, a negative learning rate, a label outside what the loss accepts, ..."""


def _public(module: str, *classes: type) -> None:
    """Show each class under the module users import it from, in tracebacks."""
    for cls in classes:
        cls.__module__ = module


_public(
    "rulegrad",
    ArgumentError, ArityError, AxisError, BatchingWarning, BuiltinOpError, DivisionByZeroError,
    DomainError, DuplicateOpError, EscapedValueError, GraphvizError, GraphvizNotFoundError,
    MissingRuleError, ModeError, NonScalarOutputError, OperandTypeError, PictureOptionError,
    PluginWarning, RangeError, RuleCheckError, RuleError, RulegradError, TraceSizeError,
    TracingError, UnknownOpError,
)  # fmt: skip
_public("rulegrad.nn", SettingError, ShapeError)
