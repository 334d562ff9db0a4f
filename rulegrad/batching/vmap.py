"""`rg.vmap`: a function of one point, run over a batch of points.

With NumPy installed (`rulegrad[array]`), `f` is traced once per structure of its
arguments and run as array code generated from the ops' rules (`_codegen.py`), chunk by
chunk (`_run.py`); on Dask arrays the same code runs block by block on Dask's scheduler
(`_dask.py`). Without NumPy, or for a function that cannot be traced, it is a loop of `f`
over the points, with the same results. Enclosing transforms see through it: under
`rg.grad`, the results are `Batch`es whose `rg.sum` is one node (`_batch.py`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any, final

from rulegrad.batching._backend import numpy_for_results, numpy_module
from rulegrad.batching._batch import Batch, Call
from rulegrad.batching._family import Family, user_family
from rulegrad.batching._plan import AxisSpec, Plan, axis_leaves, check_spec, plan
from rulegrad.batching._run import at_point, run_values
from rulegrad.kernel import ArgumentError, AxisError, Node, NonScalarOutputError, to_float
from rulegrad.transforms._tracing import flat_output
from rulegrad.transforms.gradients import check_function
from rulegrad.transforms.tree import LEAF, TreeDef

__all__ = ["Batched", "vmap"]


@final
class Batched:
    """`f` mapped over a batch of points by `rg.vmap`; call it as `f` with batches."""

    __slots__ = ("__dict__", "_families", "_lock", "f", "in_axes", "out_axes")

    __name__: str  # f's, as functools.wraps gives them
    __qualname__: str
    __wrapped__: Callable[..., object]

    def __init__(self, f: Callable[..., object], in_axes: AxisSpec, out_axes: AxisSpec) -> None:
        self.f = f
        self.in_axes = in_axes
        self.out_axes = out_axes
        self._families: dict[object, Family] = {}
        self._lock = threading.Lock()
        functools.update_wrapper(self, f)

    def __repr__(self) -> str:
        return f"<rg.vmap of {self._name()} (in_axes={self.in_axes!r}, out_axes={self.out_axes!r})>"

    def _name(self) -> str:
        name = getattr(self.f, "__qualname__", None) or getattr(self.f, "__name__", None)
        return name if isinstance(name, str) else repr(self.f)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise ArgumentError(
                f"rg.vmap of {self._name()} takes positional arguments only, got "
                f"{', '.join(kwargs)}=; fix them with functools.partial or a closure, or pass "
                "them positionally with an in_axes entry"
            )
        found = plan(self.f, args, self.in_axes)
        np = numpy_module()
        if np is None or found.mapped_nodes:
            return self._loop(found)
        family = self._family(found)
        if found.output == "dask":
            from rulegrad.batching._dask import dask_columns

            columns = dask_columns(found)
        else:
            columns = [c.array(np) for c in found.columns]
        example = _example(found, columns)
        kernels = family.kernels(example)
        if kernels is None:
            return self._loop(found)
        if found.nodes:
            call = Call(np, family, found.leaves, columns, found.n, found.output)
            batches = [Batch(call, o) for o in range(len(kernels.traced.program.outputs))]
            return self._assemble(found, family, batches, call)
        broadcast = [
            x if m else np.float64(x) for x, m in zip(found.leaves, found.mapped, strict=True)
        ]
        if found.output == "dask":
            from rulegrad.batching._dask import dask_values

            q = len(kernels.traced.program.outputs)
            return self._assemble(
                found, family, dask_values(np, family, q, broadcast, columns, example)
            )
        outs = run_values(np, kernels, family.flat, broadcast, columns, found.n)
        return self._assemble(found, family, outs)

    def _family(self, found: Plan) -> Family:
        family = self._families.get(found.key)
        if family is None:
            made = user_family(self.f, found, self._name())
            with self._lock:
                family = self._families.setdefault(found.key, made)
        return family

    def _assemble(
        self, found: Plan, family: Family, outs: Sequence[Any], call: Call | None = None
    ) -> Any:
        structure = family.structure or LEAF
        axes = axis_leaves(self.out_axes, structure, "out_axes")
        results: list[Any] = []
        for o, (out, axis) in enumerate(zip(outs, axes, strict=True)):
            if axis is not None:
                results.append(out.tolist() if found.output == "list" and call is None else out)
                continue
            results.append(_unmapped(out, o, structure, call))
        return structure.unflatten(results)

    def _loop(self, found: Plan) -> Any:
        """f at every point in turn, as a Python loop of the unbatched call."""
        outs: list[list[Any]] = []
        structure: TreeDef | None = None
        for i in range(found.n):
            try:
                out = self.f(*found.point_args(i))
            except Exception as error:
                raise at_point(error, i) from None
            try:
                leaves, got = flat_output(out, "rg.vmap")
            except NonScalarOutputError as error:
                raise at_point(error, i) from None
            if structure is None:
                structure = got
                outs = [[] for _ in leaves]
            elif got != structure:
                raise AxisError(
                    f"rg.vmap: f returned {got!r} at point {i} but {structure!r} at point 0; "
                    "every point must give the same structure"
                )
            for column, leaf in zip(outs, leaves, strict=True):
                column.append(leaf)
        if structure is None:  # no points: f never ran, so its structure is unknown
            return [] if found.output == "list" else _empty(found)
        axes = axis_leaves(self.out_axes, structure, "out_axes")
        results = []
        for o, (column, axis) in enumerate(zip(outs, axes, strict=True)):
            if axis is None:
                results.append(_unmapped_loop(column, o, structure))
            else:
                results.append(_as_output(column, found))
        return structure.unflatten(results)


def _example(found: Plan, columns: Sequence[Any]) -> list[float] | None:
    """The numbers of point 0, which custom functions are run on while `f` is traced."""
    if found.n == 0:
        return None
    it = iter(columns)
    example: list[float] = []
    for x, m in zip(found.leaves, found.mapped, strict=True):
        if m:
            example.append(float(next(it)[0]))
        else:
            try:
                example.append(to_float(x))  # type: ignore[arg-type]
            except Exception:  # a placeholder of rg.compile: no number yet
                return None
    return example


def _as_output(column: list[Any], found: Plan) -> Any:
    if found.output == "list" or any(isinstance(v, Node) for v in column):
        return column
    np = numpy_for_results()
    values = np.asarray(column, dtype=np.float64)
    if found.output == "dask":
        from rulegrad.batching._dask import from_numpy

        return from_numpy(values, found)
    return values


def _empty(found: Plan) -> Any:
    return numpy_for_results().empty(0)


def _differs(o: int, structure: TreeDef) -> AxisError:
    path = structure.paths("out")[o]
    return AxisError(
        f"rg.vmap: out_axes is None for {path}, but it differs from point to point; map it "
        "(out_axes 0) or return a value that does not depend on the mapped arguments"
    )


def _unmapped(out: Any, o: int, structure: TreeDef, call: Call | None) -> Any:
    if call is not None:  # a Batch: the same number at every point, the first point's node
        batch: Batch = out
        if len(batch) == 0:
            raise AxisError("rg.vmap: out_axes None needs at least one point")
        first = batch[0]
        if any(to_float(v) != to_float(first) for v in batch):
            raise _differs(o, structure)
        return first
    np = numpy_for_results()
    values = np.asarray(out)
    if values.size == 0:
        raise AxisError("rg.vmap: out_axes None needs at least one point")
    first = values.reshape(-1)[0]
    if not bool(np.all((values == first) | (np.isnan(values) & np.isnan(first)))):
        raise _differs(o, structure)
    return float(first)


def _unmapped_loop(column: list[Any], o: int, structure: TreeDef) -> Any:
    first = column[0]
    for value in column[1:]:
        same = value is first or value == first or (value != value and first != first)
        if not same:
            raise _differs(o, structure)
    return first


def vmap(f: Callable[..., object], in_axes: AxisSpec = 0, out_axes: AxisSpec = 0) -> Batched:
    """`f`, written for one point, run over a batch of points at once.

    `in_axes` says, for each positional argument, which axis of it to map over (0, or -1
    for the last), or None to pass it unchanged to every point; one int or None applies to
    every argument, and a container of them (a prefix of the argument's structure) maps
    parts of an argument. A mapped argument is a list or tuple of numbers, or an array
    (each point gets one number, or a nested list for an array of more dimensions), or a
    container of these. `out_axes` (0 or None) says the same of each result: None returns
    one value where the result is the same at every point.

    Results are arrays (NumPy, or the input's own Dask arrays), or lists for list input, in
    the structure `f` returns. They equal a Python loop of `f` over the points, to rounding,
    errors included: an error at a point names its index. With NumPy installed, `f` is
    traced once and runs as array code; without it, `vmap` is that loop.

    It composes with every transform both ways: `rg.vmap(rg.grad(f))` gives per-example
    gradients, and `rg.grad(lambda p: rg.sum(rg.vmap(f, (None, 0))(p, xs)))` the gradient of
    a batched sum, whose `rg.sum` is one node computed over the batch.

    >>> import rulegrad as rg
    >>> def loss(p: dict[str, float], x: float, y: float) -> float:
    ...     return (p["a"] * rg.exp(-p["k"] * x) - y) ** 2
    >>> batched = rg.vmap(loss, in_axes=(None, 0, 0))
    >>> p = {"a": 2.0, "k": 0.5}
    >>> xs, ys = [0.0, 1.0, 2.0], [2.0, 1.0, 0.5]
    >>> [round(v, 6) for v in batched(p, xs, ys)]
    [0.0, 0.045395, 0.055582]
    >>> total, g = rg.value_and_grad(lambda p: rg.sum(batched(p, xs, ys)))(p)
    >>> round(total, 6), {name: round(v, 6) for name, v in g.items()}
    (0.100977, {'a': 0.431918, 'k': -1.21076})
    >>> [round(v, 6) for v in rg.vmap(rg.grad(loss), in_axes=(None, 0, 0))(p, xs, ys)["k"]]
    [-0.0, -0.516913, -0.693847]
    """
    origin = "rg.vmap"
    check_function(f, origin)
    check_spec(in_axes, "in_axes")
    check_spec(out_axes, "out_axes")
    return Batched(f, in_axes, out_axes)
