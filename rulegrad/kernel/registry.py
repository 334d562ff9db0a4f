"""The op catalogue: one registry entry per op, read by both modes and every transform."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeAlias, final

from rulegrad.kernel.errors import ArgumentError, BuiltinOpError, DuplicateOpError, UnknownOpError
from rulegrad.kernel.op import BUILTIN, Op, OpCode
from rulegrad.kernel.rules import ForwardFn, JvpRule, PartialsRule, VjpRule

__all__ = ["MissHook", "OpRegistry", "define_op", "registry"]

# Called with the name a lookup missed, before the lookup gives up; it may register ops.
MissHook: TypeAlias = Callable[[str], None]


class _Staging(threading.local):
    """Per thread: the registry that this thread's registrations are redirected to, if any."""

    into: OpRegistry | None = None


@final
class OpRegistry:
    """A name -> `Op` catalogue. Thread-safe; iteration sees a snapshot.

    An op registered with `source == "built-in"` is never replaced, not even with
    `replace=True` (`BuiltinOpError`); any other op is replaced only with `replace=True`.

    >>> reg = OpRegistry()
    >>> _ = define_op("twice", forward=lambda x: 2 * x, partials=lambda out, x: (2.0,),
    ...               registry=reg)
    >>> "twice" in reg, reg.get("twice")(4.0)
    (True, 8.0)
    """

    __slots__ = ("_builtins", "_lock", "_on_miss", "_ops", "_staging")

    def __init__(self) -> None:
        self._ops: dict[str, Op] = {}
        # The names of built-in ops, kept apart from the ops themselves: what protects a
        # built-in from replacement is the name it was registered under, not a field of the
        # op that someone could change afterwards.
        self._builtins: set[str] = set()
        self._lock = threading.RLock()
        self._on_miss: MissHook | None = None
        self._staging = _Staging()

    def get(self, name: str) -> Op:
        """The op called `name`; `UnknownOpError` (a `KeyError`) if there is none.

        A miss first runs the miss hook, if one is set (see `set_miss_hook`).
        """
        try:
            return self._ops[name]
        except KeyError:
            pass
        except TypeError:  # unhashable
            pass
        if not isinstance(name, str):
            raise ArgumentError(f"an op's name is a str, not {type(name).__name__}")
        staged = self._staging.into
        if staged is not None and name in staged._ops:
            return staged._ops[name]
        hook = self._on_miss
        if hook is not None:
            hook(name)
            if name in self._ops:
                return self._ops[name]
        raise UnknownOpError(name, self._ops)

    def set_miss_hook(self, hook: MissHook | None) -> None:
        """Run `hook(name)` whenever `get` or `in` misses, then look again.

        This is how `rulegrad.plugins` loads plugins on the catalogue's first miss without
        the kernel knowing about plugins. `None` removes the hook.

        >>> reg = OpRegistry()
        >>> reg.set_miss_hook(lambda name: print("missed", name))
        >>> "nothing" in reg
        missed nothing
        False
        """
        self._on_miss = hook

    def register(self, op: Op, replace: bool = False) -> Op:
        """Add `op`; `DuplicateOpError` if its name is taken, unless `replace=True`.

        A built-in op is never replaced: `BuiltinOpError` (a `DuplicateOpError`) even
        with `replace=True`, and the registry stays as it was. A replaced op is what every
        later `get` of its name returns.

        >>> reg = OpRegistry()
        >>> reg.register(Op("sine", forward=lambda x: x, partials=None, source="built-in"))
        <rulegrad op sine/1 (built-in)>
        >>> reg.register(Op("sine", forward=lambda x: 0.0, partials=None), replace=True)
        Traceback (most recent call last):
          ...
        rulegrad.BuiltinOpError: 'sine' is a built-in op and built-in ops ...
        """
        if not isinstance(op, Op):
            raise TypeError(
                f"register() takes an Op (see rulegrad.define_op), not {type(op).__name__}"
            )
        staged = self._staging.into
        with self._lock:
            self._check_free(op.name, replace)
            if staged is None:
                self._add(op)
                return op
        return staged.register(op, replace=replace)

    def register_all(self, ops: Iterable[Op]) -> None:
        """Add every op in `ops`, or none: `DuplicateOpError` if any name is already taken.

        >>> reg = OpRegistry()
        >>> one = define_op("one", forward=lambda: 1.0, partials=lambda out: (), registry=reg)
        >>> two = Op("two", forward=lambda: 2.0, partials=lambda out: ())
        >>> reg.register_all([two, one])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
          ...
        rulegrad.DuplicateOpError: an op named 'one' is already registered; ...
        >>> reg.names()
        ['one']
        """
        ops = list(ops)
        for op in ops:
            if not isinstance(op, Op):
                raise TypeError(f"register_all() takes Ops, not {type(op).__name__}")
        staged = self._staging.into
        with self._lock:
            seen: set[str] = set()
            for op in ops:
                if op.name in seen:
                    raise DuplicateOpError(op.name)
                self._check_free(op.name, replace=False)
                seen.add(op.name)
            if staged is None:
                for op in ops:
                    self._add(op)
                return
        staged.register_all(ops)

    @contextmanager
    def staged(self, into: OpRegistry) -> Iterator[None]:
        """While the block runs, this thread's registrations here go to `into` instead.

        They are still refused as they would be here (a built-in's name raises
        `BuiltinOpError`, a taken name without `replace=True` `DuplicateOpError`), and
        lookups in this thread find `into`'s ops too. Other threads are not affected: what
        they register lands here at once. The plugin loader runs each plugin in such a
        block, then moves the ops of `into` in with `register_all`, or drops them all.

        >>> reg, draft = OpRegistry(), OpRegistry()
        >>> with reg.staged(draft):
        ...     _ = define_op("half", forward=lambda x: x / 2, partials=lambda out, x: (0.5,),
        ...                   registry=reg)
        ...     found = reg.get("half").name
        >>> found, "half" in reg, draft.names()
        ('half', False, ['half'])
        """
        if into is self:
            raise ValueError("a registry cannot stage its registrations into itself")
        previous = self._staging.into
        self._staging.into = into
        try:
            yield
        finally:
            self._staging.into = previous

    def _check_free(self, name: str, replace: bool) -> None:
        """Raise if `name` may not be registered (again) here; hold the lock."""
        if name in self._builtins:
            raise BuiltinOpError(name)
        if name in self._ops and not replace:
            raise DuplicateOpError(name)

    def _add(self, op: Op) -> None:
        """Put `op` in, its name checked by `_check_free`; hold the lock."""
        self._ops[op.name] = op
        if op.source == BUILTIN:
            self._builtins.add(op.name)

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._ops)

    def __contains__(self, name: object) -> bool:
        # A miss runs the hook, as `get` does: `if name in registry: registry.get(name)`
        # must find a plugin's op too.
        if name in self._ops:
            return True
        staged = self._staging.into
        if staged is not None and name in staged._ops:
            return True
        hook = self._on_miss
        if hook is None or not isinstance(name, str):
            return False
        hook(name)
        return name in self._ops

    def __iter__(self) -> Iterator[Op]:
        return iter(list(self._ops.values()))

    def __len__(self) -> int:
        return len(self._ops)

    def __repr__(self) -> str:
        return f"<OpRegistry of {len(self._ops)} ops>"


