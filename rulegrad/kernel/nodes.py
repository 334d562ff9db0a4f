"""The two node kinds: `Value` (a reverse-mode graph node) and `Dual` (a dual number).

A node holds its primal, its tag and, for a `Value`, the op and inputs that made it.
It never holds a closure over itself, so a graph nobody references is freed by reference
counting alone. Python's operators on nodes apply catalogue ops through `OPERATORS`, the
same `Op` objects as `rg.add`, `rg.mul`, ... (bound by `rulegrad.ops`, since the kernel
knows no particular op).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeAlias, TypeVar, final

from typing_extensions import Self

from rulegrad.kernel.errors import ArgumentError
from rulegrad.kernel.tags import ROOT_FORWARD, ROOT_REVERSE, Tag, escaped

if TYPE_CHECKING:
    from rulegrad.kernel.op import Op

__all__ = ["DISPLAY", "OPERATORS", "Dual", "Node", "Scalar", "Value", "as_real", "to_float"]

_N = TypeVar("_N")


class _NodeOp(Protocol):
    """How the operators see a catalogue op: it returns the kind of node it is given."""

    def __call__(self, *args: _N | float) -> _N: ...


@final
class _Operators:
    """The catalogue ops behind Python's operators and the node methods."""

    __slots__ = (
        "abs", "add", "cos", "div", "exp", "log", "mul", "neg", "pow",
        "relu", "sigmoid", "sin", "sqrt", "sub", "tanh",
    )  # fmt: skip

    add: _NodeOp
    sub: _NodeOp
    mul: _NodeOp
    div: _NodeOp
    neg: _NodeOp
    pow: _NodeOp
    abs: _NodeOp
    relu: _NodeOp
    tanh: _NodeOp
    exp: _NodeOp
    log: _NodeOp
    sigmoid: _NodeOp
    sin: _NodeOp
    cos: _NodeOp
    sqrt: _NodeOp

    def bind(self, op: Op) -> None:
        """Make `op` the one behind its operator, if its name has one."""
        if op.name in self.__slots__:
            setattr(self, op.name, op)


OPERATORS = _Operators()


@final
class _Display:
    """How a `Value` shows itself in Jupyter.

    `rulegrad.pictures` installs `svg` when it is imported: the kernel cannot import it,
    since data flows into the kernel, never out of it.
    """

    __slots__ = ("svg",)

    def __init__(self) -> None:
        self.svg: Callable[[Value], str | None] | None = None


DISPLAY = _Display()

_FLOAT_HELP = (
    "{kind} is a node of a differentiable computation; float() would silently drop its "
    "derivative. Use {attr} for the number, rulegrad.to_float(x) for the innermost number, "
    "and rulegrad ops (rg.sin, rg.exp, ...) instead of math functions"
)


class Node:
    """The base of `Value` and `Dual`: their operators and methods, each one catalogue op."""

    __slots__ = ()
    # numpy scalars on the left defer to our reflected operators instead of wrapping us.
    __array_ufunc__: ClassVar[None] = None

    def __add__(self, other: Self | float) -> Self:
        return OPERATORS.add(self, other)

    def __radd__(self, other: float) -> Self:
        return OPERATORS.add(other, self)

    def __sub__(self, other: Self | float) -> Self:
        return OPERATORS.sub(self, other)

    def __rsub__(self, other: float) -> Self:
        return OPERATORS.sub(other, self)

    def __mul__(self, other: Self | float) -> Self:
        return OPERATORS.mul(self, other)

    def __rmul__(self, other: float) -> Self:
        return OPERATORS.mul(other, self)

    def __truediv__(self, other: Self | float) -> Self:
        return OPERATORS.div(self, other)

    def __rtruediv__(self, other: float) -> Self:
        return OPERATORS.div(other, self)

    def __pow__(self, other: Self | float) -> Self:
        return OPERATORS.pow(self, other)

    def __rpow__(self, other: float) -> Self:
        return OPERATORS.pow(other, self)

    def __neg__(self) -> Self:
        return OPERATORS.neg(self)

    def __pos__(self) -> Self:
        return self

    def __abs__(self) -> Self:
        return OPERATORS.abs(self)

    def relu(self) -> Self:
        """max(0, x); the derivative at 0 is taken as 0, as in micrograd and PyTorch."""
        return OPERATORS.relu(self)

    def tanh(self) -> Self:
        return OPERATORS.tanh(self)

    def exp(self) -> Self:
        return OPERATORS.exp(self)

    def log(self) -> Self:
        return OPERATORS.log(self)

    def sigmoid(self) -> Self:
        return OPERATORS.sigmoid(self)

    def sin(self) -> Self:
        return OPERATORS.sin(self)

    def cos(self) -> Self:
        return OPERATORS.cos(self)

    def sqrt(self) -> Self:
        return OPERATORS.sqrt(self)

    # Comparisons look at primal values; `==` and hashing stay identity-based because
    # nodes are graph vertices (kept in sets and dicts by the traversal), not numbers.
    def __lt__(self, other: Self | float) -> bool:
        return to_float(self) < to_float(other)

    def __le__(self, other: Self | float) -> bool:
        return to_float(self) <= to_float(other)

    def __gt__(self, other: Self | float) -> bool:
        return to_float(self) > to_float(other)

    def __ge__(self, other: Self | float) -> bool:
        return to_float(self) >= to_float(other)

    def __bool__(self) -> bool:
        return to_float(self) != 0.0

    if not TYPE_CHECKING:  # hidden from type checkers, so `math.sin(v)` is a static error too

        def __float__(self):
            kind = type(self).__name__
            attr = ".data" if kind == "Value" else ".primal"
            raise TypeError(_FLOAT_HELP.format(kind=kind, attr=attr))

        __int__ = __float__
        __complex__ = __float__


