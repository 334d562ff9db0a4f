"""Containers: the structures transforms take apart into numbers and put back together.

A container is a list, tuple, dict, NamedTuple, None (no leaves), `OrderedDict`,
`defaultdict`, or a type registered with `register_container`; anything else is a leaf.
`tree_flatten` lists the leaves in a fixed order (dicts by sorted key, as JAX does) and
returns a `TreeDef` that `tree_unflatten` rebuilds the structure from, with new leaves.

Every walk uses an explicit stack, so nesting depth is bounded by memory, not recursion.
A `TreeDef` is the structure's nodes in pre-order: comparing and hashing it is flat too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Final, TypeAlias, TypeVar, final

from rulegrad.kernel import ArgumentError

__all__ = [
    "LEAF",
    "TreeDef",
    "flatten_like",
    "one_level",
    "register_container",
    "register_sequence_like",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_unflatten",
]

_C = TypeVar("_C")

# flatten(x) -> (children, aux_data); unflatten(aux_data, children) -> x. JAX's signatures.
Flatten: TypeAlias = Callable[[Any], tuple[Iterable[object], Hashable]]
Unflatten: TypeAlias = Callable[[Any, Sequence[Any]], Any]
# How a child is named in a path, from the node's aux_data and the child's position.
_Key: TypeAlias = Callable[[Any, int], str]


@final
class _Kind:
    """How one container type comes apart and goes back together."""

    __slots__ = ("flatten", "key", "name", "namedtuple", "unflatten")

    def __init__(
        self, name: str, flatten: Flatten, unflatten: Unflatten, key: _Key, namedtuple: bool = False
    ) -> None:
        self.name = name
        self.flatten = flatten
        self.unflatten = unflatten
        self.key = key
        self.namedtuple = namedtuple

    def __repr__(self) -> str:
        return f"<container {self.name}>"


def _index_key(aux: object, i: int) -> str:
    return f"[{i}]"


@final
class _DictKeys:
    """A dict's keys: sorted ones order the leaves and decide equality; the insertion order
    only shapes the dict that `tree_unflatten` builds, so a gradient lists its keys as the
    parameters did."""

    __slots__ = ("inserted", "sorted")

    def __init__(self, keys: Iterable[object]) -> None:
        self.inserted = tuple(keys)
        try:
            self.sorted: tuple[object, ...] = tuple(sorted(self.inserted))  # type: ignore[type-var]
        except TypeError:  # keys of mixed types: a fixed order all the same
            self.sorted = tuple(sorted(self.inserted, key=lambda k: (type(k).__name__, repr(k))))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _DictKeys) and self.sorted == other.sorted

    def __hash__(self) -> int:
        return hash(self.sorted)

    def __repr__(self) -> str:
        return repr(list(self.sorted))


def _flatten_dict(x: dict[Any, Any]) -> tuple[list[object], _DictKeys]:
    keys = _DictKeys(x)
    return [x[k] for k in keys.sorted], keys


def _unflatten_dict(keys: _DictKeys, children: Sequence[object]) -> dict[Any, Any]:
    by_key = dict(zip(keys.sorted, children, strict=True))
    return {k: by_key[k] for k in keys.inserted}


def _flatten_defaultdict(x: defaultdict[Any, Any]) -> tuple[list[object], tuple[object, _DictKeys]]:
    children, keys = _flatten_dict(x)
    return children, (x.default_factory, keys)


def _unflatten_defaultdict(
    aux: tuple[Callable[[], Any] | None, _DictKeys], children: Sequence[object]
) -> defaultdict[Any, Any]:
    factory, keys = aux
    return defaultdict(factory, _unflatten_dict(keys, children))


def _dict_key(aux: object, i: int) -> str:
    keys = aux[1] if isinstance(aux, tuple) else aux
    return f"[{keys.sorted[i]!r}]" if isinstance(keys, _DictKeys) else f"[{i}]"


def _ordered_key(aux: object, i: int) -> str:
    return f"[{aux[i]!r}]" if isinstance(aux, tuple) else f"[{i}]"


_KINDS: dict[type, _Kind] = {
    list: _Kind("list", lambda x: (x, None), lambda aux, c: list(c), _index_key),
    tuple: _Kind("tuple", lambda x: (x, None), lambda aux, c: tuple(c), _index_key),
    dict: _Kind("dict", _flatten_dict, _unflatten_dict, _dict_key),
    type(None): _Kind("None", lambda x: ((), None), lambda aux, c: None, _index_key),
    OrderedDict: _Kind(
        "OrderedDict",
        lambda x: (list(x.values()), tuple(x)),
        lambda aux, c: OrderedDict(zip(aux, c, strict=True)),
        _ordered_key,
    ),
    defaultdict: _Kind("defaultdict", _flatten_defaultdict, _unflatten_defaultdict, _dict_key),
}
_BUILTIN: Final = frozenset(_KINDS)
_LOCK: Final = threading.Lock()


def _namedtuple_kind(cls: type) -> _Kind:
    fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    return _Kind(
        cls.__name__,
        lambda x: (x, None),
        lambda aux, children: cls(*children),
        lambda aux, i: f".{fields[i]}",
        namedtuple=True,
    )


def _kind_of(x: object) -> _Kind | None:
    """The container kind of `x`, or None for a leaf."""
    cls = type(x)
    kind = _KINDS.get(cls)
    if kind is None and issubclass(cls, tuple) and hasattr(cls, "_fields"):
        with _LOCK:
            kind = _KINDS.setdefault(cls, _namedtuple_kind(cls))
    return kind


def register_container(cls: type[_C], flatten: Flatten, unflatten: Unflatten) -> type[_C]:
    """Make `cls` a container for every transform, with JAX's signatures.

    `flatten(x) -> (children, aux_data)` lists the children (which may be containers in
    turn) and whatever else is needed to rebuild `x` (hashable: it is part of the
    structure, compared between calls); `unflatten(aux_data, children) -> x` rebuilds it.
    Returns `cls`. Registering a built-in container or a type twice raises `ArgumentError`.

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Affine:
    ...     w: float
    ...     b: float
    >>> _ = register_container(Affine, lambda a: ((a.w, a.b), None),
    ...                        lambda aux, children: Affine(*children))
    >>> import rulegrad as rg
    >>> rg.grad(lambda p, x: p.w * x + p.b)(Affine(2.0, 1.0), 3.0)
    Affine(w=3.0, b=1.0)
    """
    if not isinstance(cls, type):
        raise ArgumentError(f"register_container needs a class, not {type(cls).__name__}")
    for role, function in (("flatten", flatten), ("unflatten", unflatten)):
        if not callable(function):
            raise ArgumentError(
                f"register_container({cls.__name__}): {role} must be callable, "
                f"not {type(function).__name__}"
            )
    with _LOCK:
        if cls in _KINDS:
            what = "is a built-in container" if cls in _BUILTIN else "is already registered"
            raise ArgumentError(f"register_container: {cls.__qualname__} {what}")
        _KINDS[cls] = _Kind(cls.__qualname__, flatten, unflatten, _index_key)
    return cls


# One node of a structure, in pre-order: its kind (None for a leaf), aux data, child count.
_Node: TypeAlias = tuple["_Kind | None", object, int]
_LEAF: Final[_Node] = (None, None, 0)


@final
class TreeDef:
    """The structure of a container, without its leaves.

    Two structures are equal when they have the same kinds of containers with the same
    keys, whatever their leaves. `num_leaves` is the number of leaves it holds.

    >>> _, treedef = tree_flatten({"w": [1.0, 2.0], "b": 0.5})
    >>> treedef, treedef.num_leaves
    (TreeDef({'w': [*, *], 'b': *}), 3)
    """

    __slots__ = ("_hash", "_nodes", "is_leaf", "num_leaves")

    def __init__(self, nodes: tuple[_Node, ...]) -> None:
        self._nodes = nodes
        self.num_leaves = sum(1 for node in nodes if node[0] is None)
        self._hash: int | None = None
        # True for the structure of a single leaf (a bare number).
        self.is_leaf: bool = len(nodes) == 1 and nodes[0][0] is None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TreeDef) and self._nodes == other._nodes

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple((id(k), _hashable(aux), n) for k, aux, n in self._nodes))
        return self._hash

    def __repr__(self) -> str:
        return f"TreeDef({_unflatten(self._nodes, [_STAR] * self.num_leaves)!r})"

    def __reduce__(self) -> tuple[Callable[[object], TreeDef], tuple[object]]:
        # Pickled as an example of the structure (zeros for leaves), and rebuilt from it with
        # the other process's own container kinds (for Dask's workers, say).
        return _structure_of, (self.unflatten([0.0] * self.num_leaves),)

    def unflatten(self, leaves: Iterable[object]) -> Any:
        """The structure with `leaves` in place of its own, in `tree_flatten`'s order."""
        items = leaves if type(leaves) is list else list(leaves)
        if len(items) == 1 and self.is_leaf:
            return items[0]
        if len(items) != self.num_leaves:
            raise ArgumentError(
                f"tree_unflatten: the structure {self!r} holds {self.num_leaves} "
                f"leaves, but {len(items)} were given"
            )
        return _unflatten(self._nodes, items)

    def paths(self, root: str) -> list[str]:
        """How each leaf is reached from `root`, e.g. `params['w'][0]`, in leaf order."""
        paths: list[str] = []
        # One frame per open container: [kind, aux, child count, next child, its path].
        frames: list[list[Any]] = []
        for kind, aux, count in self._nodes:
            if frames:
                frame = frames[-1]
                path = frame[4] + frame[0].key(frame[1], frame[3])
                frame[3] += 1
            else:
                path = root
            if kind is None:
                paths.append(path)
            elif count:
                frames.append([kind, aux, count, 0, path])
                continue
            while frames and frames[-1][3] == frames[-1][2]:
                frames.pop()
        return paths

    @property
    def is_flat_sequence(self) -> bool:
        """True for a list, tuple or NamedTuple of leaves (no nesting)."""
        head = self._nodes[0][0]
        is_sequence = head in _KINDS_OF_SEQUENCES or (head is not None and head.namedtuple)
        return is_sequence and all(kind is None for kind, _, _ in self._nodes[1:])

    def kinds(self) -> list[str]:
        """The name of each node's kind in pre-order ("leaf", "list", "dict", ...)."""
        return ["leaf" if kind is None else kind.name for kind, _, _ in self._nodes]