registry = OpRegistry()


def define_op(
    name: str,
    *,
    forward: ForwardFn,
    partials: PartialsRule | None,
    jvp: JvpRule | None = None,
    vjp: VjpRule | None = None,
    replace: bool = False,
    registry: OpRegistry | None = None,
    arity: int | None = None,
    domain: str = "",
    singularities: str = "",
    samples: Sequence[Sequence[float]] = (),
    doc: str = "",
    code: OpCode | None = None,
) -> Op:
    """Register a new op and return it, ready to call on floats, `Value`s and `Dual`s.

    `partials(out, *primals)` returns d out / d input, one per input, written with
    rulegrad ops so that it differentiates again. `jvp`/`vjp` optionally replace the rule
    in one mode. `domain` is a one-line note shown in domain errors, `singularities` one
    shown where a derivative does not exist ("infinite slope at 0"); `samples` are points
    inside the domain where the rules can be checked. `code` optionally gives the forward
    value as a Python expression, which generated code inlines (derivatives always come from
    `partials`). A name that is taken raises `DuplicateOpError` unless `replace=True`; a
    built-in op's name raises `BuiltinOpError` even then.

    >>> import math, rulegrad as rg
    >>> cube = rg.define_op("cube_doc", forward=lambda x: x ** 3,
    ...                     partials=lambda out, x: (3.0 * x * x,))
    >>> rg.grad(cube)(2.0)
    12.0
    """
    op = Op(
        name, forward=forward, partials=partials, jvp=jvp, vjp=vjp, arity=arity,
        domain=domain, singularities=singularities, samples=samples, doc=doc, code=code,
    )  # fmt: skip
    target = _default() if registry is None else registry
    return target.register(op, replace=replace)


def _default() -> OpRegistry:
    return registry
