"""The two node kinds: `Value` (a reverse-mode graph node) and `Dual` (a dual number).

A node holds its primal, its tag and, for a `Value`, the op and inputs that made it.
It never holds a closure over itself, so a graph nobody references is freed by reference
counting alone. Python's operators on nodes apply catalogue ops through `OPERATORS`, a
table the wiring (`rulegrad._wiring`) fills from `rulegrad.ops.operators`: the kernel knows
no particular op.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Final, Protocol, TypeAlias, TypeVar, final

from typing_extensions import Self

from rulegrad.kernel.errors import ArgumentError, RangeError
from rulegrad.kernel.tags import ROOT_FORWARD, ROOT_REVERSE, Tag, escaped

if TYPE_CHECKING:
    from rulegrad.kernel.op import Op

__all__ = [
    "DISPLAY",
    "MANY",
    "OPERATORS",
    "Dual",
    "Node",
    "Placeholder",
    "Scalar",
    "Value",
    "as_real",
    "inputs_of",
    "new_value",
    "to_float",
]

_N = TypeVar("_N")


class _NodeOp(Protocol):
    """How the operators see a catalogue op: it returns the kind of node it is given."""

    def __call__(self, *args: _N | float) -> _N: ...


@final
class _Operators:
    """The functions behind Python's operators and the node methods, one per catalogue op.

    Each is the op's call, generated from its rules (see `rulegrad.modes.kernels`); the wiring
    binds them once, from the operator table in `rulegrad.ops.operators`.
    """

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


OPERATORS: Final = _Operators()


@final
class _Display:
    """How a `Value` shows itself in Jupyter; `rulegrad.pictures` provides it, via the wiring."""

    __slots__ = ("html", "svg")

    def __init__(self) -> None:
        self.svg: Callable[[Value], str | None] | None = None
        self.html: Callable[[Value], str | None] | None = None


DISPLAY: Final = _Display()

_FLOAT_HELP: Final = (
    "{kind} is a node of a differentiable computation; float() would silently drop its "
    "derivative. Use {attr} for the number, rulegrad.to_float(x) for the innermost number, "
    "and rulegrad ops (rg.sin, rg.exp, ...) instead of math functions"
)


class Placeholder:
    """The primal of a node being recorded (a rule traced into a program, `f` traced by
    `rg.compile`): it has no number, so anything that needs one raises `unusable(use)`."""

    __slots__ = ()

    def unusable(self, use: str) -> Exception:
        """The error for `use` (a comparison, float(), ...) of this placeholder."""
        return TypeError(f"{use} needs a number, and a node being recorded has none")

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        raise self.unusable("a comparison (==, !=)")

    def __ne__(self, other: object) -> bool:
        raise self.unusable("a comparison (==, !=)")


def _recorded(x: object) -> Placeholder | None:
    """The placeholder of a node being recorded, else None."""
    if type(x) is Value:
        data: object = x.data
    elif isinstance(x, Node):
        data = getattr(x, "primal", None)
    else:
        return None
    return data if isinstance(data, Placeholder) else None


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
    # nodes are graph vertices (kept in sets and dicts by the traversal), not numbers. A
    # node being recorded refuses `==` and `!=` too: identity would quietly pick a branch
    # (`1.0 if x == 0 else 2.0 * x` traced as if x were never 0).
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        for x in (self, other):
            placeholder = _recorded(x)
            if placeholder is not None:
                raise placeholder.unusable("a comparison (==, !=)")
        return self is other

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

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
class _Many:
    """The marker in `Value._b` of a node whose inputs are all in `Value._a`, as a tuple."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MANY"


# A node of an op of one input keeps it in `_a` (and None in `_b`), of two inputs in `_a` and
# `_b`, and of any other number of inputs (the reductions) a tuple of them in `_a` and MANY in
# `_b`. Two slots instead of a tuple per node save 56 bytes and one object for the cyclic
# garbage collector to scan, for the common one- and two-input ops.
MANY: Final = _Many()


