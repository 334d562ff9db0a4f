"""Python source from ops and programs: what every code generator of rulegrad shares.

An op becomes an expression through its `OpCode` template (`"_m.sin({0})"`) or, without one,
a call of its forward function; a `Program` (a traced partials rule) becomes one assignment
per step. Everything generated code refers to is bound in its namespace under a name made
here (`_g3`), never under a name a user chose: an op's name never reaches the source.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Final

from rulegrad.kernel import Op, Program

__all__ = ["Namespace", "literal", "load", "scaled"]

_MATH: Final = re.compile(r"\b_m\.([A-Za-z]\w*)")  # a math function in a checked template


class Namespace:
    """The globals of one generated module: objects under generated names."""

    def __init__(self, math_module: object = math) -> None:
        self.globals: dict[str, object] = {"_m": math_module, "_inf": math.inf, "_nan": math.nan}
        self._names: dict[int, str] = {}
        self.math = math_module

    def bind(self, obj: object, readable: str = "") -> str:
        """The global name under which generated code reaches `obj`.

        `readable` is a name of rulegrad's own choosing (a math function's), used where it
        is free; anything else is reached as `_g<n>`.
        """
        name = self._names.get(id(obj))
        if name is None:
            name = f"_{readable}" if readable else f"_g{len(self._names)}"
            if not readable or name in self.globals:
                name = f"_g{len(self._names)}"
            self.globals[name] = obj
            self._names[id(obj)] = name
        return name

    def forward(self, op: Op, args: Sequence[str]) -> str:
        """An expression for `op` applied to the argument expressions `args` (atoms).

        It is meant to be assigned, or returned: it may need parentheses as an operand.
        """
        code = op.code
        template = code.forward if code is not None else None
        text: str | None = None
        if isinstance(template, str):
            text = template.format(*args)
        elif template is not None:
            text = template(list(args))
        if text is None:
            return f"{self.bind(op.forward)}({', '.join(args)})"
        # One global per math function: `_sin(x)` is one lookup, `_m.sin(x)` two. The names
        # are math's (templates are checked to call only math functions), not a user's.
        return _MATH.sub(lambda m: self.bind(getattr(self.math, m[1]), m[1]), text)

    def steps(
        self, program: Program, inputs: Sequence[str], wanted: Sequence[bool], prefix: str
    ) -> tuple[list[str], list[str]]:
        """Lines computing the wanted outputs of `program` from the input expressions.

        Returns the lines (one assignment `<prefix><k> = ...` per step needed) and one
        expression per output ("0.0" for the outputs not wanted).
        """
        n = program.n_inputs
        names = list(inputs) + [f"{prefix}{k}" for k in range(len(program.steps))]

        def atom(arg: int | float) -> str:
            return names[arg] if type(arg) is int else literal(arg)

        lines = []
        for k in program.cone(wanted):
            op, args = program.steps[k]
            lines.append(f"{names[n + k]} = {self.forward(op, [atom(a) for a in args])}")
        outputs = [atom(a) if w else "0.0" for a, w in zip(program.outputs, wanted, strict=True)]
        return lines, outputs


def scaled(partial: str, direction: str) -> str:
    """Source for partial * direction, as the engines' `scale` computes it on floats (1.0 and
    -1.0 give the direction itself and its negation: the same floats, with no product)."""
    if partial == "1.0":
        return direction
    if partial == "(-1.0)":
        return f"-{direction}"
    return f"{partial} * {direction}"


def literal(x: float) -> str:
    """A float as source that reads back exactly, parenthesised if negative."""
    if math.isfinite(x):
        text = repr(float(x))
        return f"({text})" if text.startswith("-") else text
    return "_nan" if math.isnan(x) else "_inf" if x > 0 else "(-_inf)"


def load(source: str, namespace: Namespace, what: str) -> dict[str, Callable[..., object]]:
    """Compile generated `source` in `namespace`; the functions it defines, by name.

    The functions are taken out of the namespace, so that it holds no reference back to
    them: dropping a function frees it and its namespace by reference counting alone.
    """
    scope = namespace.globals
    before = set(scope)
    exec(compile(source, f"<rulegrad: {what}>", "exec"), scope)
    made = [name for name in scope if name not in before and not name.startswith("__")]
    return {name: scope.pop(name) for name in made}  # type: ignore[misc]
