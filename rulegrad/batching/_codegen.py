"""Array code for a traced per-point function, generated from each op's rules.

The forward sweep is `rg.compile`'s, with every name an array over a chunk of points (or
one number, where a value depends on broadcast arguments only). An op is written with its
array form (`OpCode.array`), its float template where that has no conditional, its forward
itself where that is plain arithmetic (`OpCode.arithmetic`), or else a point-by-point call.

The reverse sweep computes the sum over the points of one output and its gradient with
respect to the broadcast inputs, in one pass: per-point adjoints for the values that vary
over the batch, and for the values that do not, adjoints that are already summed. Where a
per-point contribution reaches a broadcast value, it is summed at once (a dot product), so
no per-point gradient of a parameter is ever stored. Each partial comes from the op's rule,
traced into a program and written out (or its traced vjp); no derivative is written here.

The checking variant of each function returns, instead, a mask of the points where any
value or adjoint is not finite: the points to rerun one by one, in the dynamic mode, which
raises the exact error or gives the exact result there.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

from rulegrad.batching._backend import ARRAY_MATH, Vectorized, reduce_product, total
from rulegrad.batching._trace import Traced
from rulegrad.kernel import NotTraceableError, Op, Program, record
from rulegrad.modes.source import Namespace, literal, load

__all__ = ["Kernels", "NeedsPointsError"]

Kind = Literal["value", "sum"]
_MATH: Final = re.compile(r"\b_m\.([A-Za-z]\w*)")
_TERMS: Final = 32  # Python's compiler recurses on long chains of `+`


class NeedsPointsError(Exception):
    """Raised by generated code where only the point-by-point rerun knows the answer."""


def _needs_points() -> None:
    raise NeedsPointsError


def _note(bad: Any, x: Any) -> None:
    """Mark in `bad` the points where `x` is not finite (every point, for one number)."""
    import numpy as np

    if np.ndim(x):
        bad |= ~np.isfinite(x)
    elif not np.isfinite(x):
        bad[:] = True


@functools.lru_cache(maxsize=1024)
def _straight(source: str) -> bool:
    """Whether a float template is straight-line code (no comparison or conditional)."""
    tree = ast.parse(source.strip(), mode="eval")
    return not any(isinstance(n, (ast.IfExp, ast.Compare, ast.BoolOp)) for n in ast.walk(tree))


class ArrayNamespace(Namespace):
    """A generated module's globals with `_m` the array namespace: ops as array code."""

    def __init__(self) -> None:
        super().__init__(ARRAY_MATH)
        self._vectorized: dict[int, Vectorized] = {}

    def vectorized(self, function: Callable[..., Any], outputs: int = 1) -> str:
        found = self._vectorized.get(id(function))
        if found is None:
            found = self._vectorized[id(function)] = Vectorized(function, outputs)
        return self.bind(found)

    def forward(self, op: Op, args: Sequence[str]) -> str:
        code = op.code
        text: str | None = None
        if code is not None:
            text = _expand(code.array, args)
            if text is None and code.forward is not None:
                found = _expand(code.forward, args)
                text = found if found is not None and _straight(found) else None
            if text is None and code.arithmetic:
                return f"{self.bind(op.forward)}({', '.join(args)})"
        if text is None:
            return f"{self.vectorized(op.forward)}({', '.join(args)})"
        return _MATH.sub(lambda m: self.bind(getattr(self.math, m[1]), m[1]), text)


def _expand(template: object, args: Sequence[str]) -> str | None:
    if template is None:
        return None
    if isinstance(template, str):
        return template.format(*args)
    return template(list(args))  # type: ignore[operator, no-any-return]


class Kernels:
    """The array functions of one trace, each generated and compiled on first use.

    `value(n, *inputs)` gives every output (an array over the chunk, or one number);
    `summed(o)(n, *inputs)` gives (the sum of output o over the chunk, its gradient with
    respect to each input, summed, with 0.0 for the mapped inputs). Their `checked` twins
    give the mask of points to rerun. `n` is the number of points in the chunk.
    """

    def __init__(self, traced: Traced, mapped: Sequence[bool]) -> None:
        self.traced = traced
        self.mapped = tuple(mapped)
        self._made: dict[tuple[Kind, int, bool], Callable[..., Any]] = {}
        self.batched = _batched(traced.program, self.mapped)
        # Whether a value depends on a broadcast input: only those need adjoints.
        self.varies = _batched(traced.program, tuple(not m for m in self.mapped))

    def value(self, checked: bool = False) -> Callable[..., Any]:
        return self._get("value", -1, checked)

    def summed(self, output: int, checked: bool = False) -> Callable[..., Any]:
        return self._get("sum", output, checked)

    def source(self, kind: Kind, output: int = -1, checked: bool = False) -> str:
        return _Writer(self, kind, output, checked).write()[0]

    def _get(self, kind: Kind, output: int, checked: bool) -> Callable[..., Any]:
        key = (kind, output, checked)
        found = self._made.get(key)
        if found is None:
            source, namespace = _Writer(self, kind, output, checked).write()
            made = load(source, namespace, f"rg.vmap {kind}")
            found = self._made.setdefault(key, made["kernel"])
        return found


