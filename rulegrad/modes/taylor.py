"""Taylor mode: truncated power series pushed through every op, from its partials rule alone.

A `Series` stands for x(t) = x0 + x1 t + x2 t^2 + ..., truncated where its expansion stops.
An op applied to series makes a new one at once with only its primal known; its higher
coefficients are computed later, on demand, each once. For y = f(x1, ..., xn) the chain rule
y' = sum_i p_i(x) x_i', with p_i the op's partials, gives in coefficients

    k y_k = sum_i sum_{j=1..k} j x_ij p_i,(k-j)

so coefficient k of y needs the inputs up to k and the partials only up to k - 1. The
partials come from the op's own rule, evaluated once on the series themselves: it returns
series whose coefficients are computed the same way, and a rule that refers to `out` (exp's
`(out,)`, tanh's `1 - out * out`) refers to the series being computed, which is fine since
only its lower coefficients are needed. An op with a `jvp` rule and no partials gets
y' = jvp(x, x') the same way; a recurrence declared with the op
(`rulegrad.kernel.recurrences`) replaces the rule where it applies.

Each call of `rg.taylor` or `rg.jet` (`series.py`) has its own engine, whose memo returns the series
already made for an op applied to the same arguments. Rules refer back to what they
differentiate (sin's rule makes cos(x), whose rule makes sin(x) again), so the memo keeps the
number of series linear in the order, where fresh series for each would make it grow
exponentially. Coefficients are computed by an explicit stack, never by recursion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeGuard, final

from rulegrad.kernel import MissingRuleError, Node, Op, RulegradError, Scalar, Tag, Value
from rulegrad.kernel.recurrences import RECURRENCES, Step
from rulegrad.modes._taylor_rules import constant_partial, evaluate

__all__ = ["Series", "TaylorEngine", "complete", "is_ours", "make_series"]

_new = object.__new__
_NONE: Final = 1 << 62  # `lowest` of a series none of whose coefficients past x0 is known non-zero


def _is_zero(x: object) -> bool:
    """True only for a plain 0.0: a node is never known to be zero."""
    return type(x) is float and x == 0.0


@final
class Series(Node):
    """A truncated power series x0 + x1 t + x2 t^2 + ... of one `rg.taylor` or `rg.jet` call.

    Made only by Taylor mode: `f` sees one where it would see a float. `coefficients` holds
    the coefficients computed so far (x_k = d^k x / dt^k / k!), `primal` is x0.
    """

    __slots__ = ("_source", "_tag", "coefficients", "lowest", "primal")

    _tag: Tag
    primal: float
    coefficients: list[float]
    lowest: int  # the first k >= 1 whose coefficient is not a plain zero, so far
    _source: _Lifted | _Shifted | None  # how the next coefficient is computed; None: all known

    def _append(self, value: float) -> None:
        if self.lowest == _NONE and not _is_zero(value):
            self.lowest = len(self.coefficients)
        self.coefficients.append(value)

    def __repr__(self) -> str:
        return f"Series(primal={self.primal!r}, coefficients={self.coefficients!r})"


def make_series(tag: Tag, coefficients: list[float], source: _Lifted | _Shifted | None) -> Series:
    """A series of `tag` with the given first coefficients (at least the primal)."""
    node: Series = _new(Series)
    node._tag = tag
    node.primal = coefficients[0]
    node.coefficients = [node.primal]
    node.lowest = _NONE
    node._source = source
    for value in coefficients[1:]:
        node._append(value)
    return node


def is_ours(x: object, tag: Tag) -> TypeGuard[Series]:
    """Whether `x` is a series of this expansion (anything else is a constant here)."""
    return type(x) is Series and x._tag is tag


_Need = tuple[Series, int]


@final
class _Lifted:
    """An op applied to series: its coefficients from a recurrence, the partials or the jvp."""

    __slots__ = ("args", "op", "partials", "prepared", "step", "tangent", "varying")

    def __init__(self, op: Op, args: tuple[object, ...], tag: Tag) -> None:
        self.op = op
        self.args = args
        self.varying = [(i, arg) for i, arg in enumerate(args) if is_ours(arg, tag)]
        self.prepared = False  # how the coefficients are computed is chosen on first need
        self.step: Step | None = None  # a recurrence declared with the op
        self.partials: list[object] | None = None  # or the op's partials, as series
        self.tangent: object = None  # or the tangent out of its jvp rule, as a series

    def needs(self, node: Series, k: int) -> list[_Need]:
        """What must be computed before coefficient k of `node` (k >= 1)."""
        needs = [(arg, k) for _, arg in self.varying if len(arg.coefficients) <= k]
        if needs or self._still(k):
            return needs
        if not self.prepared:
            self._prepare(node)
            self.prepared = True
        tag = node._tag
        if self.partials is not None:
            for i, arg in self.varying:
                partial = self.partials[i]
                order = k - arg.lowest  # the highest coefficient of the partial used
                if is_ours(partial, tag) and len(partial.coefficients) <= order:
                    needs.append((partial, order))
        elif is_ours(self.tangent, tag) and len(self.tangent.coefficients) < k:
            needs.append((self.tangent, k - 1))
        return needs

    def _still(self, k: int) -> bool:
        """True if no input has varied up to order k, so the output has not either."""
        return all(arg.lowest > k for _, arg in self.varying)

    def _prepare(self, node: Series) -> None:
        """Choose how the coefficients are computed: recurrence, partials or jvp."""
        op, tag, args = self.op, node._tag, self.args
        engine = tag.engine
        declared = RECURRENCES.get(op)
        if declared is not None and isinstance(engine, TaylorEngine) and engine.recurrences:
            inputs = [a.coefficients if is_ours(a, tag) else (a,) for a in args]
            self.step = declared(node.coefficients, *inputs)
            if self.step is not None:
                return
        primals = [a.primal if is_ours(a, tag) else a for a in args]
        if op.partials is not None:
            wanted = [is_ours(a, tag) for a in args]  # only these run (see Op.partials_at)
            self.partials = evaluate(
                op,
                len(args),
                lambda: op.partials_at(node, args, wanted),  # type: ignore[arg-type]
                lambda: op.partials_at(node.primal, primals, wanted),  # type: ignore[arg-type]
            )
        elif op.jvp is not None:
            rule: Callable[..., object] = op.jvp
            tangents = tuple(_shift(a) if is_ours(a, tag) else 0.0 for a in args)
            firsts = tuple(a.coefficients[1] if is_ours(a, tag) else 0.0 for a in args)
            (self.tangent,) = evaluate(
                op,
                1,
                lambda: (rule(node, args, tangents),),
                lambda: (rule(node.primal, tuple(primals), firsts),),
            )
        else:
            raise MissingRuleError(op.name, "taylor")

    def coefficient(self, node: Series, k: int) -> float:
        """Coefficient k of `node`, once everything `needs` named is computed."""
        if self._still(k):
            return 0.0
        if self.step is not None:
            return self.step(k)
        if self.partials is None:
            return self._from_tangent(node._tag, k)
        total = 0.0
        for i, arg in self.varying:
            low = arg.lowest
            if low > k:
                continue
            partial = self.partials[i]
            xs = arg.coefficients
            if is_ours(partial, node._tag):
                ps = partial.coefficients
                terms = 0.0
                for j in range(low, k + 1):
                    x, p = xs[j], ps[k - j]
                    if _is_zero(x) or _is_zero(p):
                        continue
                    term = x * p if j == 1 else (j * x) * p
                    terms = term if _is_zero(terms) else terms + term
                if _is_zero(terms):
                    continue
                term = terms / k
            else:
                constant = constant_partial(self.op, self.args, partial, k, low)
                if _is_zero(xs[k]) or _is_zero(constant):
                    continue
                term = constant * xs[k]  # a constant partial: only x_k counts
            total = term if _is_zero(total) else total + term
        return total

    def _from_tangent(self, tag: Tag, k: int) -> float:
        """y_k = (y')_(k-1) / k, from the series of the jvp rule's tangent."""
        tangent = self.tangent
        if is_ours(tangent, tag):
            value = tangent.coefficients[k - 1]
            return value if _is_zero(value) else value / k
        constant = constant_partial(self.op, self.args, tangent, k, 1)
        return constant if k == 1 else 0.0


@final
class _Shifted:
    """The derivative x'(t) of a series: coefficient j is (j + 1) x_(j+1)."""

    __slots__ = ("arg",)

    def __init__(self, arg: Series) -> None:
        self.arg = arg

    def needs(self, node: Series, k: int) -> list[_Need]:
        return [(self.arg, k + 1)] if len(self.arg.coefficients) <= k + 1 else []

    def coefficient(self, node: Series, k: int) -> float:
        value = self.arg.coefficients[k + 1]
        return value if _is_zero(value) else (k + 1) * value


def _shift(arg: Series) -> Series:
    """x' as a series of the same tag; the caller has made sure x1 is known."""
    return make_series(arg._tag, [arg.coefficients[1]], _Shifted(arg))


@final
class TaylorEngine:
    """Taylor mode for one transform call: the series it has made, by op and arguments."""

    __slots__ = ("memo", "recurrences")

    def __init__(self, *, recurrences: bool = True) -> None:
        self.recurrences = recurrences  # False: every op through its rule (tests compare)
        self.memo: dict[tuple[object, ...], Series] = {}

    @property
    def name(self) -> str:
        return "taylor"

    def lift(self, op: Op, args: tuple[Scalar, ...], tag: Tag) -> Scalar:
        # Nodes by identity (the series made keeps them alive, so their ids stay theirs),
        # numbers by value, with 0.0 and -0.0, which compare equal, kept apart.
        key: tuple[object, ...] = (
            op,
            *(repr(a) if type(a) is float and a == 0.0 else a if type(a) is float else id(a)
              for a in args),
        )  # fmt: skip
        node = self.memo.get(key)
        if node is None:
            primals: list[float] = []
            plain = True
            for arg in args:
                primal = arg.primal if is_ours(arg, tag) else arg
                if type(primal) is not float:
                    plain = False  # a node of an enclosing transform
                primals.append(primal)  # type: ignore[arg-type]  # a float, to rules
            out = op.forward_at(primals) if plain else op(*primals)
            node = self.memo[key] = make_series(tag, [out], _Lifted(op, args, tag))
        return node  # type: ignore[return-value]  # a Series, which Scalar leaves out

    def backward(self, root: Value, seed: Scalar) -> None:
        raise RulegradError("Taylor mode has no backward pass")


def complete(node: Series, order: int) -> list[float]:
    """Coefficients 0..order of `node`, computing what is missing without recursion."""
    stack: list[_Need] = [(node, order)]
    while stack:
        top, target = stack[-1]
        k = len(top.coefficients)
        if k > target:
            stack.pop()
            continue
        source = top._source
        if source is None:  # a leaf: every coefficient was given
            raise RulegradError(f"coefficient {k} of an input series was never given")
        needs = source.needs(top, k)
        if needs:
            stack += needs
        else:
            top._append(source.coefficient(top, k))
    return node.coefficients[: order + 1]