def _structure_of(example: object) -> TreeDef:
    return tree_flatten(example)[1]


def _hashable(aux: object) -> object:
    """aux data as a hash key; unhashable user aux data hashes by type (equality decides)."""
    try:
        hash(aux)
    except TypeError:
        return type(aux)
    return aux


@final
class _Star:
    """Stands for a leaf in the repr of a structure."""

    def __repr__(self) -> str:
        return "*"


_STAR: Final = _Star()


def _unflatten(nodes: tuple[_Node, ...], leaves: list[object]) -> Any:
    """Rebuild from pre-order nodes: each container is built once its children are."""
    leaf_iter = iter(leaves)
    # Each frame: the node's kind, its aux data, children still expected, children built.
    frames: list[tuple[_Kind, object, int, list[object]]] = []
    result: object = None
    for kind, aux, count in nodes:
        built: object
        if kind is None:
            built = next(leaf_iter)
        elif count == 0:
            built = kind.unflatten(aux, [])
        else:
            frames.append((kind, aux, count, []))
            continue
        while True:
            if not frames:
                result = built
                break
            parent_kind, parent_aux, expected, children = frames[-1]
            children.append(built)
            if len(children) < expected:
                break
            frames.pop()
            built = parent_kind.unflatten(parent_aux, children)
    return result