@final
class Value(Node):
    """A reverse-mode node: a number that remembers how it was computed.

    >>> x = Value(2.0, label="x"); y = x * x + 1.0; y.backward(); x.grad
    4.0
    """

    __slots__ = ("_a", "_b", "_by", "_label", "_tag", "data", "grad")

    data: float
    grad: float
    _by: Op | None  # the op that made this node; None for a leaf
    _a: object  # its inputs, see MANY
    _b: object
    _label: str  # unset on nodes the engines make: `label` reads it as ""
    _tag: Tag

    def __init__(self, data: float, label: str = "") -> None:
        self.data = as_real(data, "Value")
        self.grad = 0.0
        if not isinstance(label, str):
            raise ArgumentError(f"a Value's label must be a str, not {type(label).__name__}")
        self._label = label
        self._by = None
        self._a = None
        self._b = None
        self._tag = ROOT_REVERSE

    @property
    def label(self) -> str:
        """A name for pictures and reprs; "" unless given."""
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):
            raise ArgumentError(f"a Value's label must be a str, not {type(label).__name__}")
        self._label = label

    @property
    def op(self) -> Op | None:
        """The op that produced this node (None for a leaf), for pictures and debugging."""
        return self._by

    @property
    def inputs(self) -> tuple[Scalar, ...]:
        """The arguments `op` was applied to, constants included."""
        return inputs_of(self)

    @property
    def _op(self) -> str:
        """micrograd's name for the op that made this node ("" for a leaf), for ported code."""
        op = self._by
        return "" if op is None else op.name

    @property
    def _prev(self) -> set[Value]:
        """micrograd's set of the `Value`s this node was computed from, for ported code."""
        return {x for x in inputs_of(self) if type(x) is Value}

    def backward(self, seed: float = 1.0) -> None:
        """Add d self / d node * seed to `.grad` of every node below self.

        Gradients accumulate across calls, as in micrograd and PyTorch; reset them with
        `nn.Module.zero_grad` or by assigning `.grad = 0.0`. If the pass fails (a derivative
        undefined at some node), every `.grad` is left as it was.
        """
        tag = self._tag
        if tag is not ROOT_REVERSE and not tag.active:
            raise escaped(tag)
        tag.engine.backward(self, as_real(seed, "backward seed") if tag is ROOT_REVERSE else seed)

    def detach(self) -> Value:
        """A new leaf with the same data: a constant to everything computed from it.

        >>> x = Value(3.0); y = x * x; z = y.detach() * x; z.backward(); x.grad
        9.0
        """
        return new_value(self.data, (), None, self._tag)

    def _repr_svg_(self) -> str | None:
        """The graph below this node, drawn for Jupyter; None keeps the next representation."""
        svg = DISPLAY.svg
        return None if svg is None else svg(self)

    def _repr_html_(self) -> str | None:
        """The graph as an HTML table where Graphviz cannot draw it; None otherwise."""
        html = DISPLAY.html
        return None if html is None else html(self)

    def __repr__(self) -> str:
        label = self.label
        shown = f", label={label!r}" if label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{shown})"


def new_value(data: Scalar, inputs: tuple[Scalar, ...], op: Op | None, tag: Tag) -> Value:
    """A node of `tag` made by `op` from `inputs` (a leaf for None), without the checks
    `Value()` makes on user input: how the engines and the recorders make nodes."""
    node: Value = Value.__new__(Value)
    node.data = data  # type: ignore[assignment]
    node.grad = 0.0
    node._by = op
    if op is None:
        node._a = node._b = None
    elif len(inputs) == 1:
        node._a, node._b = inputs[0], None
    elif len(inputs) == 2:
        node._a, node._b = inputs
    else:
        node._a, node._b = inputs, MANY
    node._tag = tag
    return node


def inputs_of(node: Value) -> tuple[Scalar, ...]:
    """The inputs a node was computed from, in argument order; () for a leaf."""
    a, b = node._a, node._b
    if b is MANY:
        return a  # type: ignore[return-value]
    if node._by is None:
        return ()
    return (a,) if b is None else (a, b)  # type: ignore[return-value]


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
        elif isinstance(x, Node):  # another engine's node kind, such as Taylor mode's Series
            x = x.primal  # type: ignore[attr-defined]
        else:
            return x if type(x) is float else as_real(x, "to_float() argument")


def as_real(x: object, what: str) -> float:
    """`x` as a float if it is a real number (int, float, numpy scalar, ...).

    `ArgumentError` (a TypeError) for anything else, `RangeError` (an OverflowError) for a
    number too large for a float, such as `10**400`.
    """
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, Node):
        try:
            return float(x)
        except OverflowError:
            raise RangeError(what, (), f"{what} is too large for a float: {x!r:.40}") from None
    raise ArgumentError(f"{what} must be a real number, not {type(x).__name__}")


def _as_dual_part(x: object, what: str) -> float:
    if type(x) is Value and x._tag is ROOT_REVERSE:
        return x  # type: ignore[return-value]  # forward over reverse, see ROOT_FORWARD
    return as_real(x, f"Dual {what}")
