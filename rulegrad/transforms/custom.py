"""Custom derivatives for a function: `custom_jvp` and `custom_vjp`, with JAX's API.

For code not built from catalogue ops (a solver, a library call, a numerically delicate
formula), the rule is attached to the function itself, without naming a global op. The
function runs on plain floats, so its body may call `math`, numpy or anything.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, Generic, ParamSpec, TypeVar

from rulegrad.kernel import ArgumentError, RuleError
from rulegrad.transforms._custom_call import CustomFunction, call_custom

__all__ = ["custom_jvp", "custom_vjp"]

P = ParamSpec("P")
R = TypeVar("R")
_Rule = TypeVar("_Rule", bound=Callable[..., Any])


def _nondiff(nondiff_argnums: object, origin: str) -> tuple[int, ...]:
    nums = nondiff_argnums if isinstance(nondiff_argnums, (tuple, list)) else (nondiff_argnums,)
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in nums):
        raise ArgumentError(
            f"{origin}: nondiff_argnums must be a tuple of non-negative ints, "
            f"got {nondiff_argnums!r}"
        )
    if len(set(nums)) != len(nums):
        raise ArgumentError(f"{origin}: nondiff_argnums={nondiff_argnums!r} repeats a position")
    return tuple(sorted(nums))


def _signature(fun: Callable[..., object]) -> inspect.Signature | None:
    try:
        return inspect.signature(fun)
    except (TypeError, ValueError):
        return None


def _positional(signature: inspect.Signature | None, args: tuple[object, ...],
                kwargs: dict[str, Any], origin: str) -> tuple[object, ...]:  # fmt: skip
    """`args` and `kwargs` as positional arguments, defaults filled in, as JAX resolves them."""
    if signature is None:
        if kwargs:
            raise ArgumentError(f"{origin}: cannot read its signature to place keyword arguments")
        return args
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise ArgumentError(f"{origin}: {error}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise ArgumentError(
            f"{origin}: keyword-only arguments ({', '.join(bound.kwargs)}) cannot be "
            "differentiated; make them positional or fix them with functools.partial"
        )
    return tuple(bound.args)


class _Custom(CustomFunction, Generic[P, R]):
    def __init__(self, fun: Callable[P, R], nondiff_argnums: Sequence[int] = ()) -> None:
        origin = f"rg.{self.kind}"
        if not callable(fun):
            raise ArgumentError(f"{origin} needs a function, not {type(fun).__name__}")
        self.fun = fun
        self.nondiff_argnums = _nondiff(nondiff_argnums, origin)
        self._signature = _signature(fun)
        functools.update_wrapper(self, fun)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        where = f"{self.kind} {self.op_name()!r}"
        positional = _positional(self._signature, args, kwargs, where)
        return call_custom(self, positional)  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"<rg.{self.kind} {getattr(self.fun, '__qualname__', self.op_name())}>"


class custom_jvp(_Custom[P, R]):  # noqa: N801  # JAX's name, used as a decorator
    """A function with its own forward-mode rule, which serves reverse mode too.

    `rule(*nondiff_args, primals, tangents) -> (out, tangent_out)`: `primals` and
    `tangents` are tuples of the differentiated arguments and their tangents (same
    structures); `tangent_out` has the structure of the output. Written with `rg` ops, the
    rule differentiates again, so every order works in both modes: reverse mode uses it
    with traced tangents, since it is linear in them. Int outputs come back unchanged,
    with derivative 0.

    >>> import math
    >>> import rulegrad as rg
    >>> @rg.custom_jvp
    ... def log1pexp(x: float) -> float:
    ...     return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))
    >>> @log1pexp.defjvp
    ... def _(primals: tuple[float], tangents: tuple[float]) -> tuple[float, float]:
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), rg.sigmoid(x) * t
    >>> rg.grad(log1pexp)(1000.0), round(rg.grad(rg.grad(log1pexp))(0.0), 6)
    (1.0, 0.25)
    """

    kind = "custom_jvp"

    def __init__(self, fun: Callable[P, R], nondiff_argnums: Sequence[int] = ()) -> None:
        super().__init__(fun, nondiff_argnums)
        self._rule: Callable[..., Any] | None = None

    def defjvp(self, rule: _Rule) -> _Rule:
        """Set the jvp rule (usable as a decorator); returns it."""
        if not callable(rule):
            raise ArgumentError(f"defjvp needs a function, not {type(rule).__name__}")
        self._rule = rule
        return rule

    def evaluate(self, args: tuple[object, ...]) -> tuple[object, object]:
        return self.fun(*args), None

    def jvp_rule(self) -> Callable[..., Any]:
        if self._rule is None:
            raise RuleError(
                self.op_name(), "a rg.custom_jvp function has no jvp rule yet: set one "
                "with @f.defjvp before differentiating it",
            )  # fmt: skip
        return self._rule


class custom_vjp(_Custom[P, R]):  # noqa: N801  # JAX's name, used as a decorator
    """A function with its own reverse-mode rule, `f.defvjp(fwd, bwd)`.

    `fwd(*args) -> (out, residuals)` computes the output and whatever `bwd` needs;
    `bwd(*nondiff_args, residuals, cotangent) -> tuple` gives one cotangent per
    differentiated argument, each shaped like it (None for zeros). Both may compute on
    plain floats; written with `rg` ops, reverse mode works at higher orders too. Forward
    mode through it raises `MissingRuleError`, as in JAX.

    >>> import math
    >>> import rulegrad as rg
    >>> @rg.custom_vjp
    ... def clip_gradient(x: float) -> float:
    ...     return x
    >>> def fwd(x: float) -> tuple[float, None]:
    ...     return x, None
    >>> def bwd(residuals: None, cotangent: float) -> tuple[float]:
    ...     return (max(-1.0, min(1.0, cotangent)),)
    >>> clip_gradient.defvjp(fwd, bwd)
    >>> rg.grad(lambda x: 5.0 * clip_gradient(x))(2.0)
    1.0
    """

    kind = "custom_vjp"

    def __init__(self, fun: Callable[P, R], nondiff_argnums: Sequence[int] = ()) -> None:
        super().__init__(fun, nondiff_argnums)
        self._fwd: Callable[..., Any] | None = None
        self._bwd: Callable[..., Any] | None = None

    def defvjp(self, fwd: Callable[P, tuple[R, Any]], bwd: Callable[..., Any]) -> None:
        """Set the rule: `fwd(*args) -> (out, residuals)`, `bwd(residuals, cotangent)`."""
        for role, rule in (("fwd", fwd), ("bwd", bwd)):
            if not callable(rule):
                raise ArgumentError(f"defvjp: {role} must be a function, not {type(rule).__name__}")
        self._fwd, self._bwd = fwd, bwd

    def evaluate(self, args: tuple[object, ...]) -> tuple[object, object]:
        fwd, _ = self.bwd_rule()
        result = fwd(*args)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise RuleError(self.op_name(), "fwd must return a pair (out, residuals)")
        return result[0], result[1]

    def bwd_rule(self) -> tuple[Callable[..., Any], Callable[..., Any]]:
        if self._fwd is None or self._bwd is None:
            raise RuleError(
                self.op_name(), "a rg.custom_vjp function has no rule yet: set one with "
                "f.defvjp(fwd, bwd) before differentiating it",
            )  # fmt: skip
        return self._fwd, self._bwd
