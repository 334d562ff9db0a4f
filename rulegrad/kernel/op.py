"""`Op`: one catalogue entry, its rules, and how a call is dispatched.

Calling an op on plain numbers runs its forward function. Calling it on nodes finds the
highest tag among the arguments and hands the call to that tag's engine (reverse or
forward mode), which treats everything of a lower tag as a constant.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar, Final, final, overload

from rulegrad.kernel.errors import (
    ArityError,
    DivisionByZeroError,
    DomainError,
    OperandTypeError,
    RangeError,
    RuleError,
    RulegradError,
    format_point,
)
from rulegrad.kernel.nodes import Dual, Scalar, Value, to_float
from rulegrad.kernel.rules import (
    ForwardFn,
    JvpRule,
    OpCode,
    Partial,
    PartialsRule,
    Undefined,
    VjpRule,
)
from rulegrad.kernel.tags import Tag, escaped

__all__ = ["BUILTIN", "BinaryOp", "Op", "OpCode", "UnaryOp"]  # OpCode: re-exported from rules

BUILTIN: Final = "built-in"


class Op:
    """A differentiable operation: a forward function and its partial derivatives.

    Both modes and every transform read these rules; nothing special-cases an op by name.
    Built-in ops of one or two arguments are `UnaryOp`s and `BinaryOp`s, which behave the
    same and only tell the type checker how many arguments they take.

    >>> square = Op("square", forward=lambda x: x * x, partials=lambda out, x: (2.0 * x,))
    >>> square(3.0)
    9.0
    """

    __slots__ = (
        "arity", "code", "doc", "domain", "forward", "jvp", "name", "params", "partials",
        "samples", "source", "vjp",
    )  # fmt: skip

    _fixed_arity: ClassVar[int | None] = None

    def __init__(
        self,
        name: str,
        *,
        forward: ForwardFn,
        partials: PartialsRule | None,
        jvp: JvpRule | None = None,
        vjp: VjpRule | None = None,
        arity: int | None = None,
        domain: str = "",
        samples: Sequence[Sequence[float]] = (),
        doc: str = "",
        source: str = "user",
        code: OpCode | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise RuleError(repr(name), "an op's name must be a Python identifier")
        for role, rule in (
            ("forward", forward),
            ("partials", partials),
            ("jvp", jvp),
            ("vjp", vjp),
        ):
            if rule is not None and not callable(rule):
                raise RuleError(name, f"{role} must be callable, got {type(rule).__name__}")
        params, variadic = _positional_params(name, forward, partials, arity)
        fixed = self._fixed_arity
        if fixed is not None and (arity if arity is not None else len(params)) != fixed:
            raise RuleError(name, f"a {type(self).__name__} takes {_count(fixed)}")
        if arity is None:
            arity = None if variadic else len(params)
        elif arity < 0 or (not variadic and arity != len(params)):
            raise RuleError(name, f"arity={arity} does not match forward{params}")
        self.name = name
        self.forward = forward
        self.partials = partials
        self.jvp = jvp
        self.vjp = vjp
        self.arity = arity
        self.params = params if arity is not None else ()
        self.domain = domain  # a one-line note, e.g. "x > 0"; shown in domain errors
        self.samples = tuple(tuple(float(v) for v in point) for point in samples)
        self.doc = doc or (inspect.getdoc(forward) or "")
        self.source = source  # "built-in", "user", or the plugin distribution it came from
        self.code = code  # templates for rg.compile; None: it calls forward and the rules
        if code is not None and not isinstance(code, OpCode):
            raise RuleError(name, f"code must be an OpCode, got {type(code).__name__}")
        if arity is not None:
            _check_rule_arity(self, "partials", partials, arity + 1)
            _check_rule_arity(self, "jvp", jvp, 3)
            _check_rule_arity(self, "vjp", vjp, 3)
            templates = code.partials if code is not None else None
            if isinstance(templates, str) or (
                isinstance(templates, Sequence) and len(templates) != arity
            ):
                raise RuleError(name, f"code.partials needs one template per input ({arity})")
            for point in self.samples:
                if len(point) != arity:
                    raise RuleError(
                        name, f"sample point {point} has {len(point)} values, not {arity}"
                    )

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes this op can be differentiated in."""
        forward = self.partials is not None or self.jvp is not None
        reverse = self.partials is not None or self.vjp is not None
        return tuple(m for m, ok in (("forward", forward), ("reverse", reverse)) if ok)

    def __repr__(self) -> str:
        arity = "n" if self.arity is None else self.arity
        return f"<rulegrad op {self.name}/{arity} ({self.source})>"

    @overload
    def __call__(self, *args: float) -> float: ...  # type: ignore[overload-overlap]
    @overload
    def __call__(self, *args: Value | float) -> Value: ...  # type: ignore[overload-overlap]
    @overload
    def __call__(self, *args: Dual | float) -> Dual: ...
    @overload
    def __call__(self, *args: Scalar) -> Scalar: ...

    def __call__(self, *args: Scalar) -> Scalar:
        arity = self.arity
        if arity is not None and len(args) != arity:
            raise ArityError(self.name, _count(arity), len(args))
        top: Tag | None = None
        for arg in args:
            kind = type(arg)
            if kind is float:
                continue
            if kind is Value or kind is Dual:
                tag: Tag = arg._tag  # type: ignore[union-attr]
                if top is None or tag.level > top.level:
                    top = tag
                elif tag is not top and tag.level == top.level:
                    raise escaped(tag if not tag.active else top)
            else:
                return self(*_coerce(self, args))
        if top is None:
            try:
                return self.forward(*args)
            except RulegradError:
                raise
            except (ValueError, ZeroDivisionError, OverflowError) as exc:
                raise _forward_error(self, args, exc) from exc  # type: ignore[arg-type]
        if not top.active:
            raise escaped(top)
        return top.engine.lift(self, args, top)

    def forward_at(self, primals: Sequence[float]) -> float:
        """The forward function at plain floats; its failures become rulegrad errors.

        Engines call this once they have unwrapped their nodes' primals to floats, which
        skips a second dispatch through `__call__`.
        """
        try:
            return self.forward(*primals)
        except RulegradError:
            raise
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise _forward_error(self, tuple(primals), exc) from exc

    def evaluate_partials(self, out: Scalar, primals: Sequence[Scalar]) -> Sequence[Partial]:
        """The partials rule at a point, checked; both modes call this, never the rule."""
        rule = self.partials
        if rule is None:
            raise RuleError(self.name, "has no partials rule")
        try:
            partials = rule(out, *primals)
        except RulegradError:
            raise
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise self.undefined_derivative(primals, str(exc)) from exc
        if len(partials) != len(primals):
            raise RuleError(
                self.name,
                f"partials returned {len(partials)} values for {len(primals)} inputs",
            )
        return partials

    def undefined_derivative(self, primals: Sequence[Scalar], reason: str) -> DomainError:
        """The error for a derivative that is needed but does not exist at `primals`."""
        point = tuple(to_float(p) for p in primals)
        where = format_point(self.params, point)
        return DomainError(
            self.name, point, f"the derivative of {self.name} is undefined at {where}: {reason}"
        )

    def check_partial(self, partial: Partial, primals: Sequence[Scalar]) -> Scalar:
        """`partial` if it is a number; raises DomainError if it is `Undefined`."""
        if type(partial) is Undefined:
            raise self.undefined_derivative(primals, partial.reason)
        return partial


