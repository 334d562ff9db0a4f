"""One `check_op` run: evaluate at every point, then compare, lowest order first.

All points are compared at first order before any at second order, so the error reported
is the most basic one: a wrong first derivative is named as such, not as the second-order
mismatch it also causes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, NoReturn, TypeAlias, final

from rulegrad.kernel import DomainError, Dual, Op, RangeError, RulegradError, Value
from rulegrad.kernel.errors import format_point
from rulegrad.plugins._check_numeric import (
    Difference,
    Matrix,
    finite_jacobian,
    first_order,
    gradient_of,
    second_order,
)
from rulegrad.plugins._check_report import CheckReport, Point, RuleCheckError
from rulegrad.transforms._finite import ad_tolerance, fd_tolerance

__all__ = ["Run"]

_Mode: TypeAlias = Literal["forward", "reverse"]
_MODES: Final[tuple[_Mode, ...]] = ("forward", "reverse")


@final
@dataclass(frozen=True)
class _First:
    """What the value and first-order checks compare at one point."""

    point: Point
    value: float
    nodes: dict[str, float]  # mode -> the value at a root `Value` / `Dual`
    difference: Difference | None  # None for an op of no arguments
    results: dict[str, tuple[float, list[float]] | Exception]  # mode -> (value, gradient)


@final
@dataclass(frozen=True)
class _Second:
    """What the second-order checks compare at one point."""

    point: Point
    differences: dict[str, Difference]  # inner mode -> differences of its gradient
    hessians: dict[str, Matrix | Exception]  # "outer/inner" -> Hessian


@final
class Run:
    """One `check_op` call: the points kept, the points skipped, the comparisons made.

    `explicit` says the points were chosen (by the caller or the op's `samples`): a point
    outside the domain is then an error, while a default point there is skipped.
    """

    def __init__(self, op: Op, explicit: bool, rtol: float, atol: float) -> None:
        self.op = op
        self.explicit = explicit
        self.rtol = rtol
        self.atol = atol
        self.modes = tuple(m for m in _MODES if m in op.modes and op.arity != 0)
        self.pairs = tuple((outer, inner) for outer in self.modes for inner in self.modes)
        self.skipped: list[tuple[Point, str]] = []
        self.comparisons = 0

    def check(self, candidates: Sequence[Point]) -> CheckReport:
        """Every check at every point; `RuleCheckError` at the first mismatch."""
        firsts = [first for p in candidates if (first := self._first_order(p)) is not None]
        self._require(firsts, candidates)
        for first in firsts:
            self._compare_first(first)
        seconds = [second for f in firsts if (second := self._second_order(f.point)) is not None]
        self._require(seconds, candidates)
        for second in seconds:
            self._compare_second(second)
        return CheckReport(
            op_name=self.op.name,
            source=self.op.source,
            points=tuple(second.point for second in seconds),
            modes=self.modes,
            mode_pairs=tuple(f"{outer}/{inner}" for outer, inner in self.pairs),
            comparisons=self.comparisons,
            skipped=tuple(self.skipped),
        )

    def _outside(self, point: Point, error: RulegradError) -> None:
        """The op or a derivative is undefined at or next to `point`."""
        if self.explicit:
            where = format_point(self.op.params, point)
            message = f"check_op({self.op.name!r}) cannot check at the sample point {where}"
            raise DomainError(self.op.name, point, f"{message}: {error}") from error
        self.skipped.append((point, str(error)))

    def _require(self, kept: Sequence[object], candidates: Sequence[Point]) -> None:
        if kept:
            return
        domain = f" ({self.op.domain})" if self.op.domain else ""
        reasons = "; ".join(reason for _, reason in self.skipped)
        raise DomainError(
            self.op.name,
            candidates[-1] if candidates else (),
            f"check_op({self.op.name!r}): no default point is inside the op's domain{domain}; "
            f"declare samples= on the op or pass points= (skipped: {reasons})",
        )

    def _first_order(self, point: Point) -> _First | None:
        op = self.op
        try:
            value = op(*point)
            if not math.isfinite(value):
                raise DomainError(op.name, point, f"{op.name} is {value} at {point}")
            difference = finite_jacobian(op, lambda *p: (op(*p),), point) if point else None
        except (DomainError, RangeError) as error:
            self._outside(point, error)
            return None
        results: dict[str, tuple[float, list[float]] | Exception] = {}
        for mode in self.modes if point else ():
            try:
                results[mode] = first_order(op, point, mode)
            except (DomainError, RangeError) as error:
                self._outside(point, error)
                return None
            except Exception as error:  # a broken rule: reported in turn, as a mismatch
                results[mode] = error
        nodes = (
            {"reverse": op(*map(Value, point)).data, "forward": op(*map(Dual, point)).primal}
            if point
            else {}
        )
        return _First(point, value, nodes, difference, results)

    def _second_order(self, point: Point) -> _Second | None:
        op = self.op
        if not point:
            return _Second(point, {}, {})
        differences: dict[str, Difference] = {}
        hessians: dict[str, Matrix | Exception] = {}
        try:
            for inner in self.modes:
                differences[inner] = finite_jacobian(op, gradient_of(op, len(point), inner), point)
            for outer, inner in self.pairs:
                hessians[f"{outer}/{inner}"] = _attempt(op, point, outer, inner)
        except (DomainError, RangeError) as error:
            self._outside(point, error)
            return None
        return _Second(point, differences, hessians)

    def _compare_first(self, first: _First) -> None:
        point, difference = first.point, first.difference
        for mode, node in first.nodes.items():
            what = f"the value at a {'Value' if mode == 'reverse' else 'Dual'}"
            self._compare(mode, point, what, node, first.value, 0.0, "the op on floats")
        gradients: dict[str, list[float]] = {}
        for mode, result in first.results.items():
            if isinstance(result, Exception):
                self._raised(mode, point, self._what(0), difference, result)
            value, gradients[mode] = result
            what = "the value under rg.value_and_grad"
            self._compare(mode, point, what, value, first.value, 0.0, "the op on floats")
        if difference is None:
            return
        for mode, gradient in gradients.items():
            for i, got in enumerate(gradient):
                expected = difference.rows[0][i]
                allowed = self._fd_tolerance(expected, difference.scale)
                self._compare(
                    mode,
                    point,
                    self._what(i),
                    got,
                    expected,
                    allowed,
                    f"central finite differences of {self.op.name}",
                )
        if len(gradients) == 2:
            forward, reverse = gradients["forward"], gradients["reverse"]
            scale = max(map(math.fabs, (*forward, *reverse)))
            for i, (got, expected) in enumerate(zip(forward, reverse, strict=True)):
                allowed = ad_tolerance(got, expected, scale)
                self._compare(
                    "forward", point, self._what(i), got, expected, allowed, "reverse mode"
                )

    def _compare_second(self, second: _Second) -> None:
        point = second.point
        hessians: dict[str, Matrix] = {}
        for mode, result in second.hessians.items():
            inner = mode.partition("/")[2]
            difference = second.differences[inner]
            if isinstance(result, Exception):
                self._raised(mode, point, self._what(0, 0), difference, result)
            hessians[mode] = result
            for i, row in enumerate(result):
                for j, got in enumerate(row):
                    expected = difference.rows[i][j]
                    allowed = self._fd_tolerance(expected, difference.scale)
                    self._compare(
                        mode,
                        point,
                        self._what(i, j),
                        got,
                        expected,
                        allowed,
                        f"central finite differences of the {inner}-mode gradient",
                    )
        if len(hessians) < 2:
            return
        (reference, expected_rows), *others = hessians.items()
        scale = max(math.fabs(v) for rows in hessians.values() for row in rows for v in row)
        for mode, rows in others:
            for i, row in enumerate(rows):
                for j, got in enumerate(row):
                    expected = expected_rows[i][j]
                    allowed = ad_tolerance(got, expected, scale)
                    self._compare(
                        mode, point, self._what(i, j), got, expected, allowed, f"{reference} mode"
                    )

    def _fd_tolerance(self, expected: float, scale: float) -> float:
        return fd_tolerance(expected, scale, self.rtol, self.atol)

    def _compare(
        self,
        mode: str,
        point: Point,
        what: str,
        got: float,
        expected: float,
        allowed: float,
        reference: str,
    ) -> None:
        self.comparisons += 1
        if not math.fabs(got - expected) <= allowed:  # `not <=`, so that NaN fails
            tolerance = f", tolerance {allowed:.2g}" if allowed else ""
            raise RuleCheckError(
                self.op.name,
                mode,
                point,
                expected,
                got,
                what=what,
                reference=f"{reference}{tolerance}",
                params=self.op.params,
            )

    def _raised(
        self,
        mode: str,
        point: Point,
        what: str,
        difference: Difference | None,
        error: Exception,
    ) -> NoReturn:
        """A mode raised where it should have given a number: its rule is broken.

        The first entry of the derivative is reported: the whole of it failed.
        """
        expected = math.nan if difference is None else difference.rows[0][0]
        raise RuleCheckError(
            self.op.name,
            mode,
            point,
            expected,
            None,
            what=what,
            reference="central finite differences",
            params=self.op.params,
            raised=error,
        ) from error

    def _what(self, i: int, j: int | None = None) -> str:
        """`dop/dx` for gradient entry x, `d/dy (dop/dx)` for Hessian entry (x, y)."""
        params = self.op.params or tuple(f"x{k}" for k in range(max(i, j or 0) + 1))
        first = f"d{self.op.name}/d{params[i]}"
        return first if j is None else f"d/d{params[j]} ({first})"


def _attempt(op: Op, point: Point, outer: _Mode, inner: _Mode) -> Matrix | Exception:
    """The Hessian in one mode pair, or what its rules raised (other than a domain error)."""
    try:
        return second_order(op, point, outer, inner)
    except (DomainError, RangeError):
        raise
    except Exception as error:
        return error
