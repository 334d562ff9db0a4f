"""Fast paths for both engines, generated per op from its rule.

For an op of one or two inputs this writes two functions, once, the first time the op is
called:

- `call(x[, y])`, what the op does when called: on floats its forward value; on `Value`s of
  one tag a new node; on `Dual`s of one tag the primal and the tangent. The tangent is the
  op's partials rule, traced into a program (`Op.program`) and written out inline, for the
  inputs whose tangent is not zero only.
- `pull(node, cotangent, tag)`, one node's step of the backward pass for a float cotangent:
  the partials of the inputs being differentiated, scaled and added to their grads.

Everything else (ints, nodes of nested transforms, a mix of tags, a forward value or partial
that fails, an op with a jvp or vjp rule, a rule that cannot be traced) goes to the op's
general dispatch and the engines, which give the same numbers and the precise errors. No
derivative is written here: this file knows no op.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from rulegrad.kernel import MATH_ERRORS, Dual, Op, Scalar, Value, new_value
from rulegrad.modes.reverse import Pull
from rulegrad.modes.source import Namespace, load, scaled

__all__ = ["specialize"]

_INDENT: Final = "    "


def specialize(op: Op) -> tuple[Callable[..., Scalar] | None, Pull | None]:
    """The op's generated `call` and `pull`; None for what it has none of."""
    if op.arity is None:
        return _reduction_call(op), None  # their backward step is the engine's general one
    if op.arity not in (1, 2):
        return None, None
    writer = _Writer(op)
    functions = load("\n".join(writer.lines) + "\n", writer.namespace, "a fast path")
    return functions["call"], functions.get("pull")  # type: ignore[return-value]


def _reduction_call(op: Op) -> Callable[..., Scalar]:
    """`op(*args)` for an op of any number of inputs (sum, dot): floats and `Value`s of one
    tag with float data make a node in one pass over the arguments; anything else goes to
    the general dispatch. Not generated: its inputs are not a fixed list to write out."""
    forward, dispatch = op.forward, op.dispatch

    def call(*args: Scalar) -> Scalar:
        tag = None
        primals: list[float] = []
        keep = primals.append
        for arg in args:
            kind = type(arg)
            if kind is float:
                keep(arg)  # type: ignore[arg-type]
            elif kind is Value:
                if tag is None:
                    tag = arg._tag  # type: ignore[union-attr]
                elif arg._tag is not tag:  # type: ignore[union-attr]
                    return dispatch(*args)
                data = arg.data  # type: ignore[union-attr]
                if type(data) is not float:
                    return dispatch(*args)
                keep(data)
            else:
                return dispatch(*args)
        if tag is None or not tag.fast:
            return dispatch(*args)
        try:
            out = forward(*primals)
        except MATH_ERRORS:
            return dispatch(*args)
        return new_value(out, args, op, tag)

    return call


