"""Special functions for rulegrad, as a plugin: `gelu`, `lgamma` and `digamma`.

Installed, the ops are in rulegrad's catalogue by name, with nothing to import:

>>> import rulegrad as rg
>>> digamma = rg.registry.get("digamma")
>>> round(digamma(1.0), 12)                           # -Euler's gamma
-0.577215664902
>>> round(rg.grad(rg.registry.get("lgamma"))(1.0), 12)   # lgamma' = digamma
-0.577215664902
>>> round(rg.grad(digamma)(1.0), 12)                  # digamma' = trigamma, pi**2 / 6
1.644934066848

Each partial is written with rulegrad ops, so every op differentiates again, to any order:
digamma's derivative is the trigamma op, whose derivative is the next polygamma, and so on.
"""

from __future__ import annotations

import math
from typing import Final

import rulegrad as rg
from rulegrad_special._polygamma import polygamma

__all__ = ["register"]

_INV_SQRT2: Final = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI: Final = 1.0 / math.sqrt(2.0 * math.pi)
_POLES: Final = "x other than 0, -1, -2, ... (poles)"


def register(registry: rg.OpRegistry) -> None:
    """Add `gelu`, `lgamma` and `digamma` to `registry`: rulegrad calls this on loading.

    >>> own = rg.OpRegistry()
    >>> register(own)
    >>> own.names()
    ['digamma', 'gelu', 'lgamma']
    """
    digamma = rg.define_op(
        "digamma", forward=_digamma, partials=lambda out, x: (_psi(1)(x),),
        domain=_POLES, samples=[(-1.5,), (0.2,), (1.0,), (6.5,)], registry=registry,
    )  # fmt: skip
    rg.define_op(
        "lgamma", forward=math.lgamma, partials=lambda out, x: (digamma(x),),
        domain=_POLES, samples=[(-2.5,), (-0.5,), (0.3,), (4.2,)], registry=registry,
        doc="log |Gamma(x)|, as math.lgamma: the log-likelihoods of gamma and beta models.",
    )  # fmt: skip
    rg.define_op(
        "gelu", forward=_gelu, partials=_gelu_partials,
        samples=[(-2.5,), (-0.4,), (0.3,), (1.8,)], registry=registry,
    )  # fmt: skip


def _gelu(x: float) -> float:
    """x Phi(x), the Gaussian error linear unit of transformer networks."""
    # erfc keeps Phi(x) accurate far into the negative tail, where 1 + erf(x) cancels.
    return x * 0.5 * math.erfc(-x * _INV_SQRT2)


def _gelu_partials(out: float, x: float) -> tuple[float]:
    # Phi(x) + x phi(x), with phi the standard normal density
    return (0.5 * rg.erfc(-x * _INV_SQRT2) + x * _INV_SQRT_2PI * rg.exp(-0.5 * x * x),)


def _digamma(x: float) -> float:
    """The derivative of lgamma; the log-likelihood gradients of gamma and Dirichlet models."""
    return polygamma(0, x)


_ORDERS: dict[int, rg.UnaryOp] = {}


def _psi(n: int) -> rg.UnaryOp:
    """psi_n, n >= 1, as an op whose partial is psi_(n + 1): made on first use, kept.

    These ops are the derivatives' building blocks, not catalogue entries of their own.
    """
    op = _ORDERS.get(n)
    if op is None:
        name = "trigamma" if n == 1 else f"polygamma_{n}"
        op = rg.UnaryOp(
            name, forward=lambda x: polygamma(n, x), partials=lambda out, x: (_psi(n + 1)(x),),
            domain=_POLES, source="rulegrad-special (derivatives of digamma)",
        )  # fmt: skip
        op = _ORDERS.setdefault(n, op)  # two threads may race to make it: keep one
    return op
