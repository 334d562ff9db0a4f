"""What `check_op` reports: `CheckReport` when every rule agrees, `RuleCheckError` if not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias, final

from rulegrad.kernel.errors import RuleCheckError

__all__ = ["CheckReport", "Point", "RuleCheckError"]

Point: TypeAlias = tuple[float, ...]


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