class _Writer:
    """Writes the fast paths of one op."""

    def __init__(self, op: Op) -> None:
        self.op = op
        self.arity: int = op.arity  # type: ignore[assignment]  # 1 or 2, checked above
        self.namespace = Namespace()
        self.lines: list[str] = []
        bind = self.namespace.bind
        self.value, self.dual, self.op_name = bind(Value), bind(Dual), bind(op)
        self.new, self.errors = bind(object.__new__), bind(MATH_ERRORS)
        self.dispatch = bind(op.dispatch)
        # The rule, traced, where a fast tangent or backward step can use it.
        program = op.program(self.arity) if op.partials is not None else None
        self.program = program
        self.tangents = program is not None and op.jvp is None
        self.cotangents = program is not None and op.vjp is None
        self.write_call()
        if self.cotangents:
            self.write_pull()

    # -- helpers

    def emit(self, depth: int, line: str) -> None:
        self.lines.append(_INDENT * depth + line)

    def forward(self, args: Sequence[str]) -> str:
        return self.namespace.forward(self.op, args)

    def partials(
        self, inputs: Sequence[str], wanted: Sequence[bool]
    ) -> tuple[list[str], list[str]]:
        assert self.program is not None
        return self.namespace.steps(self.program, ["out", *inputs], wanted, "r")

    # -- call

    def write_call(self) -> None:
        params = ["x", "y"][: self.arity]
        args = ", ".join(params)
        self.emit(0, f"def call({args}):")
        for i, p in enumerate(params):
            self.emit(1, f"k{i} = type({p})")
            # An int is the float it converts to, as in the general call (`x ** 2`).
            self.emit(1, f"if k{i} is int:")
            self.emit(2, "try:")
            self.emit(3, f"{p} = float({p})")
            self.emit(2, "except OverflowError:")
            self.emit(3, f"return {self.dispatch}({args})")
            self.emit(2, f"k{i} = float")
        kinds = ("float", self.value, self.dual)
        # Every combination of floats and nodes of one kind, tested first on the kind of the
        # first argument, then of the second; the rest goes to dispatch.
        combos = [
            combo
            for combo in _product(kinds, self.arity)
            if len({k for k in combo if k != "float"}) <= 1
        ]
        for first in kinds:
            group = [combo for combo in combos if combo[0] == first]
            self.emit(1, f"{'if' if first == 'float' else 'elif'} k0 is {first}:")
            for j, combo in enumerate(group):
                depth = 2
                if self.arity == 2:
                    self.emit(2, f"{'if' if j == 0 else 'elif'} k1 is {combo[1]}:")
                    depth = 3
                self.path(params, combo, depth)
        self.emit(1, f"return {self.dispatch}({args})")

    def path(self, params: list[str], combo: tuple[str, ...], depth: int) -> None:
        if all(k == "float" for k in combo):
            self.float_path(params, depth)
        elif self.value in combo:
            self.node_path(params, combo, self.value, depth)
        elif self.tangents:
            self.node_path(params, combo, self.dual, depth)
        else:
            self.emit(depth, "pass")

    def float_path(self, params: list[str], d: int) -> None:
        self.emit(d, "try:")
        self.emit(d + 1, f"return {self.forward(params)}")
        self.emit(d, f"except {self.errors}:")
        self.emit(d + 1, f"return {self.dispatch}({', '.join(params)})")

    def node_path(self, params: list[str], combo: tuple[str, ...], kind: str, d: int) -> None:
        """Values or Duals of one tag with float parts: compute here, else fall through."""
        dual = kind == self.dual
        nodes = [i for i, k in enumerate(combo) if k == kind]
        first = params[nodes[0]]
        self.emit(d, f"tag = {first}._tag")
        primals, checks = [], []
        for i, p in enumerate(params):
            if combo[i] != kind:
                primals.append(p)  # a float constant
                continue
            part = "primal" if dual else "data"
            self.emit(d, f"a{i} = {p}.{part}")
            checks.append(f"type(a{i}) is float")
            if dual:
                self.emit(d, f"t{i} = {p}.tangent")
                checks.append(f"type(t{i}) is float")
            if i != nodes[0]:
                checks.append(f"{p}._tag is tag")
            primals.append(f"a{i}")
        checks.append("tag.fast")  # active, and no engine that must see every op
        self.emit(d, f"if {' and '.join(checks)}:")
        self.emit(d + 1, "try:")
        self.emit(d + 2, f"out = {self.forward(primals)}")
        if dual:
            self.tangent(d + 2, primals, nodes)
        self.emit(d + 1, f"except {self.errors}:")
        self.emit(d + 2, f"return {self.dispatch}({', '.join(params)})")
        self.emit(d + 1, f"node = {self.new}({kind})")
        if dual:
            self.emit(d + 1, "node.primal = out")
            self.emit(d + 1, "node.tangent = t")
        else:
            self.emit(d + 1, "node.data = out")
            self.emit(d + 1, "node.grad = 0.0")
            self.emit(d + 1, f"node._by = {self.op_name}")
            self.emit(d + 1, f"node._a = {params[0]}")
            self.emit(d + 1, f"node._b = {params[1] if self.arity == 2 else 'None'}")
        self.emit(d + 1, "node._tag = tag")
        self.emit(d + 1, "return node")

    def tangent(self, depth: int, primals: list[str], moving: list[int]) -> None:
        """`t = ...`: the partials of the inputs whose tangent is not zero, contracted."""

        def branch(depth: int, chosen: list[int], rest: list[int]) -> None:
            if rest:
                i, later = rest[0], rest[1:]
                self.emit(depth, f"if t{i} != 0.0:")
                branch(depth + 1, [*chosen, i], later)
                self.emit(depth, "else:")
                branch(depth + 1, chosen, later)
                return
            if not chosen:
                self.emit(depth, "t = 0.0")
                return
            wanted = [i in chosen for i in range(self.arity)]
            lines, partials = self.partials(primals, wanted)
            for line in lines:
                self.emit(depth, line)
            terms = [scaled(partials[i], f"t{i}") for i in chosen]
            self.emit(depth, f"t = {' + '.join(terms)}")

        branch(depth, [], moving)

    # -- pull

    def write_pull(self) -> None:
        """The backward step: partials for the inputs of `tag` only, then their grads; then
        each such input has one user fewer left to step, and is ready when none is left."""
        self.emit(0, "def pull(node, ct, tag, users, ready):")
        slots = ["node._a", "node._b"][: self.arity]
        for i, slot in enumerate(slots):
            self.emit(1, f"x{i} = {slot}")
            self.emit(1, f"if type(x{i}) is {self.value} and x{i}._tag is tag:")
            self.emit(2, f"a{i} = x{i}.data")
            self.emit(2, f"d{i} = True")
            self.emit(1, "else:")
            self.emit(2, f"a{i} = x{i}")
            self.emit(2, f"d{i} = False")
        floats = " or ".join(f"type(a{i}) is not float" for i in range(self.arity))
        self.emit(1, f"if {floats}:")
        self.emit(2, "return False")
        self.emit(1, "out = node.data")
        primals = [f"a{i}" for i in range(self.arity)]
        self.emit(1, "try:")

        def branch(depth: int, chosen: list[int], rest: list[int]) -> None:
            if rest:
                i, later = rest[0], rest[1:]
                self.emit(depth, f"if d{i}:")
                branch(depth + 1, [*chosen, i], later)
                self.emit(depth, "else:")
                branch(depth + 1, chosen, later)
                return
            if not chosen:
                self.emit(depth, "return True")
                return
            wanted = [i in chosen for i in range(self.arity)]
            lines, partials = self.partials(primals, wanted)
            for line in lines:
                self.emit(depth, line)
            for i in chosen:
                self.emit(depth, f"c{i} = {scaled(partials[i], 'ct')}")

        branch(2, [], list(range(self.arity)))
        self.emit(1, f"except {self.errors}:")
        self.emit(2, "return False")
        for i in range(self.arity):
            # As `accumulate`: a plain 0.0 takes the term as it is.
            self.emit(1, f"if d{i}:")
            self.emit(2, f"g = x{i}.grad")
            self.emit(2, "if type(g) is float and g == 0.0:")
            self.emit(3, f"x{i}.grad = c{i}")
            self.emit(2, "else:")
            self.emit(3, f"x{i}.grad = g + c{i}")
            self.emit(2, f"left = users[x{i}] - 1")
            self.emit(2, f"users[x{i}] = left")
            self.emit(2, "if not left:")
            self.emit(3, f"ready(x{i})")
        self.emit(1, "return True")


def _product(kinds: tuple[str, ...], n: int) -> list[tuple[str, ...]]:
    combos: list[tuple[str, ...]] = [()]
    for _ in range(n):
        combos = [(*c, k) for c in combos for k in kinds]
    return combos