@final
class UnaryOp(Op):
    """An op of one argument, such as `rg.sin`: `rg.sin(x)` has the kind of `x`."""

    __slots__ = ()
    _fixed_arity = 1

    if TYPE_CHECKING:  # the same call as Op's, with its arity spelled out for the checker

        @overload  # type: ignore[override]
        def __call__(self, x: float, /) -> float: ...
        @overload
        def __call__(self, x: Value, /) -> Value: ...
        @overload
        def __call__(self, x: Dual, /) -> Dual: ...
        @overload
        def __call__(self, x: Scalar, /) -> Scalar: ...
        def __call__(self, x: Scalar, /) -> Scalar: ...


@final
class BinaryOp(Op):
    """An op of two arguments, such as `rg.mul`; a `Value` or `Dual` operand makes the kind."""

    __slots__ = ()
    _fixed_arity = 2

    if TYPE_CHECKING:

        @overload  # type: ignore[override]
        def __call__(self, x: float, y: float, /) -> float: ...
        @overload
        def __call__(self, x: Value, y: Value | float, /) -> Value: ...
        @overload
        def __call__(self, x: float, y: Value, /) -> Value: ...
        @overload
        def __call__(self, x: Dual, y: Dual | float, /) -> Dual: ...
        @overload
        def __call__(self, x: float, y: Dual, /) -> Dual: ...
        @overload
        def __call__(self, x: Scalar, y: Scalar, /) -> Scalar: ...
        def __call__(self, x: Scalar, y: Scalar, /) -> Scalar: ...