_LEAF_NODES: Final = (_LEAF,)
LEAF: Final = TreeDef(_LEAF_NODES)
"""The structure of a bare number."""


def _children(kind: _Kind, x: object) -> tuple[list[object], object]:
    """The children and aux data of container `x`; a broken user flatten is an ArgumentError."""
    try:
        children, aux = kind.flatten(x)
        return list(children), aux
    except (TypeError, ValueError) as exc:
        raise ArgumentError(
            f"the flatten function registered for {kind.name} failed on {x!r}: {exc}; it "
            "must return (children, aux_data)"
        ) from exc


def _walk(x: object) -> tuple[list[Any], tuple[_Node, ...]]:
    """The leaves of `x` and its nodes in pre-order."""
    if type(x) is float:
        return [x], _LEAF_NODES
    leaves: list[Any] = []
    nodes: list[_Node] = []
    stack = [x]
    while stack:
        item = stack.pop()
        kind = _kind_of(item)
        if kind is None:
            leaves.append(item)
            nodes.append(_LEAF)
            continue
        children, aux = _children(kind, item)
        nodes.append((kind, aux, len(children)))
        stack.extend(reversed(children))
    return leaves, tuple(nodes)


def tree_flatten(x: object) -> tuple[list[Any], TreeDef]:
    """The leaves of `x`, in a fixed order, and its structure.

    Lists and tuples give their items in order, dicts their values by sorted key,
    NamedTuples their fields; None has no leaves; anything not a container is a leaf.

    >>> leaves, treedef = tree_flatten({"w": [0.5, -0.25], "b": (0.1, None)})
    >>> leaves
    [0.1, 0.5, -0.25]
    >>> tree_unflatten(treedef, [1.0, 2.0, 3.0])
    {'w': [2.0, 3.0], 'b': (1.0, None)}
    """
    leaves, nodes = _walk(x)
    return leaves, LEAF if nodes is _LEAF_NODES else TreeDef(nodes)


def tree_unflatten(treedef: TreeDef, leaves: Iterable[object]) -> Any:
    """The structure `treedef` with `leaves` in place, in `tree_flatten`'s order.

    >>> leaves, treedef = tree_flatten([1.0, (2.0, 3.0)])
    >>> tree_unflatten(treedef, [x * 10 for x in leaves])
    [10.0, (20.0, 30.0)]
    """
    if not isinstance(treedef, TreeDef):
        raise ArgumentError(
            f"tree_unflatten needs a TreeDef (from tree_flatten), not {type(treedef).__name__}"
        )
    return treedef.unflatten(leaves)