def _batched(program: Program, mapped: tuple[bool, ...]) -> list[bool]:
    """For every value (inputs, then steps): whether it varies over the batch."""
    batched = list(mapped)
    for _, args in program.steps:
        batched.append(any(type(a) is int and batched[a] for a in args))
    return batched


class _Writer:
    """Writes one kernel, line by line."""

    def __init__(self, kernels: Kernels, kind: Kind, output: int, checked: bool) -> None:
        self.kernels = kernels
        self.program = kernels.traced.program
        self.batched = kernels.batched
        self.n = self.program.n_inputs
        self.kind = kind
        self.output = output
        self.checked = checked
        self.namespace = ArrayNamespace()
        self.lines: list[str] = []
        self.note = self.namespace.bind(_note)

    def write(self) -> tuple[str, Namespace]:
        params = ", ".join(["n", *(f"v{i}" for i in range(self.n))])
        self.lines.append(f"def kernel({params}):")
        if self.checked:
            zeros = self.namespace.bind(_zeros)
            self.emit(f"_bad = {zeros}(n)")
        if self.kind == "value":
            self.forward_sweep(range(len(self.program.steps)))
            outputs = [self.atom(a) for a in self.program.outputs]
            self.emit(
                "return _bad" if self.checked else f"return ({''.join(o + ', ' for o in outputs)})"
            )
        else:
            self.summed()
        return "\n".join(_free(self.lines, self.n)) + "\n", self.namespace

    def emit(self, line: str, *assigned: str) -> None:
        self.lines.append("    " + line)
        if self.checked:
            for name in assigned:
                self.lines.append(f"    {self.note}(_bad, {name})")

    def atom(self, arg: int | float) -> str:
        return f"v{arg}" if type(arg) is int else literal(arg)

    def forward_sweep(self, steps: Sequence[int]) -> None:
        for k in steps:
            op, args = self.program.steps[k]
            i = self.n + k
            self.emit(f"v{i} = {self.namespace.forward(op, [self.atom(a) for a in args])}", f"v{i}")

    def summed(self) -> None:
        out = self.program.outputs[self.output]
        # Every step, as f runs them: one that the output does not need may still fail.
        self.forward_sweep(range(len(self.program.steps)))
        if type(out) is not int:  # a constant: its sum is n times it, its gradient zero
            zeros = ", ".join(["0.0"] * self.n)
            self.emit("return _bad" if self.checked else f"return {literal(out)} * n, ({zeros},)")
            return
        order = self.kernels.traced.backward[self.output]
        varies = self.kernels.varies
        order = tuple(k for k in order if varies[self.n + k])  # the rest has no adjoint to give
        total_fn = self.namespace.bind(total)
        # The seed: 1 at every point for a per-point output; for one that does not vary,
        # its adjoint as a sum over the points, n.
        self.emit(f"g{out} = 1.0" if self.batched[out] else f"g{out} = n * 1.0", f"g{out}")
        assigned = {out}
        for k in order:
            self.pull_back(k, assigned)
        if self.checked:
            self.emit("return _bad")
            return
        adjoints = [
            f"g{i}" if i in assigned and not self.batched[i] else "0.0" for i in range(self.n)
        ]
        value = f"{total_fn}(v{out}, n)" if self.batched[out] else f"v{out} * n"
        self.emit(f"return {value}, ({''.join(g + ', ' for g in adjoints)})")

    def pull_back(self, k: int, assigned: set[int]) -> None:
        """Add step k's contributions to the adjoints of its traced inputs."""
        op, args = self.program.steps[k]
        i = self.n + k
        cotangent = f"g{i}"
        varies = self.kernels.varies
        traced = [type(a) is int and varies[a] for a in args]
        inputs = [self.atom(a) for a in args]
        per_point = self.batched[i]
        contributions: list[str]
        rule = _vjp_program(op, len(args)) if op.vjp is not None else None
        if op.vjp is not None:
            if rule is not None:
                lines, found = self.namespace.steps(
                    rule, [f"v{i}", *inputs, cotangent], traced, f"c{i}_"
                )
                self.emit_lines(lines)
            else:
                vjp = self.namespace.vectorized(_vjp_call(op), len(args))
                names = [f"c{i}_{j}" for j in range(len(args))]
                self.emit(
                    f"{_tuple(names)} = {vjp}(v{i}, {', '.join(inputs)}, {cotangent})", *names
                )
                found = names
            total_fn = self.namespace.bind(total)
            contributions = [
                f"{total_fn}({c}, n)" if type(a) is int and per_point and not self.batched[a] else c
                for c, a in zip(found, args, strict=True)
            ]
        else:
            partials = self.partials(i, op, args, traced, inputs)
            if partials is None:
                self.emit(f"{self.namespace.bind(_needs_points)}()  # no reverse rule")
                return
            reduce = self.namespace.bind(reduce_product)
            contributions = []
            for p, a in zip(partials, args, strict=True):
                if type(a) is int and per_point and not self.batched[a]:
                    contributions.append(f"{reduce}({p}, {cotangent}, n)")
                else:
                    contributions.append(_scale(p, cotangent))
        for arg, contribution in zip(args, contributions, strict=True):
            if type(arg) is not int or not self.kernels.varies[arg]:
                continue
            if arg not in assigned:
                assigned.add(arg)
                self.emit(f"g{arg} = {contribution}", f"g{arg}")
            else:
                self.emit(f"g{arg} = g{arg} + {contribution}", f"g{arg}")

    def partials(
        self, i: int, op: Op, args: Sequence[int | float], traced: list[bool], inputs: list[str]
    ) -> list[str] | None:
        if op.partials is None:
            return None
        program = op.program(len(args))
        if program is not None:
            lines, partials = self.namespace.steps(program, [f"v{i}", *inputs], traced, f"r{i}_")
            self.emit_lines(lines)
            return partials
        rule = self.namespace.vectorized(op.partials, len(args))
        names = [f"p{i}_{j}" for j in range(len(args))]
        self.emit(f"{_tuple(names)} = {rule}(v{i}, {', '.join(inputs)})", *names)
        return names

    def emit_lines(self, lines: Sequence[str]) -> None:
        for line in lines:
            self.emit(line, line.split(" = ", 1)[0])


