"""One traced call of a `custom_jvp` or `custom_vjp` function, as kernel ops.

When a custom function is called with nodes among its arguments, its output leaves become
one `Op` each (unregistered, made for this call): its forward runs the function on plain
floats (once for all the outputs: the result is kept per thread), and its rules call the
user's rule. So both engines, every transform, `rg.compile` (which records the ops and
calls them) and hand-built `Value` graphs use it with no special case anywhere.

- custom_jvp: the op's `jvp` calls the rule. Its `partials` come from the same rule run on
  tangents that are nodes of a fresh reverse tag: the rule is linear in the tangents, so
  the gradient of its tangent output with respect to them is the partials. Written with
  `rg` ops, the rule then serves every order in both modes.
- custom_vjp: the op's `vjp` calls `bwd` with a cotangent that is 1-hot on its output (bwd
  is linear too); its `jvp` raises `MissingRuleError`, as JAX's custom_vjp does.
"""

from __future__ import annotations

import numbers
import threading
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any, final

from rulegrad.kernel import (
    ArgumentError,
    Dual,
    MissingRuleError,
    Node,
    Op,
    RuleError,
    RulegradError,
    Scalar,
    Tag,
    Value,
    new_tag,
    toposort,
)
from rulegrad.kernel.errors import TracingError
from rulegrad.modes.reverse import REVERSE, make_value
from rulegrad.transforms._tracing import pull_back
from rulegrad.transforms.tree import TreeDef, flatten_like, tree_flatten

__all__ = ["EXAMPLES", "CustomFunction", "call_custom"]

# rg.compile traces with placeholders; while it traces, this maps its argument nodes to
# the numbers of the call being compiled, so a custom function can learn the structure of
# its output by running once on real numbers.
EXAMPLES: ContextVar[dict[Value, float] | None] = ContextVar("rulegrad_examples", default=None)


class CustomFunction:
    """What the per-call machinery needs from `custom_jvp` and `custom_vjp`."""

    fun: Callable[..., Any]
    nondiff_argnums: tuple[int, ...]
    kind: str  # "custom_jvp" or "custom_vjp"

    def op_name(self) -> str:
        name = getattr(self.fun, "__name__", "") or "custom_function"
        cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
        return cleaned if cleaned.isidentifier() else f"f_{cleaned}"

    def evaluate(self, args: tuple[object, ...]) -> tuple[object, object]:
        """(out, residuals) on plain floats: `fwd` for a custom_vjp, `fun` otherwise."""
        raise NotImplementedError

    def jvp_rule(self) -> Callable[..., Any]:
        """The jvp rule of a custom_jvp (`RuleError` if none was set)."""
        raise NotImplementedError

    def bwd_rule(self) -> tuple[Callable[..., Any], Callable[..., Any]]:
        """`(fwd, bwd)` of a custom_vjp (`RuleError` if none were set)."""
        raise NotImplementedError


def _innermost(x: object) -> object:
    while isinstance(x, Node):  # Value, Dual, or Taylor mode's Series: each has a primal
        x = x.data if type(x) is Value else x.primal  # type: ignore[attr-defined]
    return x


def _is_float_output(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (numbers.Integral, Node))


def call_custom(fn: CustomFunction, args: tuple[object, ...]) -> object:
    """`fn(*args)`: the function itself on plain numbers, kernel ops when traced."""
    nondiff = fn.nondiff_argnums
    if nondiff and max(nondiff) >= len(args):
        raise ArgumentError(
            f"{fn.kind} {fn.op_name()!r}: nondiff_argnums={nondiff} but it was called with "
            f"{len(args)} argument{'' if len(args) == 1 else 's'}"
        )
    for i in nondiff:
        if any(isinstance(leaf, Node) for leaf in tree_flatten(args[i])[0]):
            raise ArgumentError(
                f"{fn.kind} {fn.op_name()!r}: argument {i} is in nondiff_argnums but holds "
                "a traced number; it would get no derivative. Remove it from nondiff_argnums"
            )
    diff = tuple(a for i, a in enumerate(args) if i not in nondiff)
    leaves, treedef = tree_flatten(diff)
    if not any(isinstance(leaf, Node) for leaf in leaves):
        return fn.fun(*args)
    return _Call(fn, args, leaves, treedef).outputs()


