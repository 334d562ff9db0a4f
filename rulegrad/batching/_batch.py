"""Batched results under a transform: `Batch`, and its sum as one node of the outer graph.

When an enclosing transform's nodes reach `vmap` through its broadcast arguments (the
parameters of a loss, say), each result leaf is a `Batch`: a sequence with one entry per
point, made on demand by running the function at that point (so indexing and iterating
give ordinary nodes, exactly what a loop gives). `rg.sum` of a `Batch` is instead one op
of the enclosing graph whose inputs are the broadcast leaves: its value is the sum over the
batch, and its partial derivatives are the summed per-point gradient, both from one run of
the array kernel (forward and reverse sweeps). Where a transform differentiates those
partials again, they are sums over the batch of the per-point gradient: batched in turn, to
any order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any, final, overload

from rulegrad.batching._family import Family
from rulegrad.batching._run import at_point, run_summed
from rulegrad.kernel import Node, NotTraceableError, Op, Scalar, Tag, Value, to_float
from rulegrad.kernel.programs import RECORDING
from rulegrad.kernel.tags import reopened

__all__ = ["Batch", "Call"]


@final
class Call:
    """One batched call with nodes among its broadcast leaves."""

    __slots__ = (
        "_last", "_local", "columns", "family", "leaves", "n", "np", "output_kind", "positions",
    )  # fmt: skip

    def __init__(
        self,
        np: Any,
        family: Family,
        leaves: Sequence[object],
        columns: Sequence[Any],
        n: int,
        output_kind: str,
    ) -> None:
        self.np = np
        self.family = family
        self.leaves = list(leaves)
        self.columns = list(columns)
        self.n = n
        self.output_kind = output_kind
        self.positions = [k for k, m in enumerate(family.mapped) if not m]
        self._last: tuple[int, list[object]] | None = None
        self._local = threading.local()

    def point(self, i: int) -> list[object]:
        """The result leaves at point `i`: the function run there, on these nodes."""
        last = self._last
        if last is not None and last[0] == i:
            return last[1]
        found = iter(self.columns)
        leaves = [
            float(next(found)[i]) if m else x
            for x, m in zip(self.leaves, self.family.mapped, strict=True)
        ]
        try:
            with reopened(_tags(self.leaves)):  # a transform reading its output, once done
                out = self.family.flat(*leaves)
        except Exception as error:
            raise at_point(error, i) from None
        self._last = (i, out)
        return out

    def summed(self, output: int) -> Scalar:
        """The sum over the batch of result leaf `output`, as one node."""
        broadcast = [self.leaves[k] for k in self.positions]
        try:
            primals = tuple(to_float(x) for x in broadcast)  # type: ignore[arg-type]
        except Exception:  # placeholders of rg.compile: the compiled code runs the op later
            primals = None
        if primals is not None:
            # Run the batch now, where its errors reach the caller as they are (inside the op's
            # forward, a ZeroDivisionError of f's would become the op's own error).
            self._sum(output, primals)
        # dispatch, not the op's call: an op made for one call needs no fast path of its own
        return self._op(output).dispatch(*broadcast)  # type: ignore[arg-type]

    def _sum(self, output: int, broadcast: tuple[float, ...]) -> tuple[float, list[float]]:
        """The sum of result leaf `output` and its gradient, computed once per point."""
        last = getattr(self._local, "last", None)
        if last is not None and last[0] == output and last[1] == broadcast:
            return last[2], last[3]
        value, gradient = self._run(output, broadcast)
        self._local.last = (output, broadcast, value, gradient)
        return value, gradient

    def _full(self, broadcast: Sequence[object]) -> list[object]:
        leaves = list(self.leaves)
        for k, x in zip(self.positions, broadcast, strict=True):
            leaves[k] = x
        return leaves

    def _run(self, output: int, broadcast: tuple[float, ...]) -> tuple[float, list[float]]:
        kernels = self.family.kernels(_example(self, broadcast))
        if kernels is None:  # cannot be traced: a loop, in the dynamic mode
            return self._loop(output, broadcast)
        np = self.np
        inputs = [np.float64(x) for x in self._full(broadcast)]
        if self.output_kind == "dask":
            from rulegrad.batching._dask import dask_summed

            example = _example(self, broadcast)
            value, gradient, error = dask_summed(self.family, output, inputs, self.columns, example)
        else:
            value, gradient, error = run_summed(
                np, kernels, self.family.flat, output, inputs, self.columns, self.n
            )
        if error is not None:
            raise at_point(error[1], error[0])
        return value, [gradient[k] for k in self.positions]

    def _loop(self, output: int, broadcast: tuple[float, ...]) -> tuple[float, list[float]]:
        from rulegrad.batching._run import point_summed

        wrt = [not m for m in self.family.mapped]
        value, gradient = 0.0, [0.0] * len(self.positions)
        for i in range(self.n):
            found = iter(self.columns)
            leaves = [
                float(next(found)[i]) if m else x
                for x, m in zip(self._full(broadcast), self.family.mapped, strict=True)
            ]
            try:
                point, point_gradient = point_summed(self.family.flat, leaves, output, wrt)
            except Exception as error:
                raise at_point(error, i) from None
            value += point
            gradient = [
                g + point_gradient[k] for g, k in zip(gradient, self.positions, strict=True)
            ]
        return value, gradient

    def _op(self, output: int) -> Op:
        def forward(*broadcast: float) -> float:
            return self._sum(output, broadcast)[0]

        def partials(out: Scalar, *broadcast: Scalar) -> Sequence[Scalar]:
            if RECORDING.get():
                raise NotTraceableError  # a rule computed by array code: called, not traced
            if all(type(x) is float for x in broadcast):
                return self._sum(output, broadcast)[1]  # type: ignore[arg-type]
            # An enclosing transform differentiates these partials: they are sums over the
            # batch of the per-point gradient, batched in their turn.
            derived = Call(self.np, self.family.derivative(output), self._full(broadcast),
                           self.columns, self.n, self.output_kind)  # fmt: skip
            return [derived.summed(j) for j in range(len(self.positions))]

        return Op(
            "vmap",
            forward=forward,
            partials=partials,  # type: ignore[arg-type]  # written over nodes as well
            arity=len(self.positions),
            source="rg.vmap",
            doc=f"the sum over a batch of {self.n} points of {self.family.name}",
        )


def _tags(leaves: Sequence[object]) -> list[Tag]:
    """The tags of every node among `leaves`, at every level."""
    found: list[Tag] = []
    stack = [x for x in leaves if isinstance(x, Node)]
    while stack:
        node = stack.pop()
        found.append(node._tag)  # type: ignore[attr-defined]
        parts: tuple[object, ...] = (
            (node.data,)
            if type(node) is Value
            else (getattr(node, "primal", 0.0), getattr(node, "tangent", 0.0))
        )
        stack.extend(p for p in parts if isinstance(p, Node))
    return found


def _example(call: Call, broadcast: Sequence[float]) -> list[float] | None:
    if call.n == 0:
        return None
    found = iter(call.columns)
    return [
        float(next(found)[0]) if m else to_float(x)  # type: ignore[arg-type]
        for x, m in zip(call._full(broadcast), call.family.mapped, strict=True)
    ]


@final
class Batch(Sequence[Any]):
    """One result leaf of `rg.vmap` under a transform: a sequence of one node per point.

    Indexing or iterating runs the function at those points (the nodes a loop would give);
    `rg.sum(batch)` is one node, computed over the whole batch by array code, with its
    derivatives. After the transform, it comes back as the batch's array or list.

    >>> import rulegrad as rg
    >>> batched = rg.vmap(lambda a, x: a * x * x, in_axes=(None, 0))
    >>> rg.grad(lambda a: rg.sum(batched(a, [1.0, 2.0, 3.0])))(2.0)
    14.0
    """

    __slots__ = ("_call", "_output")

    def __init__(self, call: Call, output: int) -> None:
        self._call = call
        self._output = output

    def __len__(self) -> int:
        return self._call.n

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = self._call.n
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError(f"point {index} of a batch of {n}")
        return self._call.point(i)[self._output]

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]

    def __rulegrad_sum__(self) -> Scalar:
        return self._call.summed(self._output)

    def __repr__(self) -> str:
        return f"<rg.vmap batch of {len(self)} points of {self._call.family.name}>"


def _flatten_batch(batch: Batch) -> tuple[list[Any], str]:
    return list(batch), batch._call.output_kind


def _unflatten_batch(kind: str, children: Sequence[Any]) -> Any:
    if kind != "list" and not any(isinstance(c, Node) for c in children):
        import numpy as np

        return np.asarray(children, dtype=np.float64)
    return list(children)


CONTAINER = (Batch, _flatten_batch, _unflatten_batch)
"""How transforms take a `Batch` apart (registered by the wiring): a result that comes back
from a transform is the batch's array (or list)."""
