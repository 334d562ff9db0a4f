"""What `check_op` reports: `CheckReport` when every rule agrees, `RuleCheckError` if not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias, final

from rulegrad.kernel import RulegradError
from rulegrad.kernel.errors import format_point

__all__ = ["CheckReport", "Point", "RuleCheckError"]

Point: TypeAlias = tuple[float, ...]


class RuleCheckError(RulegradError):
    """An op's rules disagree with finite differences of its forward, or with each other.

    `.op_name`, `.mode`, `.point`, `.expected` and `.got` say where. `.mode` is `"forward"`
    or `"reverse"` for values and first derivatives, and `"outer/inner"` for second
    derivatives: `"reverse/forward"` is reverse mode over forward mode. `.got` is None
    when the mode raised instead of giving a number; the exception is the `__cause__`.

    >>> error = RuleCheckError("mysin", "reverse/forward", (0.5,), -0.479426, 0.0,
    ...                        what="d/dx (dmysin/dx)", reference="finite differences",
    ...                        params=("x",))
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    rule check failed for 'mysin' in reverse/forward mode (reverse over forward) at x=0.5:
    d/dx (dmysin/dx) is 0.0, expected -0.479426 from finite differences
    """

    def __init__(
        self,
        op_name: str,
        mode: str,
        point: Point,
        expected: float,
        got: float | None,
        *,
        what: str,
        reference: str,
        params: Sequence[str] = (),
        raised: BaseException | None = None,
    ) -> None:
        self.op_name = op_name
        self.mode = mode
        self.point = point
        self.expected = expected
        self.got = got
        outer, _, inner = mode.partition("/")
        modes = f"{mode} mode ({outer} over {inner})" if inner else f"{mode} mode"
        outcome = f"is {got!r}" if got is not None else f"raised {type(raised).__name__}: {raised}"
        super().__init__(
            f"rule check failed for {op_name!r} in {modes} at {format_point(params, point)}: "
            f"{what} {outcome}, expected {expected!r} from {reference}"
        )


@final
@dataclass(frozen=True)
class CheckReport:
    """What `check_op` checked, all of it in agreement.

    `points` are the points checked, `modes` the modes checked at first order,
    `mode_pairs` the `"outer/inner"` pairs checked at second order, `comparisons` how many
    numbers were compared, and `skipped` the default points left out, each with the reason
    (outside the op's domain).

    >>> import rulegrad as rg
    >>> print(rg.check_op("atan2"))
    atan2 (built-in): 3 points, forward and reverse mode, 4 mode pairs, 114 comparisons
    """

    op_name: str
    source: str
    points: tuple[Point, ...]
    modes: tuple[str, ...]
    mode_pairs: tuple[str, ...]
    comparisons: int
    skipped: tuple[tuple[Point, str], ...] = ()

    def __str__(self) -> str:
        modes = f"{' and '.join(self.modes)} mode" if self.modes else "no derivative rules"
        skipped = f" ({len(self.skipped)} skipped)" if self.skipped else ""
        return (
            f"{self.op_name} ({self.source}): {len(self.points)} points{skipped}, {modes}, "
            f"{len(self.mode_pairs)} mode pairs, {self.comparisons} comparisons"
        )
