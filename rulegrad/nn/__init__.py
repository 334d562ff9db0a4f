"""Neural nets on `Value`s, micrograd-compatible: modules, optimisers, losses, toy data.

micrograd's moons demo runs on rulegrad with only its imports changed:
`from rulegrad import Value` and `from rulegrad.nn import Neuron, Layer, MLP`.

>>> import random
>>> from rulegrad.nn import MLP, SGD, make_moons, svm_loss
>>> points, labels = make_moons(20, noise=0.1, rng=random.Random(0))
>>> model = MLP(2, [8, 1], rng=random.Random(0))
>>> optimizer = SGD(model.parameters(), lr=0.1)
>>> for step in range(5):
...     loss = svm_loss([model.forward(p)[0] for p in points], [2 * y - 1 for y in labels])
...     optimizer.zero_grad()
...     loss.backward()
...     optimizer.step()
>>> loss.data < 1.0
True
"""

from rulegrad.nn._checks import SettingError, ShapeError
from rulegrad.nn._modules import MLP, Inputs, Layer, Module, Neuron, functional_call
from rulegrad.nn.data import make_moons
from rulegrad.nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    l2_penalty,
    mse_loss,
    svm_loss,
)
from rulegrad.nn.optim import SGD, Adam, Optimizer

__all__ = [
    "MLP", "SGD", "Adam", "Inputs", "Layer", "Module", "Neuron", "Optimizer", "SettingError",
    "ShapeError", "binary_cross_entropy", "binary_cross_entropy_with_logits", "functional_call",
    "l2_penalty", "make_moons", "mse_loss", "svm_loss",
]  # fmt: skip
