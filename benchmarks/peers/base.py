"""What a peer is: one library's way to differentiate a workload's function.

A peer gets the function (written once, over `Ops`) and the point, and returns a
`Prepared` whose `run` does one full evaluation: build, differentiate, read the numbers out
as floats. Whatever a user would do once per model (create the leaf parameters, compile) is
done before `run`; whatever they would do every step is inside it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from benchmarks.core import Case, Fn, NotApplicableError, Prepared

__all__ = ["Peer", "derivative_cases", "gradient_cases", "hessian_cases", "jvp_cases"]


class Peer:
    """A library under test. Subclasses implement the derivatives they can compute."""

    id: str = ""
    label: str = ""
    requires: tuple[str, ...] = ()
    isolate: bool = False
    pure_python: bool = False

    def value_and_grad(self, f: Fn, xs: Sequence[float]) -> Prepared:
        """f(xs) and its gradient (reverse mode, unless the peer says otherwise)."""
        raise NotApplicableError(f"{self.label} has no reverse mode")

    def jvp(self, f: Fn, xs: Sequence[float], ts: Sequence[float]) -> Prepared:
        """f(xs) and its derivative along ts (forward mode)."""
        raise NotApplicableError(f"{self.label} has no forward mode")

    def hessian(self, f: Fn, xs: Sequence[float]) -> Prepared:
        """The Hessian of f at xs, row by row."""
        raise NotApplicableError(f"{self.label} has no second derivatives")

    def derivative(self, f: Fn, x: float, order: int) -> Prepared:
        """f(x) and its `order`-th derivative, f a function of one input."""
        raise NotApplicableError(f"{self.label} has no derivatives of any order")

    def case(self, prepare: functools.partial[Prepared]) -> Case:
        return Case(self.id, self.label, prepare, self.requires, self.isolate, self.pure_python)


def gradient_cases(f: Fn, xs: Sequence[float], peers: Sequence[Peer]) -> list[Case]:
    """One case per peer: value and gradient of f at xs."""
    return [peer.case(functools.partial(peer.value_and_grad, f, xs)) for peer in peers]


def jvp_cases(f: Fn, xs: Sequence[float], ts: Sequence[float], peers: Sequence[Peer]) -> list[Case]:
    """One case per peer: value and directional derivative of f at xs along ts."""
    return [peer.case(functools.partial(peer.jvp, f, xs, ts)) for peer in peers]


def hessian_cases(f: Fn, xs: Sequence[float], peers: Sequence[Peer]) -> list[Case]:
    """One case per peer: the Hessian of f at xs."""
    return [peer.case(functools.partial(peer.hessian, f, xs)) for peer in peers]


def derivative_cases(f: Fn, x: float, order: int, peers: Sequence[Peer]) -> list[Case]:
    """One case per peer: f(x) and its `order`-th derivative."""
    return [peer.case(functools.partial(peer.derivative, f, x, order)) for peer in peers]
