"""What both modes do with partials: scale by a tangent or cotangent, and add up.

Zero is skipped exactly, so a partial that is not needed is never evaluated (`pow`'s
partial in a constant exponent) and nested transforms build no nodes for zero terms.
"""

from __future__ import annotations

from rulegrad.kernel import Scalar

__all__ = ["add", "is_zero", "scale"]


def is_zero(x: Scalar) -> bool:
    """True only for a plain 0.0: a node is never known to be zero."""
    return type(x) is float and x == 0.0


def scale(partial: float, direction: float) -> float:
    """partial * direction, without a node for the common partial 1.0."""
    if type(partial) is float and partial == 1.0:
        return direction
    return partial * direction


def add(total: float, term: float) -> float:
    """total + term, without a node when total is still a plain zero."""
    if type(total) is float and total == 0.0:
        return term
    return total + term
