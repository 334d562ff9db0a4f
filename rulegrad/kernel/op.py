"""`Op`: one catalogue entry, its rules, and how a call is dispatched.

Calling an op on plain numbers runs its forward function. Calling it on nodes finds the
highest tag among the arguments and hands the call to that tag's engine (reverse or
forward mode), which treats everything of a lower tag as a constant. The first call also
asks the engines for a fast path generated from the op's rules (see `SPECIALIZER`), which
then serves the common first-order cases directly and hands everything else back here.
"""

from __future__ import annotations

import ast
import inspect
import math
import numbers
import threading
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, ClassVar, Final, NoReturn, final, overload

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
from rulegrad.kernel.nodes import Dual, Node, Scalar, Value
from rulegrad.kernel.programs import RECORDING, NotTraceableError, Program, record
from rulegrad.kernel.rules import (
    ARRAY_CONSTANTS,
    ARRAY_FUNCTIONS,
    ForwardFn,
    JvpRule,
    OpCode,
    Partial,
    PartialsRule,
    SingularityError,
    Undefined,
    VjpRule,
)
from rulegrad.kernel.tags import Tag, escaped

__all__ = [
    "BUILTIN",
    "DEFAULT_SOURCE",
    "MATH_ERRORS",
    "SPECIALIZER",
    "BinaryOp",
    "Op",
    "OpCode",
    "UnaryOp",
]

BUILTIN: Final = "built-in"

# What an op says of where it came from when nobody says otherwise: "user", or the plugin
# being loaded (the plugin loader sets it while it imports a plugin and runs its register).
DEFAULT_SOURCE: ContextVar[str] = ContextVar("rulegrad_default_op_source", default="user")

# What a failing forward function or partial raises, as Python's float arithmetic and `math`
# report it; rulegrad's own point errors derive from these too.
MATH_ERRORS: Final = (ArithmeticError, ValueError)


@final
class _Specializer:
    """Where an op gets its fast paths: installed by the wiring from `rulegrad.modes`."""

    __slots__ = ("make",)

    def __init__(self) -> None:
        # make(op) -> (call, pull): a function doing what `op.dispatch` does, faster where it
        # can, and the reverse engine's step for the op's nodes; None for either to go
        # without (calls then take `dispatch`, steps the engine's general path).
        self.make: Callable[[Op], tuple[Callable[..., Scalar] | None, object]] | None = None


SPECIALIZER: Final = _Specializer()