_NAME: Final = re.compile(r"\b([vgrpc]\d+(?:_\d+)?)\b")


def _free(lines: list[str], n_inputs: int) -> list[str]:
    """`lines` with each array deleted after its last use, so that NumPy reuses its memory
    while it is still in the cache (the kernel's working set is then the arrays alive at one
    time, not every array it ever makes)."""
    last: dict[str, int] = {}
    for k, line in enumerate(lines[1:], start=1):
        for name in _NAME.findall(line):
            last[name] = k
    inputs = {f"v{i}" for i in range(n_inputs)}
    dying: dict[int, list[str]] = {}
    for name, k in last.items():
        if name not in inputs and not lines[k].lstrip().startswith("return"):
            dying.setdefault(k, []).append(name)
    freed: list[str] = []
    for k, line in enumerate(lines):
        freed.append(line)
        names = dying.get(k)
        if names:
            freed.append(f"    del {', '.join(sorted(names))}")
    return freed


def _zeros(n: int) -> Any:
    import numpy as np

    return np.zeros(n, dtype=bool)


def _scale(partial: str, direction: str) -> str:
    """partial * direction, as the dynamic modes' `scale` computes it."""
    if partial == "1.0":
        return direction
    if partial == "(-1.0)":
        return f"-{direction}"
    return f"{partial} * {direction}"


def _tuple(items: Sequence[str]) -> str:
    return f"({', '.join(items)}{',' if len(items) == 1 else ''})"


def _vjp_call(op: Op) -> Callable[..., Sequence[float]]:
    vjp = op.vjp
    assert vjp is not None

    def call(out: float, *rest: float) -> Sequence[float]:
        return vjp(out, tuple(rest[:-1]), rest[-1])

    return call


_VJP_PROGRAMS: dict[tuple[int, int], tuple[Op, Program | None]] = {}


def _vjp_program(op: Op, n: int) -> Program | None:
    """An op's vjp rule traced into a program over (out, *primals, cotangent), if it can be."""
    key = (id(op), n)
    found = _VJP_PROGRAMS.get(key)
    if found is not None and found[0] is op:
        return found[1]
    call = _vjp_call(op)
    try:
        program: Program | None = record(lambda *xs: list(call(*xs)), n + 2)
    except (NotTraceableError, Exception):
        program = None
    if program is not None and len(program.outputs) != n:
        program = None
    if len(_VJP_PROGRAMS) > 4096:
        _VJP_PROGRAMS.clear()
    _VJP_PROGRAMS[key] = (op, program)
    return program
