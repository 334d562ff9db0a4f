"""Optimisers: `SGD` (with optional momentum) and `Adam`, with PyTorch's update rules.

An optimiser holds a list of parameters. `step()` updates each one's `.data` from its
`.grad`; `zero_grad()` resets the gradients. The learning rate `lr` may be changed between
steps (micrograd's demo decays it linearly).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from rulegrad.kernel import ArgumentError, Value
from rulegrad.nn._checks import SettingError, check_real

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    """The base of the optimisers: the parameters, the learning rate and `zero_grad`.

    Subclasses implement `step()`.
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise SettingError(f"{type(self).__name__} got an empty list of parameters")
        seen: set[Value] = set()
        for i, p in enumerate(self.params):
            if type(p) is not Value:
                raise ArgumentError(f"parameter {i} must be a Value, not {type(p).__name__}")
            if p in seen:
                raise SettingError(f"parameter {i} appears twice; it would be updated twice")
            seen.add(p)
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate (>= 0); assign to it to schedule it between steps."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_real("lr", value, low=0.0)

    def zero_grad(self) -> None:
        """Reset `.grad` of every parameter to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its gradient."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent: `p -= lr * v` with `v = momentum * v + grad`.

    With `momentum=0` (the default) this is micrograd's `p.data -= lr * p.grad`.

    >>> w = Value(1.0)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).backward(); opt.step()
    >>> round(w.data, 6)                 # 1 - 0.2, then 0.8 - 0.1 * (0.9 * 2 + 1.6)
    0.46
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = check_real("momentum", momentum, low=0.0, high=1.0, open_high=True)
        self._velocity = [0.0] * len(self.params)

    def step(self) -> None:
        lr, momentum, velocity = self.lr, self.momentum, self._velocity
        for i, p in enumerate(self.params):
            if momentum:
                velocity[i] = momentum * velocity[i] + p.grad
                p.data -= lr * velocity[i]
            else:
                p.data -= lr * p.grad


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), with bias correction, as `torch.optim.Adam` computes it.

    >>> w = Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> opt.zero_grad(); (w * w).backward(); opt.step()
    >>> round(w.data, 6)                 # the first step moves each parameter by about lr
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ArgumentError(f"betas must be a pair of floats, not {betas!r}") from None
        self.betas = (
            check_real("betas[0]", beta1, low=0.0, high=1.0, open_high=True),
            check_real("betas[1]", beta2, low=0.0, high=1.0, open_high=True),
        )
        self.eps = check_real("eps", eps, low=0.0)
        self.steps = 0  # how many updates have been made, for the bias correction
        self._first = [0.0] * len(self.params)  # running mean of the gradient
        self._second = [0.0] * len(self.params)  # running mean of its square

    def step(self) -> None:
        self.steps += 1
        beta1, beta2 = self.betas
        # PyTorch's arrangement of the bias correction, so results agree to rounding.
        step_size = self.lr / (1.0 - beta1**self.steps)
        root_correction = math.sqrt(1.0 - beta2**self.steps)
        first, second = self._first, self._second
        for i, p in enumerate(self.params):
            g = p.grad
            first[i] = beta1 * first[i] + (1.0 - beta1) * g
            second[i] = beta2 * second[i] + (1.0 - beta2) * g * g
            p.data -= step_size * first[i] / (math.sqrt(second[i]) / root_correction + self.eps)