class Op:
    """A differentiable operation: a forward function and its partial derivatives.

    Both modes and every transform read these rules; nothing special-cases an op by name.
    Built-in ops of one or two arguments are `UnaryOp`s and `BinaryOp`s, which behave the
    same and only tell the type checker how many arguments they take. An op cannot be
    changed once created.

    >>> square = Op("square", forward=lambda x: x * x, partials=lambda out, x: (2.0 * x,))
    >>> square(3.0)
    9.0
    """

    __slots__ = (
        "_call", "_lock", "_programs", "_pull", "arity", "code", "doc", "domain", "forward",
        "jvp", "name", "params", "partials", "samples", "singularities", "source", "vjp",
    )  # fmt: skip

    _fixed_arity: ClassVar[int | None] = None

    name: str
    forward: ForwardFn
    partials: PartialsRule | None
    jvp: JvpRule | None
    vjp: VjpRule | None
    arity: int | None
    params: tuple[str, ...]
    domain: str
    singularities: str
    samples: tuple[tuple[float, ...], ...]
    doc: str
    source: str
    code: OpCode | None
    _call: Callable[..., Scalar]
    _pull: object  # the reverse engine's fast step, set with the fast call (see rulegrad.modes)
    _programs: dict[int, Program | None]  # the partials rule traced, per number of inputs
    _lock: threading.Lock

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
        singularities: str = "",
        samples: Sequence[Sequence[float]] = (),
        doc: str = "",
        source: str | None = None,
        code: OpCode | None = None,
    ) -> None:
        if source is None:
            source = DEFAULT_SOURCE.get()
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
        elif type(arity) is not int or arity < 0 or (not variadic and arity != len(params)):
            raise RuleError(name, f"arity={arity!r} does not match forward{params}")
        for text, role in ((domain, "domain"), (singularities, "singularities"), (doc, "doc")):
            if not isinstance(text, str):
                raise RuleError(name, f"{role} must be a str, not {type(text).__name__}")
        if not isinstance(source, str):
            raise RuleError(name, f"source must be a str, not {type(source).__name__}")
        try:
            points = tuple(tuple(float(v) for v in point) for point in samples)
        except (TypeError, ValueError, OverflowError):
            raise RuleError(name, "samples must be points, each a sequence of numbers") from None
        _check_code(name, code, arity)
        if arity is not None:
            _check_rule_arity(name, params, "partials", partials, arity + 1)
            _check_rule_arity(name, params, "jvp", jvp, 3)
            _check_rule_arity(name, params, "vjp", vjp, 3)
            for point in points:
                if len(point) != arity:
                    raise RuleError(
                        name, f"sample point {point} has {len(point)} values, not {arity}"
                    )
        fields: dict[str, object] = {
            "name": name, "forward": forward, "partials": partials, "jvp": jvp, "vjp": vjp,
            "arity": arity, "params": params if arity is not None else (), "domain": domain,
            "singularities": singularities, "samples": points,
            "doc": doc or (inspect.getdoc(forward) or ""), "source": source, "code": code,
            "_programs": {}, "_lock": threading.Lock(), "_pull": None, "_call": self._first_call,
        }  # fmt: skip
        for field, value in fields.items():
            object.__setattr__(self, field, value)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(
            f"an Op cannot be changed once created (tried to set {name!r} of "
            f"{self.name!r}); define a new op instead"
        )

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"an Op cannot be changed once created (tried to delete {name!r})")

    def replaced_by(self, source: str) -> Op:
        """A copy of this op with another `source`, as a registry records provenance."""
        return type(self)(
            self.name, forward=self.forward, partials=self.partials, jvp=self.jvp, vjp=self.vjp,
            arity=self.arity, domain=self.domain, singularities=self.singularities,
            samples=self.samples, doc=self.doc, source=source, code=self.code,
        )  # fmt: skip

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
        if len(args) == arity or arity is None:
            return self._call(*args)
        return self.dispatch(*args)  # the wrong number of arguments: ArityError

    def _first_call(self, *args: Scalar) -> Scalar:
        if RECORDING.get():
            return self.dispatch(*args)  # made later, on a first call outside any recording
        return self.specialize()(*args)

    def specialize(self) -> Callable[..., Scalar]:
        """The function behind calls of this op: its generated fast path, made on first use.

        The operator table binds Python's operators to these functions directly.
        """
        call = self._call
        if call == self._first_call:
            # Calls are general while the fast path is made: making it traces the op's
            # rule, which may call this very op.
            object.__setattr__(self, "_call", self.dispatch)
            make = SPECIALIZER.make
            fast, pull = make(self) if make is not None else (None, None)
            object.__setattr__(self, "_pull", pull)
            object.__setattr__(self, "_call", fast or self.dispatch)
            call = self._call
        return call

    def dispatch(self, *args: Scalar) -> Scalar:
        """The general call: any mix of numbers and nodes, each node at its own tag."""
        arity = self.arity
        if arity is not None and len(args) != arity:
            raise ArityError(self.name, _count(arity), len(args))
        top: Tag | None = None
        for arg in args:
            kind = type(arg)
            if kind is float:
                continue
            if kind is Value or kind is Dual or isinstance(arg, Node):  # Node: Taylor's Series
                tag: Tag = arg._tag  # type: ignore[union-attr]
                if top is None or tag.level > top.level:
                    top = tag
                elif tag is not top and tag.level == top.level:
                    raise escaped(tag if not tag.active else top)
            else:
                return self.dispatch(*_coerce(self, args))
        if top is None:
            return self.forward_at(args)  # type: ignore[arg-type]
        if not top.active:
            raise escaped(top)
        return top.engine.lift(self, args, top)

    def forward_at(self, primals: Sequence[float]) -> float:
        """The forward function at plain floats; its failures become rulegrad errors."""
        try:
            return self.forward(*primals)
        except (RulegradError, SingularityError):
            raise
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise _forward_error(self, tuple(primals), exc) from exc

    def program(self, n_inputs: int) -> Program | None:
        """The partials rule for `n_inputs` inputs, traced; None if it cannot be traced.

        A rule that branches on the value of an input, or computes with plain floats
        (`math.cos(x)`), has no program: it is called as it is, on every input.
        """
        programs = self._programs
        if n_inputs in programs:
            return programs[n_inputs]
        with self._lock:
            if n_inputs not in programs:
                programs[n_inputs] = self._trace_rule(n_inputs)
        return programs[n_inputs]

    def _trace_rule(self, n_inputs: int) -> Program | None:
        rule = self.partials
        if rule is None:
            return None
        try:
            program = record(rule, n_inputs + 1)  # type: ignore[arg-type]
        except (NotTraceableError, RulegradError, TypeError, ValueError, ArithmeticError):
            return None  # the rule runs as it is; its own errors, if any, surface then
        return program if len(program.outputs) == n_inputs else None

    def partials_at(
        self, out: Scalar, primals: Sequence[Scalar], wanted: Sequence[bool]
    ) -> list[Scalar]:
        """The partials a mode needs (`wanted`), checked; 0.0 in place of the others.

        Where the rule has a program, only the ops the wanted partials depend on run, so a
        partial nobody needs never fails (pow's partial in a constant exponent at a negative
        base). Raises `MissingRuleError` without a rule, `DomainError`/`RangeError` naming
        this op and point where a wanted partial does not exist.
        """
        program = self.program(len(primals))
        found: Sequence[Partial | Scalar]
        if program is None:
            found = self.evaluate_partials(out, primals)
        else:
            try:
                found = program.run((out, *primals), wanted)
            except MATH_ERRORS as exc:
                error = self.derivative_error(primals, exc)
                if error is exc:
                    raise
                raise error from exc
        return [
            (p if type(p) is not Undefined else self.check_partial(p, primals)) if w else 0.0
            for p, w in zip(found, wanted, strict=True)
        ]

    def evaluate_partials(self, out: Scalar, primals: Sequence[Scalar]) -> Sequence[Partial]:
        """The whole partials rule at a point; errors in it name this op and point."""
        rule = self.partials
        if rule is None:
            raise RuleError(self.name, "has no partials rule")
        try:
            partials = rule(out, *primals)
        except MATH_ERRORS as exc:
            error = self.derivative_error(primals, exc)
            if error is exc:
                raise
            raise error from exc
        if isinstance(partials, (str, bytes)) or not isinstance(partials, Sequence):
            raise RuleError(
                self.name, f"partials must return a sequence, not {type(partials).__name__}"
            )
        if len(partials) != len(primals):
            raise RuleError(
                self.name,
                f"partials returned {len(partials)} values for {len(primals)} inputs",
            )
        return partials

    def derivative_error(self, primals: Sequence[Scalar], exc: Exception) -> Exception:
        """The error for a derivative of this op that fails at `primals` with `exc`.

        An error that already says which derivative fails passes through, as does a rulegrad
        error that is not about a point (a malformed rule); any other failure inside the rule
        (a division by zero in it, an overflow) is this op's, at this point.
        """
        if isinstance(exc, RulegradError) and (
            not isinstance(exc, (DomainError, RangeError)) or exc.in_derivative
        ):
            return exc
        if isinstance(exc, SingularityError):
            return self.undefined_derivative(primals, exc.reason)
        point = _point(primals)
        where = format_point(self.params, point)
        if isinstance(exc, OverflowError):
            return RangeError(
                self.name, point,
                f"the derivative of {self.name} at {where} is too large to represent ({exc})",
                in_derivative=True,
            )  # fmt: skip
        return self.undefined_derivative(primals, self.singularities or str(exc))

    def undefined_derivative(self, primals: Sequence[Scalar], reason: str) -> DomainError:
        """The error for a derivative that is needed but does not exist at `primals`."""
        point = _point(primals)
        where = format_point(self.params, point)
        return DomainError(
            self.name,
            point,
            f"the derivative of {self.name} is undefined at {where}: {reason}",
            in_derivative=True,
        )

    def check_partial(self, partial: Scalar | Undefined, primals: Sequence[Scalar]) -> Scalar:
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