@final
class Value(Node):
    """A reverse-mode node: a number that remembers how it was computed.

    >>> x = Value(2.0, label="x"); y = x * x + 1.0; y.backward(); x.grad
    4.0
    """

    __slots__ = ("_inputs", "_op", "_tag", "data", "grad", "label")

    data: float
    grad: float
    label: str
    _inputs: tuple[Scalar, ...]
    _op: Op | None
    _tag: Tag

    def __init__(self, data: float, label: str = "") -> None:
        self.data = as_real(data, "Value")
        self.grad = 0.0
        self.label = label
        self._inputs = ()
        self._op = None
        self._tag = ROOT_REVERSE

    @property
    def op(self) -> Op | None:
        """The op that produced this node (None for a leaf), for pictures and debugging."""
        return self._op

    @property
    def inputs(self) -> tuple[Scalar, ...]:
        """The arguments `op` was applied to, constants included."""
        return self._inputs

    def backward(self, seed: float = 1.0) -> None:
        """Add d self / d node * seed to `.grad` of every node below self.

        Gradients accumulate across calls, as in micrograd and PyTorch; reset them with
        `nn.Module.zero_grad` or by assigning `.grad = 0.0`.
        """
        tag = self._tag
        if tag is not ROOT_REVERSE and not tag.active:
            raise escaped(tag)
        tag.engine.backward(self, as_real(seed, "backward seed") if tag is ROOT_REVERSE else seed)

    def _repr_svg_(self) -> str | None:
        """The graph below this node, drawn for Jupyter; None keeps the plain repr."""
        svg = DISPLAY.svg
        return None if svg is None else svg(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


@final
class Dual(Node):
    """A forward-mode dual number: a primal and its tangent (derivative along one direction).

    >>> d = Dual(2.0, 1.0) ** 3; (d.primal, d.tangent)
    (8.0, 12.0)
    """

    __slots__ = ("_tag", "primal", "tangent")

    primal: float
    tangent: float
    _tag: Tag

    def __init__(self, primal: float | Value, tangent: float | Value = 0.0) -> None:
        self.primal = _as_dual_part(primal, "primal")
        self.tangent = _as_dual_part(tangent, "tangent")
        self._tag = ROOT_FORWARD

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"


# Anything an op accepts and returns. At run time a node's parts may themselves be nodes of
# outer transforms; to the type checker they are floats, as user code sees them.
Scalar: TypeAlias = "float | Value | Dual"


def to_float(x: float | Node) -> float:
    """The innermost number of a scalar: `x` itself for a float, its primal for a node.

    >>> to_float(Value(2.5))
    2.5
    """
    while True:
        if type(x) is Value:
            x = x.data
        elif type(x) is Dual:
            x = x.primal
        else:
            return x if type(x) is float else as_real(x, "to_float() argument")


def as_real(x: object, what: str) -> float:
    """`x` as a float if it is a real number (int, float, numpy scalar, ...), else TypeError."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, Node):
        return float(x)
    raise ArgumentError(f"{what} must be a real number, not {type(x).__name__}")


def _as_dual_part(x: object, what: str) -> float:
    if type(x) is Value and x._tag is ROOT_REVERSE:
        return x  # type: ignore[return-value]  # forward over reverse, see ROOT_FORWARD
    return as_real(x, f"Dual {what}")