def _count(arity: int) -> str:
    return f"{arity} argument{'' if arity == 1 else 's'}"


_POSITIONAL: Final = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _positional_params(
    name: str, forward: ForwardFn, partials: PartialsRule | None, arity: int | None
) -> tuple[tuple[str, ...], bool]:
    """The names of forward's required positional parameters, and whether it takes *args.

    A builtin such as `math.hypot` has no signature to read. Its inputs are then the
    partials rule's parameters after `out`, else `arity=` of them named x0, x1, ...
    """
    found = _required_positional(forward)
    if found is not None:
        return found
    from_rule = None if partials is None else _required_positional(partials)
    if from_rule is not None and from_rule[0] and not from_rule[1]:
        names = from_rule[0][1:]
        if arity is None or arity == len(names):
            return names, False
    if arity is None:
        raise RuleError(name, "cannot read the signature of forward or of partials; pass arity=")
    return tuple(f"x{i}" for i in range(arity)), False


def _required_positional(fn: Callable[..., object]) -> tuple[tuple[str, ...], bool] | None:
    """`fn`'s required positional parameter names and whether it takes *args; None if unknown."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    params: list[str] = []
    variadic = False
    for param in signature.parameters.values():
        if param.kind is param.VAR_POSITIONAL:
            variadic = True
        elif param.kind in _POSITIONAL and param.default is param.empty:
            params.append(param.name)
    return tuple(params), variadic


def _check_rule_arity(op: Op, role: str, rule: object, count: int) -> None:
    """A rule must accept exactly the arguments the modes will pass it."""
    if rule is None:
        return
    try:
        signature = inspect.signature(rule)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return  # a builtin without a signature: it is checked on first use
    try:
        signature.bind(*range(count))
    except TypeError:
        shape = {"partials": f"(out, {', '.join(op.params)})", "jvp": "(out, primals, tangents)",
                 "vjp": "(out, primals, cotangent)"}[role]  # fmt: skip
        raise RuleError(op.name, f"{role} must take {shape}, {count} arguments") from None


def _coerce(op: Op, args: tuple[object, ...]) -> tuple[Scalar, ...]:
    """Ints, bools and other real numbers (numpy scalars, Fractions) as floats."""
    coerced: list[Scalar] = []
    for position, arg in enumerate(args):
        if type(arg) is float or type(arg) is Value or type(arg) is Dual:
            coerced.append(arg)
        elif isinstance(arg, numbers.Real):
            try:
                coerced.append(float(arg))
            except OverflowError as exc:
                raise RangeError(op.name, (), f"{op.name}: argument {position} is too large "
                                 f"for a float ({exc})") from exc  # fmt: skip
        else:
            raise OperandTypeError(op.name, position, arg)
    return tuple(coerced)


def _forward_error(op: Op, args: tuple[float, ...], exc: Exception) -> RulegradError:
    """The rulegrad error for a forward function's failure, naming op and point."""
    where = f"{op.name}({format_point(op.params, args)})"
    if isinstance(exc, ZeroDivisionError):
        return DivisionByZeroError(op.name, args, f"{where}: division by zero")
    if isinstance(exc, OverflowError):
        return RangeError(op.name, args, f"{where}: result too large to represent ({exc})")
    domain = f"; {op.name} is defined for {op.domain}" if op.domain else ""
    return DomainError(op.name, args, f"{where} is undefined ({exc}){domain}")