def tree_leaves(x: object) -> list[Any]:
    """The leaves of `x`, in `tree_flatten`'s order."""
    return _walk(x)[0]


def tree_map(function: Callable[[Any], object], x: object) -> Any:
    """`x` with `function(leaf)` in place of each leaf."""
    leaves, treedef = tree_flatten(x)
    return treedef.unflatten([function(leaf) for leaf in leaves])


_SEQUENCES: Final = (list, tuple)


def one_level(x: object) -> tuple[str, list[Any], list[str], Callable[[Sequence[Any]], Any]] | None:
    """`x` taken apart one level: its kind's name, its children, how each child is named in a
    path (`[0]`, `['w']`, `.b`), and a function rebuilding `x` from new children; None for a
    leaf. For walks that pair a structure with a prefix of it (`rg.vmap`'s `in_axes`).

    >>> kind, children, keys, rebuild = one_level({"w": 1.0, "b": 2.0})
    >>> kind, children, keys, rebuild([3.0, 4.0])
    ('dict', [2.0, 1.0], ["['b']", "['w']"], {'w': 4.0, 'b': 3.0})
    """
    kind = _kind_of(x)
    if kind is None:
        return None
    children, aux = _children(kind, x)
    keys = [kind.key(aux, i) for i in range(len(children))]
    return kind.name, children, keys, lambda new: kind.unflatten(aux, list(new))


def flatten_like(x: object, treedef: TreeDef, root: str, what: str) -> list[Any]:
    """The leaves of `x`, which must have the structure `treedef` (a list may stand for a
    tuple and the other way round); `ArgumentError` naming the first place it differs."""
    if treedef.is_leaf and (type(x) is float or _kind_of(x) is None):
        return [x]
    leaves: list[Any] = []
    stack: list[tuple[object, str]] = [(x, root)]
    for kind, aux, count in treedef._nodes:
        item, path = stack.pop()
        got = _kind_of(item)
        if kind is None:
            if got is not None:
                raise ArgumentError(f"{what}: {path} must be a number, not {_describe(item)}")
            leaves.append(item)
            continue
        loose = kind in _LOOSE and got is not kind and _is_sequence(item)
        if (
            got is not kind
            and not (got in _KINDS_OF_SEQUENCES and kind in _KINDS_OF_SEQUENCES)
            and not loose
        ):
            raise ArgumentError(
                f"{what}: {path} must be a {kind.name} of {count} "
                f"entr{'y' if count == 1 else 'ies'}, not {_describe(item)}"
            )
        if loose:  # any sequence of its length stands for it: its aux is not compared
            children, got_aux = list(item), aux  # type: ignore[call-overload]
        else:
            children, got_aux = _children(kind if got is None else got, item)
        if len(children) != count:
            raise ArgumentError(
                f"{what}: {path} has {len(children)} entr{'y' if len(children) == 1 else 'ies'}"
                f", but {count} {'was' if count == 1 else 'were'} expected"
            )
        if kind not in _KINDS_OF_SEQUENCES and got_aux != aux:
            raise ArgumentError(f"{what}: {path} has keys {got_aux!r}, but {aux!r} were expected")
        stack.extend(
            (child, path + kind.key(aux, i)) for i, child in reversed(list(enumerate(children)))
        )
    return leaves


_KINDS_OF_SEQUENCES: Final = frozenset(_KINDS[t] for t in _SEQUENCES)
# Containers that any sequence of their length may stand for where a structure is matched
# (a cotangent for rg.vmap's batch of results, which comes back as a list or an array).
_LOOSE: set[_Kind] = set()


def _is_sequence(x: object) -> bool:
    return isinstance(x, (list, tuple)) or (hasattr(x, "__len__") and hasattr(x, "__array__"))


def register_sequence_like(cls: type[_C], flatten: Flatten, unflatten: Unflatten) -> type[_C]:
    """`register_container`, for a container that a list, tuple or array of the same length
    may stand for when a structure is matched (`flatten_like`): `rg.vmap`'s `Batch`."""
    register_container(cls, flatten, unflatten)
    _LOOSE.add(_KINDS[cls])
    return cls


def _describe(x: object) -> str:
    if x is None:
        return "None"
    if isinstance(x, (list, tuple, dict)):
        return f"a {type(x).__name__} of {len(x)}"
    return (
        f"a {type(x).__name__} ({x!r})"
        if isinstance(x, (int, float, str))
        else f"a {type(x).__name__}"
    )
