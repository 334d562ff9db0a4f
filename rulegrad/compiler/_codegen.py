"""Python source for a trace: straight-line functions for the value, the gradient and a jvp.

Every step of the traced program becomes one assignment `v<i> = ...`, in the order `f`
applied its ops. The derivatives come from each op's partials rule, traced into a program
of its own (`Op.program`) and written out inline for the inputs that are traced: the same
rule the dynamic modes evaluate, so no derivative is written twice. The reverse sweep
visits the steps in the order the dynamic backward pass visits their nodes and adds each
contribution to an adjoint `g<i>` in the same order; the tangent sweep `t<i>` adds terms in
input order as forward mode does. So the compiled numbers are the dynamic ones.

An op whose rule cannot be traced has its rule (or its jvp/vjp) called. Where the dynamic
modes would raise, skip a term or read `Undefined`, the generated code raises instead (a
math error, a TypeError multiplying `Undefined`, or `NeedsDynamicError`); the caller then
reruns `f` dynamically, which gives the exact error or result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Literal, NoReturn

from rulegrad.compiler._recorder import Trace
from rulegrad.kernel import Op
from rulegrad.modes.source import Namespace, literal, load, scaled

__all__ = ["KINDS", "Kind", "NeedsDynamicError", "build", "generate"]

Kind = Literal["value", "value_and_grad", "jvp"]
KINDS: Final[tuple[Kind, ...]] = ("value", "value_and_grad", "jvp")
_TERMS_PER_LINE: Final = 32  # Python's compiler recurses on long chains of `+`


class NeedsDynamicError(Exception):
    """Raised by generated code where only the dynamic mode knows the answer."""


def _fallback() -> NoReturn:
    raise NeedsDynamicError


def build(trace: Trace, kind: Kind) -> Callable[..., object]:
    """The generated function `kind` for `trace`, compiled."""
    source, namespace = _write(trace, kind)
    return load(source, namespace, f"rg.compile {kind}")[kind]


def generate(trace: Trace, kind: Kind) -> str:
    """The source of the function `kind`, to read."""
    return _write(trace, kind)[0]


def _write(trace: Trace, kind: Kind) -> tuple[str, Namespace]:
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
        self.program = trace.program
        self.n = self.program.n_inputs
        self.namespace = Namespace()
        self.fallback = self.namespace.bind(_fallback)
        self.lines: list[str] = []

    # -- the three functions

    def value(self) -> None:
        self.header("value", "")
        self.forward_sweep(tangents=False)
        self.emit(f"return {self.output('v')}")

    def value_and_grad(self) -> None:
        self.header("value_and_grad", "")
        self.forward_sweep(tangents=False)
        out = self.program.outputs[0]
        # value index -> the name holding its adjoint so far: g<i>, or the name of another
        # adjoint it equals (a partial of 1.0 passes the cotangent on: no copy is made)
        adjoint: dict[int, str] = {}
        if type(out) is int:
            self.emit(f"g{out} = 1.0")
            adjoint[out] = f"g{out}"
            for k in self.trace.backward:
                self.pull_back(k, adjoint)
        grads = [adjoint.get(i, "0.0") for i in range(self.n)]
        self.emit(f"return {self.output('v')}, {_tuple(grads)}")

    def jvp(self) -> None:
        self.header("jvp", "".join(f", t{i}" for i in range(self.n)))
        self.forward_sweep(tangents=True)
        self.emit(f"return {self.output('v')}, {self.output('t')}")

    # -- pieces

    def header(self, name: str, tangents: str) -> None:
        params = ", ".join(f"v{i}" for i in range(self.n))
        self.lines.append(f"def {name}({params}{tangents}):")

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def output(self, prefix: str) -> str:
        out = self.program.outputs[0]
        if type(out) is int:
            return f"{prefix}{out}"
        return literal(out) if prefix == "v" else "0.0"

    def atom(self, arg: int | float) -> str:
        return f"v{arg}" if type(arg) is int else literal(arg)

    def forward_sweep(self, *, tangents: bool) -> None:
        for k, (op, args) in enumerate(self.program.steps):
            i = self.n + k
            self.emit(f"v{i} = {self.namespace.forward(op, [self.atom(a) for a in args])}")
            if tangents:
                self.push_forward(i, op, args)

    def partials(self, i: int, op: Op, args: Sequence[int | float]) -> list[str] | None:
        """One expression per input: the partials of the traced inputs, from the rule's
        program, or from a call of the rule; None where the op has no partials rule."""
        traced = [type(a) is int for a in args]
        inputs = [self.atom(a) for a in args]
        program = op.program(len(args)) if op.partials is not None else None
        if program is not None:
            lines, partials = self.namespace.steps(program, [f"v{i}", *inputs], traced, f"r{i}_")
            for line in lines:
                self.emit(line)
            return partials
        if op.partials is None:
            return None
        names = [f"p{i}_{j}" for j in range(len(args))]
        rule = self.namespace.bind(op.partials)
        self.emit(f"{_tuple(names)} = {rule}(v{i}, {', '.join(inputs)})")
        return names

    def pull_back(self, k: int, adjoint: dict[int, str]) -> None:
        """Add step k's contributions to the adjoints of its traced inputs."""
        op, args = self.program.steps[k]
        i = self.n + k
        cotangent = adjoint.get(i, f"g{i}")  # unset only after a _fallback(), never run
        if op.vjp is not None:
            contributions = [f"c{i}_{j}" for j in range(len(args))]
            vjp = self.namespace.bind(op.vjp)
            inputs = _tuple([self.atom(a) for a in args])
            self.emit(f"{_tuple(contributions)} = {vjp}(v{i}, {inputs}, {cotangent})")
        else:
            partials = self.partials(i, op, args)
            if partials is None:
                self.emit(f"{self.fallback}()  # no reverse rule: the dynamic mode raises")
                return
            contributions = [scaled(p, cotangent) for p in partials]
        for arg, contribution in zip(args, contributions, strict=True):
            if type(arg) is int:
                so_far = adjoint.get(arg)
                if so_far is None and contribution.isidentifier():
                    adjoint[arg] = contribution  # the same float: a name for it is enough
                elif so_far is None:
                    self.emit(f"g{arg} = {contribution}")
                    adjoint[arg] = f"g{arg}"
                else:
                    self.emit(f"g{arg} = {so_far} + {contribution}")
                    adjoint[arg] = f"g{arg}"

    def push_forward(self, i: int, op: Op, args: Sequence[int | float]) -> None:
        """The step's tangent: its partials contracted with the input tangents."""
        if op.jvp is not None:
            jvp = self.namespace.bind(op.jvp)
            inputs = _tuple([self.atom(a) for a in args])
            tangents = _tuple([f"t{a}" if type(a) is int else "0.0" for a in args])
            self.emit(f"t{i} = {jvp}(v{i}, {inputs}, {tangents})")
            return
        partials = self.partials(i, op, args)
        if partials is None:
            self.emit(f"{self.fallback}()  # no forward rule: the dynamic mode raises")
            return
        terms = [scaled(partials[j], f"t{a}") for j, a in enumerate(args) if type(a) is int]
        if not terms:
            self.emit(f"t{i} = 0.0")
        for start in range(0, len(terms), _TERMS_PER_LINE):
            chunk = terms[start : start + _TERMS_PER_LINE]
            head = [f"t{i}"] if start else []
            self.emit(f"t{i} = {' + '.join(head + chunk)}")


def _tuple(items: Sequence[str]) -> str:
    return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
