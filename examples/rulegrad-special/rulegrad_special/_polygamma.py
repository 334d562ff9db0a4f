"""The polygamma functions on floats: psi_n(x), the (n + 1)-th derivative of log Gamma(x).

psi_0 is digamma, psi_1 trigamma. Negative x is reflected to positive; positive x is moved
up by the recurrence until the asymptotic series is accurate to a few ulps.

>>> round(polygamma(0, 1.0), 12)      # -Euler's gamma
-0.577215664902
>>> round(polygamma(1, 1.0), 12)      # pi**2 / 6
1.644934066848
"""

from __future__ import annotations

import math
from typing import Final

__all__ = ["polygamma"]

# B_2, B_4, ..., B_20: the Bernoulli numbers in the asymptotic series.
_BERNOULLI: Final = (
    1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,
    -174611 / 330,
)  # fmt: skip

# Below this the series' terms stop shrinking fast enough; psi_n needs a larger start for
# larger n because its terms carry (2k + n - 1)!.
_START: Final = 12.0


def polygamma(n: int, x: float) -> float:
    """psi_n(x) for n >= 0; `ValueError` at the poles x = 0, -1, -2, ..."""
    if n < 0:
        raise ValueError(f"polygamma order must be >= 0, got {n}")
    if math.isnan(x):
        return x
    if math.isinf(x):
        if x < 0:
            raise ValueError("polygamma has no limit at -inf")
        return math.inf if n == 0 else 0.0
    if x <= 0.0 and x == math.floor(x):
        raise ValueError(f"polygamma has a pole at x={x!r}")
    if x < 0.0:
        return _reflected(n, x)
    return _positive(n, x)


def _positive(n: int, x: float) -> float:
    # psi_n(x) = psi_n(x + 1) - (-1)**n n! / x**(n + 1)
    sign = -1.0 if n % 2 else 1.0
    factorial = math.factorial(n)
    shifted = 0.0
    start = _START + n
    while x < start:
        shifted -= sign * factorial / x ** (n + 1)
        x += 1.0
    return shifted + _asymptotic(n, x)


def _asymptotic(n: int, x: float) -> float:
    t = 1.0 / x  # powers of 1/x rather than of x, which would overflow for huge x
    t2 = t * t
    if n == 0:
        total = math.log(x) - 0.5 * t
        power = 1.0
        for k, bernoulli in enumerate(_BERNOULLI, start=1):
            power *= t2
            total -= bernoulli / (2 * k) * power
        return total
    total = math.factorial(n - 1) * t**n + math.factorial(n) * 0.5 * t ** (n + 1)
    power = t**n
    for k, bernoulli in enumerate(_BERNOULLI, start=1):
        power *= t2
        total += bernoulli * math.factorial(2 * k + n - 1) / math.factorial(2 * k) * power
    return total if n % 2 else -total


def _reflected(n: int, x: float) -> float:
    # From psi_0(1 - x) - psi_0(x) = pi cot(pi x), differentiated n times:
    # psi_n(x) = (-1)**n psi_n(1 - x) - pi**(n + 1) cot^(n)(pi x)
    reduced = x - round(x)  # exact; cot has period pi, and sin(pi r) stays accurate near 0
    cot = math.cos(math.pi * reduced) / math.sin(math.pi * reduced)
    derivative = _cot_derivative(n, cot)
    sign = -1.0 if n % 2 else 1.0
    return sign * _positive(n, 1.0 - x) - math.pi ** (n + 1) * derivative


def _cot_derivative(n: int, cot: float) -> float:
    """The n-th derivative of cot(u), as a polynomial in c = cot(u): cot' = -(1 + c**2)."""
    coefficients = [0.0, 1.0]  # c, lowest power first
    for _ in range(n):
        derived = [power * c for power, c in enumerate(coefficients)][1:]
        # multiply by -(1 + c**2)
        product = [0.0] * (len(derived) + 2)
        for power, c in enumerate(derived):
            product[power] -= c
            product[power + 2] -= c
        coefficients = product
    value = 0.0
    for c in reversed(coefficients):
        value = value * cot + c
    return value
