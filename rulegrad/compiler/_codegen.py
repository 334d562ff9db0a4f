"""Python source for a trace: straight-line functions for the value, the gradient and a jvp.

Every traced node becomes one assignment `v<i> = ...`, in the order `f` applied its ops.
The reverse sweep visits nodes in the order the dynamic backward pass does (reverse
topological, from `toposort`) and adds each contribution to an adjoint `g<i>` in the same
order, and the tangent sweep `t<i>` adds terms in input order as forward mode does, so the
compiled numbers are the dynamic ones. Ops with an `OpCode` become plain arithmetic; the
others are called, their forward and rules bound to names in the function's globals.

Where the dynamic modes would raise, skip a term or read `Undefined`, the generated code
raises instead (a math error, a TypeError multiplying `Undefined`, or `_fallback()`); the
caller then reruns `f` dynamically, which gives the exact error or result.
"""

from __future__ import annotations

import builtins
import math
import operator
import re
from collections.abc import Callable, Sequence
from typing import Final, Literal, NoReturn

from rulegrad.compiler._recorder import Trace
from rulegrad.kernel import Op, Scalar, Value, toposort

__all__ = ["KINDS", "Kind", "NeedsDynamicError", "build", "generate"]

Kind = Literal["value", "value_and_grad", "jvp"]
KINDS: Final[tuple[Kind, ...]] = ("value", "value_and_grad", "jvp")

# Binds tighter than `*`, so needs no parentheses: a name, a number, a call, negated or not.
_ATOM: Final = re.compile(r"-?[\w.]+(\([^()]*\))?|\(-[\w.]+\)")
_MATH: Final = re.compile(r"\b_m\.(\w+)")  # a math function in an op's code template
_TERMS_PER_LINE: Final = 32  # Python's compiler recurses on long chains of `+`


class NeedsDynamicError(Exception):
    """Raised by generated code where only the dynamic mode knows the answer."""


def _fallback() -> NoReturn:
    raise NeedsDynamicError


def build(trace: Trace, kind: Kind) -> Callable[..., object]:
    """The generated function `kind` for `trace`, compiled."""
    source, namespace = generate(trace, kind)
    exec(builtins.compile(source, f"<rg.compile {kind}>", "exec"), namespace)
    function: Callable[..., object] = namespace[kind]  # type: ignore[assignment]
    return function


def generate(trace: Trace, kind: Kind) -> tuple[str, dict[str, object]]:
    """The source of the function `kind` and the globals it needs."""
    writer = _Writer(trace)
    if kind == "value":
        writer.value()
    elif kind == "value_and_grad":
        writer.value_and_grad()
    else:
        writer.jvp()
    return "\n".join(writer.lines) + "\n", writer.namespace


