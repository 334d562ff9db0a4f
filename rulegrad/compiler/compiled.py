"""`rg.compile`: trace `f` once per argument count, then run it as straight-line Python.

The first call with n arguments traces `f` (see `_trace_compile.py`); each of the three
entry points then generates and compiles its own function for that trace (`_codegen.py`),
once. Later calls run that function on floats: no nodes, no dispatch, no graph walk.

The compiled code is a fast path, never a second semantics. Where it raises (a domain
error, a division by zero, an undefined derivative, a missing rule) or produces a
non-finite number, the call reruns `f` in the dynamic mode, which returns its exact result
or raises its exact error. Arguments that are nodes of an enclosing transform run `f`
dynamically too, so a compiled function nests inside `rg.grad` and the others.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final, Generic, NoReturn, ParamSpec, final

from typing_extensions import TypeVar

from rulegrad.compiler._boundary import (
    Flat,
    Key,
    Shape,
    combine,
    flatten_arguments,
    flatten_tangents,
    require_scalar,
    trace_shape,
)
from rulegrad.compiler._codegen import KINDS, Kind, NeedsDynamicError, build, generate
from rulegrad.compiler._recorder import MAX_OPS, Trace
from rulegrad.kernel import ArgumentError, Node, NonScalarOutputError, OpCode, RulegradError
from rulegrad.kernel.errors import TraceSizeError, TracingError
from rulegrad.transforms._tracing import Args, flat_output, lower, trace_reverse
from rulegrad.transforms.directional import jvp
from rulegrad.transforms.gradients import value_and_grad
from rulegrad.transforms.tree import tree_leaves

__all__ = ["Compiled", "OpCode", "compile"]

P = ParamSpec("P")
R = TypeVar("R", default=float)  # what f returns: a number, or a container of numbers

# What generated code raises where the dynamic mode must decide: a math error of a forward
# or a partial, `Undefined` met in arithmetic (TypeError), a rulegrad error (a missing rule
# for a direction the dynamic mode skips as zero, say), or an op with no rule. The dynamic
# rerun then returns or raises exactly.
_RERUN: Final = (ArithmeticError, ValueError, TypeError, RulegradError, NeedsDynamicError)
_R = TypeVar("_R")  # what one kind of generated function returns


@final
class Compiled(Generic[P, R]):
    """`f` compiled by `rg.compile`: the same function, and its derivatives, as fast code.

    `grad` and `value_and_grad` differentiate with respect to every positional argument
    and always give a tuple, one float per argument (`rg.grad(f, argnums=(0, 1, ...))`).

    >>> import rulegrad as rg
    >>> f = rg.compile(lambda x, y: x * rg.sin(y))
    >>> f.grad(2.0, 0.0)
    (0.0, 2.0)
    """

    __slots__ = ("_f", "_gradients", "_jvps", "_lock", "_traces", "_values", "f", "max_ops")

    def __init__(self, f: Callable[P, R], max_ops: int = MAX_OPS) -> None:
        if not callable(f):
            raise ArgumentError(f"rg.compile needs a function, not {type(f).__name__}")
        if type(max_ops) is not int or max_ops < 1:
            raise ArgumentError(f"rg.compile: max_ops must be a positive int, got {max_ops!r}")
        self.f = f
        self.max_ops = max_ops
        self._f: Callable[..., R] = f
        # Keyed by the argument count for positional numbers, else by the arguments'
        # structures (see _boundary.py).
        self._traces: dict[Key, Shape] = {}
        self._values: dict[Key, Callable[..., Any]] = {}
        self._gradients: dict[Key, Callable[..., Any]] = {}
        self._jvps: dict[Key, Callable[..., Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """f(*args), computed by the compiled code; containers in and out as f has them."""
        run = self._values.get(len(args))
        if run is not None and not kwargs and _all_floats(args):  # the fast path
            try:
                out: R = run(*args)
                return out
            except _RERUN:
                pass
        flat = self._flatten(args, kwargs, "argument")
        if flat is None:
            return self._f(*args)
        primals = flat.leaves
        run = self._values.get(flat.key) or self._build(self._values, "value", flat)
        try:
            result: R = run(*primals)
            return result
        except _RERUN:  # the dynamic run below raises the precise error
            pass
        return self._dynamic_value(flat)

    def value_and_grad(self, *args: P.args, **kwargs: P.kwargs) -> tuple[R, tuple[Any, ...]]:
        """(f(*args), the gradient with respect to every argument), in one reverse sweep.

        The gradient is a tuple with one entry per argument, shaped like it.

        >>> import rulegrad as rg
        >>> rg.compile(lambda x, y: x * y + y).value_and_grad(2.0, 3.0)
        (9.0, (3.0, 3.0))
        >>> rg.compile(lambda p: p["w"] * p["b"]).value_and_grad({"w": 2.0, "b": 3.0})
        (6.0, ({'w': 3.0, 'b': 2.0},))
        """
        run = self._gradients.get(len(args))
        if run is not None and not kwargs and _all_floats(args):  # the fast path
            try:
                out, gradient = run(*args)
                total = sum(gradient, out)
                if total - total == 0.0:
                    return out, gradient
            except _RERUN:
                pass
        flat = self._flatten(args, kwargs, "argument")
        if flat is None:
            return self._dynamic_gradient(args)
        primals = flat.leaves
        run = self._gradients.get(flat.key) or self._build(self._gradients, "value_and_grad", flat)
        try:
            out, gradient = run(*primals)
            total = sum(gradient, out)
            if total - total == 0.0:  # all finite: nothing the dynamic mode does differently
                return out, gradient if flat.treedefs is None else flat.shape_gradient(gradient)
        except _RERUN:
            pass
        return self._dynamic_gradient(args if flat.treedefs is not None else primals)

    def grad(self, *args: P.args, **kwargs: P.kwargs) -> tuple[Any, ...]:
        """The gradient with respect to every argument, one entry each, shaped like it.

        >>> import rulegrad as rg
        >>> rg.compile(lambda x: x ** 3).grad(2.0)
        (12.0,)
        """
        return self.value_and_grad(*args, **kwargs)[1]

    def jvp(self, primals: Sequence[object], tangents: Sequence[object]) -> tuple[R, R]:
        """Forward mode: (f(*primals), the derivative of f along `tangents`), as `rg.jvp`.

        >>> import rulegrad as rg
        >>> rg.compile(lambda x, y: x * y).jvp((2.0, 3.0), (1.0, 0.0))
        (6.0, 3.0)
        >>> rg.compile(lambda x: [x, x * x]).jvp((3.0,), (1.0,))
        ([3.0, 9.0], [1.0, 6.0])
        """
        for what, given in (("primals", primals), ("tangents", tangents)):
            if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
                raise ArgumentError(f"{self._origin()}.jvp: {what} must be a sequence of numbers")
        if len(primals) != len(tangents):
            raise ArgumentError(
                f"{self._origin()}.jvp: {len(primals)} primals but {len(tangents)} tangents; "
                "give one tangent per primal"
            )
        xs = self._flatten(tuple(primals), {}, "primal")
        if xs is None:
            return self._dynamic_jvp(primals, tangents)
        if xs.treedefs is None:
            found = self._flatten(tuple(tangents), {}, "tangent")
            if found is None or found.treedefs is not None:
                return self._dynamic_jvp(primals, tangents)
            ts = found.leaves
        else:
            ts = tuple(flatten_tangents(xs.treedefs, tangents, self._origin()))
            if any(isinstance(t, Node) for t in ts):
                return self._dynamic_jvp(primals, tangents)
        run = self._jvps.get(xs.key) or self._build(self._jvps, "jvp", xs)
        try:
            out, tangent = run(*xs.leaves, *ts)
            total = sum(tree_leaves((out, tangent)), 0.0)
            if total - total == 0.0:
                return out, tangent
        except _RERUN:
            pass
        if xs.treedefs is None:
            return self._dynamic_jvp(xs.leaves, ts)
        return self._dynamic_jvp(primals, tangents)

    def source(self, n_args: int, kind: Kind = "value_and_grad") -> str:
        """The Python the compiled code runs for `n_args` arguments, to read.

        `kind` is "value" (the forward sweep), "value_and_grad" (forward, then the reverse
        sweep that accumulates the adjoints `g<i>`) or "jvp" (values `v<i>` with tangents
        `t<i>`). For a function returning a container, it shows the code of the first
        output; with containers among the arguments, `n_args` counts their leaves.

        >>> import rulegrad as rg
        >>> print(rg.compile(lambda x, y: x * rg.sin(y)).source(2))
        def value_and_grad(v0, v1):
            v2 = _sin(v1)
            v3 = v0 * v2
            g3 = 1.0
            g0 = v2 * g3
            g2 = v0 * g3
            r2_0 = _cos(v1)
            g1 = r2_0 * g2
            return v3, (g0, g1)
        """
        if isinstance(n_args, bool) or not isinstance(n_args, int) or n_args < 0:
            raise ArgumentError(f"source: n_args must be a non-negative int, got {n_args!r}")
        if kind not in KINDS:
            raise ArgumentError(f"source: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        return generate(self._trace(n_args), kind).rstrip("\n")

    def __repr__(self) -> str:
        counts = ", ".join(sorted(map(_show_key, self._traces))) or "none yet"
        return f"<rg.compile of {self._name()}; traced for argument counts: {counts}>"

    def _name(self) -> str:
        name = getattr(self.f, "__qualname__", None) or getattr(self.f, "__name__", None)
        return name if isinstance(name, str) else repr(self.f)

    def _origin(self) -> str:
        return f"compiled {self._name()}"

    def _flatten(
        self, args: tuple[object, ...], kwargs: dict[str, object], what: str
    ) -> Flat | None:
        """`args` as positional floats; None if one is a node (f then runs dynamically)."""
        if kwargs:
            raise ArgumentError(
                f"{self._origin()} takes positional arguments only, got {', '.join(kwargs)}="
                "; fix constants with a closure or functools.partial before rg.compile"
            )
        for arg in args:
            if type(arg) is not float:
                break
        else:
            return Flat(len(args), args, None)  # type: ignore[arg-type]  # all floats
        return flatten_arguments(self._f, args, self._origin(), what)

    def _shape(self, key: Key, example: Sequence[float] | None) -> Shape:
        found = self._traces.get(key)
        if found is None:
            n_leaves = key if isinstance(key, int) else len(key)
            _check_signature(self._f, n_leaves, self._origin())
            made = trace_shape(self._f, key, self.max_ops, example)
            with self._lock:  # another thread may have traced it meanwhile: keep one
                found = self._traces.setdefault(key, made)
        return found

    def _trace(self, n_args: int) -> Trace:
        return self._shape(n_args, None).traces[0]

    def _build(
        self, table: dict[Key, Callable[..., _R]], kind: Kind, flat: Flat
    ) -> Callable[..., _R]:
        try:
            shape = self._shape(flat.key, flat.leaves)
        except (TracingError, TraceSizeError, NonScalarOutputError, ArgumentError):
            raise
        except Exception:
            # f failed on constants alone while being traced. The dynamic run, every time,
            # raises what f raises for the given arguments (an op on them may fail first).
            function: Callable[..., _R] = _dynamic_only
        else:
            if kind == "value_and_grad":
                require_scalar(shape)
            if shape.scalar:
                function = build(shape.traces[0], kind)  # type: ignore[assignment]
            else:
                each = [build(trace, kind) for trace in shape.traces[: shape.structure.num_leaves]]
                function = combine(kind, each, shape.structure)
        with self._lock:
            return table.setdefault(flat.key, function)

    def _dynamic_value(self, flat: Flat) -> R:
        # Through nodes, so that `x / y` in f raises rulegrad's error, as it does under rg.grad.
        primals = flat.leaves if flat.treedefs is None else flat.shape_gradient(flat.leaves)
        every = tuple(range(len(primals)))
        args = Args(self._f, primals, {}, every, False, self._origin())
        tag, _, out = trace_reverse(args)
        leaves, structure = flat_output(out, "rg.compile")
        return structure.unflatten([lower(leaf, tag) for leaf in leaves])  # type: ignore[no-any-return]

    def _dynamic_jvp(self, primals: Sequence[object], tangents: Sequence[object]) -> tuple[R, R]:
        return jvp(self._f, tuple(primals), tuple(tangents))

    def _dynamic_gradient(self, args: tuple[object, ...]) -> tuple[R, tuple[Any, ...]]:
        every = tuple(range(len(args)))
        return value_and_grad(self._f, argnums=every)(*args)  # type: ignore[arg-type, return-value]


def _all_floats(args: tuple[object, ...]) -> bool:
    # A loop, not all(...): a generator costs a third of a compiled call this small.
    for arg in args:  # noqa: SIM110
        if type(arg) is not float:
            return False
    return True


def _dynamic_only(*args: float) -> NoReturn:
    raise NeedsDynamicError


def _show_key(key: Key) -> str:
    return str(key) if isinstance(key, int) else f"({', '.join(map(repr, key))})"


def _check_signature(f: Callable[..., object], n_args: int, origin: str) -> None:
    """ArgumentError if f cannot take `n_args` positional arguments."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):
        return  # no signature to read: calling f will tell
    try:
        signature.bind(*range(n_args))
    except TypeError as exc:
        plural = "" if n_args == 1 else "s"
        raise ArgumentError(f"{origin} was called with {n_args} argument{plural}: {exc}") from None


def compile(  # shadows the builtin inside this module only
    f: Callable[P, R], *, max_ops: int = MAX_OPS
) -> Compiled[P, R]:
    """Compile `f` to straight-line Python: same numbers, much less time per call.

    `f` is traced once per argument count, with placeholders for its arguments, so what
    it computes must not depend on their values: a comparison, `bool()` or `float()` of an
    argument raises `rg.TracingError`. The result computes `f(*args)`, `.grad(*args)` and
    `.value_and_grad(*args)` (reverse mode, every argument) and `.jvp(primals, tangents)`
    (forward mode), and shows the code it runs with `.source(n_args)`. Results and errors
    are those of `rg.value_and_grad` and `rg.jvp`. A trace longer than `max_ops` ops
    raises `rg.TraceSizeError`: building code that large costs more than it saves.

    >>> import rulegrad as rg
    >>> f = rg.compile(lambda x, y: x * y + rg.exp(x))
    >>> f(0.0, 2.0), f.value_and_grad(0.0, 2.0)
    (1.0, (1.0, (3.0, 0.0)))
    """
    return Compiled(f, max_ops)