def _point(primals: Sequence[Scalar]) -> tuple[float, ...]:
    """The innermost numbers of `primals`, for a message; nan for a node being recorded,
    which has none (the error is then met again, with numbers, where they exist)."""
    point = []
    for p in primals:
        x: object = p
        while isinstance(x, Node):
            x = x.data if type(x) is Value else getattr(x, "primal", None)
        point.append(x if type(x) is float else math.nan)
    return tuple(point)


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


def _check_rule_arity(
    name: str, params: tuple[str, ...], role: str, rule: object, count: int
) -> None:
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
        shape = {"partials": f"(out, {', '.join(params)})", "jvp": "(out, primals, tangents)",
                 "vjp": "(out, primals, cotangent)"}[role]  # fmt: skip
        raise RuleError(name, f"{role} must take {shape}, {count} arguments") from None


# What a code template may contain: arithmetic, comparisons and conditionals over its
# arguments and number literals, and calls of `math` functions as `_m.name`.
_CODE_NODES: Final = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call,
    ast.Name, ast.Attribute, ast.Constant, ast.Load, ast.operator, ast.unaryop, ast.boolop,
    ast.cmpop,
)  # fmt: skip


def _check_code(name: str, code: object, arity: int | None) -> None:
    """RuleError unless `code` is an OpCode whose templates are safe Python expressions."""
    if code is None:
        return
    if not isinstance(code, OpCode):
        raise RuleError(name, f"code must be an OpCode, got {type(code).__name__}")
    if type(code.arithmetic) is not bool:
        raise RuleError(name, f"code.arithmetic must be True or False, not {code.arithmetic!r}")
    for template, array in ((code.forward, False), (code.array, True)):
        if template is not None:
            _check_template(name, template, arity, array)


