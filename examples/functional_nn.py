"""A network trained in the functional style: its parameters as a dict of floats.

`model.parameter_dict()` gives the parameters by name, `rg.nn.functional_call` runs the
model with any numbers in their place, and `rg.value_and_grad(loss)(params)` returns the
loss and a dict of gradients with the same keys: the style of JAX and `torch.func`. The
same gradients come out of micrograd-style `loss.backward()` on the model's own `Value`s,
which this program checks, and the loss compiles with `rg.compile`.

Run it with `python examples/functional_nn.py`.
"""

from __future__ import annotations

import random

import rulegrad as rg
from rulegrad.nn import MLP, functional_call, make_moons, svm_loss

Params = dict[str, float]


def main() -> None:
    points, classes = make_moons(40, noise=0.1, rng=random.Random(0))
    labels = [2.0 * c - 1.0 for c in classes]  # -1 / +1 for the hinge loss
    model = MLP(2, [8, 8, 1], rng=random.Random(1))

    def loss(params: Params) -> float:
        scores = [functional_call(model, params, p)[0] for p in points]
        penalty = 1e-4 * rg.sum([w * w for w in params.values()])
        return svm_loss(scores, labels) + penalty

    params = model.parameter_dict()
    value, grads = rg.value_and_grad(loss)(params)
    print(f"{len(params)} parameters, e.g. {sorted(params)[:2]}; loss {value:.6f}")

    # The same loss on the model's own Values, micrograd style.
    scores = [model.forward(p)[0] for p in points]
    graph = svm_loss(scores, labels) + 1e-4 * rg.dot(model.parameters(), model.parameters())
    model.zero_grad()
    graph.backward()
    named = dict(model.named_parameters())
    gap = max(abs(grads[name] - p.grad) for name, p in named.items())
    print(f"same loss as backward(): {graph.data == value}, largest gradient gap {gap:.1e}")

    fast = rg.compile(loss)
    learning_rate = 0.5
    for step in range(60):
        value, (grads,) = fast.value_and_grad(params)
        params = {name: p - learning_rate * grads[name] for name, p in params.items()}
        if step % 20 == 0:
            print(f"step {step} loss {value:.6f}")
    model.load_parameter_dict(params)
    right = sum(
        (model.forward(p)[0].data > 0) == (y > 0) for p, y in zip(points, labels, strict=True)
    )
    print(f"final loss {loss(params):.6f}, accuracy {right / len(points):.0%}")


if __name__ == "__main__":
    main()