@final
class _Call:
    """One traced call: its inputs (the float leaves of the differentiated arguments, the
    ops' arguments), its constants (int leaves), and the structure of its output."""

    def __init__(
        self, fn: CustomFunction, args: tuple[object, ...], leaves: list[Any], treedef: TreeDef
    ) -> None:
        self.fn = fn
        self.name = fn.op_name()
        self.nondiff = tuple(args[i] for i in fn.nondiff_argnums)
        self.positions = [i for i in range(len(args)) if i not in fn.nondiff_argnums]
        self.args = args
        self.leaves = leaves
        self.treedef = treedef
        self.inputs: list[int] = []  # leaf indices of the ops' arguments
        paths: list[str] | None = None
        for k, leaf in enumerate(leaves):
            if isinstance(leaf, Node) or _is_float_output(leaf):
                self.inputs.append(k)
            elif not isinstance(leaf, numbers.Integral):
                paths = paths or treedef.paths("args")
                raise ArgumentError(
                    f"{fn.kind} {self.name!r}: {paths[k]} is a {type(leaf).__name__}, which "
                    "cannot be differentiated; pass it through nondiff_argnums"
                )
        self.local = threading.local()
        self.out_treedef: TreeDef | None = None  # set by the first run
        self.floats: list[int] = []  # output leaves computed by ops; the rest pass through

    # -- evaluation on plain floats -------------------------------------------------------

    def rebuild(self, values: Sequence[object], fill: object | None = None) -> list[Any]:
        """The differentiated arguments with `values` at the inputs, constants elsewhere
        (or `fill` there, for tangents and cotangents)."""
        leaves = list(self.leaves) if fill is None else [fill] * len(self.leaves)
        for k, value in zip(self.inputs, values, strict=True):
            leaves[k] = value
        return list(self.treedef.unflatten(leaves))

    def full_args(self, diff: Sequence[object]) -> list[object]:
        full = list(self.args)
        for position, value in zip(self.positions, diff, strict=True):
            full[position] = value
        return full

    def run(self, xs: Sequence[float]) -> tuple[list[Any], object]:
        """(output leaves, residuals) at the floats `xs`, kept per thread for the next op."""
        key = tuple(x.hex() if type(x) is float else x for x in xs)
        last = getattr(self.local, "run", None)
        if last is not None and last[0] == key:
            return last[1], last[2]
        out, residuals = self.fn.evaluate(tuple(self.full_args(self.rebuild(xs))))
        leaves, treedef = tree_flatten(out)
        known = self.out_treedef
        if known is None:
            self.out_treedef = treedef
        elif treedef != known:
            raise RuleError(
                self.name, f"returned {treedef!r}, but {known!r} at the call being traced"
            )
        for leaf in leaves:
            if isinstance(leaf, Node):
                raise RuleError(
                    self.name,
                    f"{self.fn.kind} functions compute on plain floats, but it returned a "
                    f"{type(leaf).__name__}; use its rule for derivatives",
                )
        self.local.run = (key, leaves, residuals)
        return leaves, residuals

    # -- the ops --------------------------------------------------------------------------

    def outputs(self) -> object:
        given = [self.leaves[k] for k in self.inputs]
        innermost = [_innermost(x) for x in given]
        placeholder: object = None
        if all(type(x) is float for x in innermost):
            out_leaves, _ = self.run(innermost)  # type: ignore[arg-type]
        else:  # rg.compile is tracing: run on the numbers of the call it compiles
            placeholder = next(x for x in innermost if type(x) is not float)
            out_leaves, _ = self.run(self._examples(given))
        self.floats = [j for j, leaf in enumerate(out_leaves) if _is_float_output(leaf)]
        results = list(out_leaves)
        for position, j in enumerate(self.floats):
            results[j] = self.op(position)(*given)
        if placeholder is not None:  # an int output depends on the inputs: not a constant
            for j in range(len(out_leaves)):
                if j not in self.floats:
                    results[j] = placeholder
        return self.structure.unflatten(results)

    @property
    def structure(self) -> TreeDef:
        """The structure of the output (known once the function has run)."""
        assert self.out_treedef is not None
        return self.out_treedef

    def op(self, position: int) -> Op:
        """The op computing output float number `position`."""
        j = self.floats[position]

        def forward(*xs: float) -> float:
            return float(self.run(xs)[0][j])

        if self.fn.kind == "custom_jvp":
            return Op(
                self.name,
                forward=forward,
                partials=lambda out, *primals: self.partials(primals)[position],
                jvp=lambda out, primals, tangents: self.tangents(primals, tangents)[position],
                arity=len(self.inputs),
                source=self.fn.kind,
                doc=self.fn.fun.__doc__ or "",
            )
        return Op(
            self.name,
            forward=forward,
            partials=None,
            jvp=self.no_forward,
            vjp=lambda out, primals, cotangent: self.cotangents(primals, cotangent, position),
            arity=len(self.inputs),
            source=self.fn.kind,
            doc=self.fn.fun.__doc__ or "",
        )

    def no_forward(self, out: float, primals: object, tangents: object) -> float:
        raise MissingRuleError(
            self.name,
            "forward",
            reason="it is a rg.custom_vjp function, which is differentiable in reverse mode only "
            "(as in JAX); use rg.custom_jvp for forward mode",
        )

    # -- custom_jvp rules -----------------------------------------------------------------

    def call_rule(self, role: str, rule: Callable[..., Any], *args: object) -> Any:
        """A user rule's result; its failures are RuleErrors naming it (a ValueError in a
        rule is a broken rule, not a point outside the function's domain)."""
        try:
            return rule(*args)
        except RulegradError:
            raise
        except Exception as error:
            raise RuleError(
                self.name, f"its {role} raised {type(error).__name__}: {error}"
            ) from error

    def _rule_tangents(self, primals: Sequence[Scalar], tangents: Sequence[Scalar]) -> list[Any]:
        rule = self.fn.jvp_rule()
        primal_args = self.rebuild(primals)
        tangent_args = self.rebuild(tangents, fill=0.0)
        result = self.call_rule("jvp rule", rule, *self.nondiff, tuple(primal_args),
                                tuple(tangent_args))  # fmt: skip
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise RuleError(self.name, "its jvp rule must return a pair (out, tangent_out)")
        found = flatten_like(result[1], self.structure, "tangent_out", f"{self.name}'s jvp rule")
        return [found[j] for j in self.floats]

    def tangents(self, primals: Sequence[Scalar], tangents: Sequence[Scalar]) -> list[Any]:
        key = (*primals, *tangents)
        last = getattr(self.local, "tangents", None)
        if (
            last is not None
            and len(last[0]) == len(key)
            and all(a is b for a, b in zip(last[0], key, strict=True))
        ):
            return last[1]  # type: ignore[no-any-return]
        found = self._rule_tangents(primals, tangents)
        self.local.tangents = (key, found)
        return found

    def partials(self, primals: Sequence[Scalar]) -> list[tuple[float, ...]]:
        """Every output's partials, from one run of the rule on traced tangents."""
        last = getattr(self.local, "partials", None)
        if (
            last is not None
            and len(last[0]) == len(primals)
            and all(a is b for a, b in zip(last[0], primals, strict=True))
        ):
            return last[1]  # type: ignore[no-any-return]
        with new_tag(REVERSE, f"{self.fn.kind} {self.name}") as tag:
            directions = [make_value(0.0, (), None, tag) for _ in primals]
            outs = self._rule_tangents(primals, directions)
        found = [tuple(pull_back(tag, directions, [(o, 1.0)])) for o in outs]
        self.local.partials = (tuple(primals), found)
        return found

    # -- custom_vjp rule ------------------------------------------------------------------

    def cotangents(self, primals: Sequence[Scalar], cotangent: Scalar, position: int) -> list[Any]:
        fwd, bwd = self.fn.bwd_rule()
        if all(type(p) is float for p in primals):
            _, residuals = self.run(primals)  # type: ignore[arg-type]
        else:  # an enclosing transform differentiates the backward pass: fwd on its nodes
            full = self.full_args(self.rebuild(primals))
            try:
                result = fwd(*full)
            except TypeError as error:
                raise MissingRuleError(
                    self.name,
                    "reverse",
                    reason="its fwd computes on plain floats, so it has derivatives of order 1 "
                    f"only; write fwd and bwd with rg ops for higher orders ({error})",
                ) from error
            residuals = result[1]
        ct_leaves: list[Any] = [0.0] * self.structure.num_leaves
        ct_leaves[self.floats[position]] = cotangent
        cotangents = self.structure.unflatten(ct_leaves)
        result = self.call_rule("bwd", bwd, *self.nondiff, residuals, cotangents)
        if not isinstance(result, (tuple, list)) or len(result) != len(self.positions):
            raise RuleError(
                self.name,
                f"bwd must return a tuple of {len(self.positions)} cotangent"
                f"{'' if len(self.positions) == 1 else 's'}, one per differentiated argument",
            )
        zeros = self.rebuild([0.0] * len(self.inputs), fill=0.0)
        filled = tuple(z if r is None else r for z, r in zip(zeros, result, strict=True))
        found = flatten_like(filled, self.treedef, "cotangents", f"{self.name}'s bwd")
        return [found[k] for k in self.inputs]

    # -- rg.compile -----------------------------------------------------------------------

    def _examples(self, given: Sequence[object]) -> list[float]:
        examples = EXAMPLES.get()
        values = [None if examples is None else _example(x, examples) for x in given]
        if any(v is None for v in values):
            raise TracingError(
                f"rg.compile needs the numbers of the call being compiled to learn what "
                f"{self.fn.kind} function {self.name!r} returns",
                f"{self.fn.kind} {self.name}",
                "",
                "Call the compiled function (rather than only .source) first",
            )
        return values  # type: ignore[return-value]


def _example(x: object, examples: dict[Value, float]) -> float | None:
    """The number a traced node holds in the call being compiled, or None if unknown."""
    # A node of a transform inside the traced function (rg.vmap(rg.grad(f)) being traced)
    # holds the traced node below it: its number is that one's.
    while isinstance(x, (Value, Dual)) and x not in examples:
        inner = x.data if type(x) is Value else x.primal
        if not isinstance(inner, Node):
            break
        x = inner
    if type(x) is float:
        return x
    if type(x) is not Value:
        return None
    if x in examples:
        return examples[x]
    tag: Tag = x._tag
    for node in toposort([x], tag):
        if node in examples:
            continue
        op = node.op
        if op is None:
            return None
        inputs = [examples.get(a) if type(a) is Value else a for a in node.inputs]
        if any(i is None for i in inputs):
            return None
        try:
            examples[node] = op.forward_at(inputs)  # type: ignore[arg-type]
        except Exception:
            return None
    return examples.get(x)