class _Writer:
    """Writes one function, line by line, for one trace."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.index: dict[Value, int] = {leaf: i for i, leaf in enumerate(trace.leaves)}
        for i, node in enumerate(trace.tape, start=len(trace.leaves)):
            self.index[node] = i
        self.namespace: dict[str, object] = {
            "_m": math, "_sum": builtins.sum, "_map": map, "_mul": operator.mul,
            "_inf": math.inf, "_nan": math.nan, "_fallback": _fallback,
        }  # fmt: skip
        self.bound: dict[int, str] = {}
        self.lines: list[str] = []

    def value(self) -> None:
        self.header("value", "")
        for node in self.trace.tape:
            self.emit(f"v{self.index[node]} = {self.forward(node)}")
        self.emit(f"return {self.output('v')}")

    def value_and_grad(self) -> None:
        self.header("value_and_grad", "")
        for node in self.trace.tape:
            self.emit(f"v{self.index[node]} = {self.forward(node)}")
        out = self.trace.out
        assigned: set[int] = set()
        if type(out) is Value:
            self.emit(f"g{self.index[out]} = 1.0")
            assigned.add(self.index[out])
            for node in reversed(toposort([out], self.trace.tag)):
                if node._op is not None:
                    self.pull_back(node, assigned)
        grads = [f"g{i}" if i in assigned else "0.0" for i in range(len(self.trace.leaves))]
        self.emit(f"return {self.output('v')}, {_tuple(grads)}")

    def jvp(self) -> None:
        n = len(self.trace.leaves)
        self.header("jvp", "".join(f", t{i}" for i in range(n)))
        for node in self.trace.tape:
            self.emit(f"v{self.index[node]} = {self.forward(node)}")
            self.push_forward(node)
        self.emit(f"return {self.output('v')}, {self.output('t')}")

    def header(self, name: str, tangents: str) -> None:
        params = ", ".join(f"v{i}" for i in range(len(self.trace.leaves)))
        self.lines.append(f"def {name}({params}{tangents}):")

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def output(self, prefix: str) -> str:
        out = self.trace.out
        if type(out) is Value:
            return f"{prefix}{self.index[out]}"
        return self.atom(out) if prefix == "v" else "0.0"

    def atom(self, x: Scalar) -> str:
        """A node's variable, or a constant as a literal that reads back exactly."""
        if type(x) is Value:
            return f"v{self.index[x]}"
        if type(x) is not float:  # the recorder lets only floats and traced nodes through
            raise TypeError(f"a traced op got a {type(x).__name__}")
        if math.isfinite(x):
            text = repr(x)
            return f"({text})" if text.startswith("-") else text
        return "_nan" if math.isnan(x) else "_inf" if x > 0 else "(-_inf)"

    def bind(self, obj: object, stem: str) -> str:
        """A global name for a function the generated code calls."""
        name = self.bound.get(id(obj))
        if name is None:
            name = f"_{stem}"
            if name in self.namespace:
                name = f"_{stem}_{len(self.namespace)}"
            self.namespace[name] = obj
            self.bound[id(obj)] = name
        return name

    def args(self, node: Value) -> list[str]:
        return [self.atom(arg) for arg in node._inputs]

    def direct(self, text: str) -> str:
        """`text` with each `_m.name` bound to a global of its own: one lookup, not two."""
        return _MATH.sub(lambda m: self.bind(getattr(math, m[1]), m[1]), text)

    def forward(self, node: Value) -> str:
        op, args = _op(node), self.args(node)
        template = op.code.forward if op.code is not None else None
        if isinstance(template, str):
            return self.direct(template.format(*args))
        if template is not None and (text := template(args)) is not None:
            return self.direct(text)
        return f"{self.bind(op.forward, op.name)}({', '.join(args)})"

    def partials(self, node: Value) -> list[str] | None:
        """One expression per input from the op's templates, or None to call its rules."""
        op = _op(node)
        template = op.code.partials if op.code is not None else None
        out, args = f"v{self.index[node]}", self.args(node)
        if template is None:
            return None
        if callable(template):
            found = template(out, args)
            return None if found is None else [self.direct(t) for t in found]
        return [self.direct(t.format(*args, out=out)) for t in template]

    def called_partials(self, node: Value) -> list[str] | None:
        """Call the op's partials rule, unpacking one name per input."""
        op, i = _op(node), self.index[node]
        if op.partials is None:
            return None
        names = [f"p{i}_{j}" for j in range(len(node._inputs))]
        rule = self.bind(op.partials, f"{op.name}_partials")
        self.emit(f"{_tuple(names)} = {rule}(v{i}, {', '.join(self.args(node))})")
        return names

    def pull_back(self, node: Value, assigned: set[int]) -> None:
        """Add node's contributions to the adjoints of its traced inputs."""
        op, i = _op(node), self.index[node]
        cotangent = f"g{i}"
        partials = self.partials(node)
        if partials is not None:
            contributions = [_scale(p, cotangent) for p in partials]
        elif op.vjp is not None:
            contributions = [f"c{i}_{j}" for j in range(len(node._inputs))]
            vjp, args = self.bind(op.vjp, f"{op.name}_vjp"), _tuple(self.args(node))
            self.emit(f"{_tuple(contributions)} = {vjp}(v{i}, {args}, {cotangent})")
        elif (called := self.called_partials(node)) is not None:
            contributions = [_scale(p, cotangent) for p in called]
        else:
            self.emit("_fallback()  # no reverse rule: the dynamic mode raises MissingRuleError")
            return
        for arg, contribution in zip(node._inputs, contributions, strict=True):
            if type(arg) is Value:
                k = self.index[arg]
                if k not in assigned:
                    assigned.add(k)
                    self.emit(f"g{k} = {contribution}")
                elif contribution == f"-{cotangent}":
                    self.emit(f"g{k} = g{k} - {contribution[1:]}")
                else:
                    self.emit(f"g{k} = g{k} + {contribution}")

    def push_forward(self, node: Value) -> None:
        """The node's tangent: its partials contracted with the input tangents."""
        op, i = _op(node), self.index[node]
        traced = [(j, self.index[a]) for j, a in enumerate(node._inputs) if type(a) is Value]
        partials = self.partials(node)
        if partials is None and op.jvp is not None:
            jvp, args = self.bind(op.jvp, f"{op.name}_jvp"), _tuple(self.args(node))
            tangents = [f"t{self.index[a]}" if type(a) is Value else "0.0" for a in node._inputs]
            self.emit(f"t{i} = {jvp}(v{i}, {args}, {_tuple(tangents)})")
            return
        if partials is None:
            partials = self.called_partials(node)
        if partials is None:
            self.emit("_fallback()  # no forward rule: the dynamic mode raises MissingRuleError")
            return
        terms = [_scale(partials[j], f"t{k}") for j, k in traced]
        for start in range(0, len(terms), _TERMS_PER_LINE):
            chunk = terms[start : start + _TERMS_PER_LINE]
            head = [f"t{i}"] if start else []
            self.emit(f"t{i} = {' + '.join(head + chunk)}")


def _scale(partial: str, direction: str) -> str:
    """partial * direction, as the dynamic modes' `scale` computes it."""
    if partial == "1.0":
        return direction
    if partial == "-1.0":
        return f"-{direction}"
    return f"{partial if _is_atom(partial) else f'({partial})'} * {direction}"


def _is_atom(code: str) -> bool:
    """Whether `code` binds tighter than `*`, so that it needs no parentheses."""
    if _ATOM.fullmatch(code):
        return True
    depth = 0
    for position, char in enumerate(code):
        depth += (char == "(") - (char == ")")
        if depth == 0:  # the first group closes here: an atom only if that is the end
            return position == len(code) - 1 and char == ")"
    return False


def _tuple(items: Sequence[str]) -> str:
    return f"({', '.join(items)}{',' if len(items) == 1 else ''})"


def _op(node: Value) -> Op:
    """The op of a tape node (leaves, which have none, never reach here)."""
    op = node._op
    if op is None:
        raise TypeError("a traced argument has no op")
    return op
