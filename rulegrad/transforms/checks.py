"""`check_grads`: any function's derivatives against finite differences, in every mode.

The derivatives are taken over the leaves of the arguments and of the output (containers
flattened as the transforms flatten them). A derivative of order k in a chain of modes
(`"reverse/forward"`: reverse over forward) is the Jacobian, in the outer mode, of the
derivative of order k - 1 in the inner chain; it is compared with central differences of
that inner derivative, and with every other chain of the same order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, Final, NoReturn, final

from rulegrad.kernel import ArgumentError, DomainError, RangeError
from rulegrad.kernel.errors import RuleCheckError
from rulegrad.transforms._finite import Difference, ad_tolerance, fd_tolerance, finite_jacobian
from rulegrad.transforms._tracing import Args, argument_name, flat_output
from rulegrad.transforms.gradients import ModeLike, check_function, normalize_mode
from rulegrad.transforms.matrices import jacobian_rows

__all__ = ["check_grads"]

_RTOL: Final = 1e-6
_ATOL: Final = 1e-8

Flat = Callable[..., list[float]]  # the leaves in, a flat list of numbers out


def check_grads(
    f: Callable[..., object],
    args: Sequence[object],
    order: int = 2,
    modes: Sequence[ModeLike] = ("forward", "reverse"),
    eps: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
) -> None:
    """Check `f`'s derivatives at `args`, up to `order`, in every mode and chain of modes.

    `args` holds one entry per argument of `f` (numbers or containers of them); `f` may
    return a number or any container of numbers. Each derivative must match central
    finite differences (step `eps`, default 1e-4 * |x|) to `rtol * |expected| + atol *
    (1 + |f|)` (defaults 1e-6 and 1e-8), and the modes must match each other to rounding.
    Raises `rg.RuleCheckError` naming the mode, the order, the argument (its path, such
    as `params['w'][0]`), expected and got; returns None when all agree.

    >>> import rulegrad as rg
    >>> rg.check_grads(lambda p, x: p["w"] * rg.sin(x), ({"w": 2.0}, 0.5))
    >>> wrong = rg.custom_jvp(lambda x: x ** 3)
    >>> _ = wrong.defjvp(lambda primals, tangents: (primals[0] ** 3, 2.0 * tangents[0]))
    >>> try:
    ...     rg.check_grads(wrong, (1.5,), order=1)
    ... except rg.RuleCheckError as error:
    ...     print(error.mode, error.order, error.path, round(error.expected, 6), error.got)
    forward 1 x 6.75 2.0
    """
    origin = "rg.check_grads"
    check_function(f, origin)
    if not isinstance(args, (tuple, list)):
        raise ArgumentError(
            f"{origin}: args must be a tuple (or list) with one entry per argument of f, "
            f"not {type(args).__name__}; write args=(x,) for a function of one argument"
        )
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ArgumentError(f"{origin}: order must be a positive int, got {order!r}")
    if isinstance(modes, str) or not isinstance(modes, (tuple, list)) or not modes:
        raise ArgumentError(f"{origin}: modes must be a non-empty tuple of modes, got {modes!r}")
    chosen = tuple(dict.fromkeys(normalize_mode(mode).value for mode in modes))
    for name, value in (("eps", eps), ("rtol", rtol), ("atol", atol)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0
        ):
            raise ArgumentError(f"{origin}: {name} must be a non-negative number, got {value!r}")
    if eps is not None and not eps > 0:
        raise ArgumentError(f"{origin}: eps must be positive, got {eps!r}")
    checker = _Checker(
        f,
        tuple(args),
        chosen,
        eps,
        _RTOL if rtol is None else rtol,
        _ATOL if atol is None else atol,
    )
    checker.run(order)


@final
class _Checker:
    def __init__(
        self,
        f: Callable[..., object],
        args: tuple[object, ...],
        modes: tuple[str, ...],
        eps: float | None,
        rtol: float,
        atol: float,
    ) -> None:
        self.spec = Args(f, args, {}, tuple(range(len(args))), False, "rg.check_grads")
        self.point = tuple(float(x) for x in self.spec.leaves)
        self.paths = [
            path
            for i, treedef in enumerate(self.spec.treedefs)
            for path in treedef.paths(argument_name(f, i))
        ]
        self.name = getattr(f, "__name__", "f")
        if not self.name.isidentifier():
            self.name = "f"
        self.modes = modes
        self.eps = eps
        self.rtol = rtol
        self.atol = atol
        self.outputs: list[str] = []  # how each output leaf is named

    def value(self, *leaves: float) -> list[float]:
        out = self.spec.call(leaves)
        found, treedef = flat_output(out, "rg.check_grads")
        if not self.outputs:
            self.outputs = [
                self.name if path == "out" else self.name + path[3:]
                for path in treedef.paths("out")
            ]
        return found

    def run(self, order: int) -> None:
        values = self.value(*self.point)
        if not all(math.isfinite(float(v)) for v in values):
            raise DomainError(self.name, self.point, f"{self.name} is not finite at the point")
        functions: dict[tuple[str, ...], Flat] = {(): self.value}
        for k in range(1, order + 1):
            chains = list(itertools.product(self.modes, repeat=k))
            results: dict[tuple[str, ...], list[float]] = {}
            differences: dict[tuple[str, ...], Difference] = {}
            for chain in chains:
                inner = chain[1:]
                if inner not in differences:
                    differences[inner] = self.difference(functions[inner], inner)
                functions[chain] = _derivative(functions[inner], chain[0])
                results[chain] = self.attempt(functions[chain], chain, differences[inner])
                self.compare_fd(chain, results[chain], differences[inner])
            reference, *others = chains
            scale = max((math.fabs(v) for r in results.values() for v in r), default=0.0)
            for chain in others:
                for index, (got, expected) in enumerate(
                    zip(results[chain], results[reference], strict=True)
                ):
                    allowed = ad_tolerance(got, expected, scale)
                    if not math.fabs(got - expected) <= allowed:
                        self.fail(chain, index, expected, got, f"{'/'.join(reference)} mode")

    def difference(self, function: Flat, inner: tuple[str, ...]) -> Difference:
        return finite_jacobian(
            function, self.point, name=self.name, params=self.paths, step=self.eps
        )

    def attempt(self, function: Flat, chain: tuple[str, ...], reference: Difference) -> list[float]:
        try:
            return [float(v) for v in function(*self.point)]
        except (DomainError, RangeError):
            raise
        except Exception as error:
            expected = reference.rows[0][0] if reference.rows and reference.rows[0] else math.nan
            self.fail(chain, 0, expected, None, "central finite differences", raised=error)

    def compare_fd(self, chain: tuple[str, ...], got: list[float], reference: Difference) -> None:
        n = len(self.point)
        for index, value in enumerate(got):
            expected = reference.rows[index // n][index % n]
            allowed = fd_tolerance(expected, reference.scale, self.rtol, self.atol)
            if not math.fabs(value - expected) <= allowed:  # `not <=`, so that NaN fails
                reference_name = "central finite differences"
                if len(chain) > 1:
                    reference_name += f" of the {'/'.join(chain[1:])}-mode derivative"
                self.fail(
                    chain, index, expected, value, f"{reference_name}, tolerance {allowed:.2g}"
                )

    def fail(
        self,
        chain: tuple[str, ...],
        index: int,
        expected: float,
        got: float | None,
        reference: str,
        raised: BaseException | None = None,
    ) -> NoReturn:
        n = max(len(self.point), 1)
        wrt: list[int] = []
        for _ in chain:
            index, position = divmod(index, n)
            wrt.append(position)
        wrt.reverse()  # innermost derivative first
        output = self.outputs[index] if index < len(self.outputs) else self.name
        what = f"d{output}/d{self.paths[wrt[0]]}" if self.paths else f"d{output}"
        for position in wrt[1:]:
            what = f"d/d{self.paths[position]} ({what})"
        error = RuleCheckError(
            self.name,
            "/".join(chain),
            self.point,
            expected,
            got,
            what=what,
            reference=reference,
            params=self.paths,
            raised=raised,
            order=len(chain),
            path=self.paths[wrt[-1]] if self.paths else "",
        )
        if raised is not None:
            raise error from raised
        raise error


def _derivative(function: Flat, mode: str) -> Flat:
    """The Jacobian of `function` in `mode`, flattened row by row."""

    def derivative(*leaves: float) -> list[Any]:
        rows = jacobian_rows(function, leaves, mode)  # type: ignore[arg-type]
        return [entry for row in rows for entry in row]

    return derivative
