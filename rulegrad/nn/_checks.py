"""The errors `rulegrad.nn` raises, and the checks of its settings that raise them."""

from __future__ import annotations

import math
import numbers

from rulegrad.kernel import ArgumentError
from rulegrad.kernel.errors import SettingError, ShapeError

__all__ = ["SettingError", "ShapeError", "check_real", "check_size"]


def check_size(name: str, value: object, *, minimum: int = 1) -> int:
    """`value` if it is an int >= `minimum`; ArgumentError for a non-int, else SettingError.

    >>> check_size("nin", 3)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise SettingError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_real(
    name: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    open_high: bool = False,
) -> float:
    """`value` as a finite float in [low, high] (or [low, high) with `open_high`).

    >>> check_real("lr", 0.1, low=0.0)
    0.1
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"{name} must be a real number, not {type(value).__name__}")
    number = float(value)
    inside = low <= number < high if open_high else low <= number <= high
    if not (math.isfinite(number) and inside):
        if math.isinf(high):
            wanted = f"a finite number >= {low:g}"
        else:
            wanted = f"in [{low:g}, {high:g}{')' if open_high else ']'}"
        raise SettingError(f"{name} must be {wanted}, got {number!r}")
    return number
