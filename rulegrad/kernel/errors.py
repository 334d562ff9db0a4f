"""The error hierarchy.

Every error rulegrad raises derives from `RulegradError`. Errors caused by a user's
input also derive from the builtin a Python user would reach for first, so
`except KeyError` or `except ValueError` keeps working around rulegrad code.
Each class carries the data its message is built from (`.op_name`, `.mode`, `.point`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = [
    "ArgumentError",
    "ArityError",
    "BuiltinOpError",
    "DivisionByZeroError",
    "DomainError",
    "DuplicateOpError",
    "EscapedValueError",
    "MissingRuleError",
    "ModeError",
    "NonScalarOutputError",
    "OperandTypeError",
    "RangeError",
    "RuleError",
    "RulegradError",
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
    """An error of one op at one point: `.op_name` and `.point` say which."""

    def __init__(self, op_name: str, point: Sequence[float], message: str) -> None:
        self.op_name = op_name
        self.point = tuple(point)
        super().__init__(message)


class DomainError(_PointError, ValueError):
    """A value or a derivative is undefined at the given point."""


class DivisionByZeroError(DomainError, ZeroDivisionError):
    """Division by zero, as Python's `1.0 / 0.0` raises it."""


class RangeError(_PointError, OverflowError):
    """The result is too large to represent, as `math.exp(1000.0)` reports it."""


class MissingRuleError(RulegradError, NotImplementedError):
    """An op without a derivative rule for this mode was used under a transform."""

    def __init__(self, op_name: str, mode: str) -> None:
        self.op_name = op_name
        self.mode = mode
        super().__init__(
            f"no {mode} rule for {op_name!r}: it was registered without partials"
            f"{' or jvp' if mode == 'forward' else ' or vjp'}, so it cannot be differentiated"
        )


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


class EscapedValueError(RulegradError, RuntimeError):
    """A `Value` or `Dual` made inside a transform was used after that transform returned."""
