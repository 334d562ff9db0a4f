"""How the built-in catalogue declares an op."""

from __future__ import annotations

from collections.abc import Sequence

from rulegrad.kernel import BUILTIN, ForwardFn, Op, PartialsRule, registry

__all__ = ["builtin"]


def builtin(
    name: str,
    forward: ForwardFn,
    partials: PartialsRule,
    *,
    domain: str = "",
    samples: Sequence[Sequence[float]] = (),
    arity: int | None = None,
) -> Op:
    """Register a built-in op into the catalogue and return it."""
    op = Op(name, forward=forward, partials=partials, arity=arity, domain=domain,
            samples=samples, source=BUILTIN)  # fmt: skip
    return registry.register(op)