def _check_template(name: str, template: object, arity: int | None, array: bool) -> None:
    arities = (arity,) if arity is not None else (0, 1, 2, 3, 4)
    role = "code.array" if array else "code.forward"
    if isinstance(template, str):
        if arity is None:
            raise RuleError(name, "a str code template needs an op of fixed arity")
    elif not callable(template):
        raise RuleError(name, f"{role} must be a str or a function, not {template!r}")
    for n in arities:
        names = [f"_a{i}" for i in range(n)]
        try:
            source = template.format(*names) if isinstance(template, str) else template(names)
        except Exception as exc:  # a user's template function: any failure is a bad template
            raise RuleError(name, f"code template {template!r} fails: {exc!r}") from None
        if source is not None:
            _check_source(name, template, source, names, array)


def _known(attr: str, array: bool) -> bool:
    """Whether `_m.<attr>` is something a template may use: a math function, or for array
    templates one of the array functions and constants."""
    if array and (attr in ARRAY_FUNCTIONS or attr in ARRAY_CONSTANTS):
        return True
    return callable(getattr(math, attr, None)) and not attr.startswith("_")


def _check_source(
    name: str, template: object, source: object, names: list[str], array: bool = False
) -> None:
    bad = f"code template {template!r}"
    if not isinstance(source, str):
        raise RuleError(name, f"{bad} gave {type(source).__name__}, not Python source")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        raise RuleError(name, f"{bad} is not a Python expression: {source!r}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _CODE_NODES):
            raise RuleError(name, f"{bad} may not contain {type(node).__name__}: {source!r}")
        if isinstance(node, ast.Name) and node.id not in names and node.id != "_m":
            raise RuleError(name, f"{bad} uses {node.id!r}, which is not one of its arguments")
        if isinstance(node, ast.Attribute):
            if not (isinstance(node.value, ast.Name) and node.value.id == "_m"):
                raise RuleError(name, f"{bad} uses {ast.unparse(node)}, not a math function")
            if not _known(node.attr, array):
                what = "an array function" if array else "a math function"
                raise RuleError(name, f"{bad} uses {ast.unparse(node)}, not {what}")
        if isinstance(node, ast.Call) and not isinstance(node.func, ast.Attribute):
            raise RuleError(name, f"{bad} calls {ast.unparse(node.func)}; only _m.name()")
        if isinstance(node, ast.Constant) and type(node.value) not in (int, float):
            raise RuleError(name, f"{bad} contains the literal {node.value!r}")
    if isinstance(tree.body, ast.Name) and tree.body.id == "_m":
        raise RuleError(name, f"{bad} is the math module itself")


def _coerce(op: Op, args: tuple[object, ...]) -> tuple[Scalar, ...]:
    """Ints, bools and other real numbers (numpy scalars, Fractions) as floats."""
    coerced: list[Scalar] = []
    for position, arg in enumerate(args):
        if type(arg) is float or isinstance(arg, Node):
            coerced.append(arg)  # type: ignore[arg-type]  # Node: Taylor's Series as well
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
