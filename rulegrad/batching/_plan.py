"""One batched call's arguments, taken apart by `in_axes`: what each point receives.

`in_axes` is JAX's: an int or None for every argument, or a tuple (or list) with one entry
per positional argument, each an int, None, or a container of them shaped like a prefix of
the argument. An int maps every *batch* below it along that axis; None broadcasts.

A batch is a 1-d (or n-d) array, or a list or tuple of numbers; each point receives one
number from it (or, from an n-d array, a nested list of the other axes). Everything else is
a container (section 8 of the contract) whose batches are found inside it. The per-point
arguments are described by leaves in `tree_flatten` order, each either broadcast (the same
number at every point) or mapped (one column of a batch), which is what gets traced.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal, TypeAlias, final

from rulegrad.kernel import ArgumentError, AxisError, Node
from rulegrad.transforms._tracing import argument_name
from rulegrad.transforms.tree import TreeDef, one_level, tree_flatten

__all__ = ["AxisSpec", "Column", "Plan", "axis_leaves", "check_spec", "plan"]

# An axis, None, or a container of them shaped like a prefix of the argument (or result): a
# tuple with one entry per argument, a dict for a dict argument, ... (a registered container
# type passes the check at run time, and needs a cast for the type checker).
AxisSpec: TypeAlias = "int | tuple[Any, ...] | list[Any] | dict[Any, Any] | None"
Output: TypeAlias = Literal["list", "numpy", "dask"]


def check_spec(spec: object, what: str) -> None:
    """`ArgumentError` unless `spec` is an int, None, or a container of ints and None."""
    stack = [spec]
    while stack:
        item = stack.pop()
        if item is None or (type(item) is int):
            continue
        found = one_level(item)
        if found is None:
            raise ArgumentError(
                f"rg.vmap: {what} must be an int, None, or a container of them (a tuple with "
                f"one entry per argument), not {item!r}"
            )
        stack.extend(found[1])


@final
class Column:
    """One mapped leaf: the batch it comes from, the mapped axis, and which entry of the
    other axes (0 for a 1-d batch)."""

    __slots__ = ("axis", "entry", "local", "source")

    def __init__(self, source: Any, axis: int, entry: int) -> None:
        self.source = source
        self.axis = axis
        self.entry = entry
        self.local: Any = None  # a Dask array's numbers, fetched once for a loop over them

    def at(self, i: int) -> object:
        """The number this column gives point `i`, as the loop passes it."""
        source = self.source
        if type(source) in (list, tuple):
            return source[i]
        if _is_dask(source):
            if self.local is None:
                self.local = source.compute()
            source = self.local
        if source.ndim == 1:
            return float(source[i])
        return float(_moved(source, self.axis)[i].reshape(-1)[self.entry])

    def array(self, np: Any) -> Any:
        """The column as a 1-d float64 NumPy array (a view where it can be)."""
        source = self.source
        if type(source) in (list, tuple):
            return np.asarray(source, dtype=np.float64)
        data = np.asarray(source, dtype=np.float64)
        if data.ndim == 1:
            return data
        return _moved(data, self.axis).reshape(data.shape[self.axis], -1)[:, self.entry]


def _moved(x: Any, axis: int) -> Any:
    return x if axis == 0 else x.swapaxes(0, axis) if x.ndim == 2 else _move_axis(x, axis)


def _move_axis(x: Any, axis: int) -> Any:
    order = [axis, *(d for d in range(x.ndim) if d != axis)]
    return x.transpose(order)


@final
class _Slot:
    """A per-point leaf while the plan is built: broadcast (a value) or mapped (a column)."""

    __slots__ = ("column", "value")

    def __init__(self, value: object = None, column: Column | None = None) -> None:
        self.value = value
        self.column = column


@final
class Plan:
    """The per-point arguments of one call, as leaves, and the batch size.

    `leaves` holds the broadcast numbers (None where a leaf is mapped), `mapped` says which
    leaves are mapped and `columns` gives their data, in leaf order. `key` identifies the
    per-point structure, which is what a trace depends on.
    """

    __slots__ = (
        "args", "columns", "f", "key", "leaves", "mapped", "mapped_nodes", "n", "nodes",
        "output", "templates", "treedef",
    )  # fmt: skip

    def __init__(
        self,
        f: Callable[..., object],
        args: tuple[object, ...],
        templates: list[object | None],
        slots: Sequence[_Slot],
        treedef: TreeDef,
        n: int,
        output: Output,
    ) -> None:
        self.f = f
        self.args = args
        self.templates = templates  # per argument: None to pass it as it is
        self.treedef = treedef  # of the per-point arguments (a tuple)
        self.n = n
        self.output = output
        self.leaves: list[object] = [s.value for s in slots]
        self.mapped: tuple[bool, ...] = tuple(s.column is not None for s in slots)
        self.columns: list[Column] = [s.column for s in slots if s.column is not None]
        self.nodes = any(isinstance(v, Node) for v in self.leaves)
        self.mapped_nodes = any(
            type(c.source) in (list, tuple) and any(isinstance(v, Node) for v in c.source)
            for c in self.columns
        )
        self.key = (treedef, self.mapped)

    def point_args(self, i: int) -> list[object]:
        """The arguments of point `i`, as the loop passes them."""
        columns = iter(self.columns)
        values = [
            next(columns).at(i) if is_mapped else value
            for value, is_mapped in zip(self.leaves, self.mapped, strict=True)
        ]
        return self.rebuild(values)

    def rebuild(self, leaves: Sequence[object]) -> list[object]:
        """The per-point arguments with `leaves` in place (originals where not mapped)."""
        rebuilt = list(self.treedef.unflatten(list(leaves)))
        return [
            rebuilt[k] if template is not None else self.args[k]
            for k, template in enumerate(self.templates)
        ]

    def trace_args(self, leaves: Sequence[object]) -> list[object]:
        """The per-point arguments with `leaves` everywhere (traced code sees no original)."""
        return list(self.treedef.unflatten(list(leaves)))


def plan(f: Callable[..., object], args: tuple[object, ...], in_axes: AxisSpec) -> Plan:
    """Take `args` apart by `in_axes`; `AxisError` where they do not fit."""
    if isinstance(in_axes, (tuple, list)):
        if len(in_axes) != len(args):
            raise AxisError(
                f"rg.vmap: in_axes has {len(in_axes)} entries but the function was called with "
                f"{len(args)} positional argument{'' if len(args) == 1 else 's'}; give one "
                "entry per argument (None for those not mapped)"
            )
        specs: Sequence[AxisSpec] = in_axes
    else:
        specs = [in_axes] * len(args)
    parts: list[object] = []
    templates: list[object | None] = []
    sizes: list[tuple[int, str]] = []
    output: Output = "list"
    for position, (arg, spec) in enumerate(zip(args, specs, strict=True)):
        walker = _Walker(sizes)
        part = walker.arg(arg, spec, argument_name(f, position))
        parts.append(part)
        templates.append(None if spec is None else part)
        output = _wider(output, walker.output)
    if not sizes:
        raise AxisError(
            "rg.vmap needs at least one mapped argument, but in_axes maps none of them "
            "(every entry is None, or the mapped arguments hold no batch)"
        )
    n, first = sizes[0]
    for size, path in sizes[1:]:
        if size != n:
            raise AxisError(
                f"rg.vmap: the mapped arguments differ in length: {first} has {n} points "
                f"along its mapped axis, {path} has {size}"
            )
    slots, treedef = tree_flatten(tuple(parts))
    return Plan(f, args, templates, slots, treedef, n, output)


_ORDER: Final = {"list": 0, "numpy": 1, "dask": 2}


def _wider(a: Output, b: Output) -> Output:
    return a if _ORDER[a] >= _ORDER[b] else b


def _is_array(x: object) -> bool:
    return hasattr(x, "ndim") and hasattr(x, "shape") and not isinstance(x, Node)


def _is_batch(x: object) -> bool:
    """A list or tuple of numbers (or of nodes of enclosing transforms)."""
    return type(x) in (list, tuple) and all(
        isinstance(v, (numbers.Real, Node)) and not isinstance(v, bool)
        for v in x  # type: ignore[attr-defined]
    )


class _Walker:
    """Walks one argument with its axis spec, making the per-point template."""

    def __init__(self, sizes: list[tuple[int, str]]) -> None:
        self.sizes = sizes
        self.output: Output = "list"

    def arg(self, arg: object, spec: AxisSpec, path: str) -> object:
        if spec is None:
            return self.broadcast(arg, path)
        if type(spec) is int:
            return self.mapped(arg, spec, path)
        found_spec = one_level(spec)
        found_arg = one_level(arg) if not _is_array(arg) else None
        if found_spec is None:  # check_spec has ruled this out for the top level
            raise ArgumentError(f"rg.vmap: in_axes for {path} must be an int, None or a container")
        kind, spec_children, _, _ = found_spec
        if found_arg is None or not _same_kind(kind, found_arg[0]):
            raise AxisError(
                f"rg.vmap: in_axes gives {path} the structure of a {kind}, but the argument "
                f"is {_describe(arg)}"
            )
        _, children, keys, rebuild = found_arg
        spec_keys = found_spec[2]
        if len(children) != len(spec_children) or (kind == "dict" and keys != spec_keys):
            raise AxisError(
                f"rg.vmap: in_axes for {path} is a {kind} of {len(spec_children)} entries "
                f"({', '.join(spec_keys)}), but the argument has {len(children)} "
                f"({', '.join(keys)})"
            )
        return rebuild(
            [
                self.arg(child, child_spec, path + key)
                for child, child_spec, key in zip(children, spec_children, keys, strict=True)
            ]
        )

    def broadcast(self, arg: object, path: str) -> object:
        if _is_array(arg):
            if arg.ndim == 0:  # type: ignore[attr-defined]
                return _Slot(value=_number(arg, path))
            return self.broadcast(arg.tolist(), path)  # type: ignore[attr-defined]
        found = one_level(arg)
        if found is None:
            return _Slot(value=_number(arg, path))
        _, children, keys, rebuild = found
        return rebuild([self.broadcast(c, path + k) for c, k in zip(children, keys, strict=True)])

    def mapped(self, arg: object, axis: int, path: str) -> object:
        if _is_array(arg):
            ndim: int = arg.ndim  # type: ignore[attr-defined]
            if ndim == 0:
                raise self.number(arg, path)
            if not -ndim <= axis < ndim:
                raise AxisError(
                    f"rg.vmap: in_axes maps {path} along axis {axis}, but it has {ndim} "
                    f"dimension{'' if ndim == 1 else 's'} (axes {-ndim} to {ndim - 1})"
                )
            axis %= ndim
            shape = tuple(int(s) for s in arg.shape)  # type: ignore[attr-defined]
            self.sizes.append((shape[axis], path))
            self.output = _wider(self.output, "dask" if _is_dask(arg) else "numpy")
            rest = shape[:axis] + shape[axis + 1 :]
            if not rest:
                return _Slot(column=Column(arg, axis, 0))
            return _nested(rest, lambda entry: _Slot(column=Column(arg, axis, entry)))
        if _is_batch(arg):
            if axis not in (0, -1):
                raise AxisError(
                    f"rg.vmap: in_axes maps {path} along axis {axis}, but a "
                    f"{type(arg).__name__} of numbers has one axis (0, or -1)"
                )
            self.sizes.append((len(arg), path))  # type: ignore[arg-type]
            return _Slot(column=Column(arg, 0, 0))
        found = one_level(arg)
        if found is None:
            raise self.number(arg, path)
        _, children, keys, rebuild = found
        return rebuild(
            [self.mapped(c, axis, path + k) for c, k in zip(children, keys, strict=True)]
        )

    @staticmethod
    def number(arg: object, path: str) -> AxisError:
        return AxisError(
            f"rg.vmap: in_axes maps {path}, but it is {_describe(arg)}, which has no axis to "
            "map over; pass a sequence or an array of numbers, or give it in_axes None to "
            "broadcast it"
        )


def _same_kind(spec_kind: str, arg_kind: str) -> bool:
    sequences = ("list", "tuple")
    return spec_kind == arg_kind or (spec_kind in sequences and arg_kind in sequences)


def _is_dask(x: object) -> bool:
    return type(x).__module__.startswith("dask.") and hasattr(x, "chunks")


def _nested(shape: tuple[int, ...], make: Callable[[int], object]) -> object:
    """Nested lists of `shape` whose entries are `make(flat index)`."""
    size = 1
    for s in shape:
        size *= s
    flat = [make(k) for k in range(size)]
    for s in reversed(shape[1:]):
        flat = [flat[k : k + s] for k in range(0, len(flat), s)]
    return flat


def _number(x: object, path: str) -> object:
    if isinstance(x, Node):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return x
    raise ArgumentError(
        f"rg.vmap: {path} is {_describe(x)}; a batched function's arguments must be "
        "numbers, sequences or arrays of numbers, or containers of them"
    )


def _describe(x: object) -> str:
    if _is_array(x):
        return f"an array of shape {tuple(x.shape)}"  # type: ignore[attr-defined]
    if isinstance(x, (list, tuple, dict)):
        return f"a {type(x).__name__} of {len(x)}"
    if isinstance(x, (int, float)):
        return f"a number ({x!r})"
    return f"a {type(x).__name__}"


def axis_leaves(spec: AxisSpec, treedef: TreeDef, what: str) -> list[int | None]:
    """The axis of each leaf of `treedef` (an output structure) from the prefix `spec`."""
    template = treedef.unflatten(list(range(treedef.num_leaves)))
    found: list[int | None] = [None] * treedef.num_leaves
    stack: list[tuple[object, object, str]] = [(template, spec, "out")]
    while stack:
        item, item_spec, path = stack.pop()
        if item_spec is None or type(item_spec) is int:
            for leaf in tree_flatten(item)[0]:
                if item_spec is not None and item_spec not in (0, -1):
                    raise AxisError(
                        f"rg.vmap: {what} puts the batch of {path} on axis {item_spec}, but "
                        "each point gives a number, so the result has one axis (0, or -1)"
                    )
                found[leaf] = None if item_spec is None else 0
            continue
        spec_found, item_found = one_level(item_spec), one_level(item)
        if spec_found is None or item_found is None or not _same_kind(spec_found[0], item_found[0]):
            raise AxisError(
                f"rg.vmap: {what} has the structure of "
                f"{'a number' if spec_found is None else 'a ' + spec_found[0]} at {path}, but "
                f"f returns {'a number' if item_found is None else 'a ' + item_found[0]} there"
            )
        if len(spec_found[1]) != len(item_found[1]) or (
            spec_found[0] == "dict" and spec_found[2] != item_found[2]
        ):
            raise AxisError(
                f"rg.vmap: {what} at {path} has entries {', '.join(spec_found[2])}, but f "
                f"returns {', '.join(item_found[2])}"
            )
        for child, child_spec, key in zip(item_found[1], spec_found[1], item_found[2], strict=True):
            stack.append((child, child_spec, path + key))
    return found
