"""What both modes do with partials: scale by a tangent or cotangent, and add up.

Zero directions are skipped exactly, so a partial that is not needed is never evaluated
(`pow`'s partial in a constant exponent) and nested transforms build no nodes for zero
terms. The generated fast paths (`kernels.py`) and `rg.compile` add terms in the same order,
so their numbers are these.
"""

from __future__ import annotations

from collections.abc import Sequence

from rulegrad.kernel import Scalar

__all__ = ["accumulate", "contract", "moving", "scale"]


def moving(direction: Scalar) -> bool:
    """False only for a plain zero: a node is never known to be zero."""
    return type(direction) is not float or direction != 0.0


def scale(partial: Scalar, direction: Scalar) -> Scalar:
    """partial * direction, without a node for the common partial 1.0."""
    if type(partial) is float and partial == 1.0:
        return direction
    return partial * direction  # type: ignore[operator]


def contract(partials: Sequence[Scalar], directions: Sequence[Scalar]) -> Scalar:
    """The sum of partial * direction over the directions that are not a plain zero.

    Terms are added left to right, starting from the first one (0.0 if there is none).
    """
    total: Scalar | None = None
    for partial, direction in zip(partials, directions, strict=True):
        if moving(direction):
            term = scale(partial, direction)
            total = term if total is None else total + term  # type: ignore[operator]
    return 0.0 if total is None else total


def accumulate(total: Scalar, term: Scalar) -> Scalar:
    """total + term, taking the term as it is while the total is still a plain zero."""
    if type(total) is float and total == 0.0:
        return term
    return total + term  # type: ignore[operator]
